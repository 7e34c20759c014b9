// The sufficient statistics of EM for Gaussian mixtures: their one definition, shared by
// every engine (CPU and WebGPU), the M-step, the initialisations and the statistics API.
//
// Per component k, about a shift c_k (normally the current means, so the sums are centred):
//   s0 = Σ w·r_k,  s1 = Σ w·r_k·(x − c_k),  s2 = Σ w·r_k·(x − c_k)(x − c_k)ᵀ (or its diagonal),
// and over all rows Σ w·value (log p(x) for an E-step, min squared distance for k-means),
// Σ w·Σ_k r_k·log r_k (E-step: the responsibilities' negative entropy, for the variational
// bound; ICL is mclust's hard one, src/summary.ts) and Σ w.
// They are additive over rows: chunks, threads, GPUs and machines sum them (`addStats`).
//
// The packed layout engines write (float64 on the CPU, float32 on the GPU), in this order:
//   [0, K)              s0
//   [K, K + K·D)        s1, component-major
//   [.., + K·P)         s2: P = D(D+1)/2 packed upper triangle (row-major, i ≤ j) for 'full',
//                       P = D (the diagonal) for 'diag', P = 0 without second moments
//   [.., + 1)           Σ w·value
//   [.., + 1)           Σ w·Σ_k r_k·log r_k (0 for passes other than the E-step)
//   [.., + 1)           Σ w

import { timesPowerOfTwo } from './matrix.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import type { CovarianceType } from './options.ts';

/**
 * Which second moments a pass accumulates: the full D × D matrix, only its diagonal, or none
 * (null: k-means assignments need only s0 and s1).
 */
export type Moments = 'full' | 'diag' | null;

/** The second moments of an E-step pass, which every covariance model needs one of. */
export type SecondMoments = Exclude<Moments, null>;

/** The second moments each covariance type needs. */
export function momentsFor(covarianceType: CovarianceType): SecondMoments {
  return COVARIANCE_MODELS[covarianceType].moments;
}

/** Additive sufficient statistics of one pass, in float64. Row-major; k indexes components. */
export interface SufficientStats {
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly moments: Moments;
  /** c_k, K × D: the shift the sums are taken about. */
  readonly shifts: Float64Array;
  /** s0 = Σ w·r_k, length K. */
  readonly sumResp: Float64Array;
  /** s1 = Σ w·r_k·(x − c_k), K × D. */
  readonly sumDiff: Float64Array;
  /**
   * s2 = Σ w·r_k·(x − c_k)(x − c_k)ᵀ: K × D × D (moments 'full'; symmetric, both halves
   * filled), K × D ('diag'), or empty (null).
   */
  readonly sumOuter: Float64Array;
  /** Σ w·log p(x) under the parameters of the pass (E-step); 0 for other passes. */
  readonly sumLogLik: number;
  /** Σ w·Σ_k r_k·log r_k of the pass's responsibilities (E-step); 0 for other passes. */
  readonly sumRespLogResp: number;
  /** Σ w over the rows. */
  readonly totalWeight: number;
}

/** Numbers of the second moments per component in the packed layout. */
export function packedMomentSize(d: number, moments: Moments): number {
  return moments === 'full' ? (d * (d + 1)) / 2 : moments === 'diag' ? d : 0;
}

/** Offsets of the packed layout (see the file header). */
export interface StatsLayout {
  readonly k: number;
  readonly d: number;
  readonly moments: Moments;
  /** Second-moment numbers per component (P). */
  readonly packed: number;
  readonly sumDiff: number;
  readonly sumOuter: number;
  readonly value: number;
  readonly entropy: number;
  readonly weight: number;
  /** Total length. */
  readonly size: number;
}

export function statsLayout(k: number, d: number, moments: Moments): StatsLayout {
  const packed = packedMomentSize(d, moments);
  const sumOuter = k + k * d;
  const value = sumOuter + k * packed;
  return { k, d, moments, packed, sumDiff: k, sumOuter, value, entropy: value + 1, weight: value + 2, size: value + 3 };
}

/** Packed flat statistics (length layout.size) to SufficientStats about `shifts` (copied). */
export function unpackStats(flat: ArrayLike<number>, layout: StatsLayout, shifts: Float64Array): SufficientStats {
  const { k, d, moments, packed } = layout;
  const sumResp = new Float64Array(k);
  for (let c = 0; c < k; c++) sumResp[c] = flat[c] as number;
  const sumDiff = new Float64Array(k * d);
  for (let i = 0; i < k * d; i++) sumDiff[i] = flat[layout.sumDiff + i] as number;
  let sumOuter: Float64Array;
  if (moments === 'full') {
    sumOuter = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) {
      let q = layout.sumOuter + c * packed;
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          const v = flat[q++] as number;
          sumOuter[c * d * d + a * d + b] = v;
          sumOuter[c * d * d + b * d + a] = v;
        }
      }
    }
  } else if (moments === 'diag') {
    sumOuter = new Float64Array(k * d);
    for (let i = 0; i < k * d; i++) sumOuter[i] = flat[layout.sumOuter + i] as number;
  } else {
    sumOuter = new Float64Array(0);
  }
  return {
    nComponents: k,
    nFeatures: d,
    moments,
    shifts: Float64Array.from(shifts.subarray(0, k * d)),
    sumResp,
    sumDiff,
    sumOuter,
    sumLogLik: flat[layout.value] as number,
    sumRespLogResp: flat[layout.entropy] as number,
    totalWeight: flat[layout.weight] as number,
  };
}

/**
 * The same statistics about other shifts (exact algebra in float64): with δ = c − c',
 *   s1' = s1 + s0·δ,   s2' = s2 + δ·s1ᵀ + s1·δᵀ + s0·δ·δᵀ.
 */
export function recentreStats(stats: SufficientStats, shifts: Float64Array): SufficientStats {
  const { nComponents: k, nFeatures: d, moments } = stats;
  const sumDiff = Float64Array.from(stats.sumDiff);
  const sumOuter = Float64Array.from(stats.sumOuter);
  const delta = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    const s0 = stats.sumResp[c] as number;
    for (let a = 0; a < d; a++) delta[a] = (stats.shifts[c * d + a] as number) - (shifts[c * d + a] as number);
    for (let a = 0; a < d; a++) {
      const s1a = stats.sumDiff[c * d + a] as number;
      const da = delta[a] as number;
      if (moments === 'full') {
        for (let b = 0; b < d; b++) {
          const db = delta[b] as number;
          const o = c * d * d + a * d + b;
          sumOuter[o] = (sumOuter[o] as number) + da * (stats.sumDiff[c * d + b] as number) + s1a * db + s0 * da * db;
        }
      } else if (moments === 'diag') {
        const o = c * d + a;
        sumOuter[o] = (sumOuter[o] as number) + 2 * da * s1a + s0 * da * da;
      }
      sumDiff[c * d + a] = s1a + s0 * da;
    }
  }
  return { ...stats, shifts: Float64Array.from(shifts.subarray(0, k * d)), sumDiff, sumOuter };
}

function sameShape(a: SufficientStats, b: SufficientStats): boolean {
  return a.nComponents === b.nComponents && a.nFeatures === b.nFeatures && a.moments === b.moments;
}

/**
 * a + b: the statistics of the union of their rows, about a's shifts (b is re-centred first
 * when its shifts differ). Exact up to float64 rounding; order-independent up to rounding.
 */
export function addStats(a: SufficientStats, b: SufficientStats): SufficientStats {
  if (!sameShape(a, b)) {
    throw new Error(
      `cannot add statistics of K=${a.nComponents}, D=${a.nFeatures}, moments ${String(a.moments)} and K=${b.nComponents}, D=${b.nFeatures}, moments ${String(b.moments)}`,
    );
  }
  let same = true;
  for (let i = 0; i < a.shifts.length && same; i++) same = a.shifts[i] === b.shifts[i];
  const other = same ? b : recentreStats(b, a.shifts);
  const sum = (x: Float64Array, y: Float64Array): Float64Array => x.map((v, i) => v + (y[i] as number));
  return {
    ...a,
    shifts: Float64Array.from(a.shifts),
    sumResp: sum(a.sumResp, other.sumResp),
    sumDiff: sum(a.sumDiff, other.sumDiff),
    sumOuter: sum(a.sumOuter, other.sumOuter),
    sumLogLik: a.sumLogLik + other.sumLogLik,
    sumRespLogResp: a.sumRespLogResp + other.sumRespLogResp,
    totalWeight: a.totalWeight + other.totalWeight,
  };
}

/**
 * The statistics of the same rows with every weight multiplied by 2^exponent (exact: only the
 * exponents change). Engines see weights scaled so that their mean is near 1 (toDataset).
 */
export function scaleStats(stats: SufficientStats, exponent: number): SufficientStats {
  if (exponent === 0) return stats;
  const times = (a: Float64Array): Float64Array => a.map((v) => timesPowerOfTwo(v, exponent));
  return {
    ...stats,
    sumResp: times(stats.sumResp),
    sumDiff: times(stats.sumDiff),
    sumOuter: times(stats.sumOuter),
    sumLogLik: timesPowerOfTwo(stats.sumLogLik, exponent),
    sumRespLogResp: timesPowerOfTwo(stats.sumRespLogResp, exponent),
    totalWeight: timesPowerOfTwo(stats.totalWeight, exponent),
  };
}
