// EVE and VVE's covariance M-step (Browne & McNicholas 2014): a common orientation D for all
// components, per-component shapes A_k and volumes λ_k, found by mclust's MM iterations from
// the previous orientation and shapes, as mclust 6.0.0 runs them. Formulas: docs/models.md.

import { largestEigenvalue, procrustesRotation, symmetricEigen } from './linalg.ts';
import {
  geometricMean,
  INNER_MAX,
  INNER_TOL,
  rotatedCovariances,
  targetChange,
  total,
  type Scatter,
} from './mclust-inner.ts';
import { orientationKernels } from './orientation-unrolled.ts';

/** diag(Dᵀ·M_k·D) for the D x D block k of m (into out, when given). */
function rotatedDiagonal(
  m: Float64Array,
  c: number,
  d: number,
  orientation: Float64Array,
  out: Float64Array = new Float64Array(d),
): Float64Array {
  const block = c * d * d;
  for (let col = 0; col < d; col++) {
    let sum = 0;
    for (let i = 0, row = block; i < d; i++, row += d) {
      let inner = 0;
      for (let j = 0, dj = col; j < d; j++, dj += d) inner += (m[row + j] as number) * (orientation[dj] as number);
      sum += (orientation[i * d + col] as number) * inner;
    }
    out[col] = sum;
  }
  return out;
}

/** Σ_k = λ_k·D·A_k·Dᵀ with D orthogonal and |A_k| = 1: the orientation (columns of D) and shapes A_k. */
interface CommonOrientation {
  readonly orientation: Float64Array;
  readonly shapes: Float64Array[];
}

/**
 * The orientation and shapes the previous covariances hold (D: the eigenvectors of a generic
 * combination of the Σ_k, which all share them; A_k = diag(Dᵀ·Σ_k·D) normalised to determinant
 * 1), or mclust's start D = I, A_k = I when there are none.
 */
function startingOrientation(k: number, d: number, previous: Float64Array | null): CommonOrientation {
  const dd = d * d;
  if (previous === null) {
    const orientation = new Float64Array(dd);
    for (let i = 0; i < d; i++) orientation[i * d + i] = 1;
    return { orientation, shapes: Array.from({ length: k }, () => new Float64Array(d).fill(1)) };
  }
  const mix = new Float64Array(dd);
  for (let c = 0; c < k; c++) {
    let trace = 0;
    for (let i = 0; i < d; i++) trace += previous[c * dd + i * d + i] as number;
    const weight = (c + 1) / trace;
    for (let i = 0; i < dd; i++) mix[i] = (mix[i] as number) + weight * (previous[c * dd + i] as number);
  }
  const orientation = symmetricEigen(mix, 0, d).vectors;
  const shapes = Array.from({ length: k }, (_, c) => {
    const b = rotatedDiagonal(previous, c, d, orientation);
    const g = geometricMean(b);
    return b.map((x) => x / g);
  });
  return { orientation, shapes };
}

/**
 * EVE and VVE: a common orientation D, per-component shapes A_k, volumes by `volumes`. As
 * mclust's inner loop (Browne & McNicholas 2014, its MM 1 and MM 2 steps): with ω_k the largest
 * eigenvalue of W_k,
 *   MM 1: D ← the orthogonal polar factor of Σ_k A_k⁻¹·Dᵀ·(W_k − ω_k·I) (transposed),
 *   MM 2: D ← the orthogonal polar factor of Σ_k W_k·D·(A_k⁻¹ − max(A_k⁻¹)·I),
 * then A_k = diag(Dᵀ·W_k·D) normalised (VVE: divided by n_k first, its volume λ_k taken out);
 * until the target Σ_k tr(Dᵀ·W_k·D·A_k⁻¹) changes by less than INNER_TOL. The MM steps weigh
 * components by A_k alone, for VVE too (mclust's choice, kept for parity).
 */
export function commonOrientation(s: Scatter, previous: Float64Array | null, equalVolume: boolean): Float64Array {
  const { k, d, nk, w } = s;
  const dd = d * d;
  const start = startingOrientation(k, d, previous);
  let orientation = start.orientation;
  const shapes = start.shapes;
  const largest = Array.from({ length: k }, (_, c) => largestEigenvalue(w, c * dd, d));
  const volumes = new Float64Array(k);
  let target = Number.NaN;
  let previousTarget = Number.MAX_VALUE / 2;
  // Each MM step's right singular vectors, the start of its next SVD (F moves little between them).
  const right1 = new Float64Array(dd);
  const right2 = new Float64Array(dd);
  for (let i = 0; i < d; i++) right1[i * d + i] = right2[i * d + i] = 1;
  // The iterations' work arrays, allocated once.
  const f1 = new Float64Array(dd);
  const f2t = new Float64Array(dd); // MM 2's Fᵀ
  const inverseGap = new Float64Array(d);
  const b = new Float64Array(d);
  const kernels = orientationKernels(d);
  for (let iter = 0; iter < INNER_MAX; iter++) {
    // MM 1: F = Σ_k A_k⁻¹·Dᵀ·(W_k − ω_k·I); D ← R·Pᵀ for F = P·S·Rᵀ maximises tr(F·D) up to sign.
    f1.fill(0);
    for (let c = 0; c < k; c++) {
      const a = shapes[c] as Float64Array;
      const omega = largest[c] as number;
      const block = c * dd;
      if (kernels !== null) {
        kernels.mm1(w, block, orientation, omega, a, f1);
        continue;
      }
      for (let m = 0; m < d; m++) {
        const am = a[m] as number;
        for (let j = 0; j < d; j++) {
          let sum = -omega * (orientation[j * d + m] as number);
          for (let i = 0, im = m, ij = block + j; i < d; i++, im += d, ij += d)
            sum += (orientation[im] as number) * (w[ij] as number);
          f1[m * d + j] = (f1[m * d + j] as number) + sum / am;
        }
      }
    }
    orientation = procrustesRotation(f1, d, orientation, right1, orientation);
    // MM 2: F = Σ_k W_k·D·(A_k⁻¹ − max A_k⁻¹·I); D ← the Q maximising tr(Fᵀ·Q), i.e. R·Pᵀ of Fᵀ.
    f2t.fill(0);
    for (let c = 0; c < k; c++) {
      const a = shapes[c] as Float64Array;
      let largestInverse = 0;
      for (let m = 0; m < d; m++) largestInverse = Math.max(largestInverse, 1 / (a[m] as number));
      for (let m = 0; m < d; m++) inverseGap[m] = 1 / (a[m] as number) - largestInverse;
      if (kernels !== null) {
        kernels.mm2(w, c * dd, orientation, inverseGap, f2t);
        continue;
      }
      for (let i = 0, row = c * dd; i < d; i++, row += d) {
        for (let m = 0; m < d; m++) {
          let wd = 0; // (W_k·D)[i][m]
          for (let j = 0, jm = m; j < d; j++, jm += d) wd += (w[row + j] as number) * (orientation[jm] as number);
          f2t[m * d + i] = (f2t[m * d + i] as number) + wd * (inverseGap[m] as number);
        }
      }
    }
    orientation = procrustesRotation(f2t, d, orientation, right2, orientation);
    target = 0;
    for (let c = 0; c < k; c++) {
      if (kernels !== null) kernels.rotatedDiagonal(w, c * dd, orientation, b);
      else rotatedDiagonal(w, c, d, orientation, b);
      if (!equalVolume) for (let m = 0; m < d; m++) b[m] = (b[m] as number) / (nk[c] as number);
      const g = geometricMean(b);
      volumes[c] = g;
      const a = shapes[c] as Float64Array;
      for (let m = 0; m < d; m++) a[m] = (b[m] as number) / g;
      // tr(Dᵀ·W_k·D·A_k⁻¹) with the new A_k (VVE: its b was divided by n_k, the target is not).
      for (let m = 0; m < d; m++)
        target += (equalVolume ? (b[m] as number) : (b[m] as number) * (nk[c] as number)) / (a[m] as number);
    }
    const change = targetChange(target, previousTarget);
    previousTarget = target;
    if (!(change > INNER_TOL)) break;
  }
  // EVE: λ = target / (n·d); VVE: λ_k = |diag(Dᵀ·W_k·D) / n_k|^{1/d}. (The closures read
  // constants: one that captured the loop's `target` made V8 box every update of it.)
  const commonVolume = equalVolume ? target / (total(nk) * d) : Number.NaN;
  const volume = (c: number): number => (equalVolume ? commonVolume : (volumes[c] as number));
  const finalOrientation = orientation;
  return rotatedCovariances(
    k,
    d,
    () => finalOrientation,
    (c, m) => volume(c) * ((shapes[c] as Float64Array)[m] as number),
  );
}
