// The one float64 Gaussian estimate every M-step shares (both estimators, every backend, the
// initialisations): sufficient statistics -> nk, means, covariances (sklearn's
// _estimate_gaussian_parameters, from centred sums), the covariances by a table per type.

import type { SufficientStats } from '../sufficient-stats.ts';
import type { CovarianceType } from '../options.ts';
import { COVARIANCE_MODELS } from './covariance.ts';
import { SCATTER_M_STEPS, type Scatter } from './mclust-m-step.ts';
import { MCLUST_MODELS, type MclustModelName } from './names.ts';

/** sklearn adds 10·eps to every nk so that an empty component does not divide by zero. */
export const NK_EPSILON = 10 * 2.220446049250313e-16;

export interface GaussianEstimate {
  /** nk = Σ w·r + 10·eps, length K (unnormalised: callers divide by N or by Σ nk). */
  readonly nk: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

/**
 * Means and covariances from statistics about shifts c_k. With s0 = Σ w·r, s1 = Σ w·r·(x − c)
 * and s2 = Σ w·r·(x − c)(x − c)ᵀ:
 *   mean = (s0·c + s1) / nk
 *   Σ w·r·(x − mean)(x − mean)ᵀ = s2 − (2/nk − s0/nk²)·s1·s1ᵀ      (exact; nk = s0 + 10·eps)
 * which is sklearn's centred sum without a second pass over the data. `previous` (the current
 * covariances, in the type's layout) starts the iterative M-steps of mclust's models.
 */
export function estimateGaussianParameters(
  stats: SufficientStats,
  covarianceType: CovarianceType,
  regCovar: number,
  previous: Float64Array | null = null,
): GaussianEstimate {
  const { nComponents: k, nFeatures: d, shifts, sumResp, sumDiff, sumOuter } = stats;
  const nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const s0 = sumResp[c] as number;
    const n = s0 + NK_EPSILON;
    nk[c] = n;
    for (let i = 0; i < d; i++) {
      means[c * d + i] = (s0 * (shifts[c * d + i] as number) + (sumDiff[c * d + i] as number)) / n;
    }
  }
  const model = COVARIANCE_MODELS[covarianceType];
  const full = stats.moments === 'full';
  if (stats.moments === null || (model.moments === 'full' && !full)) {
    throw new Error(
      `internal: ${covarianceType} covariances need ${model.moments} second moments, got ${String(stats.moments)}`,
    );
  }
  // Centred scatter per component, divided later.
  const centredEntry = (c: number, i: number, j: number): number => {
    const s0 = sumResp[c] as number;
    const n = nk[c] as number;
    const correction = 2 / n - s0 / (n * n);
    const outer = full ? (sumOuter[c * d * d + i * d + j] as number) : (sumOuter[c * d + i] as number);
    return outer - correction * (sumDiff[c * d + i] as number) * (sumDiff[c * d + j] as number);
  };
  const covariances = COVARIANCE_ESTIMATORS[covarianceType]({ k, d, nk, centredEntry, regCovar, previous });
  return { nk, means, covariances };
}

/** What a covariance estimator reads: n_k, the centred scatter entries W_k[i][j], regCovar, the previous covariances. */
interface CovarianceInput {
  readonly k: number;
  readonly d: number;
  readonly nk: Float64Array;
  readonly centredEntry: (c: number, i: number, j: number) => number;
  readonly regCovar: number;
  readonly previous: Float64Array | null;
}

/** sklearn's four: its formulas exactly, regCovar added to the diagonal of each covariance. */
const SKLEARN_ESTIMATORS = {
  full: ({ k, d, nk, centredEntry, regCovar }: CovarianceInput): Float64Array => {
    const covariances = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) {
      const n = nk[c] as number;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          const value = centredEntry(c, i, j) / n + (i === j ? regCovar : 0);
          covariances[c * d * d + i * d + j] = value;
          covariances[c * d * d + j * d + i] = value;
        }
      }
    }
    return covariances;
  },
  tied: ({ k, d, nk, centredEntry, regCovar }: CovarianceInput): Float64Array => {
    const covariances = new Float64Array(d * d);
    let total = 0;
    for (let c = 0; c < k; c++) total += nk[c] as number;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += centredEntry(c, i, j);
        const value = sum / total + (i === j ? regCovar : 0);
        covariances[i * d + j] = value;
        covariances[j * d + i] = value;
      }
    }
    return covariances;
  },
  diag: ({ k, d, nk, centredEntry, regCovar }: CovarianceInput): Float64Array => {
    const covariances = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      const n = nk[c] as number;
      for (let i = 0; i < d; i++) covariances[c * d + i] = centredEntry(c, i, i) / n + regCovar;
    }
    return covariances;
  },
  spherical: ({ k, d, nk, centredEntry, regCovar }: CovarianceInput): Float64Array => {
    const covariances = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const n = nk[c] as number;
      let sum = 0;
      for (let i = 0; i < d; i++) sum += centredEntry(c, i, i) / n + regCovar;
      covariances[c] = sum / d;
    }
    return covariances;
  },
};

/**
 * An mclust model's covariance estimator (its M-step's covariance part). regCovar enters as n_k·regCovar added to the diagonal of each
 * scatter W_k, which keeps the model's structure and, for VII, VVI, EEE and VVV, equals sklearn's
 * regularisation of spherical, diag, tied and full (mclust itself has none: regCovar 0).
 */
function mclustEstimator(name: MclustModelName): (input: CovarianceInput) => Float64Array {
  const diagonal = COVARIANCE_MODELS[name].moments === 'diag';
  return ({ k, d, nk, centredEntry, regCovar, previous }) => {
    const w = new Float64Array(diagonal ? k * d : k * d * d);
    for (let c = 0; c < k; c++) {
      const reg = (nk[c] as number) * regCovar;
      for (let i = 0; i < d; i++) {
        if (diagonal) {
          w[c * d + i] = centredEntry(c, i, i) + reg;
          continue;
        }
        for (let j = 0; j <= i; j++) {
          const value = centredEntry(c, i, j) + (i === j ? reg : 0);
          w[c * d * d + i * d + j] = value;
          w[c * d * d + j * d + i] = value;
        }
      }
    }
    const scatter: Scatter = { k, d, nk, w, diagonal };
    return SCATTER_M_STEPS[name](scatter, previous);
  };
}

/** The covariance estimator of every covariance type, by name. */
const COVARIANCE_ESTIMATORS: Record<CovarianceType, (input: CovarianceInput) => Float64Array> = {
  ...SKLEARN_ESTIMATORS,
  ...(Object.fromEntries(MCLUST_MODELS.map((name) => [name, mclustEstimator(name)])) as Record<
    MclustModelName,
    (input: CovarianceInput) => Float64Array
  >),
};
