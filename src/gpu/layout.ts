// What crosses between float64 on the host and float32 on the device, and how numbers are
// conditioned so that float32 holds on real data:
//
// 1. Data far from the origin (timestamps, coordinates) or huge / tiny in scale: the data is
//    uploaded as x' = (x − m)·s with float64 column means m and one power-of-two scale s (so
//    |x'| is about 1 and nothing over- or underflows; a power of two keeps the conversion of
//    parameters exact). Every parameter goes to the device in that space and every statistic
//    comes back from it, in float64. Squared distances scale by s² for every column alike, so
//    k-means assignments and k-means++ draws are unchanged.
// 2. Correlated features and near-singular covariances (full/tied E-steps): the second moments
//    are accumulated in each component's whitened coordinates y = Uᵀ(x − μ), which are O(1)
//    in every direction, and mapped back in float64 (s1 = U⁻ᵀ·Σ r·y, s2 = U⁻ᵀ·(Σ r·y·yᵀ)·U⁻¹,
//    with the float32 U the device used). Raw float32 sums of (x − μ)(x − μ)ᵀ lose the
//    covariance's smallest eigenvalues (relative error ≈ 1e-7 × its condition number).

import type { MixtureParams } from '../backend.ts';
import { toKernelParams } from '../model/params.ts';
import { COVARIANCE_MODELS, formOf, type CovarianceForm } from '../model/covariance.ts';
import { unpackStats, type StatsLayout, type SufficientStats } from '../sufficient-stats.ts';

/**
 * How a layout's precision factors are stored on the device: upper-triangular D × D matrices
 * (an E-step then solves with them and can whiten its second moments), and whether one is
 * shared by every component.
 */
export interface FactorShape {
  readonly matrix: boolean;
  readonly shared: boolean;
}

export const FACTOR_SHAPES: Record<CovarianceForm, FactorShape> = {
  full: { matrix: true, shared: false },
  tied: { matrix: true, shared: true },
  diag: { matrix: false, shared: false },
  spherical: { matrix: false, shared: false },
};

/** Number of precision-factor floats for a covariance layout (the covariance table's size). */
export function factorCount(cov: CovarianceForm, k: number, d: number): number {
  return COVARIANCE_MODELS[cov].size(k, d);
}

/** x' = (x − shift)·scale, with scale a power of two. */
export interface Conditioning {
  readonly shift: Float64Array;
  readonly scale: number;
}

/**
 * Column means (float64) and a power of two near 1 / (largest column standard deviation).
 * One pass, with sums taken about the first row so that data far from the origin does not
 * cancel.
 */
export function conditioningOf(data: Float64Array | Float32Array, rows: number, cols: number): Conditioning {
  const origin = new Float64Array(cols);
  for (let a = 0; a < cols; a++) origin[a] = data[a] as number;
  const sum = new Float64Array(cols);
  const squares = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let a = 0; a < cols; a++) {
      const v = (data[row + a] as number) - (origin[a] as number);
      sum[a] = (sum[a] as number) + v;
      squares[a] = (squares[a] as number) + v * v;
    }
  }
  const shift = new Float64Array(cols);
  let largest = 0;
  for (let a = 0; a < cols; a++) {
    const mean = (sum[a] as number) / rows;
    shift[a] = (origin[a] as number) + mean;
    largest = Math.max(largest, Math.sqrt(Math.max(0, (squares[a] as number) / rows - mean * mean)));
  }
  const exponent =
    largest > 0 && Number.isFinite(largest) ? Math.max(-500, Math.min(500, -Math.round(Math.log2(largest)))) : 0;
  return { shift, scale: 2 ** exponent };
}

/** Parameters as the device sees them (float64 arrays holding float32-rounded values). */
export interface DeviceParams {
  readonly covarianceType: CovarianceForm;
  readonly k: number;
  readonly d: number;
  /** Conditioned centres (means), K × D. */
  readonly centres: Float64Array;
  /** Conditioned precision factors (upper triangular for full/tied); empty for centres only. */
  readonly factors: Float64Array;
  /**
   * log w_k + Σ log diag(U_k) − ½·D·log 2π − offset (the quadratic form is unchanged by
   * conditioning).
   */
  readonly logConstants: Float64Array;
  /**
   * Subtracted from every log constant, so the device computes log p(x) − offset: about the
   * expected log-density Σ_k w_k·(log constant_k − D/2), it keeps the float32 values (and their
   * sums, the lower bound) small, and so ten times finer. Responsibilities do not change; the
   * host adds it back in float64.
   */
  readonly offset: number;
}

/** Centres only (k-means, the random initialisation's shifts), as the device sees them. */
export function centresOnly(centres: Float64Array, k: number, d: number, cond: Conditioning): DeviceParams {
  return {
    covarianceType: 'spherical',
    k,
    d,
    centres: deviceCentres(centres, k, d, cond),
    factors: new Float64Array(0),
    logConstants: new Float64Array(0),
    offset: 0,
  };
}

/** Conditioned, float32-rounded centres. */
export function deviceCentres(centres: Float64Array, k: number, d: number, cond: Conditioning): Float64Array {
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++)
      out[c * d + a] = Math.fround(((centres[c * d + a] as number) - (cond.shift[a] as number)) * cond.scale);
  }
  return out;
}

export function deviceParams(params: MixtureParams, cond: Conditioning): DeviceParams {
  const kp = toKernelParams(params);
  const { nComponents: k, nFeatures: d } = params;
  const covarianceType = formOf(params.covarianceType);
  // (x − μ)·U = (x' − μ')·(U / s): every factor entry divides by the scale.
  const factors = kp.factors.map((u) => Math.fround(u / cond.scale));
  let offset = 0;
  for (let c = 0; c < k; c++) {
    const w = params.weights[c] as number;
    const v = kp.logConstants[c] as number;
    if (w > 0 && Number.isFinite(v)) offset += w * (v - 0.5 * d);
  }
  if (!Number.isFinite(offset)) offset = 0;
  const logConstants = kp.logConstants.map((v) => v - offset);
  return { covarianceType, k, d, centres: deviceCentres(kp.means, k, d, cond), factors, logConstants, offset };
}

/** A log constant as a finite float32 (software compilers may assume no infinities). */
function finiteConstant(v: number): number {
  return Number.isFinite(v) ? v : v > 0 ? 3e38 : -1e30;
}

/** [centres K·D][factors][log constants K] (the layout of prm in shaders/common.wgsl); centres only without factors. */
export function writeGenericParams(host: Float32Array, p: DeviceParams): void {
  host.set(p.centres, 0);
  if (p.factors.length === 0) return;
  host.set(p.factors, p.centres.length);
  const o = p.centres.length + p.factors.length;
  for (let c = 0; c < p.k; c++) host[o + c] = finiteConstant(p.logConstants[c] as number);
}

/** Vector width of the register kernel for D features (D ≤ 4). */
export function vectorWidth(d: number): number {
  return d <= 2 ? 2 : 4;
}

/** Parameter floats in the register kernel's vector layout. */
export function vectorParamCount(withFactors: boolean, cov: CovarianceForm, k: number, d: number): number {
  const dv = vectorWidth(d);
  if (!withFactors) return k * dv;
  // The factors padded to DV features: the layout's size at D = DV.
  return k * dv + factorCount(cov, k, dv) + k;
}

/** Writes the precision factors f (D features) at host[o..] padded to DV features, per layout. */
type VectorFactorWriter = (host: Float32Array, o: number, f: Float64Array, k: number, d: number, dv: number) => void;

/** Full/tied: `count` column-major DV×DV matrices with column j = U[·, j]. */
function writeMatrices(count: number): VectorFactorWriter {
  return (host, o, f, _k, d, dv) => {
    for (let c = 0; c < count; c++)
      for (let j = 0; j < d; j++)
        for (let a = 0; a < d; a++) host[o + c * dv * dv + j * dv + a] = f[c * d * d + a * d + j] as number;
  };
}

const VECTOR_FACTOR_WRITERS: Record<CovarianceForm, VectorFactorWriter> = {
  full: (host, o, f, k, d, dv) => writeMatrices(k)(host, o, f, k, d, dv),
  tied: writeMatrices(1),
  diag: (host, o, f, k, d, dv) => {
    for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) host[o + c * dv + a] = f[c * d + a] as number;
  },
  spherical: (host, o, f, k) => {
    for (let c = 0; c < k; c++) host[o + c] = f[c] as number;
  },
};

/**
 * The register kernel's layout (shaders/stats_vec.wgsl): centres K·DV, then factors (full: K
 * column-major DV×DV matrices with column j = U[·, j]; tied: one; diag: K·DV; spherical: K),
 * log constants K; zero padding to DV.
 */
export function writeVectorParams(host: Float32Array, p: DeviceParams): void {
  const { k, d, covarianceType: cov } = p;
  const dv = vectorWidth(d);
  host.fill(0);
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) host[c * dv + a] = p.centres[c * d + a] as number;
  if (p.factors.length === 0) return;
  const o = k * dv;
  VECTOR_FACTOR_WRITERS[cov](host, o, p.factors, k, d, dv);
  const constants = o + factorCount(cov, k, dv);
  for (let c = 0; c < k; c++) host[constants + c] = finiteConstant(p.logConstants[c] as number);
}

/** v ← (Uᵀ)⁻¹·v for U upper triangular at u[ub..] (forward substitution), in place at v[vb..] with stride. */
function solveTransposed(u: Float64Array, ub: number, d: number, v: Float64Array, vb: number, stride: number): void {
  for (let i = 0; i < d; i++) {
    let s = v[vb + i * stride] as number;
    for (let j = 0; j < i; j++) s -= (u[ub + j * d + i] as number) * (v[vb + j * stride] as number);
    v[vb + i * stride] = s / (u[ub + i * d + i] as number);
  }
}

/**
 * Maps whitened statistics back: s1 = U⁻ᵀ·s1_y and s2 = U⁻ᵀ·s2_y·U⁻¹ per component (tied: the
 * shared U), with the device's own (float32) factors. In place.
 */
function unwhiten(stats: SufficientStats, factors: Float64Array, tied: boolean): void {
  const { nComponents: k, nFeatures: d } = stats;
  const s2 = stats.sumOuter;
  for (let c = 0; c < k; c++) {
    const ub = tied ? 0 : c * d * d;
    const ob = c * d * d;
    solveTransposed(factors, ub, d, stats.sumDiff, c * d, 1);
    // M = U⁻ᵀ·S (columns of S), then U⁻ᵀ·Mᵀ (columns of Mᵀ = rows of M), symmetric.
    for (let col = 0; col < d; col++) solveTransposed(factors, ub, d, s2, ob + col, d);
    for (let row = 0; row < d; row++) solveTransposed(factors, ub, d, s2, ob + row * d, 1);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) {
        const v = 0.5 * ((s2[ob + a * d + b] as number) + (s2[ob + b * d + a] as number));
        s2[ob + a * d + b] = v;
        s2[ob + b * d + a] = v;
      }
    }
  }
}

/**
 * Float64 statistics in the data's own space from the device's flat sums (already widened to
 * float64), taken about the device centres, whitened with `whitened`'s factors when given.
 */
export function hostStats(
  flat: Float64Array,
  layout: StatsLayout,
  centres: Float64Array,
  cond: Conditioning,
  whitened: DeviceParams | null,
): SufficientStats {
  const stats = unpackStats(flat, layout, centres);
  if (whitened !== null) unwhiten(stats, whitened.factors, FACTOR_SHAPES[whitened.covarianceType].shared);
  const { nComponents: k, nFeatures: d } = stats;
  const s = cond.scale;
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++) {
      stats.shifts[c * d + a] = (stats.shifts[c * d + a] as number) / s + (cond.shift[a] as number);
      stats.sumDiff[c * d + a] = (stats.sumDiff[c * d + a] as number) / s;
    }
  }
  const s2 = s * s;
  for (let i = 0; i < stats.sumOuter.length; i++) stats.sumOuter[i] = (stats.sumOuter[i] as number) / s2;
  return stats;
}
