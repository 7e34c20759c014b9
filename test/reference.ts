// A slow, plainly correct float64 reference for Gaussian mixtures, written independently of
// the engine: densities from the covariance itself (Gauss-Jordan inverse and determinant), the
// full N x K responsibility matrix, and two-pass means and covariances. Tests compare the
// engine against it.

import type { CovarianceType } from '../src/options.ts';
import { Random } from '../src/random.ts';

export interface RefParams {
  covarianceType: CovarianceType;
  k: number;
  d: number;
  weights: number[];
  means: number[][];
  /** Always full D x D per component here (expanded from any type). */
  covariances: number[][][];
}

/** Inverse and log-determinant of a small SPD matrix by Gauss-Jordan elimination with pivoting. */
export function inverseAndLogDet(a: number[][]): { inverse: number[][]; logDet: number } {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    logDet += Math.log(Math.abs(p));
    for (let j = 0; j < 2 * n; j++) m[col]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[col]![j]!;
    }
  }
  return { inverse: m.map((row) => row.slice(n)), logDet };
}

export function expandCovariances(type: CovarianceType, flat: ArrayLike<number>, k: number, d: number): number[][][] {
  const out: number[][][] = [];
  for (let c = 0; c < k; c++) {
    const m: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (type === 'full') m[i]![j] = flat[c * d * d + i * d + j]!;
        else if (type === 'tied') m[i]![j] = flat[i * d + j]!;
        else if (i === j) m[i]![j] = type === 'diag' ? flat[c * d + i]! : flat[c]!;
      }
    }
    out.push(m);
  }
  return out;
}

/** log w_k + log N(x | μ_k, Σ_k), N x K. */
export function refWeightedLogProb(X: number[][], p: RefParams): number[][] {
  const pre = p.covariances.map((cov) => inverseAndLogDet(cov));
  return X.map((x) =>
    p.means.map((mu, c) => {
      const { inverse, logDet } = pre[c]!;
      let quad = 0;
      for (let i = 0; i < p.d; i++)
        for (let j = 0; j < p.d; j++) quad += (x[i]! - mu[i]!) * inverse[i]![j]! * (x[j]! - mu[j]!);
      return Math.log(p.weights[c]!) - 0.5 * (p.d * Math.log(2 * Math.PI) + logDet + quad);
    }),
  );
}

export function refEStep(X: number[][], p: RefParams): { resp: number[][]; logLik: number[] } {
  const wlp = refWeightedLogProb(X, p);
  const logLik = wlp.map((row) => {
    const max = Math.max(...row);
    return max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  });
  const resp = wlp.map((row, i) => row.map((v) => Math.exp(v - logLik[i]!)));
  return { resp, logLik };
}

const EPS10 = 10 * 2.220446049250313e-16;

/** sklearn's _estimate_gaussian_parameters + _m_step, two-pass, with sample weights. */
export function refMStep(X: number[][], resp: number[][], type: CovarianceType, reg: number, sampleWeight?: number[]) {
  const n = X.length;
  const d = X[0]!.length;
  const k = resp[0]!.length;
  const w = sampleWeight ?? new Array<number>(n).fill(1);
  const nk = Array.from({ length: k }, (_, c) => X.reduce((s, _x, i) => s + w[i]! * resp[i]![c]!, 0) + EPS10);
  const means = Array.from({ length: k }, (_, c) =>
    Array.from({ length: d }, (_, a) => X.reduce((s, x, i) => s + w[i]! * resp[i]![c]! * x[a]!, 0) / nk[c]!),
  );
  const scatter = Array.from({ length: k }, (_, c) =>
    Array.from({ length: d }, (_, a) =>
      Array.from({ length: d }, (_, b) =>
        X.reduce((s, x, i) => s + w[i]! * resp[i]![c]! * (x[a]! - means[c]![a]!) * (x[b]! - means[c]![b]!), 0),
      ),
    ),
  );
  let covariances: number[];
  if (type === 'full') {
    covariances = scatter.flatMap((m, c) => m.flatMap((row, a) => row.map((v, b) => v / nk[c]! + (a === b ? reg : 0))));
  } else if (type === 'tied') {
    const total = nk.reduce((s, v) => s + v, 0);
    covariances = [];
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        covariances.push(scatter.reduce((s, m) => s + m[a]![b]!, 0) / total + (a === b ? reg : 0));
  } else if (type === 'diag') {
    covariances = scatter.flatMap((m, c) => m.map((row, a) => row[a]! / nk[c]! + reg));
  } else {
    covariances = scatter.map((m, c) => m.reduce((s, row, a) => s + row[a]! / nk[c]! + reg, 0) / d);
  }
  const total = nk.reduce((s, v) => s + v, 0);
  return { nk, weights: nk.map((v) => v / total), means, covariances };
}

/** Random well-conditioned data: K blobs in D dimensions. */
export function blobs(
  n: number,
  d: number,
  k: number,
  seed: number,
  spread = 6,
): { X: number[][]; labels: number[]; centers: number[][] } {
  const random = new Random(seed);
  const centers = Array.from({ length: k }, () =>
    Array.from({ length: d }, () => (random.nextFloat() - 0.5) * spread * k),
  );
  const scales = Array.from({ length: k }, () => Array.from({ length: d }, () => 0.5 + random.nextFloat()));
  const labels: number[] = [];
  const X = Array.from({ length: n }, (_, i) => {
    const c = i % k;
    labels.push(c);
    const z = Array.from({ length: d }, () => random.nextGaussian());
    // a little correlation between neighbouring features
    return centers[c]!.map((m, a) => m + scales[c]![a]! * (z[a]! + (a > 0 ? 0.3 * z[a - 1]! : 0)));
  });
  return { X, labels, centers };
}

/** Random SPD covariances of the given type (flat, sklearn shapes). */
export function randomCovariances(type: CovarianceType, k: number, d: number, random: Random): Float64Array {
  const full = (): number[] => {
    const a = Array.from({ length: d * d }, () => random.nextGaussian() * 0.5);
    const m: number[] = [];
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = i === j ? 1 : 0;
        for (let t = 0; t < d; t++) s += a[i * d + t]! * a[j * d + t]!;
        m.push(s);
      }
    return m;
  };
  if (type === 'full') return Float64Array.from(Array.from({ length: k }, full).flat());
  if (type === 'tied') return Float64Array.from(full());
  if (type === 'diag') return Float64Array.from({ length: k * d }, () => 0.5 + random.nextFloat() * 2);
  return Float64Array.from({ length: k }, () => 0.5 + random.nextFloat() * 2);
}

/** Precisions (inverse covariances) in sklearn shapes, from flat covariances. */
export function precisionsOf(type: CovarianceType, covariances: Float64Array, k: number, d: number): Float64Array {
  if (type === 'diag' || type === 'spherical') return covariances.map((v) => 1 / v);
  const count = type === 'full' ? k : 1;
  const out: number[] = [];
  for (let c = 0; c < count; c++) {
    const m = Array.from({ length: d }, (_, i) =>
      Array.from(covariances.slice(c * d * d + i * d, c * d * d + i * d + d)),
    );
    out.push(...inverseAndLogDet(m).inverse.flat());
  }
  return Float64Array.from(out);
}

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(actual[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), 1e-3 * scale, 1e-300),
    );
  }
  return worst;
}
