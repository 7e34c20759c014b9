// The one float64 M-step every backend shares: sufficient statistics -> weights, means,
// covariances (sklearn's _estimate_gaussian_parameters, from centred sums).

import type { SufficientStats } from '../stats.ts';
import type { CovarianceType } from '../options.ts';

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
 * which is sklearn's centred sum without a second pass over the data.
 */
export function estimateGaussianParameters(
  stats: SufficientStats,
  covarianceType: CovarianceType,
  regCovar: number,
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
  const full = stats.moments === 'full';
  if (stats.moments === null || ((covarianceType === 'full' || covarianceType === 'tied') && !full)) {
    throw new Error(
      `internal: ${covarianceType} covariances need ${full ? 'full' : 'diagonal'} second moments, got ${String(stats.moments)}`,
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

  let covariances: Float64Array;
  switch (covarianceType) {
    case 'full': {
      covariances = new Float64Array(k * d * d);
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
      break;
    }
    case 'tied': {
      covariances = new Float64Array(d * d);
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
      break;
    }
    case 'diag': {
      covariances = new Float64Array(k * d);
      for (let c = 0; c < k; c++) {
        const n = nk[c] as number;
        for (let i = 0; i < d; i++) covariances[c * d + i] = centredEntry(c, i, i) / n + regCovar;
      }
      break;
    }
    case 'spherical': {
      covariances = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        const n = nk[c] as number;
        let sum = 0;
        for (let i = 0; i < d; i++) sum += centredEntry(c, i, i) / n + regCovar;
        covariances[c] = sum / d;
      }
      break;
    }
  }
  return { nk, means, covariances };
}
