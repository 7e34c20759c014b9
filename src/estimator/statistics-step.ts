// The estimator's half of the statistics API (src/statistics-api.ts): which weights an E-step
// of X runs with, and the estimator's `mStep` — statistics of the model's own parameters checked
// and turned into the next fitted state, as one more iteration of fit would.

import { convergenceThreshold, type EmModel, type FittedParams } from '../em.ts';
import { sumOfWeights, toSampleWeight, weightExponentFor, type MatrixInput } from '../matrix.ts';
import { EmgpuInputError, type ConvergenceRule } from '../options.ts';
import {
  parametersFingerprint,
  readStatistics,
  toStatisticsJSON,
  type MixtureStatistics,
  type MStepOptions,
  type MStepResult,
  type StatisticsEstimator,
  type StatisticsOptions,
} from '../statistics-api.ts';
import { scaleStats, type SufficientStats } from '../sufficient-stats.ts';
import { emptyComponents, type Fitted } from './fitted.ts';

/** The parameters of the E-step, the rows of X, its sample weights, and the power of two the engine scales them by. */
export interface StatisticsRequest<P extends FittedParams> {
  readonly params: P;
  readonly rows: number;
  readonly weights: Float64Array | null;
  readonly weightExponent: number;
}

/** Checks statistics(X, options)'s options, then that the model is fitted (`fitted` throws if not), and reads the weights. */
export function statisticsRequest<P extends FittedParams>(
  X: MatrixInput,
  options: StatisticsOptions,
  fitted: () => P,
): StatisticsRequest<P> {
  if (options === null || typeof options !== 'object')
    throw new EmgpuInputError(
      `The statistics options must be an object such as { sampleWeight }, got ${String(options)}.`,
    );
  const params = fitted();
  const rows = Array.isArray(X) ? X.length : (X as { rows: number }).rows;
  const weights = toSampleWeight(options.sampleWeight, rows);
  // The engine sees the weights scaled as toDataset scales them; statistics are in the caller's units.
  const weightExponent = weights === null ? 0 : weightExponentFor(sumOfWeights(weights), rows);
  return { params, rows, weights, weightExponent };
}

/** An E-step of X on an engine: its statistics (in the engine's weight units) and the engine's name. */
export interface EStepRun {
  readonly stats: SufficientStats;
  readonly backend: string;
}

/** The statistics JSON of an E-step run for `request`, in the caller's weight units. */
export function statisticsJSON<P extends FittedParams>(
  request: StatisticsRequest<P>,
  run: EStepRun,
  estimator: StatisticsEstimator,
): MixtureStatistics {
  const { params } = request;
  return toStatisticsJSON(scaleStats(run.stats, -request.weightExponent), {
    estimator,
    covarianceType: params.covarianceType,
    parameters: parametersFingerprint(params),
    backend: run.backend,
    nRows: request.rows,
  });
}

export interface StatisticsStepSettings<P extends FittedParams> {
  readonly estimatorName: StatisticsEstimator;
  readonly tol: number;
  readonly convergence: ConvergenceRule;
  /** The model whose M-step (`maximize`) and lower bound apply, for statistics scaled by 2^weightExponent. */
  readonly model: (weightExponent: number) => EmModel<P>;
}

/** The fitted state after one M-step from `statistics`, and what the estimator's mStep returns. */
export function statisticsStep<P extends FittedParams>(
  state: Fitted<P>,
  statistics: MixtureStatistics,
  options: MStepOptions,
  settings: StatisticsStepSettings<P>,
): { fitted: Fitted<P>; result: MStepResult } {
  if (options === null || typeof options !== 'object')
    throw new EmgpuInputError(
      `The mStep options must be an object such as { previousLowerBound }, got ${String(options)}.`,
    );
  const { source, stats } = readStatistics(statistics, 'The statistics object');
  const p = state.params;
  const mismatch = (what: string, theirs: string | number, ours: string | number): void => {
    if (theirs !== ours)
      throw new EmgpuInputError(
        `The statistics have ${what} ${JSON.stringify(theirs)} but this model has ${JSON.stringify(ours)}; compute the statistics with this model.`,
      );
  };
  mismatch('estimator', source.estimator, settings.estimatorName);
  mismatch('covarianceType', source.covarianceType, p.covarianceType);
  mismatch('nComponents', stats.nComponents, p.nComponents);
  mismatch('nFeatures', stats.nFeatures, p.nFeatures);
  const own = parametersFingerprint(p);
  if (source.parameters !== own) {
    throw new EmgpuInputError(
      `The statistics were computed under other parameters (fingerprint ${source.parameters}) than this model's (${own}); compute every part with this model (the current iteration's), then merge them.`,
    );
  }
  if (stats.totalWeight === 0)
    throw new EmgpuInputError(
      'The statistics have totalWeight 0 (their rows all have weight 0 or no observed value), so there is nothing to take a step from; merge them with the statistics of the other parts first.',
    );
  let previous = state.lowerBound;
  if (options.previousLowerBound !== undefined) {
    const given = options.previousLowerBound;
    if (given !== null && (typeof given !== 'number' || Number.isNaN(given) || given === Infinity)) {
      throw new EmgpuInputError(
        `Option previousLowerBound must be a number (or null for −Infinity), got ${String(given)}.`,
      );
    }
    previous = given ?? -Infinity;
  }
  // Scaled as fit's engine would see the whole table's weights (exact powers of two), so the
  // M-step is fit's to the last bit of the sums.
  const exponent = weightExponentFor(stats.totalWeight, source.nRows);
  const scaled = scaleStats(stats, exponent);
  const model = settings.model(exponent);
  const params = model.maximize(scaled, p);
  const lowerBound = model.lowerBound(scaled, params);
  const change = lowerBound - previous;
  // As fit reads tol (its engine's total weight is the scaled one too).
  const converged =
    Math.abs(change) <
    convergenceThreshold(settings.tol, settings.convergence === 'mclust' ? scaled.totalWeight : null, lowerBound);
  const empty = emptyComponents(params);
  const warnings =
    empty.length === 0
      ? []
      : [
          `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${params.nComponents} ended with no weight; lower nComponents or start from other parameters.`,
        ];
  const nIter = state.nIter + 1;
  const fitted: Fitted<P> = {
    params,
    lowerBound,
    lowerBounds: [...state.lowerBounds, lowerBound],
    nIter,
    converged,
    backendName: source.backend,
    warnings,
  };
  return { fitted, result: { lowerBound, change, converged, nIter } };
}
