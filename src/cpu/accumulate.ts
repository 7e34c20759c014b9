// The CPU engine's accumulation of sufficient statistics: for rows [start, end) and their
// responsibilities (one block's, in a Scratch), Σ r, Σ r·(x − s) and the second moments about
// shifts s, added into a flat partial in the packed layout of src/sufficient-stats.ts. Every sum
// receives its rows' terms one at a time in row order, so blocking never changes a bit.

import { packedMomentSize, type Moments } from '../sufficient-stats.ts';
import { unrolledAccumulate, unrolledDiagAccumulate } from './unrolled.ts';

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

/** Adds the rows' total weight (their count when unweighted) into the layout's last slot. */
export function addTotalWeight(source: RowSource, start: number, end: number, out: Float64Array): void {
  let total = end - start;
  if (source.weights !== null) {
    total = 0;
    for (let i = start; i < end; i++) total += source.weights[i] as number;
  }
  out[out.length - 1] = (out[out.length - 1] as number) + total;
}
