// The four covariance types, as a table keyed by name (sklearn's _gaussian_mixture.py keeps
// the same functions, one per type): sizes, the precision Cholesky factor, log-determinants,
// conversions and the number of free parameters.

import type { CovarianceType } from '../options.ts';
import { choleskyLower, invertLower, invertSpd, multiplyByTranspose } from './linalg.ts';

/** Thrown when a covariance is not positive definite: sklearn's advice, with the component. */
export class IllDefinedCovarianceError extends Error {
  override readonly name = 'IllDefinedCovarianceError';
  constructor(component: number | null) {
    super(
      `Fitting the mixture model failed because ${component === null ? 'the shared covariance' : `component ${component}`} has an ill-defined empirical covariance (for instance caused by singleton or collapsed samples); try to decrease the number of components, increase regCovar (--reg-covar), or scale the input data.`,
    );
  }
}

export interface CovarianceModel {
  /** Numbers in the covariance (and precision Cholesky) array. */
  size(k: number, d: number): number;
  /** sklearn's nested shape of covariances_. */
  shape(k: number, d: number): number[];
  /** Precision Cholesky factor U (P = U·Uᵀ) from covariances; throws IllDefinedCovarianceError. */
  precisionCholesky(covariances: Float64Array, k: number, d: number): Float64Array;
  /** Precision Cholesky from user precisions (sklearn: lower Cholesky of each precision). */
  precisionCholeskyFromPrecisions(precisions: Float64Array, k: number, d: number): Float64Array;
  /** Precisions P = U·Uᵀ. */
  precisions(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Covariances P⁻¹ from the precision Cholesky factors. */
  covariancesFromPrecisionCholesky(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Σ log diag(U) per component (length K). */
  logDetCholesky(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Free covariance parameters. */
  nParameters(k: number, d: number): number;
}

function fullFactors(covariances: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const out = new Float64Array(count * d * d);
  const l = new Float64Array(d * d);
  const li = new Float64Array(d * d);
  for (let c = 0; c < count; c++) {
    if (!choleskyLower(covariances, c * d * d, d, l, 0)) throw new IllDefinedCovarianceError(sharedError ? null : c);
    invertLower(l, 0, d, li, 0);
    // U = (L⁻¹)ᵀ: upper triangular, as sklearn's solve_triangular(cov_chol, I, lower=True).T
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[c * d * d + i * d + j] = li[j * d + i] as number;
  }
  return out;
}

function fullFromPrecisions(precisions: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) {
    if (!choleskyLower(precisions, c * d * d, d, out, c * d * d))
      throw new IllDefinedCovarianceError(sharedError ? null : c);
  }
  return out;
}

function fullPrecisions(factors: Float64Array, count: number, d: number): Float64Array {
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) multiplyByTranspose(factors, c * d * d, d, out, c * d * d);
  return out;
}

function fullCovariances(factors: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const precisions = fullPrecisions(factors, count, d);
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) {
    if (!invertSpd(precisions, c * d * d, d, out, c * d * d))
      throw new IllDefinedCovarianceError(sharedError ? null : c);
  }
  return out;
}

function fullLogDet(factors: Float64Array, count: number, d: number, k: number): Float64Array {
  const out = new Float64Array(k);
  for (let c = 0; c < count; c++) {
    let sum = 0;
    for (let i = 0; i < d; i++) sum += Math.log(factors[c * d * d + i * d + i] as number);
    out[c] = sum;
  }
  if (count === 1) out.fill(out[0] as number);
  return out;
}

function elementwiseFactor(values: Float64Array, perComponent: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new IllDefinedCovarianceError(Math.floor(i / perComponent));
    out[i] = 1 / Math.sqrt(v);
  }
  return out;
}

function elementwiseSqrt(values: Float64Array, perComponent: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new IllDefinedCovarianceError(Math.floor(i / perComponent));
    out[i] = Math.sqrt(v);
  }
  return out;
}

const square = (factors: Float64Array): Float64Array => factors.map((u) => u * u);
const inverseSquare = (factors: Float64Array): Float64Array => factors.map((u) => 1 / (u * u));

export const COVARIANCE_MODELS: Record<CovarianceType, CovarianceModel> = {
  full: {
    size: (k, d) => k * d * d,
    shape: (k, d) => [k, d, d],
    precisionCholesky: (cov, k, d) => fullFactors(cov, k, d, false),
    precisionCholeskyFromPrecisions: (p, k, d) => fullFromPrecisions(p, k, d, false),
    precisions: (u, k, d) => fullPrecisions(u, k, d),
    covariancesFromPrecisionCholesky: (u, k, d) => fullCovariances(u, k, d, false),
    logDetCholesky: (u, k, d) => fullLogDet(u, k, d, k),
    nParameters: (k, d) => (k * d * (d + 1)) / 2,
  },
  tied: {
    size: (_k, d) => d * d,
    shape: (_k, d) => [d, d],
    precisionCholesky: (cov, _k, d) => fullFactors(cov, 1, d, true),
    precisionCholeskyFromPrecisions: (p, _k, d) => fullFromPrecisions(p, 1, d, true),
    precisions: (u, _k, d) => fullPrecisions(u, 1, d),
    covariancesFromPrecisionCholesky: (u, _k, d) => fullCovariances(u, 1, d, true),
    logDetCholesky: (u, k, d) => fullLogDet(u, 1, d, k),
    nParameters: (_k, d) => (d * (d + 1)) / 2,
  },
  diag: {
    size: (k, d) => k * d,
    shape: (k, d) => [k, d],
    precisionCholesky: (cov, _k, d) => elementwiseFactor(cov, d),
    precisionCholeskyFromPrecisions: (p, _k, d) => elementwiseSqrt(p, d),
    precisions: (u) => square(u),
    covariancesFromPrecisionCholesky: (u) => inverseSquare(u),
    logDetCholesky: (u, k, d) => {
      const out = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let i = 0; i < d; i++) sum += Math.log(u[c * d + i] as number);
        out[c] = sum;
      }
      return out;
    },
    nParameters: (k, d) => k * d,
  },
  spherical: {
    size: (k) => k,
    shape: (k) => [k],
    precisionCholesky: (cov) => elementwiseFactor(cov, 1),
    precisionCholeskyFromPrecisions: (p) => elementwiseSqrt(p, 1),
    precisions: (u) => square(u),
    covariancesFromPrecisionCholesky: (u) => inverseSquare(u),
    logDetCholesky: (u, _k, d) => u.map((value) => d * Math.log(value)),
    nParameters: (k) => k,
  },
};

/** Free parameters of the whole mixture: (K − 1) weights + K·D means + covariances. */
export function nParameters(covarianceType: CovarianceType, k: number, d: number): number {
  return k - 1 + k * d + COVARIANCE_MODELS[covarianceType].nParameters(k, d);
}
