// The CPU engine's per-block work, in float64. Each function handles rows [start, end) and
// adds into a flat partial-statistics array (layout below); the engine sums the partials of
// fixed-size blocks in block order, so the result does not depend on how many threads ran.
// The accumulation of statistics is in accumulate.ts, the log-probabilities in log-prob.ts.
//
// Partials use the packed layout of src/sufficient-stats.ts (value: Σ w·log p(x) for the E-step, Σ w·min
// distance² for assign).

import type { KernelParams } from '../model/params.ts';
import { uniformFromHash } from '../random.ts';
import type { Moments, SecondMoments } from '../sufficient-stats.ts';
import { accumulate, addTotalWeight, type RowSource, type Scratch } from './accumulate.ts';
import { normalise, weightedLogProb } from './log-prob.ts';

export function eStepBlock(
  source: RowSource,
  start: number,
  end: number,
  params: KernelParams,
  moments: SecondMoments,
  scratch: Scratch,
  out: Float64Array,
): void {
  weightedLogProb(source, start, end, params, scratch.resp, scratch.diff);
  const totals = scratch.totals.fill(0);
  normalise(source, start, end, params.nComponents, scratch.resp, null, totals);
  accumulate(source, start, end, params.nComponents, params.means, moments, scratch, out);
  // The value (Σ w·log p) and Σ w·Σ r·log r slots: the layout's last three are value, entropy, weight.
  out[out.length - 3] = (out[out.length - 3] as number) + (totals[0] as number);
  out[out.length - 2] = (out[out.length - 2] as number) + (totals[1] as number);
  addTotalWeight(source, start, end, out);
}

export function assignBlock(
  source: RowSource,
  start: number,
  end: number,
  centers: Float64Array,
  k: number,
  moments: Moments,
  scratch: Scratch,
  out: Float64Array,
): void {
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
  out[out.length - 3] = (out[out.length - 3] as number) + inertia;
  addTotalWeight(source, start, end, out);
}

export function randomBlock(
  source: RowSource,
  start: number,
  end: number,
  seed: number,
  k: number,
  shifts: Float64Array,
  moments: SecondMoments,
  scratch: Scratch,
  out: Float64Array,
): void {
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
  normalise(source, start, end, k, resp, logLik, scratch.totals);
  if (proba !== null) {
    for (let i = start; i < end; i++) {
      const base = (i - start) * k;
      for (let c = 0; c < k; c++) proba[i * k + c] = resp[base + c] as number;
    }
  }
}

/** Squared distances from every row in [start, end) to one point, into dest[i]. */
export function distancesToPoint(
  source: RowSource,
  start: number,
  end: number,
  point: Float64Array,
  dest: Float64Array,
): void {
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
