// A model fitted by mclust 6.0.0 (test/fixtures/mclust-summary/summary.json, made by
// scripts/make_mclust_summary_fixtures.R) loaded into emgpu: the fixture's case and its
// parameters as a GaussianMixture on the CPU engine.
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { nest } from '../../src/model/arrays.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import { SKLEARN_ALIASES } from '../../src/model/names.ts';
import type { CovarianceType } from '../../src/options.ts';

/** One case of the fixture: data, mclust's parameters and what mclust computed from them. */
export interface McCase {
  name: string;
  model: string;
  G: number;
  n: number;
  d: number;
  X: number[][];
  weights: number[];
  means: number[][];
  sigma: number[][][];
  loglik: number;
  df: number;
  /** mclust's sign: larger is better. */
  bic: number;
  /** mclust's icl(), its sign. */
  icl: number;
  uncertainty: number[];
  clusterSizes: number[];
}

/** emgpu's covariance type of an mclust model name (VVV → full, …). */
export const typeOf = (model: string): CovarianceType =>
  (Object.keys(SKLEARN_ALIASES) as CovarianceType[]).find((t) => SKLEARN_ALIASES[t as 'full'] === model)!;

/** The fixture's parameters as a model JSON in the covariance type's own layout. */
export function mclustModel(c: McCase): GaussianMixture {
  const type = typeOf(c.model);
  const { G: k, d } = c;
  const cov =
    type === 'full'
      ? c.sigma.flat(2)
      : type === 'tied'
        ? c.sigma[0]!.flat()
        : type === 'diag'
          ? c.sigma.flatMap((s) => s.map((row, a) => row[a]!))
          : c.sigma.map((s) => s[0]![0]!);
  const covariances = Float64Array.from(cov);
  const shape = COVARIANCE_MODELS[type].shape(k, d);
  const precisionsCholesky = COVARIANCE_MODELS[type].precisionCholesky(covariances, k, d);
  return GaussianMixture.fromJSON(
    {
      format: 'emgpu-gaussian-mixture',
      version: 1,
      covarianceType: type,
      nComponents: k,
      nFeatures: d,
      weights: c.weights,
      means: c.means,
      covariances: nest(covariances, shape),
      precisionsCholesky: nest(precisionsCholesky, shape),
      converged: true,
      nIter: 1,
      lowerBound: 0,
      lowerBounds: [0],
      backend: 'mclust',
      options: { tol: 1e-3, regCovar: 0, maxIter: 100, nInit: 1, initParams: 'kmeans', randomState: null },
    },
    { backend: 'cpu' },
  );
}
