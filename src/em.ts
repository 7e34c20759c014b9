// The generic EM loop (sklearn's BaseMixture.fit_predict), driving any backend:
// E-step statistics on the backend, the shared float64 M-step here, |Δ lower bound| < tol.

import type { LoadedData, MixtureParams } from './backend.ts';
import { momentsFor } from './stats.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { estimateGaussianParameters } from './model/m-step.ts';
import type { CovarianceType, IterationInfo } from './options.ts';

export interface FittedParams extends MixtureParams {
  readonly covariances: Float64Array;
}

export interface EmRunResult {
  readonly params: FittedParams;
  readonly lowerBound: number;
  readonly lowerBounds: number[];
  readonly nIter: number;
  readonly converged: boolean;
}

export interface EmSettings {
  readonly covarianceType: CovarianceType;
  readonly tol: number;
  readonly regCovar: number;
  readonly maxIter: number;
  readonly init: number;
  readonly startTime: number;
  readonly backendName: string;
  readonly throwIfAborted: () => void;
  readonly onIteration: ((info: IterationInfo) => void) | null;
}

/** M-step: statistics -> parameters (weights renormalised to sum to 1, as sklearn's _m_step). */
export function mStep(stats: Parameters<typeof estimateGaussianParameters>[0], covarianceType: CovarianceType, regCovar: number): FittedParams {
  const { nk, means, covariances } = estimateGaussianParameters(stats, covarianceType, regCovar);
  let total = 0;
  for (const n of nk) total += n;
  const weights = nk.map((n) => n / total);
  const precisionsCholesky = COVARIANCE_MODELS[covarianceType].precisionCholesky(covariances, stats.nComponents, stats.nFeatures);
  return { covarianceType, nComponents: stats.nComponents, nFeatures: stats.nFeatures, weights, means, covariances, precisionsCholesky };
}

/** One run of EM from the given parameters. */
export async function runEm(data: LoadedData, start: FittedParams, settings: EmSettings): Promise<EmRunResult> {
  const moments = momentsFor(settings.covarianceType);
  let params = start;
  let lowerBound = -Infinity;
  const lowerBounds: number[] = [];
  let converged = false;
  let nIter = 0;
  for (let iteration = 1; iteration <= settings.maxIter; iteration++) {
    settings.throwIfAborted();
    const began = performance.now();
    const previous = lowerBound;
    const stats = await data.eStep(params, moments);
    // lowerBound is measured on the parameters from before this M-step (sklearn's lag).
    lowerBound = stats.sumLogLik / stats.totalWeight;
    params = mStep(stats, settings.covarianceType, settings.regCovar);
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
    if (Math.abs(change) < settings.tol) {
      converged = true;
      break;
    }
  }
  return { params, lowerBound, lowerBounds, nIter, converged };
}
