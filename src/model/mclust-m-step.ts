// The covariance M-steps of mclust's 14 models (Celeux & Govaert 1995; Browne & McNicholas 2014
// for the common orientation of EVE and VVE), from per-component centred scatter matrices
// W_k = Σ w·r_k·(x − μ_k)(x − μ_k)ᵀ, written out as K full D x D covariances
// Σ_k = λ_k·D_k·A_k·D_kᵀ. Closed forms where they exist; elsewhere mclust's alternating
// iterations, stopped at a relative change below sqrt(machine epsilon) (mclust's inner `tol`):
// VEE from λ_k = 1 and EVE/VVE from the previous orientation and shapes, as mclust 6.0.0 runs
// them (so that parameters agree with its to rounding); VEI/VEV from the previous volumes.
// Formulas and the reasons: docs/models.md. EVE and VVE's common orientation is in
// mclust-orientation.ts; what the models share (the scatter, the inner stopping rules) in mclust-inner.ts.

import type { MclustModelName } from './names.ts';
import { choleskyLower, symmetricEigen } from './linalg.ts';
import {
  detRoot,
  diagonalCovariances,
  geometricMean,
  INNER_MAX,
  INNER_TOL,
  relativeChange,
  rotatedCovariances,
  scatterDiag,
  targetChange,
  total,
  trace,
  type Scatter,
  type ScatterMStep,
} from './mclust-inner.ts';
import { commonOrientation } from './mclust-orientation.ts';

export type { Scatter, ScatterMStep } from './mclust-inner.ts';

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
