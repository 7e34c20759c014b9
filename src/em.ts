// The generic EM loop (sklearn's BaseMixture.fit_predict), driving any backend and any mixture
// model: E-step statistics on the backend, the model's float64 M-step and lower bound here,
// |Δ lower bound| < tol.

import type { LoadedData, MixtureParams } from './backend.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { estimateGaussianParameters } from './model/m-step.ts';
import type { CovarianceType, IterationInfo } from './options.ts';
import { momentsFor, type SufficientStats } from './sufficient-stats.ts';

export interface FittedParams extends MixtureParams {
  readonly covariances: Float64Array;
}

/**
 * What a mixture model brings to the loop: its M-step (`maximize`) and its lower bound. The
 * E-step is the Gaussian one on every engine; a model changes it only through params.logWeights.
 */
export interface EmModel<P extends FittedParams> {
  /**
   * Parameters from E-step statistics; `previous` (the parameters the E-step used, when known)
   * starts the iterative M-steps of mclust's models where they left off.
   */
  maximize(stats: SufficientStats, previous?: P | null): P;
  /**
   * The lower bound of an iteration from its E-step statistics and the parameters the M-step
   * made from them (the Gaussian mixture's is the E-step's mean log-likelihood; the
   * variational model's is its bound at the new parameters).
   */
  lowerBound(stats: SufficientStats, next: P): number;
}

export interface EmRunResult<P extends FittedParams = FittedParams> {
  readonly params: P;
  readonly lowerBound: number;
  readonly lowerBounds: number[];
  readonly nIter: number;
  readonly converged: boolean;
}

export interface EmSettings {
  readonly covarianceType: CovarianceType;
  readonly tol: number;
  /**
   * null: converged when |Δℓ| < tol (sklearn). W, the total sample weight: when
   * |ΔL| / (1 + |L|) < tol for L = W·ℓ, i.e. |Δℓ| < tol·(1/W + |ℓ|) (mclust).
   */
  readonly relativeTo: number | null;
  readonly maxIter: number;
  readonly init: number;
  readonly startTime: number;
  readonly backendName: string;
  /** The lower bound before the first iteration: −∞, or the previous fit's with warmStart (sklearn). */
  readonly initialLowerBound: number;
  readonly throwIfAborted: () => void;
  readonly onIteration: ((info: IterationInfo) => void) | null;
}

/** The Gaussian mixture's parameters from statistics: weights renormalised to sum to 1 (sklearn's GaussianMixture._m_step). */
export function estimateGaussianMixture(
  stats: SufficientStats,
  covarianceType: CovarianceType,
  regCovar: number,
  previous: Float64Array | null = null,
): FittedParams {
  const { nk, means, covariances } = estimateGaussianParameters(stats, covarianceType, regCovar, previous);
  let total = 0;
  for (const n of nk) total += n;
  const weights = nk.map((n) => n / total);
  const precisionsCholesky = COVARIANCE_MODELS[covarianceType].precisionCholesky(
    covariances,
    stats.nComponents,
    stats.nFeatures,
  );
  return {
    covarianceType,
    nComponents: stats.nComponents,
    nFeatures: stats.nFeatures,
    weights,
    means,
    covariances,
    precisionsCholesky,
  };
}

/** The Gaussian mixture as an EmModel: lowerBound is the E-step's mean log-likelihood (it lags the parameters by one M-step). */
export function gaussianModel(covarianceType: CovarianceType, regCovar: number): EmModel<FittedParams> {
  return {
    maximize: (stats, previous) =>
      estimateGaussianMixture(stats, covarianceType, regCovar, previous?.covariances ?? null),
    lowerBound: (stats) => stats.sumLogLik / stats.totalWeight,
  };
}

/** The |Δℓ| below which a fit has converged (EmSettings.relativeTo). */
export function convergenceThreshold(tol: number, relativeTo: number | null, lowerBound: number): number {
  return relativeTo === null ? tol : tol * (1 / relativeTo + Math.abs(lowerBound));
}

/** One run of EM from the given parameters. */
export async function runEm<P extends FittedParams>(
  data: LoadedData,
  start: P,
  model: EmModel<P>,
  settings: EmSettings,
): Promise<EmRunResult<P>> {
  const moments = momentsFor(settings.covarianceType);
  let params = start;
  let lowerBound = settings.initialLowerBound;
  const lowerBounds: number[] = [];
  let converged = false;
  let nIter = 0;
  for (let iteration = 1; iteration <= settings.maxIter; iteration++) {
    settings.throwIfAborted();
    const began = performance.now();
    const previous = lowerBound;
    const stats = await data.eStep(params, moments);
    params = model.maximize(stats, params);
    lowerBound = model.lowerBound(stats, params);
    lowerBounds.push(lowerBound);
    nIter = iteration;
    const change = lowerBound - previous;
    if (settings.onIteration !== null) {
      const now = performance.now();
      settings.onIteration({
        iteration,
        init: settings.init,
        lowerBound,
        change,
        elapsed: now - settings.startTime,
        iterationTime: now - began,
        backend: settings.backendName,
        weights: Float64Array.from(params.weights),
        means: Float64Array.from(params.means),
        covariances: Float64Array.from(params.covariances),
      });
    }
    if (Math.abs(change) < convergenceThreshold(settings.tol, settings.relativeTo, lowerBound)) {
      converged = true;
      break;
    }
  }
  return { params, lowerBound, lowerBounds, nIter, converged };
}
