#!/usr/bin/python3
"""Generate scikit-learn GaussianMixture parity fixtures for test/sklearn-parity.test.ts.

How to run (from the repository root):

    npm run fixtures
    # which runs: /usr/bin/python3 scripts/make_sklearn_fixtures.py

Requires Debian's scikit-learn (``apt-get install -y python3-sklearn``, 1.2.1 when the
fixtures were made); use /usr/bin/python3, since another python3 on PATH may lack sklearn.
The JSON files in test/fixtures/sklearn/ are committed, so CI never needs Python.

Every case starts from explicit initial parameters (weights_init, means_init,
precisions_init), so its result does not depend on sklearn's random initialisation. For each
data set and each covariance type there are four runs: max_iter=1 (tol=0), max_iter=10
(tol=0), to convergence (tol=1e-12, max_iter=1000) and to convergence with reg_covar=1e-3.

Output is deterministic: fixed seeds, sorted keys, floats written with Python's shortest
round-trip repr (nothing is rounded). Numbers use sklearn's shapes; the test flattens them in
numpy's C order.

Robust n_iter_: EM near its optimum changes the lower bound by a nearly constant factor per
iteration, so with tol=1e-12 the last two changes often straddle tol by ~1e-14, well inside
float64 noise between two correct implementations (reordering X's rows moves sklearn's own
changes by up to ~2e-13 here). For a "converged" run the script therefore takes the smallest
tol from 1e-12 x {1, 1.5, 2, 3, 5, 7} x 10^j whose crossing is clear: the first change below
tol is below tol - TOL_MARGIN and every earlier change is above tol + TOL_MARGIN. The tol used
is written in each case's options. The script exits non-zero if a check fails (also: a
predict(X) label that is a near tie).
"""

import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_iris, load_wine, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

warnings.filterwarnings("ignore", category=ConvergenceWarning)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "sklearn")

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

# (label, tol, reg_covar, max_iter)
RUNS = (
    ("max_iter=1", 0.0, 1e-6, 1),
    ("max_iter=10", 0.0, 1e-6, 10),
    ("converged", 1e-12, 1e-6, 1000),  # tol: see robust_tol
    ("converged reg_covar=1e-3", 1e-12, 1e-3, 1000),
)

# Margin (absolute, in lower-bound units) that the lower-bound changes around the stopping
# iteration must keep from tol: twice the largest change moved by reordering X's rows.
TOL_MARGIN = 4e-13
TOL_CANDIDATES = [m * 10.0**j for j in range(-12, -5) for m in (1, 1.5, 2, 3, 5, 7)]
# Smallest allowed gap between the best and second-best log responsibility of any row.
LABEL_MARGIN = 1e-6


def datasets():
    """(name, description, X, n_components, seed for the initial means)."""
    iris = load_iris().data.astype(np.float64)
    yield "iris", "sklearn.datasets.load_iris().data (150 x 4)", iris, 3, 0

    wine = load_wine().data.astype(np.float64)
    yield "wine", "sklearn.datasets.load_wine().data, raw (unscaled) (178 x 13)", wine, 3, 0

    blobs, _ = make_blobs(
        n_samples=150, n_features=2, centers=3, cluster_std=[1.0, 1.5, 0.5], random_state=7
    )
    yield (
        "blobs2d",
        "make_blobs(n_samples=150, n_features=2, centers=3, cluster_std=[1.0, 1.5, 0.5], "
        "random_state=7)",
        blobs.astype(np.float64),
        3,
        1,
    )

    rng = np.random.RandomState(42)
    one_d = np.concatenate([rng.normal(0.0, 1.0, 120), rng.normal(3.0, 0.5, 80)])
    yield (
        "oned2",
        "1-D, two components: RandomState(42): 120 from N(0, 1) then 80 from N(3, 0.5^2)",
        one_d.reshape(-1, 1),
        2,
        3,
    )


def initial_parameters(X, k, covariance_type, seed):
    """weights uniform; means = k distinct rows chosen with RandomState(seed); precisions
    from the data's covariance C (np.cov, ddof=1), in sklearn's shape for the type: full: k
    copies of inv(C); tied: inv(C); diag: k copies of 1/diag(C); spherical: k copies of
    1/mean(diag(C))."""
    n, d = X.shape
    rng = np.random.RandomState(seed)
    rows = np.sort(rng.choice(n, size=k, replace=False))
    means = X[rows].copy()
    weights = np.full(k, 1.0 / k)
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    # inv() of a symmetric matrix is symmetric only up to rounding; make it exact.
    precision = np.linalg.inv(cov)
    precision = (precision + precision.T) / 2.0
    if covariance_type == "full":
        precisions = np.stack([precision] * k)
    elif covariance_type == "tied":
        precisions = precision
    elif covariance_type == "diag":
        precisions = np.stack([1.0 / np.diag(cov)] * k)
    else:  # spherical
        precisions = np.full(k, 1.0 / np.mean(np.diag(cov)))
    return weights, means, precisions, rows


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def fit_case(X, k, covariance_type, tol, reg_covar, max_iter, inits):
    weights_init, means_init, precisions_init = inits
    gm = GaussianMixture(
        n_components=k,
        covariance_type=covariance_type,
        tol=tol,
        reg_covar=reg_covar,
        max_iter=max_iter,
        n_init=1,
        weights_init=weights_init,
        means_init=means_init,
        precisions_init=precisions_init,
        random_state=0,
    )
    history = []
    # sklearn calls this once per EM iteration with the lower-bound change; record them.
    gm._print_verbose_msg_iter_end = lambda n_iter, diff_ll: history.append(float(diff_ll))
    gm.fit(X)
    return gm, history


def robust_tol(X, k, covariance_type, reg_covar, max_iter, inits, name, problems):
    """Smallest candidate tol at which the stopping iteration is clear of rounding noise."""
    _, history = fit_case(X, k, covariance_type, 0.0, reg_covar, max_iter, inits)
    changes = [abs(h) for h in history]
    for tol in TOL_CANDIDATES:
        stop = next((t for t, c in enumerate(changes) if c < tol), None)
        if stop is None:
            continue
        if changes[stop] < tol - TOL_MARGIN and all(c > tol + TOL_MARGIN for c in changes[:stop]):
            return tol
    problems.append(f"{name}: no robust tol found")
    return TOL_CANDIDATES[0]


def check_robust(name, gm, X, history, tol, problems):
    if tol > 0 and gm.converged_:
        last = abs(history[-1])
        before = abs(history[-2]) if len(history) >= 2 else float("inf")
        if not (last < tol - TOL_MARGIN and before > tol + TOL_MARGIN):
            problems.append(f"{name}: n_iter_ fragile (last |change| {last:.3e}, before {before:.3e})")
    if tol > 0 and not gm.converged_:
        problems.append(f"{name}: did not converge in max_iter={gm.max_iter}")
    log_resp = gm._estimate_weighted_log_prob(X)
    top2 = np.sort(log_resp, axis=1)[:, -2:]
    gap = float(np.min(top2[:, 1] - top2[:, 0])) if log_resp.shape[1] > 1 else float("inf")
    if gap < LABEL_MARGIN:
        problems.append(f"{name}: a label is a near tie (log gap {gap:.3e})")
    return gap


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    problems = []
    for name, description, X, k, seed in datasets():
        n, d = X.shape
        cases = []
        for covariance_type in COVARIANCE_TYPES:
            weights_init, means_init, precisions_init, rows = initial_parameters(
                X, k, covariance_type, seed
            )
            inits = (weights_init, means_init, precisions_init)
            for label, tol, reg_covar, max_iter in RUNS:
                case_name = f"{name} {covariance_type} {label}"
                if tol > 0:
                    tol = robust_tol(
                        X, k, covariance_type, reg_covar, max_iter, inits, case_name, problems
                    )
                gm, history = fit_case(X, k, covariance_type, tol, reg_covar, max_iter, inits)
                gap = check_robust(case_name, gm, X, history, tol, problems)
                print(
                    f"{case_name:45s} tol={tol:<7g} n_iter={gm.n_iter_:4d} converged={gm.converged_!s:5s} "
                    f"lower_bound={gm.lower_bound_:.12f} label_gap={gap:.2e}"
                )
                cases.append(
                    {
                        "name": case_name,
                        "options": {
                            "n_components": k,
                            "covariance_type": covariance_type,
                            "tol": tol,
                            "reg_covar": reg_covar,
                            "max_iter": max_iter,
                            "weights_init": tolist(weights_init),
                            "means_init": tolist(means_init),
                            "means_init_rows": [int(r) for r in rows],
                            "precisions_init": tolist(precisions_init),
                        },
                        "expected": {
                            "weights_": tolist(gm.weights_),
                            "means_": tolist(gm.means_),
                            "covariances_": tolist(gm.covariances_),
                            "precisions_cholesky_": tolist(gm.precisions_cholesky_),
                            "precisions_": tolist(gm.precisions_),
                            "converged_": bool(gm.converged_),
                            "n_iter_": int(gm.n_iter_),
                            "lower_bound_": float(gm.lower_bound_),
                            "predict": [int(v) for v in gm.predict(X)],
                            "score": float(gm.score(X)),
                            "score_samples_first10": tolist(gm.score_samples(X[:10])),
                            "predict_proba_first10": tolist(gm.predict_proba(X[:10])),
                            "bic": float(gm.bic(X)),
                            "aic": float(gm.aic(X)),
                        },
                    }
                )
        fixture = {
            "dataset": name,
            "description": description,
            "generator": "scripts/make_sklearn_fixtures.py",
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "n_samples": n,
            "n_features": d,
            "X": tolist(X),
            "cases": cases,
        }
        path = os.path.join(OUT_DIR, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fixture, f, sort_keys=True, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")
    if problems:
        print("\nROBUSTNESS PROBLEMS:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
