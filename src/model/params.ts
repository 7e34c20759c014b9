// Parameters in the form the E-step kernels of every backend read: an upper-triangular
// precision factor per component (or diagonal / scalar), and the per-component constant
// log w_k + Σ log diag(U_k) − ½·D·log 2π.

import type { MixtureParams } from '../backend.ts';
import { COVARIANCE_MODELS, type CovarianceForm } from './covariance.ts';

export const LOG_2PI = Math.log(2 * Math.PI);

export interface KernelParams {
  /** The storage layout of the factors (an mclust-named model's is 'full'). */
  readonly covarianceType: CovarianceForm;
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly means: Float64Array;
  /**
   * full: K x D x D upper triangular; tied: D x D upper triangular (shared);
   * diag: K x D; spherical: K.
   */
  readonly factors: Float64Array;
  /** log w_k (or params.logWeights[k]) + Σ log diag(U_k) − ½·D·log 2π, length K. */
  readonly logConstants: Float64Array;
}

function isUpperTriangular(m: Float64Array, offset: number, d: number): boolean {
  for (let i = 1; i < d; i++) for (let j = 0; j < i; j++) if (m[offset + i * d + j] !== 0) return false;
  return true;
}

/**
 * Kernel-ready parameters. Any factor M with P = M·Mᵀ gives the same density; the kernels exploit
 * an upper-triangular U (sklearn's form when it computes the factor itself). A factor given in
 * another form (sklearn keeps the lower Cholesky factor of a user's precisionsInit) is rebuilt
 * as the upper factor of the same precision.
 */
export function toKernelParams(params: MixtureParams): KernelParams {
  const { nComponents: k, nFeatures: d, weights, means, precisionsCholesky } = params;
  const model = COVARIANCE_MODELS[params.covarianceType];
  const covarianceType = model.form;
  let factors = precisionsCholesky;
  if (covarianceType === 'full' || covarianceType === 'tied') {
    const count = covarianceType === 'full' ? k : 1;
    let upper = true;
    for (let c = 0; c < count && upper; c++) upper = isUpperTriangular(factors, c * d * d, d);
    if (!upper) {
      factors = model.precisionCholesky(model.covariancesFromPrecisionCholesky(precisionsCholesky, k, d), k, d);
    }
  }
  const logDet = model.logDetCholesky(precisionsCholesky, k, d);
  const logConstants = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const logWeight =
      params.logWeights !== undefined ? (params.logWeights[c] as number) : Math.log(weights[c] as number);
    logConstants[c] = logWeight + (logDet[c] as number) - 0.5 * d * LOG_2PI;
  }
  return { covarianceType, nComponents: k, nFeatures: d, means, factors, logConstants };
}
