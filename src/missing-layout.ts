// Missing values, before any E-step: which rows have holes and in which pattern, the rows kept
// (rows with every value missing are dropped), and the mean-imputed copy of X the
// initialisations run on. The E-step of the rows with holes is src/missing-estep.ts.

import type { Dataset, Matrix } from './matrix.ts';
import { EmgpuInputError } from './options.ts';

/** Rows with holes that share one pattern: which coordinates are observed. */
export interface Pattern {
  /** Observed coordinates, ascending. */
  readonly observed: Int32Array;
  /** Missing coordinates, ascending. */
  readonly missing: Int32Array;
  /** Indices (into the dataset's rows) of the rows with this pattern. */
  readonly rows: Int32Array;
}

/** How a matrix with NaNs splits: the rows kept, complete rows, and rows with holes by pattern. */
export interface MissingLayout {
  /** Rows of the input kept (not every value missing), ascending. */
  readonly kept: Int32Array;
  /** Rows of the input with every value missing (dropped). */
  readonly dropped: number;
  /** Positions (in `kept` order) of the complete rows. */
  readonly complete: Int32Array;
  readonly patterns: readonly Pattern[];
  /** Values missing in the kept rows. */
  readonly missingValues: number;
}

/** Whether the matrix has a NaN (a missing value) anywhere. */
export function hasMissing(matrix: Matrix): boolean {
  const { data } = matrix;
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i] as number)) return true;
  return false;
}

/** Throws on ±Infinity (a NaN is a missing value here, an infinity is not). */
export function checkNoInfinity(matrix: Matrix, name = 'X'): void {
  const { data, cols } = matrix;
  for (let index = 0; index < data.length; index++) {
    const v = data[index] as number;
    if (v === Infinity || v === -Infinity) {
      const i = Math.floor(index / cols);
      throw new EmgpuInputError(
        `${name} row ${i}, column ${index - i * cols} is ${v > 0 ? 'Infinity' : '-Infinity'}; every value must be a finite number or NaN for a missing value.`,
      );
    }
  }
}

/** Groups the rows of a matrix by their pattern of NaNs. */
export function missingLayout(matrix: Matrix): MissingLayout {
  const { data, rows, cols } = matrix;
  const kept: number[] = [];
  const complete: number[] = [];
  const groups = new Map<string, { observed: number[]; missing: number[]; rows: number[] }>();
  let dropped = 0;
  let missingValues = 0;
  const flags = new Uint8Array(cols);
  for (let i = 0; i < rows; i++) {
    let holes = 0;
    for (let j = 0; j < cols; j++) {
      const hole = Number.isNaN(data[i * cols + j] as number);
      flags[j] = hole ? 1 : 0;
      if (hole) holes++;
    }
    if (holes === cols) {
      dropped++;
      continue;
    }
    const position = kept.length;
    kept.push(i);
    if (holes === 0) {
      complete.push(position);
      continue;
    }
    missingValues += holes;
    const key = flags.join('');
    let group = groups.get(key);
    if (group === undefined) {
      group = { observed: [], missing: [], rows: [] };
      for (let j = 0; j < cols; j++) (flags[j] === 1 ? group.missing : group.observed).push(j);
      groups.set(key, group);
    }
    group.rows.push(position);
  }
  const patterns = [...groups.values()].map((g) => ({
    observed: Int32Array.from(g.observed),
    missing: Int32Array.from(g.missing),
    rows: Int32Array.from(g.rows),
  }));
  return { kept: Int32Array.from(kept), dropped, complete: Int32Array.from(complete), patterns, missingValues };
}

/** The rows at `positions` of a row-major matrix, as a new float64 matrix. */
export function gatherRows(data: Float64Array | Float32Array, cols: number, positions: Int32Array): Float64Array {
  const out = new Float64Array(positions.length * cols);
  for (let n = 0; n < positions.length; n++) {
    const row = positions[n] as number;
    for (let j = 0; j < cols; j++) out[n * cols + j] = data[row * cols + j] as number;
  }
  return out;
}

/** The rows of X kept (not every value missing) and their weights. */
export function keptRows(
  matrix: Matrix,
  weights: Float64Array | null,
  layout: MissingLayout,
): { matrix: Matrix; weights: Float64Array | null } {
  const data = gatherRows(matrix.data, matrix.cols, layout.kept);
  const w = weights === null ? null : Float64Array.from(layout.kept, (i) => weights[i] as number);
  return { matrix: { data, rows: layout.kept.length, cols: matrix.cols }, weights: w };
}

/** A column of X with no observed value (with a positive weight): `column` is its 0-based index. */
export class UnobservedColumnError extends EmgpuInputError {
  constructor(readonly column: number) {
    super(
      `X column ${column} (0-based) has no observed value (with a positive weight); drop that column, as nothing can be learnt about it.`,
    );
  }
}

/** X (the kept rows) with each hole filled by its column's weighted mean over the observed values. */
export function meanImputed(dataset: Dataset): Float64Array {
  const { data, rows, cols, weights } = dataset;
  const sum = new Float64Array(cols);
  const count = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const w = weights === null ? 1 : (weights[i] as number);
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j] as number;
      if (!Number.isNaN(v)) {
        sum[j] = (sum[j] as number) + w * v;
        count[j] = (count[j] as number) + w;
      }
    }
  }
  const out = Float64Array.from(data);
  for (let j = 0; j < cols; j++) {
    if ((count[j] as number) === 0) {
      throw new UnobservedColumnError(j);
    }
  }
  for (let index = 0; index < out.length; index++) {
    if (Number.isNaN(out[index] as number)) {
      const j = index % cols;
      out[index] = (sum[j] as number) / (count[j] as number);
    }
  }
  return out;
}
