// scikit-learn 1.2.1 fixtures (scripts/make_sklearn_fixtures.py; `npm run fixtures`), loaded
// through Vite's import.meta.glob so the same code runs under vitest and in the browser page.

import type { CovarianceType, InitMethod } from '../../src/index.ts';

export type NestedNumbers = number | NestedNumbers[];

export interface SklearnExpected {
  weights_: number[];
  means_: number[][];
  covariances_: NestedNumbers;
  precisions_cholesky_: NestedNumbers;
  precisions_: NestedNumbers;
  converged_: boolean;
  n_iter_: number;
  lower_bound_: number;
  predict: number[];
  score: number;
  score_samples_first10: number[];
  predict_proba_first10: number[][];
  bic?: number;
  aic?: number;
  /** BayesianGaussianMixture only. */
  weight_concentration_?: number[] | [number[], number[]];
  mean_precision_?: number[];
  degrees_of_freedom_?: number[] | number;
  weight_concentration_prior_?: number;
  mean_precision_prior_?: number;
  mean_prior_?: number[];
  degrees_of_freedom_prior_?: number;
  covariance_prior_?: NestedNumbers;
}

export interface SklearnCase {
  name: string;
  /** 'fidelity': 20 iterations on real data; 'init': sklearn's own initialisation, converged. */
  group?: 'fidelity' | 'init';
  /** 'bayesian': BayesianGaussianMixture (default: GaussianMixture). */
  estimator?: 'bayesian';
  /** Bayesian cases: the fixture's initial responsibilities they start from. */
  resp?: string;
  /** 'rows': started from single rows (covariances reg_covar·I), see docs/numerics.md. */
  start?: 'rows';
  /**
   * How far sklearn itself moves when its parameters after the first iteration are rounded to
   * float32 (the precision Cholesky factor, as a float32 engine holds it): |Δ lower bound| and
   * the largest |Δ mean| after the remaining iterations.
   */
  float32_sensitivity?: { lower_bound: number; means: number };
  /** False where a label is a near tie (log gap < 1e-6): float64 codes may round it either way. */
  labels_exact?: boolean;
  options: {
    n_components: number;
    covariance_type: CovarianceType;
    tol: number;
    reg_covar: number;
    max_iter: number;
    init_params?: InitMethod;
    weights_init?: number[];
    means_init?: number[][];
    precisions_init?: NestedNumbers;
    weight_concentration_prior_type?: 'dirichlet_process' | 'dirichlet_distribution';
    weight_concentration_prior?: number;
    mean_precision_prior?: number;
    mean_prior?: number[];
    degrees_of_freedom_prior?: number;
    covariance_prior?: NestedNumbers;
  };
  /** Integer weights; sklearn fitted the rows repeated that many times. */
  sample_weight?: number[];
  expected: SklearnExpected;
}

export interface SklearnFixture {
  dataset: string;
  description: string;
  sklearn_version: string;
  n_samples: number;
  n_features: number;
  /** The data was shifted by this much (the expected means are sklearn's on the unshifted data, shifted). */
  shift?: number;
  X: number[][];
  cases: SklearnCase[];
  /** Initial responsibilities (N × K) the Bayesian cases name. */
  resp?: Record<string, number[][]>;
}

const modules = import.meta.glob<SklearnFixture>('../fixtures/sklearn/*.json', { eager: true, import: 'default' });

/** Every fixture, sorted by data set name. */
export const FIXTURES: readonly SklearnFixture[] = Object.keys(modules)
  .sort()
  .map((key) => modules[key] as SklearnFixture);

export function fixture(dataset: string): SklearnFixture {
  const f = FIXTURES.find((x) => x.dataset === dataset);
  if (f === undefined) throw new Error(`no fixture ${dataset}`);
  return f;
}

/** numpy C order. */
export function flat(value: NestedNumbers): number[] {
  if (typeof value === 'number') return [value];
  return value.flatMap((v) => flat(v));
}
