// A fitted mixture that is degenerate: a component whose covariance, less the regCovar that was
// added to it, is singular (a component on fewer distinct rows than it has dimensions, often one
// row). regCovar keeps its density finite, but its likelihood, and so its BIC, grows without
// bound as regCovar shrinks: a spurious maximum. mclust, which adds nothing, reports such a
// model as NA; selectModel does not choose one either.

import type { MixtureParams } from '../backend.ts';
import { COVARIANCE_MODELS } from './covariance.ts';
import type { Matrix } from '../matrix.ts';
import { choleskyLower } from './linalg.ts';

/** Below this, a pivot² of a covariance in units of the data's variances counts as zero. */
const SINGULAR = 1e-8;

/**
 * Whether any covariance of the model, less regCovar on its diagonal and scaled by the data's
 * per-feature variances, has a Cholesky pivot² ≤ 1e-8 (or is not positive definite).
 */
export function isDegenerate(
  params: MixtureParams & { readonly covariances: Float64Array },
  regCovar: number,
  featureVariance: Float64Array,
): boolean {
  const { nComponents: k, nFeatures: d, covariances } = params;
  const model = COVARIANCE_MODELS[params.covarianceType];
  const shape = model.shape(k, d);
  // K × D × D: a matrix per component; D × D (the same for K + 1): one shared matrix; else variances.
  const shared = shape.length === 2 && model.shape(k + 1, d)[0] === shape[0];
  const matrices = shape.length === 3 ? k : shared ? 1 : 0;
  const scale = (a: number): number => Math.sqrt(Math.max(featureVariance[a] as number, Number.MIN_VALUE));
  if (matrices === 0) {
    // One variance per component and feature (diag, K × D) or per component (spherical, K).
    const perComponent = shape.length === 2 ? d : 1;
    for (let c = 0; c < k; c++)
      for (let a = 0; a < d; a++) {
        const v = (covariances[c * perComponent + (perComponent === 1 ? 0 : a)] as number) - regCovar;
        if (!(v / (scale(a) * scale(a)) > SINGULAR)) return true;
      }
    return false;
  }
  const m = new Float64Array(d * d);
  const l = new Float64Array(d * d);
  for (let c = 0; c < matrices; c++) {
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        m[a * d + b] =
          ((covariances[c * d * d + a * d + b] as number) - (a === b ? regCovar : 0)) / (scale(a) * scale(b));
    if (!choleskyLower(m, 0, d, l, 0)) return true;
    for (let a = 0; a < d; a++) if (!((l[a * d + a] as number) ** 2 > SINGULAR)) return true;
  }
  return false;
}

/** Each column's variance (the scale degenerate covariances are measured in). */
export function featureVariance(matrix: Matrix): Float64Array {
  const { data, rows, cols } = matrix;
  const out = new Float64Array(cols);
  for (let a = 0; a < cols; a++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += (data[i * cols + a] as number) / rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += ((data[i * cols + a] as number) - mean) ** 2;
    out[a] = v / rows;
  }
  return out;
}
