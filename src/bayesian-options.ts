// Options of BayesianGaussianMixture: the shared ones (src/options.ts) and scikit-learn 1.2's
// priors in camelCase, checked with messages that name the option and the fix.

import { WEIGHT_CONCENTRATION_PRIOR_TYPES, type WeightConcentrationPriorType } from './model/bayesian.ts';
import {
  describe,
  EmgpuInputError,
  oneOf,
  resolveBaseOptions,
  type BaseMixtureOptions,
  type Nested,
  type NumericArray,
  type ResolvedBaseOptions,
  SKLEARN_COVARIANCE_TYPES,
} from './options.ts';

export interface BayesianGaussianMixtureOptions extends BaseMixtureOptions {
  /** 'dirichlet_process' (stick-breaking; sklearn's default) or 'dirichlet_distribution'. */
  weightConcentrationPriorType?: WeightConcentrationPriorType;
  /** γ / α0 > 0; default 1 / nComponents. */
  weightConcentrationPrior?: number | null;
  /** β0 > 0; default 1. */
  meanPrecisionPrior?: number | null;
  /** m0, D values; default the (weighted) mean of X. */
  meanPrior?: Nested | NumericArray | null;
  /** ν0 > D − 1; default D. */
  degreesOfFreedomPrior?: number | null;
  /** full/tied: a D × D SPD matrix; diag: D values > 0; spherical: one value > 0; default from X's covariance. */
  covariancePrior?: Nested | NumericArray | number | null;
}

export interface ResolvedBayesianOptions extends ResolvedBaseOptions {
  weightConcentrationPriorType: WeightConcentrationPriorType;
  weightConcentrationPrior: number | null;
  meanPrecisionPrior: number | null;
  meanPrior: Nested | NumericArray | null;
  degreesOfFreedomPrior: number | null;
  covariancePrior: Nested | NumericArray | number | null;
}

const PRIOR_OPTIONS = [
  'weightConcentrationPriorType',
  'weightConcentrationPrior',
  'meanPrecisionPrior',
  'meanPrior',
  'degreesOfFreedomPrior',
  'covariancePrior',
] as const;

function positiveOrNull(name: string, value: unknown): number | null {
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new EmgpuInputError(
      `Option ${name} must be a finite number > 0 (or null for sklearn's default), got ${describe(value)}.`,
    );
  }
  return value;
}

function arrayOrNull<T>(name: string, value: T | null | undefined, scalarAllowed: boolean): T | null {
  if (value == null) return null;
  if (scalarAllowed && typeof value === 'number') return value;
  if (!Array.isArray(value) && !(value instanceof Float64Array) && !(value instanceof Float32Array)) {
    throw new EmgpuInputError(
      `Option ${name} must be an array (sklearn's shape) or a Float64Array / Float32Array${scalarAllowed ? ', or a number for spherical' : ''}, got ${describe(value)}.`,
    );
  }
  return value;
}

/** BayesianGaussianMixture has sklearn's four covariance types only (its priors are sklearn's). */
export function refuseMclustModel(type: string, where: string): void {
  if (!(SKLEARN_COVARIANCE_TYPES as readonly string[]).includes(type)) {
    throw new EmgpuInputError(
      `${where} is '${type}', an mclust model that only GaussianMixture fits; BayesianGaussianMixture takes 'full', 'tied', 'diag' or 'spherical' (mclust's VVV, EEE, VVI and VII).`,
    );
  }
}

export function resolveBayesianOptions(options: BayesianGaussianMixtureOptions = {}): ResolvedBayesianOptions {
  const base = resolveBaseOptions(options, PRIOR_OPTIONS);
  refuseMclustModel(base.covarianceType, 'Option covarianceType');
  return {
    ...base,
    weightConcentrationPriorType: oneOf(
      'weightConcentrationPriorType',
      options.weightConcentrationPriorType ?? 'dirichlet_process',
      WEIGHT_CONCENTRATION_PRIOR_TYPES,
    ),
    weightConcentrationPrior: positiveOrNull('weightConcentrationPrior', options.weightConcentrationPrior),
    meanPrecisionPrior: positiveOrNull('meanPrecisionPrior', options.meanPrecisionPrior),
    meanPrior: arrayOrNull('meanPrior', options.meanPrior, false),
    // Checked against D at fit time (it must exceed D − 1).
    degreesOfFreedomPrior: positiveOrNull('degreesOfFreedomPrior', options.degreesOfFreedomPrior),
    covariancePrior: arrayOrNull('covariancePrior', options.covariancePrior, true),
  };
}
