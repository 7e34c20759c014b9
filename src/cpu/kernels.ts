// The CPU engine's per-block work, in float64. Each function handles rows [start, end) and
// adds into a flat partial-statistics array (layout below); the engine sums the partials of
// fixed-size blocks in block order, so the result does not depend on how many threads ran.
//
// Partials use the packed layout of src/sufficient-stats.ts (value: Σ w·log p(x) for the E-step, Σ w·min
// distance² for assign).

import type { KernelParams } from '../model/params.ts';
import { uniformFromHash } from '../random.ts';
import { packedMomentSize, type Moments } from '../sufficient-stats.ts';
import { expNonPositive } from './exp.ts';
import {
  unrolledAccumulate,
  unrolledDiagAccumulate,
  unrolledDiagLogProb,
  unrolledLogProb,
  unrolledSphericalLogProb,
} from './unrolled.ts';

export interface RowSource {
  readonly data: Float64Array | Float32Array;
  readonly cols: number;
  readonly weights: Float64Array | null;
}

/** Scratch reused across blocks, sized for `blockRows` rows. */
export class Scratch {
  /** The most rows a block may have. */
  readonly blockRows: number;
  readonly resp: Float64Array;
  /** Four rows' differences, interleaved: diff[a·4 + t] for row t of a group of four. */
  readonly diff: Float64Array;
  /** r·(x − s) of the same four rows, interleaved like diff. */
  readonly weighted: Float64Array;
  /** Rows of the block with a non-zero responsibility for the current component, and those r·w. */
  readonly rows: Int32Array;
  readonly r: Float64Array;
  /** Per-block sums of normalise(): Σ w·lse, Σ w·Σ r·log r. */
  readonly totals = new Float64Array(2);
  constructor(blockRows: number, k: number, d: number) {
    this.blockRows = blockRows;
    this.resp = new Float64Array(blockRows * k);
    this.diff = new Float64Array(4 * d);
    this.weighted = new Float64Array(4 * d);
    this.rows = new Int32Array(blockRows);
    this.r = new Float64Array(blockRows);
  }
}

/** Adds the statistics of responsibilities scratch.resp[(i − start)·K + k] (weighted by the sample weights here) into out. */
export function accumulate(
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
  const { resp, diff } = scratch;
  const p = packedMomentSize(d, moments);
  const unrolled = moments === 'full' ? unrolledAccumulate(d) : moments === 'diag' ? unrolledDiagAccumulate(d) : null;
  if (unrolled !== null) {
    for (let c = 0; c < k; c++)
      unrolled(data, start, end, resp, k, c, shifts, c * d, weights, out, k + c * d, k + k * d + c * p);
    return;
  }
  // Without generated code: rows with r ≠ 0 first, then groups of four rows, so each partial is
  // loaded and stored once per four rows instead of once per row. Every sum still receives its
  // rows' terms one at a time in row order, so the result is the simple per-row loop's, bit for bit.
  const offDiff = k;
  const offOuter = k + k * d;
  const { rows, r: rs, weighted } = scratch;
  for (let c = 0; c < k; c++) {
    let s0 = 0;
    let count = 0;
    for (let i = start; i < end; i++) {
      let r = resp[(i - start) * k + c] as number;
      if (r === 0) continue;
      if (weights !== null) r *= weights[i] as number;
      s0 += r;
      rows[count] = i;
      rs[count] = r;
      count++;
    }
    out[c] = (out[c] as number) + s0;
    const diffBase = offDiff + c * d;
    const outerBase = offOuter + c * p;
    const shiftBase = c * d;
    for (let g = 0; g < count; g += 4) {
      const size = Math.min(4, count - g);
      for (let t = 0; t < size; t++) {
        const row = (rows[g + t] as number) * d;
        const r = rs[g + t] as number;
        for (let a = 0; a < d; a++) {
          const value = (data[row + a] as number) - (shifts[shiftBase + a] as number);
          diff[a * 4 + t] = value;
          weighted[a * 4 + t] = r * value;
        }
      }
      for (let a = 0; a < d; a++) {
        let sum = out[diffBase + a] as number;
        for (let t = 0; t < size; t++) sum += weighted[a * 4 + t] as number;
        out[diffBase + a] = sum;
      }
      if (moments === 'full') {
        let q = outerBase;
        if (size === 4) {
          for (let a = 0; a < d; a++) {
            const w0 = weighted[a * 4] as number;
            const w1 = weighted[a * 4 + 1] as number;
            const w2 = weighted[a * 4 + 2] as number;
            const w3 = weighted[a * 4 + 3] as number;
            for (let b = a; b < d; b++) {
              out[q] =
                (out[q] as number) +
                w0 * (diff[b * 4] as number) +
                w1 * (diff[b * 4 + 1] as number) +
                w2 * (diff[b * 4 + 2] as number) +
                w3 * (diff[b * 4 + 3] as number);
              q++;
            }
          }
        } else {
          for (let a = 0; a < d; a++) {
            for (let b = a; b < d; b++) {
              let sum = out[q] as number;
              for (let t = 0; t < size; t++) sum += (weighted[a * 4 + t] as number) * (diff[b * 4 + t] as number);
              out[q] = sum;
              q++;
            }
          }
        }
      } else if (moments === 'diag') {
        for (let a = 0; a < d; a++) {
          let sum = out[outerBase + a] as number;
          for (let t = 0; t < size; t++) sum += (weighted[a * 4 + t] as number) * (diff[a * 4 + t] as number);
          out[outerBase + a] = sum;
        }
      }
    }
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
 * constant − ½‖(x − μ)·U‖² for rows [start, end) into dest[(i − start)·k + c], U upper triangular
 * at u[ub..]: y_j = Σ_{a ≤ j} (x_a − μ_a)·U_aj. Four rows at a time share each load of U (diff
 * holds their differences interleaved); each row's arithmetic is the one-row loop's, in order.
 */
function solveRows(
  data: Float64Array | Float32Array,
  d: number,
  start: number,
  end: number,
  means: Float64Array,
  mb: number,
  u: Float64Array,
  ub: number,
  constant: number,
  dest: Float64Array,
  k: number,
  c: number,
  diff: Float64Array,
): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const m = means[mb + a] as number;
      diff[a * 4] = (data[row + a] as number) - m;
      diff[a * 4 + 1] = (data[row + d + a] as number) - m;
      diff[a * 4 + 2] = (data[row + 2 * d + a] as number) - m;
      diff[a * 4 + 3] = (data[row + 3 * d + a] as number) - m;
    }
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (let j = 0; j < d; j++) {
      let y0 = 0;
      let y1 = 0;
      let y2 = 0;
      let y3 = 0;
      for (let a = 0; a <= j; a++) {
        const f = u[ub + a * d + j] as number;
        y0 += (diff[a * 4] as number) * f;
        y1 += (diff[a * 4 + 1] as number) * f;
        y2 += (diff[a * 4 + 2] as number) * f;
        y3 += (diff[a * 4 + 3] as number) * f;
      }
      q0 += y0 * y0;
      q1 += y1 * y1;
      q2 += y2 * y2;
      q3 += y3 * y3;
    }
    const o = (i - start) * k + c;
    dest[o] = constant - 0.5 * q0;
    dest[o + k] = constant - 0.5 * q1;
    dest[o + 2 * k] = constant - 0.5 * q2;
    dest[o + 3 * k] = constant - 0.5 * q3;
  }
  for (; i < end; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) diff[a] = (data[row + a] as number) - (means[mb + a] as number);
    let quad = 0;
    for (let j = 0; j < d; j++) {
      let y = 0;
      for (let a = 0; a <= j; a++) y += (diff[a] as number) * (u[ub + a * d + j] as number);
      quad += y * y;
    }
    dest[(i - start) * k + c] = constant - 0.5 * quad;
  }
}

/**
 * Weighted log-probabilities log w_k + log N(x_i | μ_k, Σ_k) for rows [start, end) into
 * dest[(i − start)·K + k].
 */
export function weightedLogProb(
  source: RowSource,
  start: number,
  end: number,
  params: KernelParams,
  dest: Float64Array,
  diff: Float64Array,
): void {
  const { data, cols: d } = source;
  const { covarianceType, nComponents: k, means, factors, logConstants } = params;
  // Generated code for this D and type (null where there is none), looked up once per block.
  const unrolledFull = covarianceType === 'full' || covarianceType === 'tied' ? unrolledLogProb(d) : null;
  const unrolledDiag = covarianceType === 'diag' ? unrolledDiagLogProb(d) : null;
  const unrolledSpherical = covarianceType === 'spherical' ? unrolledSphericalLogProb(d) : null;
  for (let c = 0; c < k; c++) {
    const constant = logConstants[c] as number;
    const meanBase = c * d;
    switch (covarianceType) {
      case 'full':
      case 'tied': {
        const uBase = covarianceType === 'full' ? c * d * d : 0;
        if (unrolledFull !== null) {
          unrolledFull(data, start, end, means, meanBase, factors, uBase, constant, dest, k, c);
          break;
        }
        solveRows(data, d, start, end, means, meanBase, factors, uBase, constant, dest, k, c, diff);
        break;
      }
      case 'diag': {
        if (unrolledDiag !== null) {
          unrolledDiag(data, start, end, means, meanBase, factors, meanBase, constant, dest, k, c);
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
        if (unrolledSpherical !== null) {
          unrolledSpherical(data, start, end, means, meanBase, factors, c, constant, dest, k, c);
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
 * per-row log-sum-exp through logLik (when given), and adds Σ w·lse and Σ w·Σ_k r·log r into
 * totals[0] and totals[1].
 */
function normalise(
  source: RowSource,
  start: number,
  end: number,
  k: number,
  values: Float64Array,
  logLik: Float64Array | null,
  totals: Float64Array,
): void {
  let sum = 0;
  let entropy = 0;
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
    // Σ_k r·log r = Σ_k e·(v − max) / Σ e − log Σ e, from the same e (no extra log).
    let weighted = 0;
    for (let c = 0; c < k; c++) {
      const shifted = (values[base + c] as number) - max;
      const e = shifted < -745 ? 0 : expNonPositive(shifted);
      values[base + c] = e;
      total += e;
      if (e > 0) weighted += e * shifted;
    }
    const logTotal = Math.log(total);
    const lse = max + logTotal;
    const inverse = 1 / total;
    for (let c = 0; c < k; c++) values[base + c] = (values[base + c] as number) * inverse;
    if (logLik !== null) logLik[i] = lse;
    const w = weights === null ? 1 : (weights[i] as number);
    sum += w * lse;
    entropy += w * (weighted * inverse - logTotal);
  }
  totals[0] = (totals[0] as number) + sum;
  totals[1] = (totals[1] as number) + entropy;
}

export function eStepBlock(
  source: RowSource,
  start: number,
  end: number,
  params: KernelParams,
  moments: 'full' | 'diag',
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
  moments: 'full' | 'diag',
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
