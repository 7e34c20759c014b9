// Data that is hard on float32 on purpose, for bench/fidelity.ts and the WebGPU tests at large
// D: K components whose covariances have condition numbers of 1e4 to 1e5 (half their
// eigenvalues ~1e-3, half ~D/2: correlated features), 100 away from the origin, and the start
// both engines take (weights, means and covariances estimated on the true labels).

import type { CovarianceType, GaussianMixtureOptions, Matrix } from '../src/index.ts';
import { Random } from '../src/random.ts';

export interface Problem {
  readonly X: Matrix;
  readonly labels: Int32Array;
}

export function hardProblem(d: number, n: number, k: number, seed: number): Problem {
  const random = new Random(seed);
  const rank = Math.max(1, Math.floor(d / 2));
  const factors = Array.from({ length: k }, () => Float64Array.from({ length: d * rank }, () => random.nextGaussian()));
  const means = Array.from({ length: k }, () =>
    Float64Array.from({ length: d }, () => 100 + (random.nextFloat() - 0.5) * 12),
  );
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const z = new Float64Array(rank);
  for (let i = 0; i < n; i++) {
    const c = random.nextInt(k);
    labels[i] = c;
    const b = factors[c] as Float64Array;
    for (let r = 0; r < rank; r++) z[r] = random.nextGaussian();
    for (let a = 0; a < d; a++) {
      let v = (means[c] as Float64Array)[a] as number;
      for (let r = 0; r < rank; r++) v += (b[a * rank + r] as number) * (z[r] as number);
      data[i * d + a] = v + 0.03 * random.nextGaussian();
    }
  }
  return { X: { data, rows: n, cols: d }, labels };
}

/** The start both engines take: weights, means and covariances estimated on the true labels. */
export function startFrom(
  p: Problem,
  type: CovarianceType,
  K: number,
): Pick<GaussianMixtureOptions, 'weightsInit' | 'meansInit' | 'precisionsInit'> {
  const { data, rows: n, cols: d } = p.X;
  const counts = new Float64Array(K);
  const means = new Float64Array(K * d);
  for (let i = 0; i < n; i++) {
    const c = p.labels[i] as number;
    counts[c] = (counts[c] as number) + 1;
    for (let a = 0; a < d; a++) means[c * d + a] = (means[c * d + a] as number) + (data[i * d + a] as number);
  }
  for (let c = 0; c < K; c++)
    for (let a = 0; a < d; a++) means[c * d + a] = (means[c * d + a] as number) / (counts[c] as number);
  const cov = new Float64Array(K * d * d);
  for (let i = 0; i < n; i++) {
    const c = p.labels[i] as number;
    for (let a = 0; a < d; a++) {
      const va = (data[i * d + a] as number) - (means[c * d + a] as number);
      for (let b = 0; b <= a; b++)
        cov[c * d * d + a * d + b] =
          (cov[c * d * d + a * d + b] as number) + va * ((data[i * d + b] as number) - (means[c * d + b] as number));
    }
  }
  for (let c = 0; c < K; c++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b <= a; b++) {
        const v = (cov[c * d * d + a * d + b] as number) / (counts[c] as number) + (a === b ? 1e-6 : 0);
        cov[c * d * d + a * d + b] = v;
        cov[c * d * d + b * d + a] = v;
      }
  const weights = Array.from(counts, (v) => v / n);
  // Precisions by Gauss-Jordan on each covariance (full), or 1 / variances (diag).
  let precisions: Float64Array;
  if (type === 'full') {
    precisions = new Float64Array(K * d * d);
    for (let c = 0; c < K; c++) precisions.set(invert(cov.subarray(c * d * d, (c + 1) * d * d), d), c * d * d);
  } else {
    precisions = new Float64Array(K * d);
    for (let c = 0; c < K; c++)
      for (let a = 0; a < d; a++) precisions[c * d + a] = 1 / (cov[c * d * d + a * d + a] as number);
  }
  return { weightsInit: weights, meansInit: means, precisionsInit: precisions };
}

function invert(m: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  for (let col = 0; col < d; col++) {
    let pivot = col;
    for (let r = col + 1; r < d; r++)
      if (Math.abs(a[r * d + col] as number) > Math.abs(a[pivot * d + col] as number)) pivot = r;
    for (let j = 0; j < d; j++) {
      [a[col * d + j], a[pivot * d + j]] = [a[pivot * d + j] as number, a[col * d + j] as number];
      [inv[col * d + j], inv[pivot * d + j]] = [inv[pivot * d + j] as number, inv[col * d + j] as number];
    }
    const p = a[col * d + col] as number;
    for (let j = 0; j < d; j++) {
      a[col * d + j] = (a[col * d + j] as number) / p;
      inv[col * d + j] = (inv[col * d + j] as number) / p;
    }
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r * d + col] as number;
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        a[r * d + j] = (a[r * d + j] as number) - f * (a[col * d + j] as number);
        inv[r * d + j] = (inv[r * d + j] as number) - f * (inv[col * d + j] as number);
      }
    }
  }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * ((inv[i * d + j] as number) + (inv[j * d + i] as number));
      inv[i * d + j] = v;
      inv[j * d + i] = v;
    }
  return inv;
}
