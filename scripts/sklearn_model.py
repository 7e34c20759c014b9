#!/usr/bin/python3
"""Convert between emgpu model JSON and fitted scikit-learn mixtures.

    /usr/bin/python3 scripts/sklearn_model.py to-sklearn model.json model.pkl
    /usr/bin/python3 scripts/sklearn_model.py from-sklearn model.pkl model.json
    /usr/bin/python3 scripts/sklearn_model.py check model.json data.csv

The package ships this file (node_modules/emgpu/scripts/sklearn_model.py); 'emgpu convert
to-sklearn|from-sklearn|check SOURCE TARGET [--python PATH]' runs it.

to-sklearn pickles a fitted sklearn.mixture.GaussianMixture (or BayesianGaussianMixture, for
'emgpu fit --bayesian' models) whose predict, predict_proba, score_samples, score and sample
use emgpu's parameters; from-sklearn writes a model that GaussianMixture.fromJSON and
'emgpu predict/score/sample/stats' read (a start for distributed EM, for instance). check
prints the largest differences between emgpu's and sklearn's scores for a CSV file (header
row optional); it runs the bin/emgpu.js next to this script. Outputs are written to a
temporary file next to the target and renamed over it: never half-written. A problem is one
line on stderr, exit code 2.

The attribute mapping (emgpu JSON -> sklearn), both in sklearn's shapes:
    weights -> weights_              means -> means_
    covariances -> covariances_      precisionsCholesky -> precisions_cholesky_ (upper, P = U U^T)
    converged -> converged_          nIter -> n_iter_        lowerBound -> lower_bound_
    options.tol / regCovar / maxIter / nInit / initParams / randomState -> the constructor's
    Bayesian: weightConcentration -> weight_concentration_ (a pair for dirichlet_process),
    meanPrecision -> mean_precision_, degreesOfFreedom -> degrees_of_freedom_,
    priors.* -> weight_concentration_prior_, mean_precision_prior_, mean_prior_,
    degrees_of_freedom_prior_, covariance_prior_.
precisions_ is computed from the Cholesky factors, as sklearn does. Requires scikit-learn
(written against 1.2) and numpy; nothing here is needed by the TypeScript library.
"""

import json
import math
import os
import pickle
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import sklearn
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
except ImportError as error:
    print(
        f"sklearn_model.py: this needs numpy and scikit-learn, which {sys.executable} cannot import ({error}); "
        "install them (apt-get install python3-sklearn, or pip install scikit-learn) or run a Python that has them "
        "(emgpu convert --python PATH).",
        file=sys.stderr,
    )
    sys.exit(2)

BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin", "emgpu.js")

GAUSSIAN_FORMAT = "emgpu-gaussian-mixture"
BAYESIAN_FORMAT = "emgpu-bayesian-gaussian-mixture"


def _precisions(covariance_type, precisions_cholesky):
    """sklearn's precisions_ from precisions_cholesky_ (P = U U^T)."""
    u = precisions_cholesky
    if covariance_type == "full":
        return np.array([f @ f.T for f in u])
    if covariance_type == "tied":
        return u @ u.T
    return u**2


def _constructor_options(model):
    o = model.get("options", {})
    options = {}
    for ours, theirs in [("tol", "tol"), ("regCovar", "reg_covar"), ("maxIter", "max_iter"), ("nInit", "n_init"), ("initParams", "init_params"), ("randomState", "random_state")]:
        if ours in o:
            options[theirs] = o[ours]
    return options


def to_sklearn(model):
    """A fitted sklearn mixture from a parsed emgpu model JSON (dict)."""
    fmt = model.get("format", GAUSSIAN_FORMAT)
    k = model["nComponents"]
    covariance_type = model["covarianceType"]
    options = dict(n_components=k, covariance_type=covariance_type, **_constructor_options(model))
    if fmt == BAYESIAN_FORMAT:
        priors = model["priors"]
        gm = BayesianGaussianMixture(
            weight_concentration_prior_type=model["weightConcentrationPriorType"],
            weight_concentration_prior=priors["weightConcentrationPrior"],
            mean_precision_prior=priors["meanPrecisionPrior"],
            mean_prior=np.array(priors["meanPrior"], dtype=float),
            degrees_of_freedom_prior=priors["degreesOfFreedomPrior"],
            covariance_prior=np.array(priors["covariancePrior"], dtype=float) if covariance_type != "spherical" else float(priors["covariancePrior"]),
            **options,
        )
        wc = model["weightConcentration"]
        gm.weight_concentration_ = (np.array(wc[0], dtype=float), np.array(wc[1], dtype=float)) if model["weightConcentrationPriorType"] == "dirichlet_process" else np.array(wc, dtype=float)
        gm.mean_precision_ = np.array(model["meanPrecision"], dtype=float)
        dof = model["degreesOfFreedom"]
        gm.degrees_of_freedom_ = float(dof) if covariance_type == "tied" else np.array(dof, dtype=float)
        gm.weight_concentration_prior_ = priors["weightConcentrationPrior"]
        gm.mean_precision_prior_ = priors["meanPrecisionPrior"]
        gm.mean_prior_ = np.array(priors["meanPrior"], dtype=float)
        gm.degrees_of_freedom_prior_ = priors["degreesOfFreedomPrior"]
        gm.covariance_prior_ = float(priors["covariancePrior"]) if covariance_type == "spherical" else np.array(priors["covariancePrior"], dtype=float)
    elif fmt == GAUSSIAN_FORMAT:
        gm = GaussianMixture(**options)
    else:
        raise ValueError(f"not an emgpu model: format {fmt!r}")
    gm.weights_ = np.array(model["weights"], dtype=float)
    gm.means_ = np.array(model["means"], dtype=float)
    gm.precisions_cholesky_ = np.array(model["precisionsCholesky"], dtype=float)
    gm.precisions_ = _precisions(covariance_type, gm.precisions_cholesky_)
    if model.get("covariances") is not None:
        gm.covariances_ = np.array(model["covariances"], dtype=float)
    else:
        # Sigma = P^-1 from the factors.
        p = gm.precisions_
        gm.covariances_ = np.linalg.inv(p) if covariance_type in ("full", "tied") else 1.0 / p
    gm.converged_ = bool(model.get("converged", False))
    gm.n_iter_ = int(model.get("nIter", 0))
    bound = model.get("lowerBound")
    gm.lower_bound_ = -math.inf if bound is None else float(bound)
    gm.n_features_in_ = model["nFeatures"]
    return gm


def _random_state(value):
    return value if isinstance(value, int) and 0 <= value <= 0xFFFFFFFF else None


def _init_params(value):
    return value if value in ("kmeans", "k-means++", "random", "random_from_data") else "kmeans"


def from_sklearn(gm):
    """A parsed emgpu model JSON (dict) from a fitted sklearn mixture."""
    bayesian = isinstance(gm, BayesianGaussianMixture)
    covariance_type = gm.covariance_type
    model = {
        "format": BAYESIAN_FORMAT if bayesian else GAUSSIAN_FORMAT,
        "version": 1,
        "covarianceType": covariance_type,
        "nComponents": int(gm.n_components),
        "nFeatures": int(gm.means_.shape[1]),
        "weights": gm.weights_.tolist(),
        "means": gm.means_.tolist(),
        "covariances": np.asarray(gm.covariances_).tolist(),
        "precisionsCholesky": np.asarray(gm.precisions_cholesky_).tolist(),
        "converged": bool(gm.converged_),
        "nIter": int(gm.n_iter_),
        "lowerBound": float(gm.lower_bound_) if math.isfinite(gm.lower_bound_) else None,
        "lowerBounds": [],
        "backend": f"scikit-learn {sklearn.__version__}",
        "options": {
            "tol": float(gm.tol),
            "regCovar": float(gm.reg_covar),
            "maxIter": int(gm.max_iter),
            "nInit": int(gm.n_init),
            "initParams": _init_params(gm.init_params),
            "randomState": _random_state(gm.random_state),
        },
    }
    if bayesian:
        dp = gm.weight_concentration_prior_type == "dirichlet_process"
        wc = gm.weight_concentration_
        model["weightConcentrationPriorType"] = gm.weight_concentration_prior_type
        model["weightConcentration"] = [wc[0].tolist(), wc[1].tolist()] if dp else np.asarray(wc).tolist()
        model["meanPrecision"] = np.asarray(gm.mean_precision_).tolist()
        dof = gm.degrees_of_freedom_
        model["degreesOfFreedom"] = float(dof) if covariance_type == "tied" else np.asarray(dof).tolist()
        cp = gm.covariance_prior_
        model["priors"] = {
            "weightConcentrationPrior": float(gm.weight_concentration_prior_),
            "meanPrecisionPrior": float(gm.mean_precision_prior_),
            "meanPrior": np.asarray(gm.mean_prior_).tolist(),
            "degreesOfFreedomPrior": float(gm.degrees_of_freedom_prior_),
            "covariancePrior": float(cp) if covariance_type == "spherical" else np.asarray(cp).tolist(),
        }
    return model


def _read_csv(path):
    with open(path) as f:
        rows = [line.strip() for line in f if line.strip()]
    try:
        float(rows[0].split(",")[0])
    except ValueError:
        rows = rows[1:]
    return np.array([[float(v) for v in row.split(",")] for row in rows])


def check(model_path, data_path):
    """Largest differences between emgpu's scores and the converted sklearn model's."""
    with open(model_path) as f:
        gm = to_sklearn(json.load(f))
    X = _read_csv(data_path)
    ours = subprocess.run(["node", BIN, "score", "--model", model_path, data_path, "--backend", "cpu"], check=True, capture_output=True, text=True).stdout
    ours = np.array([float(v) for v in ours.split()])
    proba = subprocess.run(["node", BIN, "predict", "--proba", "--model", model_path, data_path, "--backend", "cpu"], check=True, capture_output=True, text=True).stdout
    proba = np.array([[float(v) for v in line.split(",")] for line in proba.split()])
    theirs = gm.score_samples(X)
    print(f"rows {len(X)}: max |score_samples difference| {np.max(np.abs(ours - theirs)):.3g}, max |predict_proba difference| {np.max(np.abs(proba - gm.predict_proba(X))):.3g}")


def _write_atomically(target, data):
    """data (bytes) to a temporary file next to target, synced and renamed over it."""
    directory = os.path.dirname(os.path.abspath(target))
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def _read_model(source):
    with open(source) as f:
        try:
            model = json.load(f)
        except ValueError as error:
            raise ValueError(f"{source} is not valid JSON ({error}); pass a model written by 'emgpu fit'") from None
    if not isinstance(model, dict):
        raise ValueError(f"{source} is not an emgpu model (not a JSON object); pass a model written by 'emgpu fit'")
    return model


def run(command, source, target):
    if command == "to-sklearn":
        try:
            gm = to_sklearn(_read_model(source))
        except KeyError as error:
            raise ValueError(f"{source} has no field {error}; pass a model written by 'emgpu fit'") from None
        _write_atomically(target, pickle.dumps(gm))
    elif command == "from-sklearn":
        with open(source, "rb") as f:
            try:
                gm = pickle.load(f)
            except Exception as error:
                raise ValueError(f"{source} is not a pickle ({error}); pass a pickled, fitted sklearn mixture") from None
        if not isinstance(gm, (GaussianMixture, BayesianGaussianMixture)) or not hasattr(gm, "means_"):
            raise ValueError(f"{source} does not hold a fitted sklearn GaussianMixture or BayesianGaussianMixture")
        _write_atomically(target, (json.dumps(from_sklearn(gm), indent=2) + "\n").encode("utf-8"))
    else:
        check(source, target)


def main(argv):
    if len(argv) != 3 or argv[0] not in ("to-sklearn", "from-sklearn", "check"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        run(*argv)
    except (OSError, ValueError) as error:
        text = f"{error.filename}: {error.strerror}" if isinstance(error, OSError) and error.strerror else str(error)
        print(f"sklearn_model.py {argv[0]}: {text}.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
