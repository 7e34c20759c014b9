// Seeded test inputs shared by the Node GPU tests and the browser page (no vitest imports).

import type { MixtureParams } from '../../src/backend.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import type { CovarianceType } from '../../src/options.ts';
import { Random } from '../../src/random.ts';

/**
 * The storage forms the kernels read, and VEI: an mclust model, stored as K full factors but
 * fitted from diagonal second moments (the one combination sklearn's four do not have).
 */
export const COV_TYPES: CovarianceType[] = ['full', 'tied', 'diag', 'spherical', 'VEI'];

/** Blobs around K centres spread `spread` apart, seeded. */
export function blobs(
  seed: number,
  n: number,
  d: number,
  k: number,
  spread = 6,
): { data: Float64Array; centres: Float64Array } {
  const random = new Random(seed);
  const centres = new Float64Array(k * d);
  for (let i = 0; i < k * d; i++) centres[i] = (random.nextFloat() - 0.5) * spread * 2;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = random.nextInt(k);
    for (let a = 0; a < d; a++)
      data[i * d + a] = (centres[c * d + a] as number) + random.nextGaussian() * (0.5 + 0.1 * a) + 1.5;
  }
  return { data, centres };
}

export function weightsFor(seed: number, n: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: n }, () => 0.1 + 2 * random.nextFloat());
}

/** Plausible parameters: random means, SPD covariances with correlations, uneven weights. */
export function makeParams(
  seed: number,
  cov: CovarianceType,
  k: number,
  d: number,
  means?: Float64Array,
): MixtureParams {
  const random = new Random(seed);
  const w = Float64Array.from({ length: k }, () => 0.2 + random.nextFloat());
  const sw = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k; i++) w[i] = (w[i] as number) / sw;
  const m = means
    ? Float64Array.from(means)
    : Float64Array.from({ length: k * d }, () => (random.nextFloat() - 0.5) * 8 + 1.5);
  const form = COVARIANCE_MODELS[cov].form;
  const count = form === 'full' ? k : form === 'tied' ? 1 : 0;
  let covariances: Float64Array;
  if (count > 0) {
    covariances = new Float64Array(count * d * d);
    for (let c = 0; c < count; c++) {
      // A = B Bᵀ + d·I·s
      const b = Float64Array.from({ length: d * d }, () => random.nextFloat() - 0.5);
      const s = 0.5 + random.nextFloat();
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let v = 0;
          for (let q = 0; q < d; q++) v += (b[i * d + q] as number) * (b[j * d + q] as number);
          covariances[c * d * d + i * d + j] = v * 0.5 + (i === j ? s : 0);
        }
    }
  } else if (form === 'diag') {
    covariances = Float64Array.from({ length: k * d }, () => 0.3 + random.nextFloat() * 2);
  } else {
    covariances = Float64Array.from({ length: k }, () => 0.3 + random.nextFloat() * 2);
  }
  const precisionsCholesky = COVARIANCE_MODELS[cov].precisionCholesky(covariances, k, d);
  return { covarianceType: cov, nComponents: k, nFeatures: d, weights: w, means: m, precisionsCholesky };
}
