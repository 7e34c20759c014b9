// What mclust's covariance M-steps share (src/model/mclust-m-step.ts, and mclust-orientation.ts
// for EVE and VVE): the scatter they start from, mclust's inner tolerance and stopping rules,
// and the small helpers that build K full covariances from volumes, shapes and orientations.

import { choleskyLower } from './linalg.ts';

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
export const INNER_MAX = 10000;

export const total = (v: Float64Array): number => v.reduce((s, x) => s + x, 0);

export function scatterDiag(s: Scatter, c: number, i: number): number {
  return s.diagonal ? (s.w[c * s.d + i] as number) : (s.w[c * s.d * s.d + i * s.d + i] as number);
}

export function trace(s: Scatter, c: number): number {
  let t = 0;
  for (let i = 0; i < s.d; i++) t += scatterDiag(s, c, i);
  return t;
}

/** Geometric mean of positive numbers (|A|^{1/d} of a diagonal A), through logs. */
export function geometricMean(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += Math.log(v[i] as number);
  return Math.exp(sum / v.length);
}

/** |M|^{1/d} of a symmetric positive-definite D x D block, or NaN when it is not. */
export function detRoot(m: Float64Array, offset: number, d: number): number {
  const l = new Float64Array(d * d);
  if (!choleskyLower(m, offset, d, l, 0)) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < d; i++) sum += 2 * Math.log(l[i * d + i] as number);
  return Math.exp(sum / d);
}

/** Largest relative change between two parameter vectors. */
export function relativeChange(next: ArrayLike<number>, prev: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < next.length; i++) {
    const a = next[i] as number;
    const change = Math.abs(a - (prev[i] as number)) / Math.abs(a);
    if (!(change <= worst)) worst = change; // NaN propagates as "not converged"
  }
  return worst;
}

/** Σ_k = diag(value(k, 0), …, value(k, D − 1)). */
export function diagonalCovariances(k: number, d: number, value: (c: number, i: number) => number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) for (let i = 0; i < d; i++) out[c * d * d + i * d + i] = value(c, i);
  return out;
}

/** Σ_k = scale_k·V_k·diag(shape_k)·V_kᵀ with V_k the orientation of component c (row-major columns). */
export function rotatedCovariances(
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

/**
 * The change mclust's inner loops stop on: |t − t_prev| / (1 + |t|) of their target t (the
 * first iteration compares with a huge number, so it never stops there).
 */
export function targetChange(target: number, previous: number): number {
  return Math.abs(target - previous) / (1 + Math.abs(target));
}
