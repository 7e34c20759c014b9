"""Times scikit-learn's GaussianMixture EM iterations on the benchmark's data and start.

Called by bench/run.ts: python3 bench/sklearn_cell.py DATA.f64 PARAMS.json REPS
DATA.f64 holds N x D float64 values (little-endian, row-major); PARAMS.json holds n, d, k,
covariance_type, weights, means, precisions (sklearn shapes). Prints one JSON line: the
seconds of each timed iteration (one E-step + one M-step, as in GaussianMixture.fit).
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture


def main() -> None:
    data_path, params_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(params_path) as f:
        p = json.load(f)
    X = np.fromfile(data_path, dtype="<f8").reshape(p["n"], p["d"])
    gm = GaussianMixture(
        n_components=p["k"],
        covariance_type=p["covariance_type"],
        weights_init=np.array(p["weights"]),
        means_init=np.array(p["means"]),
        precisions_init=np.array(p["precisions"]),
        init_params="random_from_data",
        max_iter=1,
        tol=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)  # sets up the estimator; also warms numpy up
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        _, log_resp = gm._e_step(X)
        gm._m_step(X, log_resp)
        seconds.append(time.perf_counter() - start)
    import sklearn

    print(json.dumps({"ok": True, "seconds": seconds, "version": sklearn.__version__}))


if __name__ == "__main__":
    main()
