// `emgpu reservoir DATA --size M --seed S`: a uniform sample of M rows of DATA (all of them, in
// order, when DATA has at most M) and DATA's number of rows, as one JSON line. A driver that
// holds a table split across machines draws one per part and combines them into a uniform
// sample of the whole table (a count per part drawn without replacement, then that many rows of
// each part's sample), on which the initialisation runs: what `fit --stream` does on one machine.

import { Random } from '../random.ts';

export const RESERVOIR_FORMAT = 'emgpu-reservoir';

/** The JSON line `emgpu reservoir` writes. */
export interface ReservoirJSON {
  readonly format: typeof RESERVOIR_FORMAT;
  /** Rows of DATA. */
  readonly nRows: number;
  readonly nFeatures: number;
  /** The chosen columns' names, or null without a header. */
  readonly header: string[] | null;
  /** The sample's rows in slot order (a missing value is null). */
  readonly rows: (number | null)[][];
  /** The sample's weights (--sample-weight), or null. */
  readonly weights: number[] | null;
}

/**
 * The row indices of a uniform sample of `size` of `rows` rows, by algorithm R (as `fit --stream`
 * keeps its sample: row i ≥ size replaces a uniformly chosen slot with probability size / (i + 1)).
 */
export function reservoirIndices(rows: number, size: number, seed: number): Int32Array {
  const random = new Random(seed);
  const kept = Math.min(rows, size);
  const slots = new Int32Array(kept);
  for (let i = 0; i < rows; i++) {
    const slot = i < size ? i : random.nextInt(i + 1);
    if (slot < size) slots[slot] = i;
  }
  return slots;
}

/** The reservoir JSON of a row-major table. */
export function reservoirJSON(
  table: {
    readonly data: Float64Array;
    readonly rows: number;
    readonly cols: number;
    readonly header: string[] | null;
  },
  weights: Float64Array | null,
  size: number,
  seed: number,
): ReservoirJSON {
  const d = table.cols;
  const picked = reservoirIndices(table.rows, size, seed);
  const value = (v: number): number | null => (Number.isNaN(v) ? null : v + 0);
  return {
    format: RESERVOIR_FORMAT,
    nRows: table.rows,
    nFeatures: d,
    header: table.header,
    rows: Array.from(picked, (i) => Array.from(table.data.subarray(i * d, (i + 1) * d), value)),
    weights: weights === null ? null : Array.from(picked, (i) => weights[i] as number),
  };
}
