// Drawing samples from a fitted mixture, block by block, so that a caller can stream any number
// of them in bounded memory (the CLI) or collect them (GaussianMixture.sample): both read the
// same random stream in the same order, so they give the same numbers.

import type { CovarianceType } from '../options.ts';
import type { Random } from '../random.ts';
import { formOf, IllDefinedCovarianceError } from './covariance.ts';
import { choleskyLower } from './linalg.ts';

export interface SampleParams {
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

/** `rows` samples: data is rows × D row-major, labels the component of each. */
export interface SampleBlock {
  readonly rows: number;
  readonly data: Float64Array;
  readonly labels: Int32Array;
}

/** Component draws between two pauses while counting (a pause lets a caller yield to the event loop). */
const DRAWS_PER_PAUSE = 1 << 20;

/**
 * n samples, grouped by component as sklearn returns them, in blocks of at most `blockRows`
 * rows. First the n component draws (sklearn's multinomial, as n categorical draws), during
 * which it yields null every ~1M draws; then the blocks. A block's arrays are reused: read them
 * before asking for the next one.
 */
export function* sampleBlocks(
  p: SampleParams,
  n: number,
  random: Random,
  blockRows: number,
): Generator<SampleBlock | null, void, undefined> {
  const { nComponents: k, nFeatures: d, weights, means, covariances } = p;
  const form = formOf(p.covarianceType);
  const counts = new Float64Array(k);
  const cumulative = new Float64Array(k);
  let acc = 0;
  for (let c = 0; c < k; c++) cumulative[c] = acc += weights[c] as number;
  for (let start = 0; start < n; start += DRAWS_PER_PAUSE) {
    const end = Math.min(n, start + DRAWS_PER_PAUSE);
    for (let s = start; s < end; s++) {
      const u = random.nextFloat() * acc;
      let c = 0;
      while (c < k - 1 && u >= (cumulative[c] as number)) c++;
      counts[c] = (counts[c] as number) + 1;
    }
    if (end < n) yield null;
  }
  const size = Math.max(1, Math.min(blockRows, n));
  const data = new Float64Array(size * d);
  const labels = new Int32Array(size);
  const z = new Float64Array(d);
  const factor = new Float64Array(d * d);
  let rows = 0;
  // x = μ + L·z with Σ = L·Lᵀ (the covariance's own Cholesky factor).
  for (let c = 0; c < k; c++) {
    const full = form === 'full' || form === 'tied';
    if (full && !choleskyLower(covariances, form === 'full' ? c * d * d : 0, d, factor, 0)) {
      throw new IllDefinedCovarianceError(form === 'full' ? c : null);
    }
    for (let s = 0; s < (counts[c] as number); s++) {
      labels[rows] = c;
      for (let a = 0; a < d; a++) z[a] = random.nextGaussian();
      for (let a = 0; a < d; a++) {
        let value = means[c * d + a] as number;
        if (full) {
          for (let b = 0; b <= a; b++) value += (factor[a * d + b] as number) * (z[b] as number);
        } else if (form === 'diag') {
          value += Math.sqrt(covariances[c * d + a] as number) * (z[a] as number);
        } else {
          value += Math.sqrt(covariances[c] as number) * (z[a] as number);
        }
        data[rows * d + a] = value;
      }
      if (++rows === size) {
        yield { rows, data, labels };
        rows = 0;
      }
    }
  }
  if (rows > 0) yield { rows, data, labels };
}
