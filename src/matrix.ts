// Dense row-major input: conversion and validation. The caller's arrays are never mutated;
// typed arrays are read in place, nested arrays are copied once into a Float64Array.

import { EmgpuInputError } from './options.ts';

/** A dense row-major matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  readonly data: Float64Array | Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** A matrix, or rows of numbers (null, like NaN, is a missing value: see GaussianMixture's `missing` option). */
export type MatrixInput = Matrix | readonly (readonly (number | null)[])[];

/** The advice after a value that is not finite: a NaN can also be fitted as a missing value. */
function finiteAdvice(value: unknown): string {
  return typeof value === 'number' && Number.isNaN(value)
    ? "every value must be a finite number (remove or impute missing values, or let GaussianMixture marginalise over them with the option missing: 'marginalize')"
    : 'every value must be a finite number (remove or impute missing values)';
}

function describeValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/**
 * Validates X (non-empty, rectangular, and with `values` every entry finite) and returns it as a
 * Matrix without copying typed data (nested arrays are always checked and copied; with `missing`,
 * a null or NaN in them is kept as NaN, a missing value, and the caller checks the rest).
 */
export function toMatrix(input: MatrixInput, name = 'X', values = true, missing = false): Matrix {
  if (Array.isArray(input)) {
    const rowsArray = input as readonly (readonly number[])[];
    const rows = rowsArray.length;
    if (rows === 0) throw new EmgpuInputError(`${name} is empty: it has no rows; pass at least one row of numbers.`);
    const first = rowsArray[0];
    if (!Array.isArray(first)) {
      throw new EmgpuInputError(
        `${name} must be an array of rows (number[][]) or {data, rows, cols}; row 0 is not an array.`,
      );
    }
    const cols = first.length;
    if (cols === 0) throw new EmgpuInputError(`${name} has no columns; each row needs at least one number.`);
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = rowsArray[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new EmgpuInputError(
          `${name} row ${i} has ${Array.isArray(row) ? row.length : 'no'} values but row 0 has ${cols}; every row needs the same number of columns.`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const value = row[j] as unknown;
        // With missing values allowed (missing: 'marginalize'), null and NaN are missing values.
        if (missing && (value === null || (typeof value === 'number' && Number.isNaN(value)))) {
          data[i * cols + j] = NaN;
          continue;
        }
        if (typeof value !== 'number' || (!missing && !Number.isFinite(value))) {
          throw new EmgpuInputError(
            `${name} row ${i}, column ${j} is ${typeof value === 'number' ? describeValue(value) : JSON.stringify(value)}; ${finiteAdvice(value)}.`,
          );
        }
        data[i * cols + j] = value;
      }
    }
    return { data, rows, cols };
  }
  const matrix = input as Matrix;
  if (
    matrix === null ||
    typeof matrix !== 'object' ||
    !(matrix.data instanceof Float64Array || matrix.data instanceof Float32Array)
  ) {
    throw new EmgpuInputError(`${name} must be number[][] or {data: Float32Array | Float64Array, rows, cols}.`);
  }
  const { data, rows, cols } = matrix;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new EmgpuInputError(
      `${name} has rows = ${String(rows)} and cols = ${String(cols)}; both must be positive integers.`,
    );
  }
  if (rows === 0) throw new EmgpuInputError(`${name} is empty: it has no rows; pass at least one row of numbers.`);
  if (data.length !== rows * cols) {
    throw new EmgpuInputError(
      `${name}.data has ${data.length} values but rows × cols = ${rows} × ${cols} = ${rows * cols}; make them agree.`,
    );
  }
  if (values) checkFinite(data, cols, name);
  return { data, rows, cols };
}

/** Throws on the first entry that is not a finite number, naming its row and column. */
export function checkFinite(data: Float64Array | Float32Array, cols: number, name = 'X'): void {
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number;
    if (!Number.isFinite(value)) {
      const i = Math.floor(index / cols);
      throw new EmgpuInputError(
        `${name} row ${i}, column ${index - i * cols} is ${describeValue(value)}; ${finiteAdvice(value)}.`,
      );
    }
  }
}

/** Validates sampleWeight: finite, ≥ 0, not all zero, one per row. Returns a float64 copy. */
export function toSampleWeight(weights: ArrayLike<number> | null | undefined, rows: number): Float64Array | null {
  if (weights == null) return null;
  if (typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new EmgpuInputError(`sampleWeight must be an array of numbers (one per row), got ${typeof weights}.`);
  }
  if (weights.length !== rows) {
    throw new EmgpuInputError(
      `sampleWeight has ${weights.length} values but X has ${rows} rows; give one weight per row.`,
    );
  }
  const copy = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i] as number;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new EmgpuInputError(
        `sampleWeight[${i}] is ${typeof w === 'number' ? describeValue(w) : JSON.stringify(w)}; weights must be finite and ≥ 0.`,
      );
    }
    copy[i] = w;
    total += w;
  }
  if (total <= 0) throw new EmgpuInputError('sampleWeight is all zero; at least one row needs a positive weight.');
  if (!Number.isFinite(total)) {
    throw new EmgpuInputError(
      `sampleWeight sums to ${describeValue(total)}; scale the weights down (only their ratios matter to the fit).`,
    );
  }
  return copy;
}

/** Rows, their weights and Σ w, validated once per call and handed to an engine. */
export interface Dataset {
  readonly data: Float64Array | Float32Array;
  readonly rows: number;
  readonly cols: number;
  /**
   * One weight per row, or null when unweighted. Scaled by a power of two (exactly) when their
   * mean lies outside [2^-20, 2^20], so that sklearn's 10·eps added to each nk stays negligible
   * and float32 engines neither underflow nor overflow; only ratios of weights matter to a fit.
   */
  readonly weights: Float64Array | null;
  /** Σ weights (N when unweighted). */
  readonly totalWeight: number;
  /** The weights were multiplied by 2^weightExponent (0 when not scaled, or unweighted). */
  readonly weightExponent: number;
}

/** w·2^e without intermediate overflow (two exact steps). */
export function timesPowerOfTwo(w: number, e: number): number {
  const half = Math.trunc(e / 2);
  return w * 2 ** half * 2 ** (e - half);
}

/**
 * The power of two toDataset scales weights summing to `total` over `rows` rows by: 0 when their
 * mean lies in [2^-20, 2^20], else the exponent that brings the mean near 1. The statistics API
 * applies it to merged statistics so that their M-step is the one fit runs on the whole table.
 */
export function weightExponentFor(total: number, rows: number): number {
  const mean = total / rows;
  if (mean >= 2 ** -20 && mean <= 2 ** 20) return 0;
  return -Math.round(Math.log2(mean));
}

/** Σ weights in row order (the sum toDataset takes). */
export function sumOfWeights(weights: Float64Array): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i] as number;
  return total;
}

/** A dataset from a validated matrix and validated weights (see toSampleWeight). */
export function toDataset(matrix: Matrix, weights: Float64Array | null): Dataset {
  const { data, rows, cols } = matrix;
  if (weights === null) return { data, rows, cols, weights: null, totalWeight: rows, weightExponent: 0 };
  let total = sumOfWeights(weights);
  const weightExponent = weightExponentFor(total, rows);
  if (weightExponent === 0) return { data, rows, cols, weights, totalWeight: total, weightExponent: 0 };
  const scaled = new Float64Array(rows);
  total = 0;
  for (let i = 0; i < rows; i++) {
    const w = timesPowerOfTwo(weights[i] as number, weightExponent);
    scaled[i] = w;
    total += w;
  }
  return { data, rows, cols, weights: scaled, totalWeight: total, weightExponent };
}

/** Copies of the given rows (float64, row-major). */
export function rowsOf(
  dataset: { readonly data: Float64Array | Float32Array; readonly rows: number; readonly cols: number },
  indices: Int32Array,
): Float64Array {
  const d = dataset.cols;
  const out = new Float64Array(indices.length * d);
  indices.forEach((row, n) => {
    if (!Number.isInteger(row) || row < 0 || row >= dataset.rows)
      throw new RangeError(`row index ${row} is outside 0..${dataset.rows - 1}`);
    for (let a = 0; a < d; a++) out[n * d + a] = dataset.data[row * d + a] as number;
  });
  return out;
}
