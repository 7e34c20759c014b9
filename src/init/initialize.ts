// Initial parameters, as sklearn's BaseMixture._initialize_parameters + _initialize:
// responsibilities from the init method, one M-step from them (weights = nk / N), then the
// user's weightsInit / meansInit / precisionsInit override what they name.

import type { LoadedData, MixtureParams } from '../backend.ts';
import { momentsFor, type SufficientStats, type SecondMoments } from '../sufficient-stats.ts';
import { COVARIANCE_MODELS } from '../model/covariance.ts';
import { estimateGaussianParameters } from '../model/m-step.ts';
import type { CovarianceType, InitMethod } from '../options.ts';
import { Random } from '../random.ts';
import { kmeans } from './kmeans.ts';
import { hcStatistics } from './hc-start.ts';

export interface UserInit {
  readonly weights: Float64Array | null;
  readonly means: Float64Array | null;
  /** Precisions (not their Cholesky factors), sklearn shapes, flat. */
  readonly precisions: Float64Array | null;
}

export interface InitContext {
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly regCovar: number;
  readonly method: InitMethod;
  readonly seed: number;
  /** hc: the most rows the tree is built on (a random subset of them for larger N). */
  readonly hcSubset: number;
  readonly user: UserInit;
  readonly throwIfAborted: () => void;
  readonly onProgress: (message: string) => void;
}

export interface InitialParams extends MixtureParams {
  /** Covariances matching precisionsCholesky. */
  readonly covariances: Float64Array;
}

/** Statistics of one-hot responsibilities on the given rows (sklearn's resp[indices, arange(K)] = 1). */
function oneHotRowStats(
  rows: Float64Array,
  k: number,
  d: number,
  totalWeight: number,
  moments: SecondMoments,
): SufficientStats {
  return {
    nComponents: k,
    nFeatures: d,
    moments,
    shifts: rows,
    sumResp: new Float64Array(k).fill(1),
    sumDiff: new Float64Array(k * d),
    sumOuter: new Float64Array(moments === 'full' ? k * d * d : k * d),
    sumLogLik: 0,
    sumRespLogResp: 0,
    totalWeight,
  };
}

/** k distinct row indices drawn uniformly (sklearn: random_state.choice(n, k, replace=False)). */
function distinctRows(n: number, k: number, random: Random): Int32Array {
  const picked = new Set<number>();
  const out = new Int32Array(k);
  for (let c = 0; c < k; c++) {
    let row = random.nextInt(n);
    while (picked.has(row)) row = random.nextInt(n);
    picked.add(row);
    out[c] = row;
  }
  return out;
}

/** The statistics of the initial responsibilities of `context.method` (sklearn's _initialize_parameters). */
export async function initialStatistics(
  data: LoadedData,
  context: Omit<InitContext, 'user' | 'regCovar'>,
): Promise<SufficientStats> {
  const { nComponents: k, method, seed } = context;
  const d = data.cols;
  const moments = momentsFor(context.covarianceType);
  const random = new Random(seed);
  switch (method) {
    case 'kmeans': {
      context.onProgress(`initialising with k-means (k-means++ seeding + Lloyd), K = ${k}`);
      return kmeans(data, k, random.nextSeed(), moments, context.throwIfAborted);
    }
    case 'k-means++': {
      context.onProgress(`initialising with k-means++ seeds, K = ${k}`);
      const indices = await data.kmeansPlusPlus(k, random.nextSeed());
      return oneHotRowStats(await data.rowsAt(indices), k, d, data.totalWeight, moments);
    }
    case 'hc': {
      context.onProgress(`initialising with model-based hierarchical clustering (VVV), K = ${k}`);
      return hcStatistics(data, k, context.hcSubset, random.nextSeed(), moments, context.throwIfAborted);
    }
    case 'random_from_data': {
      const indices = distinctRows(data.rows, k, random);
      return oneHotRowStats(await data.rowsAt(indices), k, d, data.totalWeight, moments);
    }
    case 'random': {
      // Shift the sums by the data mean: every component starts near it.
      const mean = await data.assign(new Float64Array(d), 1, null);
      const shift = new Float64Array(k * d);
      const s0 = mean.stats.sumResp[0] as number;
      for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) shift[c * d + a] = (mean.stats.sumDiff[a] as number) / s0;
      return data.randomResponsibilities(random.nextSeed(), k, shift, moments);
    }
  }
}

/**
 * The Gaussian mixture's initial parameters: one M-step from the initial responsibilities (the
 * init method's, or `responsibilities` given as statistics), weights nk / N, then the user's
 * weightsInit / meansInit / precisionsInit in place of what they name.
 */
export async function initializeParameters(
  data: LoadedData,
  context: InitContext,
  responsibilities: SufficientStats | null = null,
): Promise<InitialParams> {
  const { covarianceType, nComponents: k, regCovar, user } = context;
  const d = data.cols;
  const model = COVARIANCE_MODELS[covarianceType];
  // With every parameter given, the init method's result would be thrown away: skip it.
  const everythingGiven = user.weights !== null && user.means !== null && user.precisions !== null;
  const estimate = everythingGiven
    ? null
    : estimateGaussianParameters(
        responsibilities ?? (await initialStatistics(data, context)),
        covarianceType,
        regCovar,
      );
  context.throwIfAborted();
  const weights =
    user.weights !== null
      ? Float64Array.from(user.weights)
      : (estimate as NonNullable<typeof estimate>).nk.map((n) => n / data.totalWeight);
  const means = user.means !== null ? Float64Array.from(user.means) : (estimate as NonNullable<typeof estimate>).means;
  let covariances: Float64Array;
  let precisionsCholesky: Float64Array;
  if (user.precisions === null) {
    covariances = (estimate as NonNullable<typeof estimate>).covariances;
    precisionsCholesky = model.precisionCholesky(covariances, k, d);
  } else {
    precisionsCholesky = model.precisionCholeskyFromPrecisions(user.precisions, k, d);
    covariances = model.covariancesFromPrecisionCholesky(precisionsCholesky, k, d);
  }
  return { covarianceType, nComponents: k, nFeatures: d, weights, means, precisionsCholesky, covariances };
}
