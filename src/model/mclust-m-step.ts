// The covariance M-steps of mclust's 14 models (Celeux & Govaert 1995; Browne & McNicholas 2014
// for the common orientation of EVE and VVE), from per-component centred scatter matrices
// W_k = Σ w·r_k·(x − μ_k)(x − μ_k)ᵀ, written out as K full D x D covariances
// Σ_k = λ_k·D_k·A_k·D_kᵀ. Closed forms where they exist; elsewhere mclust's alternating
// iterations, stopped at a relative change below sqrt(machine epsilon) (mclust's inner `tol`):
// VEE from λ_k = 1 and EVE/VVE from the previous orientation and shapes, as mclust 6.0.0 runs
// them (so that parameters agree with its to rounding); VEI/VEV from the previous volumes.
// Formulas and the reasons: docs/models.md.

import type { MclustModelName } from './names.ts';
import { choleskyLower, procrustesRotation, symmetricEigen } from './linalg.ts';

/** Per-component scatter W_k (full K x D x D, or only its diagonal, K x D) and weights n_k. */
export interface Scatter {
  readonly k: number;
  readonly d: number;
  readonly nk: Float64Array;
  readonly w: Float64Array;
  readonly diagonal: boolean;
}

/** A model's covariance M-step: K full D x D covariances from the scatter (and the previous ones, K x D x D, or null). */
export type ScatterMStep = (s: Scatter, previous: Float64Array | null) => Float64Array;

/** mclust's inner tolerance: sqrt(.Machine$double.eps). */
export const INNER_TOL = Math.sqrt(2.220446049250313e-16);
/** A bound on inner iterations (mclust's is infinite); reached only by data that do not converge. */
const INNER_MAX = 10000;

const total = (v: Float64Array): number => v.reduce((s, x) => s + x, 0);

function scatterDiag(s: Scatter, c: number, i: number): number {
  return s.diagonal ? (s.w[c * s.d + i] as number) : (s.w[c * s.d * s.d + i * s.d + i] as number);
}

function trace(s: Scatter, c: number): number {
  let t = 0;
  for (let i = 0; i < s.d; i++) t += scatterDiag(s, c, i);
  return t;
}

/** Geometric mean of positive numbers (|A|^{1/d} of a diagonal A), through logs. */
function geometricMean(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += Math.log(v[i] as number);
  return Math.exp(sum / v.length);
}

/** |M|^{1/d} of a symmetric positive-definite D x D block, or NaN when it is not. */
function detRoot(m: Float64Array, offset: number, d: number): number {
  const l = new Float64Array(d * d);
  if (!choleskyLower(m, offset, d, l, 0)) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < d; i++) sum += 2 * Math.log(l[i * d + i] as number);
  return Math.exp(sum / d);
}

/** Largest relative change between two parameter vectors. */
function relativeChange(next: ArrayLike<number>, prev: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < next.length; i++) {
    const a = next[i] as number;
    const change = Math.abs(a - (prev[i] as number)) / Math.abs(a);
    if (!(change <= worst)) worst = change; // NaN propagates as "not converged"
  }
  return worst;
}

/** Σ_k = diag(value(k, 0), …, value(k, D − 1)). */
function diagonalCovariances(k: number, d: number, value: (c: number, i: number) => number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) for (let i = 0; i < d; i++) out[c * d * d + i * d + i] = value(c, i);
  return out;
}

/** Σ_k = scale_k·V_k·diag(shape_k)·V_kᵀ with V_k the orientation of component c (row-major columns). */
function rotatedCovariances(
  k: number,
  d: number,
  orientation: (c: number) => Float64Array,
  variance: (c: number, i: number) => number,
): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const v = orientation(c);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = 0;
        for (let m = 0; m < d; m++) sum += (v[i * d + m] as number) * variance(c, m) * (v[j * d + m] as number);
        out[c * d * d + i * d + j] = sum;
        out[c * d * d + j * d + i] = sum;
      }
    }
  }
  return out;
}

/** Σ_k = factor_k·W_k (full scatter). */
function scaledScatter(s: Scatter, factor: (c: number) => number): Float64Array {
  const out = new Float64Array(s.k * s.d * s.d);
  for (let c = 0; c < s.k; c++) {
    const f = factor(c);
    for (let i = 0; i < s.d * s.d; i++) out[c * s.d * s.d + i] = f * (s.w[c * s.d * s.d + i] as number);
  }
  return out;
}

/** Starting volumes λ_k: the previous |Σ_k|^{1/d}, or VII's tr(W_k) / (n_k·d). */
function startingVolumes(s: Scatter, previous: Float64Array | null): Float64Array {
  const out = new Float64Array(s.k);
  for (let c = 0; c < s.k; c++) {
    const fromPrevious = previous === null ? Number.NaN : detRoot(previous, c * s.d * s.d, s.d);
    out[c] = fromPrevious > 0 ? fromPrevious : trace(s, c) / ((s.nk[c] as number) * s.d);
  }
  return out;
}

/**
 * Variable volumes, one shape: alternate shape = normalise(Σ_k B_k / λ_k) and
 * λ_k = tr(B_k·shape⁻¹) / (n_k·d), where B_k is diagonal (VEI: diag W_k; VEV: the eigenvalues of W_k).
 */
function variableVolumeEqualShape(
  s: Scatter,
  b: (c: number, i: number) => number,
  previous: Float64Array | null,
): { volumes: Float64Array; shape: Float64Array } {
  const { k, d, nk } = s;
  let volumes = startingVolumes(s, previous);
  let shape = new Float64Array(d);
  for (let iter = 0; iter < INNER_MAX; iter++) {
    const nextShape = new Float64Array(d);
    for (let i = 0; i < d; i++)
      for (let c = 0; c < k; c++) nextShape[i] = (nextShape[i] as number) + b(c, i) / (volumes[c] as number);
    const g = geometricMean(nextShape);
    for (let i = 0; i < d; i++) nextShape[i] = (nextShape[i] as number) / g;
    const nextVolumes = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let t = 0;
      for (let i = 0; i < d; i++) t += b(c, i) / (nextShape[i] as number);
      nextVolumes[c] = t / ((nk[c] as number) * d);
    }
    const change = Math.max(relativeChange(nextVolumes, volumes), relativeChange(nextShape, shape));
    volumes = nextVolumes;
    shape = nextShape;
    if (change < INNER_TOL || !Number.isFinite(change)) break;
  }
  return { volumes, shape };
}

function mStepVEI(s: Scatter, previous: Float64Array | null): Float64Array {
  const { volumes, shape } = variableVolumeEqualShape(s, (c, i) => scatterDiag(s, c, i), previous);
  return diagonalCovariances(s.k, s.d, (c, i) => (volumes[c] as number) * (shape[i] as number));
}

function mStepVEV(s: Scatter, previous: Float64Array | null): Float64Array {
  const eigen = Array.from({ length: s.k }, (_, c) => symmetricEigen(s.w, c * s.d * s.d, s.d));
  const values = (c: number): Float64Array => (eigen[c] as { values: Float64Array }).values;
  const { volumes, shape } = variableVolumeEqualShape(s, (c, i) => values(c)[i] as number, previous);
  return rotatedCovariances(
    s.k,
    s.d,
    (c) => (eigen[c] as { vectors: Float64Array }).vectors,
    (c, i) => (volumes[c] as number) * (shape[i] as number),
  );
}

/**
 * The change mclust's inner loops stop on: |t − t_prev| / (1 + |t|) of their target t (the
 * first iteration compares with a huge number, so it never stops there).
 */
function targetChange(target: number, previous: number): number {
  return Math.abs(target - previous) / (1 + Math.abs(target));
}

/**
 * VEE: Σ_k = λ_k·C. As mclust: λ_k = 1 at the start of every M-step, then alternate
 * C = normalise(Σ_k W_k / λ_k) and λ_k = tr(W_k·C⁻¹) / (n_k·d) until the target
 * d·Σ n_k + d·Σ n_k·log λ_k changes by less than INNER_TOL.
 */
function mStepVEE(s: Scatter): Float64Array {
  const { k, d, nk, w } = s;
  const dd = d * d;
  const n = total(nk);
  const volumes = new Float64Array(k).fill(1);
  let shape = new Float64Array(dd);
  let previousTarget = Number.MAX_VALUE / 2;
  for (let iter = 0; iter < INNER_MAX; iter++) {
    shape = new Float64Array(dd);
    for (let c = 0; c < k; c++)
      for (let i = 0; i < dd; i++) shape[i] = (shape[i] as number) + (w[c * dd + i] as number) / (volumes[c] as number);
    const root = detRoot(shape, 0, d);
    for (let i = 0; i < dd; i++) shape[i] = (shape[i] as number) / root;
    const l = new Float64Array(dd);
    if (!choleskyLower(shape, 0, d, l, 0)) {
      volumes.fill(Number.NaN);
      break;
    }
    let target = n * d;
    for (let c = 0; c < k; c++) {
      volumes[c] = traceSolve(l, w, c * dd, d) / ((nk[c] as number) * d);
      target += d * (nk[c] as number) * Math.log(volumes[c] as number);
    }
    const change = targetChange(target, previousTarget);
    previousTarget = target;
    if (!(change > INNER_TOL)) break;
  }
  const out = new Float64Array(k * dd);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < dd; i++) out[c * dd + i] = (volumes[c] as number) * (shape[i] as number);
  return out;
}

/** tr(C⁻¹·W) for C = L·Lᵀ and the D x D block W at w[offset..], by solving C·x = w_j for each column j. */
function traceSolve(l: Float64Array, w: Float64Array, offset: number, d: number): number {
  let t = 0;
  const y = new Float64Array(d);
  for (let col = 0; col < d; col++) {
    // Solve L·y = w_col, then Lᵀ·x = y; add x[col].
    for (let i = 0; i < d; i++) {
      let sum = w[offset + i * d + col] as number;
      for (let m = 0; m < i; m++) sum -= (l[i * d + m] as number) * (y[m] as number);
      y[i] = sum / (l[i * d + i] as number);
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = y[i] as number;
      for (let m = i + 1; m < d; m++) sum -= (l[m * d + i] as number) * (y[m] as number);
      y[i] = sum / (l[i * d + i] as number);
    }
    t += y[col] as number;
  }
  return t;
}

/** diag(Dᵀ·M_k·D) for the D x D block k of m. */
function rotatedDiagonal(m: Float64Array, c: number, d: number, orientation: Float64Array): Float64Array {
  const out = new Float64Array(d);
  for (let col = 0; col < d; col++) {
    let sum = 0;
    for (let i = 0; i < d; i++) {
      let inner = 0;
      for (let j = 0; j < d; j++) inner += (m[c * d * d + i * d + j] as number) * (orientation[j * d + col] as number);
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
function commonOrientation(s: Scatter, previous: Float64Array | null, equalVolume: boolean): Float64Array {
  const { k, d, nk, w } = s;
  const dd = d * d;
  const start = startingOrientation(k, d, previous);
  let orientation = start.orientation;
  const shapes = start.shapes;
  const largest = Array.from({ length: k }, (_, c) => symmetricEigen(w, c * dd, d).values[0] as number);
  const volumes = new Float64Array(k);
  let target = Number.NaN;
  let previousTarget = Number.MAX_VALUE / 2;
  for (let iter = 0; iter < INNER_MAX; iter++) {
    // MM 1: F = Σ_k A_k⁻¹·Dᵀ·(W_k − ω_k·I); D ← R·Pᵀ for F = P·S·Rᵀ maximises tr(F·D) up to sign.
    const f1 = new Float64Array(dd);
    for (let c = 0; c < k; c++) {
      const a = shapes[c] as Float64Array;
      const omega = largest[c] as number;
      for (let m = 0; m < d; m++) {
        for (let j = 0; j < d; j++) {
          let sum = -omega * (orientation[j * d + m] as number);
          for (let i = 0; i < d; i++) sum += (orientation[i * d + m] as number) * (w[c * dd + i * d + j] as number);
          f1[m * d + j] = (f1[m * d + j] as number) + sum / (a[m] as number);
        }
      }
    }
    orientation = procrustesRotation(f1, d, orientation);
    // MM 2: F = Σ_k W_k·D·(A_k⁻¹ − max A_k⁻¹·I); D ← the Q maximising tr(Fᵀ·Q), i.e. R·Pᵀ of Fᵀ.
    const f2t = new Float64Array(dd); // Fᵀ
    for (let c = 0; c < k; c++) {
      const a = shapes[c] as Float64Array;
      let largestInverse = 0;
      for (let m = 0; m < d; m++) largestInverse = Math.max(largestInverse, 1 / (a[m] as number));
      for (let i = 0; i < d; i++) {
        for (let m = 0; m < d; m++) {
          let wd = 0; // (W_k·D)[i][m]
          for (let j = 0; j < d; j++) wd += (w[c * dd + i * d + j] as number) * (orientation[j * d + m] as number);
          f2t[m * d + i] = (f2t[m * d + i] as number) + wd * (1 / (a[m] as number) - largestInverse);
        }
      }
    }
    orientation = procrustesRotation(f2t, d, orientation);
    target = 0;
    for (let c = 0; c < k; c++) {
      const b = rotatedDiagonal(w, c, d, orientation);
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
  // EVE: λ = target / (n·d); VVE: λ_k = |diag(Dᵀ·W_k·D) / n_k|^{1/d}.
  const volume = (c: number): number => (equalVolume ? target / (total(nk) * d) : (volumes[c] as number));
  const finalOrientation = orientation;
  return rotatedCovariances(
    k,
    d,
    () => finalOrientation,
    (c, m) => volume(c) * ((shapes[c] as Float64Array)[m] as number),
  );
}

/** EVI-type variances from diagonals B_k: A_k = B_k / |B_k|^{1/d}, λ = Σ_k |B_k|^{1/d} / n, Σ_k = λ·A_k. */
function equalVolumeVariances(s: Scatter, b: Float64Array[]): Float64Array[] {
  const roots = b.map((bk) => geometricMean(bk));
  const volume = roots.reduce((sum, r) => sum + r, 0) / total(s.nk);
  return b.map((bk, c) => bk.map((x) => (volume * x) / (roots[c] as number)));
}

export const SCATTER_M_STEPS: Record<MclustModelName, ScatterMStep> = {
  EII: (s) => {
    let t = 0;
    for (let c = 0; c < s.k; c++) t += trace(s, c);
    const volume = t / (total(s.nk) * s.d);
    return diagonalCovariances(s.k, s.d, () => volume);
  },
  VII: (s) => diagonalCovariances(s.k, s.d, (c) => trace(s, c) / ((s.nk[c] as number) * s.d)),
  EEI: (s) => {
    const n = total(s.nk);
    const shared = new Float64Array(s.d);
    for (let c = 0; c < s.k; c++)
      for (let i = 0; i < s.d; i++) shared[i] = (shared[i] as number) + scatterDiag(s, c, i);
    return diagonalCovariances(s.k, s.d, (_c, i) => (shared[i] as number) / n);
  },
  VEI: mStepVEI,
  EVI: (s) => {
    const b = Array.from({ length: s.k }, (_, c) => Float64Array.from({ length: s.d }, (_, i) => scatterDiag(s, c, i)));
    const variances = equalVolumeVariances(s, b);
    return diagonalCovariances(s.k, s.d, (c, i) => (variances[c] as Float64Array)[i] as number);
  },
  VVI: (s) => diagonalCovariances(s.k, s.d, (c, i) => scatterDiag(s, c, i) / (s.nk[c] as number)),
  EEE: (s) => {
    const dd = s.d * s.d;
    const n = total(s.nk);
    const shared = new Float64Array(dd);
    for (let c = 0; c < s.k; c++)
      for (let i = 0; i < dd; i++) shared[i] = (shared[i] as number) + (s.w[c * dd + i] as number) / n;
    return new Float64Array(s.k * dd).map((_, i) => shared[i % dd] as number);
  },
  VEE: (s) => mStepVEE(s),
  EVE: (s, previous) => commonOrientation(s, previous, true),
  VVE: (s, previous) => commonOrientation(s, previous, false),
  EEV: (s) => {
    const eigen = Array.from({ length: s.k }, (_, c) => symmetricEigen(s.w, c * s.d * s.d, s.d));
    // A·λ = Σ_k Ω_k / n: the shared eigenvalues pair the i-th largest of every component.
    const n = total(s.nk);
    const shared = new Float64Array(s.d);
    for (const e of eigen)
      for (let i = 0; i < s.d; i++) shared[i] = (shared[i] as number) + (e.values[i] as number) / n;
    return rotatedCovariances(
      s.k,
      s.d,
      (c) => (eigen[c] as { vectors: Float64Array }).vectors,
      (_c, i) => shared[i] as number,
    );
  },
  VEV: mStepVEV,
  EVV: (s) => {
    const roots = Array.from({ length: s.k }, (_, c) => detRoot(s.w, c * s.d * s.d, s.d));
    const volume = roots.reduce((sum, r) => sum + r, 0) / total(s.nk);
    return scaledScatter(s, (c) => volume / (roots[c] as number));
  },
  VVV: (s) => scaledScatter(s, (c) => 1 / (s.nk[c] as number)),
};
