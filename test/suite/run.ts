// Runs one fixture case through the estimator on an engine and returns what it produced, as
// plain JSON (so the browser page can hand it back to Node). No vitest here.

import {
  BayesianGaussianMixture,
  GaussianMixture,
  type BackendChoice,
  type BayesianGaussianMixtureOptions,
  type GaussianMixtureOptions,
  type Matrix,
} from '../../src/index.ts';
import type { SklearnCase, SklearnFixture } from './fixtures.ts';

export interface Outcome {
  readonly backend: string;
  readonly weights: number[];
  readonly means: number[];
  readonly covariances: number[];
  readonly precisions: number[];
  readonly precisionsCholesky: number[];
  readonly lowerBound: number;
  readonly nIter: number;
  readonly converged: boolean;
  readonly predict: number[];
  readonly score: number;
  readonly scoreSamples10: number[];
  readonly predictProba10: number[];
  /** GaussianMixture only (NaN for the Bayesian model, which has none). */
  readonly bic: number;
  readonly aic: number;
  /** BayesianGaussianMixture only: the posterior and the resolved priors (flat). */
  readonly bayesian?: {
    readonly weightConcentration: number[];
    readonly meanPrecision: number[];
    readonly degreesOfFreedom: number[];
    readonly weightConcentrationPrior: number;
    readonly meanPrecisionPrior: number;
    readonly meanPrior: number[];
    readonly degreesOfFreedomPrior: number;
    readonly covariancePrior: number[];
  };
}

/** An engine under test: where it runs, and whether it computes in float32. */
export interface Engine {
  readonly name: string;
  readonly backend: BackendChoice;
  readonly float32: boolean;
}

export const CPU: Engine = { name: 'cpu', backend: 'cpu', float32: false };
export const WEBGPU: Engine = { name: 'webgpu', backend: 'webgpu', float32: true };

export function matrixOf(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => data.set(row, i * cols));
  return { data, rows: rows.length, cols };
}

/**
 * The estimator's options for the case on the engine. Float32 engines run explicit-start cases
 * for the number of iterations sklearn ran (tol = 0: float32 lower-bound changes do not fall
 * reliably below 1e-12); sklearn's own initialisations keep their tol on every engine (random
 * starts sit on a symmetric plateau whose lower bound changes by less than 1e-8 per iteration).
 */
export function optionsFor(c: SklearnCase, engine: Engine): GaussianMixtureOptions {
  const o = c.options;
  const explicit = o.init_params === undefined;
  const sameIterations = engine.float32 && explicit && o.tol > 0;
  const tol = sameIterations ? 0 : o.tol;
  const maxIter = sameIterations ? c.expected.n_iter_ : o.max_iter;
  return {
    nComponents: o.n_components,
    covarianceType: o.covariance_type,
    tol,
    regCovar: o.reg_covar,
    maxIter,
    backend: engine.backend,
    randomState: 0,
    // sklearn's own initialisations draw from another random stream: the engine's best of five
    // starts must reach the same optimum.
    ...(explicit
      ? {
          weightsInit: o.weights_init ?? null,
          meansInit: o.means_init ?? null,
          precisionsInit: o.precisions_init ?? null,
        }
      : { initParams: o.init_params ?? 'kmeans', nInit: 5 }),
  };
}

/** The Bayesian estimator's options for the case (priors as given; iterations as optionsFor). */
export function bayesianOptionsFor(c: SklearnCase, engine: Engine): BayesianGaussianMixtureOptions {
  const o = c.options;
  const sameIterations = engine.float32 && o.tol > 0;
  return {
    nComponents: o.n_components,
    covarianceType: o.covariance_type,
    tol: sameIterations ? 0 : o.tol,
    regCovar: o.reg_covar,
    maxIter: sameIterations ? c.expected.n_iter_ : o.max_iter,
    backend: engine.backend,
    randomState: 0,
    weightConcentrationPriorType: o.weight_concentration_prior_type ?? 'dirichlet_process',
    ...(o.weight_concentration_prior !== undefined ? { weightConcentrationPrior: o.weight_concentration_prior } : {}),
    ...(o.mean_precision_prior !== undefined ? { meanPrecisionPrior: o.mean_precision_prior } : {}),
    ...(o.mean_prior !== undefined ? { meanPrior: o.mean_prior } : {}),
    ...(o.degrees_of_freedom_prior !== undefined ? { degreesOfFreedomPrior: o.degrees_of_freedom_prior } : {}),
    ...(o.covariance_prior !== undefined ? { covariancePrior: o.covariance_prior } : {}),
  };
}

export async function runCase(
  f: SklearnFixture,
  c: SklearnCase,
  engine: Engine,
  X: Matrix = matrixOf(f.X),
): Promise<Outcome> {
  if (c.estimator === 'bayesian') {
    const resp = c.resp !== undefined ? f.resp?.[c.resp] : undefined;
    if (resp === undefined) throw new Error(`fixture ${f.dataset} has no responsibilities '${c.resp}'`);
    const bgm = new BayesianGaussianMixture(bayesianOptionsFor(c, engine));
    await bgm.fit(X, { resp });
    const wc = bgm.weightConcentration;
    const priors = bgm.priors;
    return {
      ...(await evaluated(bgm, X)),
      bic: Number.NaN,
      aic: Number.NaN,
      bayesian: {
        weightConcentration: Array.isArray(wc) ? [...wc[0], ...wc[1]] : Array.from(wc as Float64Array),
        meanPrecision: Array.from(bgm.meanPrecision),
        degreesOfFreedom: Array.from(bgm.degreesOfFreedom),
        weightConcentrationPrior: priors.weightConcentrationPrior,
        meanPrecisionPrior: priors.meanPrecisionPrior,
        meanPrior: Array.from(priors.meanPrior),
        degreesOfFreedomPrior: priors.degreesOfFreedomPrior,
        covariancePrior: Array.from(priors.covariancePrior),
      },
    };
  }
  const gm = new GaussianMixture(optionsFor(c, engine));
  await gm.fit(X, c.sample_weight ? { sampleWeight: c.sample_weight } : {});
  return { ...(await evaluated(gm, X)), bic: await gm.bic(X), aic: await gm.aic(X) };
}

/** What every fitted mixture gives: parameters, fit state and evaluations of X. */
async function evaluated(
  gm: GaussianMixture | BayesianGaussianMixture,
  X: Matrix,
): Promise<Omit<Outcome, 'bic' | 'aic' | 'bayesian'>> {
  const first10 = { data: X.data.slice(0, 10 * X.cols), rows: Math.min(10, X.rows), cols: X.cols };
  return {
    backend: gm.backend,
    weights: Array.from(gm.weights),
    means: Array.from(gm.means),
    covariances: Array.from(gm.covariances),
    precisions: Array.from(gm.precisions),
    precisionsCholesky: Array.from(gm.precisionsCholesky),
    lowerBound: gm.lowerBound,
    nIter: gm.nIter,
    converged: gm.converged,
    predict: Array.from(await gm.predict(X)),
    score: await gm.score(X),
    scoreSamples10: Array.from(await gm.scoreSamples(first10)),
    predictProba10: Array.from(await gm.predictProba(first10)),
  };
}
