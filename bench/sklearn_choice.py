"""scikit-learn's side of bench/choice.ts (choosing the model).

  python3 bench/sklearn_choice.py iter DATA.f64 N D K REPS
      seconds per EM iteration (one E-step + one M-step, as fit runs them) of GaussianMixture
      and BayesianGaussianMixture, full covariances, after one untimed iteration.
  python3 bench/sklearn_choice.py grid DATA.f64 N D KMAX MAX_ITER
      GaussianMixture for every K in 1..KMAX x the four covariance types (random_from_data,
      n_init 1, tol 0, max_iter MAX_ITER, random_state 0) and its BIC, one after the other.

DATA.f64 holds N x D float64 values (little-endian, row-major). Prints one JSON line.
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture


def per_iteration(X, estimator, reps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X)  # initialises; one untimed iteration
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        _, log_resp = estimator._e_step(X)
        estimator._m_step(X, log_resp)
        # fit also evaluates the bound every iteration; the Bayesian one is not free
        estimator._compute_lower_bound(log_resp, 0.0)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    mode, data_path, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    X = np.fromfile(data_path, dtype="<f8").reshape(n, d)
    import sklearn

    if mode == "iter":
        k, reps = int(sys.argv[5]), int(sys.argv[6])
        common = dict(n_components=k, covariance_type="full", init_params="random_from_data", max_iter=1, tol=0, random_state=0)
        gmm = per_iteration(X, GaussianMixture(**common), reps)
        bgm = per_iteration(X, BayesianGaussianMixture(**common), reps)
        print(json.dumps({"ok": True, "gmm": gmm, "bgm": bgm, "version": sklearn.__version__}))
        return
    kmax, max_iter = int(sys.argv[5]), int(sys.argv[6])
    cells = []
    began = time.perf_counter()
    for covariance_type in ["full", "tied", "diag", "spherical"]:
        for k in range(1, kmax + 1):
            start = time.perf_counter()
            gm = GaussianMixture(n_components=k, covariance_type=covariance_type, init_params="random_from_data", max_iter=max_iter, tol=0, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gm.fit(X)
            bic = gm.bic(X)
            cells.append({"covarianceType": covariance_type, "nComponents": k, "bic": bic, "seconds": time.perf_counter() - start})
    print(json.dumps({"ok": True, "total": time.perf_counter() - began, "cells": cells, "version": sklearn.__version__}))


if __name__ == "__main__":
    main()
