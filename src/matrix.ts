// Dense row-major input: conversion and validation. The caller's arrays are never mutated;
// typed arrays are read in place, nested arrays are copied once into a Float64Array.

import { EmgpuInputError } from './options.ts';

/** A dense row-major matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  readonly data: Float64Array | Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export type MatrixInput = Matrix | readonly (readonly number[])[];

function describeValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** Validates X (finite, non-empty, rectangular) and returns it as a Matrix without copying typed data. */
export function toMatrix(input: MatrixInput, name = 'X'): Matrix {
  if (Array.isArray(input)) {
    const rowsArray = input as readonly (readonly number[])[];
    const rows = rowsArray.length;
    if (rows === 0) throw new EmgpuInputError(`${name} is empty: it has no rows; pass at least one row of numbers.`);
    const first = rowsArray[0];
    if (!Array.isArray(first)) {
      throw new EmgpuInputError(`${name} must be an array of rows (number[][]) or {data, rows, cols}; row 0 is not an array.`);
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
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new EmgpuInputError(
            `${name} row ${i}, column ${j} is ${typeof value === 'number' ? describeValue(value) : JSON.stringify(value)}; every value must be a finite number (remove or impute missing values).`,
          );
        }
        data[i * cols + j] = value;
      }
    }
    return { data, rows, cols };
  }
  const matrix = input as Matrix;
  if (matrix === null || typeof matrix !== 'object' || !(matrix.data instanceof Float64Array || matrix.data instanceof Float32Array)) {
    throw new EmgpuInputError(`${name} must be number[][] or {data: Float32Array | Float64Array, rows, cols}.`);
  }
  const { data, rows, cols } = matrix;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new EmgpuInputError(`${name} has rows = ${String(rows)} and cols = ${String(cols)}; both must be positive integers.`);
  }
  if (rows === 0) throw new EmgpuInputError(`${name} is empty: it has no rows; pass at least one row of numbers.`);
  if (data.length !== rows * cols) {
    throw new EmgpuInputError(`${name}.data has ${data.length} values but rows × cols = ${rows} × ${cols} = ${rows * cols}; make them agree.`);
  }
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number;
    if (!Number.isFinite(value)) {
      const i = Math.floor(index / cols);
      throw new EmgpuInputError(
        `${name} row ${i}, column ${index - i * cols} is ${describeValue(value)}; every value must be a finite number (remove or impute missing values).`,
      );
    }
  }
  return { data, rows, cols };
}

/** Validates sampleWeight: finite, ≥ 0, not all zero, one per row. Returns a float64 copy. */
export function toSampleWeight(weights: ArrayLike<number> | null | undefined, rows: number): Float64Array | null {
  if (weights == null) return null;
  if (weights.length !== rows) {
    throw new EmgpuInputError(`sampleWeight has ${weights.length} values but X has ${rows} rows; give one weight per row.`);
  }
  const copy = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i] as number;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new EmgpuInputError(`sampleWeight[${i}] is ${typeof w === 'number' ? describeValue(w) : JSON.stringify(w)}; weights must be finite and ≥ 0.`);
    }
    copy[i] = w;
    total += w;
  }
  if (total <= 0) throw new EmgpuInputError('sampleWeight is all zero; at least one row needs a positive weight.');
  return copy;
}
