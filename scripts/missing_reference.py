"""EM for Gaussian mixtures with missing values by marginalisation (Ghahramani & Jordan 1994),
written from the formulas in numpy, slowly and plainly, as the reference emgpu's
`missing: 'marginalize'` is tested against. It writes test/fixtures/missing/*.json.

    python3 scripts/missing_reference.py      (with scikit-learn installed it also checks that,
                                               with nothing missing, it is scikit-learn's EM)

For row i with observed coordinates o and missing m, and component k:
  E-step  log p(x_o | k) = log N(x_o; mu_o, S_oo); responsibilities r_ik from these and the weights;
          the lower bound is the weighted mean of log sum_k w_k p(x_o | k).
  moments x^_m = mu_m + S_mo S_oo^-1 (x_o - mu_o),  C = S_mm - S_mo S_oo^-1 S_om  (C = 0 on o).
  M-step  nk = sum w r + 10 eps;  mu_k = sum w r x^ / nk;
          S_k = sum w r [(x^ - mu_k)(x^ - mu_k)^T + C] / nk + reg   (full)
          tied: sum_k of the numerators / sum nk; diag: the diagonals; spherical: their mean.
Weights are renormalised to sum to 1, as in scikit-learn's GaussianMixture. Rows with every
value missing are dropped. With nothing missing this is scikit-learn's EM step for step.
"""
import json
import os

import numpy as np

EPS10 = 10 * np.finfo(np.float64).eps


def full_covs(cov_type, covs, k, d):
    if cov_type == "full":
        return [covs[j] for j in range(k)]
    if cov_type == "tied":
        return [covs for _ in range(k)]
    if cov_type == "diag":
        return [np.diag(covs[j]) for j in range(k)]
    return [np.eye(d) * covs[j] for j in range(k)]


def e_step(X, w, weights, means, covs, cov_type):
    """Per row: responsibilities, log p(x_o), and per component the conditional mean and covariance."""
    n, d = X.shape
    k = len(weights)
    S = full_covs(cov_type, covs, k, d)
    logp = np.zeros((n, k))
    xhat = np.zeros((n, k, d))
    cond = np.zeros((n, k, d, d))
    for i in range(n):
        o = ~np.isnan(X[i])
        m = ~o
        for j in range(k):
            mu, s = means[j], S[j]
            soo = s[np.ix_(o, o)]
            z = X[i, o] - mu[o]
            sign, logdet = np.linalg.slogdet(soo)
            assert sign > 0
            sol = np.linalg.solve(soo, z)
            logp[i, j] = -0.5 * (o.sum() * np.log(2 * np.pi) + logdet + z @ sol) + np.log(weights[j])
            xh = X[i].copy()
            if m.any():
                smo = s[np.ix_(m, o)]
                xh[m] = mu[m] + smo @ sol
                c = s[np.ix_(m, m)] - smo @ np.linalg.solve(soo, smo.T)
                cond[i, j][np.ix_(m, m)] = c
            xhat[i, j] = xh
    top = logp.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
    resp = np.exp(logp - lse[:, None])
    lower_bound = float((w * lse).sum() / w.sum())
    return resp, lower_bound, xhat, cond


def m_step(w, resp, xhat, cond, cov_type, reg):
    n, k, d = xhat.shape
    wr = w[:, None] * resp
    nk = wr.sum(axis=0) + EPS10
    means = np.einsum("ik,ikd->kd", wr, xhat) / nk[:, None]
    num = np.zeros((k, d, d))
    for j in range(k):
        dev = xhat[:, j, :] - means[j]
        num[j] = np.einsum("i,id,ie->de", wr[:, j], dev, dev) + np.einsum("i,ide->de", wr[:, j], cond[:, j])
    if cov_type == "full":
        covs = num / nk[:, None, None] + reg * np.eye(d)
    elif cov_type == "tied":
        covs = num.sum(axis=0) / nk.sum() + reg * np.eye(d)
    elif cov_type == "diag":
        covs = np.array([np.diag(num[j]) / nk[j] for j in range(k)]) + reg
    else:
        covs = np.array([np.diag(num[j]).mean() / nk[j] for j in range(k)]) + reg
    return nk / nk.sum(), means, covs


def precisions(cov_type, covs, k, d):
    if cov_type in ("full",):
        return np.array([np.linalg.inv(covs[j]) for j in range(k)])
    if cov_type == "tied":
        return np.linalg.inv(covs)
    return 1.0 / covs


def run(name, X, w, weights, means, covs, cov_type, reg, iters):
    keep = ~np.isnan(X).all(axis=1)
    Xk, wk = X[keep], w[keep]
    k, d = means.shape
    out = {"iterations": []}
    for it in range(1, max(iters) + 1):
        resp, lb, xhat, cond = e_step(Xk, wk, weights, means, covs, cov_type)
        weights, means, covs = m_step(wk, resp, xhat, cond, cov_type, reg)
        if it in iters:
            out["iterations"].append({"nIter": it, "lowerBound": lb, "weights": weights.tolist(), "means": means.tolist(), "covariances": np.asarray(covs).tolist()})
    # predict / score_samples on every row (all-missing rows: NaN) under the final parameters
    resp, _, _, _ = e_step(Xk, wk, weights, means, covs, cov_type)
    out["final"] = {"labels": resp.argmax(axis=1).tolist()}
    return out


def check_against_sklearn():
    """With nothing missing, the reference must be scikit-learn's EM step for step."""
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:
        print("scikit-learn not found: the check that the reference equals it without holes is skipped")
        return
    import warnings

    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3)) + np.repeat(np.array([[0.0, 0, 0], [4, 4, 0]]), 100, axis=0)
    for ct in ("full", "tied", "diag", "spherical"):
        means, weights = X[[0, 150]].copy(), np.array([0.5, 0.5])
        covs = {"full": np.array([np.eye(3)] * 2), "tied": np.eye(3), "diag": np.ones((2, 3)), "spherical": np.ones(2)}[ct]
        ours = run(ct, X, np.ones(200), weights, means, covs, ct, 1e-6, [5])["iterations"][0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm = GaussianMixture(2, covariance_type=ct, max_iter=5, tol=0, weights_init=weights, means_init=means, precisions_init=precisions(ct, covs, 2, 3), reg_covar=1e-6).fit(X)
        err = max(np.abs(np.array(ours["means"]) - gm.means_).max(), np.abs(np.array(ours["covariances"]) - gm.covariances_).max(), abs(ours["lowerBound"] - gm.lower_bound_))
        assert err < 1e-12, (ct, err)
    print("without holes the reference equals scikit-learn's EM (4 covariance types, 5 iterations, < 1e-12)")


def main():
    check_against_sklearn()
    rng = np.random.default_rng(7)
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.join(here, "..", "test", "fixtures", "missing")
    os.makedirs(outdir, exist_ok=True)
    # Three correlated 3-D clusters far from the origin; ~15% of the values missing at random,
    # one row with every value missing, and a few rows with two of three missing.
    centres = np.array([[1000.0, 5.0, -3.0], [1004.0, 9.0, 1.0], [998.0, 12.0, 4.0]])
    mix = np.array([[1.0, 0.6, 0.2], [0.0, 0.8, 0.3], [0.0, 0.0, 0.5]])
    n = 240
    labels = np.arange(n) % 3
    X = centres[labels] + rng.standard_normal((n, 3)) @ mix
    mask = rng.random((n, 3)) < 0.15
    X[mask] = np.nan
    X[5] = np.nan
    w = np.where(np.arange(n) % 4 == 0, 2.0, 1.0)
    k, d = 3, 3
    init_means = X[[0, 1, 2]].copy()
    # start means: the first rows of each cluster with holes filled by column means
    col_means = np.nanmean(X, axis=0)
    init_means = np.where(np.isnan(init_means), col_means, init_means)
    init_weights = np.array([0.3, 0.3, 0.4])
    cases = {}
    for cov_type in ("full", "tied", "diag", "spherical"):
        if cov_type == "full":
            covs = np.array([np.eye(d) * 2.0 for _ in range(k)])
        elif cov_type == "tied":
            covs = np.eye(d) * 2.0
        elif cov_type == "diag":
            covs = np.full((k, d), 2.0)
        else:
            covs = np.full(k, 2.0)
        for weighted in (False, True):
            ww = w if weighted else np.ones(n)
            res = run(cov_type, X, ww, init_weights, init_means, covs, cov_type, 1e-6, [1, 5, 20])
            cases[f"{cov_type}{'-weighted' if weighted else ''}"] = {
                "covarianceType": cov_type,
                "weighted": weighted,
                "init": {"weights": init_weights.tolist(), "means": init_means.tolist(), "precisions": np.asarray(precisions(cov_type, covs, k, d)).tolist()},
                **res,
            }
    data = {"X": [[None if np.isnan(v) else float(v) for v in row] for row in X], "sampleWeight": w.tolist(), "regCovar": 1e-6, "cases": cases}
    with open(os.path.join(outdir, "holes3d.json"), "w") as f:
        json.dump(data, f)
    print(f"wrote {os.path.join(outdir, 'holes3d.json')}: {n} rows, {int(np.isnan(X).sum())} missing values, {len(cases)} cases")


if __name__ == "__main__":
    main()
