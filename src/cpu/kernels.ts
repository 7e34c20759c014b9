// The CPU engine's per-block work, in float64. Each function handles rows [start, end) and
// adds into a flat partial-statistics array (layout below); the engine sums the partials of
// fixed-size blocks in block order, so the result does not depend on how many threads ran.
//
// Partial layout (length statSize(K, D, moments)):
//   [0, K)                  Σ w·r_k
//   [K, K + K·D)            Σ w·r_k·(x − c_k)
//   [.., + K·P)             Σ w·r_k·(x − c_k)(x − c_k)ᵀ, P = D(D+1)/2 packed upper triangle
//                           (row-major i ≤ j) for 'full', P = D for 'diag', P = 0 for none
//   [.., + 1)               Σ w·log p(x)     (E-step) / Σ w·min distance² (assign)
//   [.., + 1)               Σ w

import type { MomentKind } from '../backend.ts';
import type { KernelParams } from '../model/params.ts';
import { uniformFromHash } from '../random.ts';
import { expNonPositive } from './exp.ts';
import { unrolledAccumulate, unrolledDiagAccumulate, unrolledDiagLogProb, unrolledLogProb, unrolledSphericalLogProb } from './unrolled.ts';

export type Moments = MomentKind | null;

export function packedSize(d: number, moments: Moments): number {
  return moments === 'full' ? (d * (d + 1)) / 2 : moments === 'diag' ? d : 0;
}

export function statSize(k: number, d: number, moments: Moments): number {
  return k + k * d + k * packedSize(d, moments) + 2;
}

export interface RowSource {
  readonly data: Float64Array | Float32Array;
  readonly cols: number;
  readonly weights: Float64Array | null;
}

/** Scratch reused across blocks, sized for `blockRows` rows. */
export class Scratch {
  readonly resp: Float64Array;
  readonly diff: Float64Array;
  constructor(blockRows: number, k: number, d: number) {
    this.resp = new Float64Array(blockRows * k);
    this.diff = new Float64Array(d);
  }
}

/** Adds responsibilities resp[(i − start)·K + k] (already weighted by nothing) into out. */
function accumulate(
  source: RowSource,
  start: number,
  end: number,
  k: number,
  shifts: Float64Array,
  moments: Moments,
  scratch: Scratch,
  out: Float64Array,
): void {
  const { data, cols: d, weights } = source;
  const resp = scratch.resp;
  const diff = scratch.diff;
  const p = packedSize(d, moments);
  const unrolled = moments === 'full' ? unrolledAccumulate(d) : moments === 'diag' ? unrolledDiagAccumulate(d) : null;
  if (unrolled !== null) {
    for (let c = 0; c < k; c++) unrolled(data, start, end, resp, k, c, shifts, c * d, weights, out, k + c * d, k + k * d + c * p);
    return;
  }
  const offDiff = k;
  const offOuter = k + k * d;
  for (let c = 0; c < k; c++) {
    let s0 = 0;
    const diffBase = offDiff + c * d;
    const outerBase = offOuter + c * p;
    const shiftBase = c * d;
    for (let i = start; i < end; i++) {
      let r = resp[(i - start) * k + c] as number;
      if (r === 0) continue;
      if (weights !== null) r *= weights[i] as number;
      s0 += r;
      const row = i * d;
      for (let a = 0; a < d; a++) {
        const value = (data[row + a] as number) - (shifts[shiftBase + a] as number);
        diff[a] = value;
        out[diffBase + a] = (out[diffBase + a] as number) + r * value;
      }
      if (moments === 'full') {
        let q = outerBase;
        for (let a = 0; a < d; a++) {
          const rd = r * (diff[a] as number);
          for (let b = a; b < d; b++) {
            out[q] = (out[q] as number) + rd * (diff[b] as number);
            q++;
          }
        }
      } else if (moments === 'diag') {
        for (let a = 0; a < d; a++) {
          const v = diff[a] as number;
          out[outerBase + a] = (out[outerBase + a] as number) + r * v * v;
        }
      }
    }
    out[c] = (out[c] as number) + s0;
  }
}

function addTotalWeight(source: RowSource, start: number, end: number, out: Float64Array): void {
  let total = end - start;
  if (source.weights !== null) {
    total = 0;
    for (let i = start; i < end; i++) total += source.weights[i] as number;
  }
  out[out.length - 1] = (out[out.length - 1] as number) + total;
}

/**
 * Weighted log-probabilities log w_k + log N(x_i | μ_k, Σ_k) for rows [start, end) into
 * dest[(i − start)·K + k].
 */
export function weightedLogProb(source: RowSource, start: number, end: number, params: KernelParams, dest: Float64Array, diff: Float64Array): void {
  const { data, cols: d } = source;
  const { covarianceType, nComponents: k, means, factors, logConstants } = params;
  for (let c = 0; c < k; c++) {
    const constant = logConstants[c] as number;
    const meanBase = c * d;
    switch (covarianceType) {
      case 'full':
      case 'tied': {
        const uBase = covarianceType === 'full' ? c * d * d : 0;
        const unrolled = unrolledLogProb(d);
        if (unrolled !== null) {
          unrolled(data, start, end, means, meanBase, factors, uBase, constant, dest, k, c);
          break;
        }
        for (let i = start; i < end; i++) {
          const row = i * d;
          for (let a = 0; a < d; a++) diff[a] = (data[row + a] as number) - (means[meanBase + a] as number);
          // y_j = Σ_{a ≤ j} diff_a·U_aj  (U upper triangular)
          let quad = 0;
          for (let j = 0; j < d; j++) {
            let y = 0;
            for (let a = 0; a <= j; a++) y += (diff[a] as number) * (factors[uBase + a * d + j] as number);
            quad += y * y;
          }
          dest[(i - start) * k + c] = constant - 0.5 * quad;
        }
        break;
      }
      case 'diag': {
        const unrolled = unrolledDiagLogProb(d);
        if (unrolled !== null) {
          unrolled(data, start, end, means, meanBase, factors, meanBase, constant, dest, k, c);
          break;
        }
        for (let i = start; i < end; i++) {
          const row = i * d;
          let quad = 0;
          for (let a = 0; a < d; a++) {
            const y = ((data[row + a] as number) - (means[meanBase + a] as number)) * (factors[meanBase + a] as number);
            quad += y * y;
          }
          dest[(i - start) * k + c] = constant - 0.5 * quad;
        }
        break;
      }
      case 'spherical': {
        const unrolled = unrolledSphericalLogProb(d);
        if (unrolled !== null) {
          unrolled(data, start, end, means, meanBase, factors, c, constant, dest, k, c);
          break;
        }
        const u = factors[c] as number;
        const u2 = u * u;
        for (let i = start; i < end; i++) {
          const row = i * d;
          let sq = 0;
          for (let a = 0; a < d; a++) {
            const v = (data[row + a] as number) - (means[meanBase + a] as number);
            sq += v * v;
          }
          dest[(i - start) * k + c] = constant - 0.5 * sq * u2;
        }
        break;
      }
    }
  }
}

/**
 * Turns weighted log-probabilities (rows × K, in place) into responsibilities; returns the
 * per-row log-sum-exp through logLik (when given) and Σ w·lse.
 */
function normalise(source: RowSource, start: number, end: number, k: number, values: Float64Array, logLik: Float64Array | null): number {
  let sum = 0;
  const weights = source.weights;
  for (let i = start; i < end; i++) {
    const base = (i - start) * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = values[base + c] as number;
      if (v > max) max = v;
    }
    // One exp per entry: r = exp(v − max) / Σ exp(v − max). (sklearn's exp(v − lse) differs by
    // an ulp or two.) Entries below max − 745 underflow to exactly 0 and are skipped.
    let total = 0;
    for (let c = 0; c < k; c++) {
      const shifted = (values[base + c] as number) - max;
      const e = shifted < -745 ? 0 : expNonPositive(shifted);
      values[base + c] = e;
      total += e;
    }
    const lse = max + Math.log(total);
    const inverse = 1 / total;
    for (let c = 0; c < k; c++) values[base + c] = (values[base + c] as number) * inverse;
    if (logLik !== null) logLik[i] = lse;
    sum += weights === null ? lse : (weights[i] as number) * lse;
  }
  return sum;
}

export function eStepBlock(source: RowSource, start: number, end: number, params: KernelParams, moments: MomentKind, scratch: Scratch, out: Float64Array): void {
  weightedLogProb(source, start, end, params, scratch.resp, scratch.diff);
  const logLik = normalise(source, start, end, params.nComponents, scratch.resp, null);
  accumulate(source, start, end, params.nComponents, params.means, moments, scratch, out);
  out[out.length - 2] = (out[out.length - 2] as number) + logLik;
  addTotalWeight(source, start, end, out);
}

export function assignBlock(source: RowSource, start: number, end: number, centers: Float64Array, k: number, moments: Moments, scratch: Scratch, out: Float64Array): void {
  const { data, cols: d, weights } = source;
  const resp = scratch.resp;
  resp.fill(0, 0, (end - start) * k);
  let inertia = 0;
  for (let i = start; i < end; i++) {
    const row = i * d;
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      let dist = 0;
      for (let a = 0; a < d; a++) {
        const v = (data[row + a] as number) - (centers[c * d + a] as number);
        dist += v * v;
      }
      if (dist < bestDistance) {
        bestDistance = dist;
        best = c;
      }
    }
    resp[(i - start) * k + best] = 1;
    inertia += weights === null ? bestDistance : (weights[i] as number) * bestDistance;
  }
  accumulate(source, start, end, k, centers, moments, scratch, out);
  out[out.length - 2] = (out[out.length - 2] as number) + inertia;
  addTotalWeight(source, start, end, out);
}

export function randomBlock(source: RowSource, start: number, end: number, seed: number, k: number, shifts: Float64Array, moments: MomentKind, scratch: Scratch, out: Float64Array): void {
  const resp = scratch.resp;
  for (let i = start; i < end; i++) {
    const base = (i - start) * k;
    let total = 0;
    for (let c = 0; c < k; c++) {
      const u = uniformFromHash(seed, i, c);
      resp[base + c] = u;
      total += u;
    }
    for (let c = 0; c < k; c++) resp[base + c] = (resp[base + c] as number) / total;
  }
  accumulate(source, start, end, k, shifts, moments, scratch, out);
  addTotalWeight(source, start, end, out);
}

/** Per-row outputs: labels, log-likelihoods, responsibilities for rows [start, end). */
export function evaluateBlock(
  source: RowSource,
  start: number,
  end: number,
  params: KernelParams,
  scratch: Scratch,
  labels: Int32Array | null,
  logLik: Float64Array | null,
  proba: Float64Array | null,
): void {
  const k = params.nComponents;
  const resp = scratch.resp;
  weightedLogProb(source, start, end, params, resp, scratch.diff);
  if (labels !== null) {
    // sklearn's predict: argmax of the weighted log-probabilities (first index on ties).
    for (let i = start; i < end; i++) {
      const base = (i - start) * k;
      let best = 0;
      let bestValue = -Infinity;
      for (let c = 0; c < k; c++) {
        const v = resp[base + c] as number;
        if (v > bestValue) {
          bestValue = v;
          best = c;
        }
      }
      labels[i] = best;
    }
  }
  if (logLik === null && proba === null) return;
  normalise(source, start, end, k, resp, logLik);
  if (proba !== null) {
    for (let i = start; i < end; i++) {
      const base = (i - start) * k;
      for (let c = 0; c < k; c++) proba[i * k + c] = resp[base + c] as number;
    }
  }
}

/** Squared distances from every row in [start, end) to one point, into dest[i]. */
export function distancesToPoint(source: RowSource, start: number, end: number, point: Float64Array, dest: Float64Array): void {
  const { data, cols: d } = source;
  for (let i = start; i < end; i++) {
    let dist = 0;
    for (let a = 0; a < d; a++) {
      const v = (data[i * d + a] as number) - (point[a] as number);
      dist += v * v;
    }
    dest[i] = dist;
  }
}
