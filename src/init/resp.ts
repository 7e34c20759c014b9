// Initial responsibilities given by the caller (N × K, each row summing to 1): the statistics
// sklearn's _initialize(X, resp) starts from, accumulated in float64 on the host (they are
// needed once per fit), weighted by the sample weights.

import { accumulate, Scratch } from '../cpu/accumulate.ts';
import type { Dataset } from '../matrix.ts';
import { EmgpuInputError } from '../options.ts';
import {
  statsLayout,
  unpackStats,
  type Moments,
  type SufficientStats,
  type SecondMoments,
} from '../sufficient-stats.ts';

/** Checks resp (flat N × K or nested) and returns it flat: finite, ≥ 0, each row summing to 1. */
export function toResponsibilities(
  resp: ArrayLike<number> | readonly (readonly number[])[],
  rows: number,
  k: number,
): Float64Array {
  const flat = new Float64Array(rows * k);
  const nested = Array.isArray(resp) && Array.isArray(resp[0]);
  if (nested) {
    const table = resp as readonly (readonly number[])[];
    if (table.length !== rows)
      throw new EmgpuInputError(
        `resp has ${table.length} rows but X has ${rows}; give one row of ${k} responsibilities per row of X.`,
      );
    table.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== k)
        throw new EmgpuInputError(
          `resp row ${i} has ${Array.isArray(row) ? row.length : 'no'} values but nComponents is ${k}; give ${k} per row.`,
        );
      for (let c = 0; c < k; c++) flat[i * k + c] = row[c] as number;
    });
  } else {
    const values = resp as ArrayLike<number>;
    if (values.length !== rows * k)
      throw new EmgpuInputError(
        `resp has ${values.length} values but X has ${rows} rows and nComponents is ${k}; give N × K = ${rows * k} (row-major).`,
      );
    for (let i = 0; i < rows * k; i++) flat[i] = values[i] as number;
  }
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const r = flat[i * k + c] as number;
      if (typeof r !== 'number' || !Number.isFinite(r) || r < 0)
        throw new EmgpuInputError(
          `resp row ${i}, component ${c} is ${String(r)}; responsibilities must be finite and ≥ 0.`,
        );
      sum += r;
    }
    if (Math.abs(sum - 1) > 1e-6)
      throw new EmgpuInputError(
        `resp row ${i} sums to ${sum.toPrecision(8)}; each row of responsibilities must sum to 1.`,
      );
  }
  return flat;
}

/**
 * The statistics of the given responsibilities (Σ w·r, Σ w·r·(x − c), Σ w·r·(x − c)(x − c)ᵀ),
 * about each component's responsibility-weighted mean c, which a first pass finds.
 */
export function responsibilityStatistics(
  dataset: Dataset,
  resp: Float64Array,
  k: number,
  moments: SecondMoments,
): SufficientStats {
  const { rows, cols: d } = dataset;
  const layout = statsLayout(k, d, moments);
  const source = { data: dataset.data, cols: d, weights: dataset.weights };
  const block = 4096;
  const scratch = new Scratch(block, k, d);
  const pass = (shifts: Float64Array, secondMoments: Moments): Float64Array => {
    const out = new Float64Array(statsLayout(k, d, secondMoments).size);
    for (let start = 0; start < rows; start += block) {
      const end = Math.min(rows, start + block);
      scratch.resp.set(resp.subarray(start * k, end * k));
      accumulate(source, start, end, k, shifts, secondMoments, scratch, out);
    }
    return out;
  };
  const first = pass(new Float64Array(k * d), null);
  const shifts = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const s0 = first[c] as number;
    for (let a = 0; a < d; a++) shifts[c * d + a] = s0 > 0 ? (first[k + c * d + a] as number) / s0 : 0;
  }
  const flat = pass(shifts, moments);
  flat[layout.weight] = dataset.totalWeight;
  return unpackStats(flat, layout, shifts);
}
