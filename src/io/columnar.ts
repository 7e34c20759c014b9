// Columns of a Parquet or Arrow table copied straight into the row-major Float64Array: the
// conversions (integers, int64 within ±2^53, booleans as 0/1, dates and timestamps as
// milliseconds since the Unix epoch) and the one-line errors for values that are not finite
// numbers, naming the source, the row (1-based) and the column (1-based, as in the file).

import { EmgpuInputError } from '../options.ts';
import { columnsExample } from './columns.ts';
import { quoted } from './printable.ts';
import { isAbortError } from '../errors.ts';

/** What readers of columnar formats return. */
export interface ColumnarTable {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** The names of the chosen columns, in order. */
  readonly columns: string[];
  /** The type each chosen column was read as, e.g. 'int64' or 'timestamp[us] (ms since epoch)'. */
  readonly columnTypes: string[];
  /** Columns left out because they are not numeric (only with skipNonNumeric), with why. */
  readonly skipped: SkippedColumn[];
}

/** A column left out of the matrix: its name and its type, e.g. 'string'. */
export interface SkippedColumn {
  readonly name: string;
  readonly reason: string;
}

export interface ColumnarOptions {
  /** How messages name the table, e.g. "flights.parquet". */
  readonly label: string;
  /** The columns to keep, in order: names or 0-based indices (a name wins over an index). */
  readonly columns?: readonly (string | number)[];
  /** How messages name the option that chose the columns ('--columns' on the command line). */
  readonly optionName: string;
  /** Awaited between row groups or record batches (lets an interrupt through); rejects to stop. */
  readonly pause?: () => Promise<void>;
  /** Without `columns`: read every numeric column and leave the others out (instead of refusing them). */
  readonly skipNonNumeric?: boolean;
  /** Nulls and NaNs become NaN (missing values, for GaussianMixture's missing: 'marginalize') instead of errors. */
  readonly missing?: boolean;
  /** Called after each row group or record batch with the rows read so far and the total. */
  readonly onProgress?: (rowsRead: number, rows: number) => void;
}

/** A column's type as read: a description, or why it cannot be read as numbers. */
export type Classified = { readonly ok: true; readonly type: string } | { readonly ok: false; readonly reason: string };

/** The destination of one chosen column: column `offset` of a row-major matrix `stride` wide. */
export interface ColumnTarget {
  readonly out: Float64Array;
  readonly stride: number;
  readonly offset: number;
  readonly label: string;
  /** 0-based, in the file. */
  readonly fileColumn: number;
  readonly name: string;
  /** Nulls and NaNs are kept as NaN (missing values) instead of refused. */
  readonly missing?: boolean;
  /** The table row (0-based) that row 0 of `out` holds: a chunk of a streamed table (default 0). */
  readonly firstRow?: number;
}

/** Integers beyond ±2^53 are not all held exactly by float64 numbers. */
const LIMIT = 2n ** 53n;

/** A bigint as a number, or null when it is beyond ±2^53. */
export function exactInteger(value: bigint): number | null {
  return value > LIMIT || value < -LIMIT ? null : Number(value);
}

/** Microseconds since the epoch as milliseconds (a fraction keeps the microseconds). */
export function microsToMillis(value: bigint): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n / 1000 : Number(value / 1000n) + Number(value % 1000n) / 1000;
}

/** Nanoseconds since the epoch as milliseconds (a fraction keeps the sub-millisecond part). */
export function nanosToMillis(value: bigint): number {
  return Number(value / 1_000_000n) + Number(value % 1_000_000n) / 1e6;
}

export function where(target: ColumnTarget, row: number): string {
  return `${target.label}, row ${row + 1}, column ${target.fileColumn + 1} (${quoted(target.name)})`;
}

export function nullError(target: ColumnTarget, row: number): EmgpuInputError {
  return new EmgpuInputError(
    `${where(target, row)}: the value is null (a missing value); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).`,
  );
}

function nonFiniteError(target: ColumnTarget, row: number, value: number): EmgpuInputError {
  if (Number.isNaN(value))
    return new EmgpuInputError(
      `${where(target, row)}: the value is NaN (not a number); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).`,
    );
  return new EmgpuInputError(
    `${where(target, row)}: the value is ${value > 0 ? 'Infinity' : '-Infinity'} (infinite); every value must be a finite number (remove that row or clip the value).`,
  );
}

function tooLargeError(target: ColumnTarget, row: number, value: bigint): EmgpuInputError {
  return new EmgpuInputError(
    `${where(target, row)}: the integer ${value} is beyond ±2^53 (9007199254740992), where float64 numbers no longer hold every integer; store the column as floating point or rescale it.`,
  );
}

/** Typed arrays whose elements are numbers. */
export type NumberArray =
  Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * Copies the values of rows rowStart… of one column into the matrix: numbers (times `scale`),
 * bigints (through `fromBigInt`: null when out of range), booleans as 0/1; null, undefined,
 * NaN and ±Infinity are errors naming the row (with target.missing, null, undefined and NaN are
 * kept as NaN).
 */
export function copyColumn(
  target: ColumnTarget,
  rowStart: number,
  values: NumberArray | BigInt64Array | BigUint64Array | ArrayLike<unknown>,
  scale = 1,
  fromBigInt: (value: bigint) => number | null = exactInteger,
): void {
  const { out, stride, offset } = target;
  const n = values.length;
  let at = (rowStart - (target.firstRow ?? 0)) * stride + offset;
  if (values instanceof Float64Array || values instanceof Float32Array) {
    for (let i = 0; i < n; i++, at += stride) {
      const v = values[i] as number;
      if (!Number.isFinite(v) && !(target.missing === true && Number.isNaN(v)))
        throw nonFiniteError(target, rowStart + i, v);
      out[at] = v * scale;
    }
  } else if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array)) {
    const ints = values as Exclude<NumberArray, Float64Array | Float32Array>;
    for (let i = 0; i < n; i++, at += stride) out[at] = (ints[i] as number) * scale;
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < n; i++, at += stride) {
      const v = values[i] as bigint;
      const number = fromBigInt(v);
      if (number === null) throw tooLargeError(target, rowStart + i, v);
      out[at] = number * scale;
    }
  } else {
    const items = values as ArrayLike<unknown>;
    for (let i = 0; i < n; i++, at += stride) {
      const v = items[i];
      if (typeof v === 'number') {
        if (!Number.isFinite(v) && !(target.missing === true && Number.isNaN(v)))
          throw nonFiniteError(target, rowStart + i, v);
        out[at] = v * scale;
      } else if (typeof v === 'bigint') {
        const number = fromBigInt(v);
        if (number === null) throw tooLargeError(target, rowStart + i, v);
        out[at] = number * scale;
      } else if (typeof v === 'boolean') {
        out[at] = v ? 1 : 0;
      } else if (v === null || v === undefined) {
        if (target.missing !== true) throw nullError(target, rowStart + i);
        out[at] = NaN;
      } else {
        throw new EmgpuInputError(
          `${where(target, rowStart + i)}: the value is not a number (${typeof v}); choose numeric columns.`,
        );
      }
    }
  }
}

/** The row-major matrix for rows × cols values, or a one-line error when it cannot be held. */
export function allocate(rows: number, cols: number, label: string, optionName: string): Float64Array {
  try {
    return new Float64Array(rows * cols);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new EmgpuInputError(
      `${label} has ${rows} rows × ${cols} columns, more numbers than one array holds here; choose fewer columns with ${optionName} or split the file.`,
    );
  }
}

/**
 * Refuses chosen columns that are not numbers in one message naming each (and why), and
 * suggests the columns that are.
 */
export function refuseColumns(
  label: string,
  names: readonly string[],
  classified: readonly Classified[],
  chosen: readonly number[],
  optionName: string,
): void {
  const bad = chosen.filter((j) => !(classified[j] as Classified).ok);
  if (bad.length === 0) return;
  const described = bad.map((j) => `${quoted(names[j] as string)} (${(classified[j] as { reason: string }).reason})`);
  const list =
    described.length === 1
      ? (described[0] as string)
      : `${described.slice(0, -1).join(', ')} and ${described.at(-1) as string}`;
  const numeric = names.flatMap((name, j) => ((classified[j] as Classified).ok ? [{ name, j }] : []));
  // An example that works as typed: a plain name as it is, another by its 0-based index.
  const example = numeric
    .slice(0, 6)
    .map(({ name, j }) => (/^[\w.-]+$/.test(name) && !/^\d+$/.test(name) ? name : String(j)));
  const suggestion =
    numeric.length === 0
      ? `${label} has no numeric column to read`
      : `choose numeric columns with ${optionName}, e.g. ${columnsExample(optionName, example.join(','))}${numeric.length > example.length ? ` (${numeric.length} numeric columns in all)` : ''}`;
  throw new EmgpuInputError(
    `${label}: column${bad.length === 1 ? '' : 's'} ${list} ${bad.length === 1 ? 'is' : 'are'} not numeric; ${suggestion}.`,
  );
}

/**
 * The columns to read: the chosen ones (refused if any is not numeric), or without a choice
 * and with skipNonNumeric, every numeric column (the others listed as skipped).
 */
export function chooseNumeric(
  options: ColumnarOptions,
  names: readonly string[],
  classified: readonly Classified[],
  resolved: readonly number[],
): { chosen: number[]; skipped: SkippedColumn[] } {
  if (options.columns === undefined && options.skipNonNumeric === true) {
    const chosen = resolved.filter((j) => (classified[j] as Classified).ok);
    const skipped = resolved.flatMap((j) => {
      const c = classified[j] as Classified;
      return c.ok ? [] : [{ name: names[j] as string, reason: c.reason }];
    });
    // None numeric: refuse as without the option, naming every column.
    if (chosen.length > 0) return { chosen, skipped };
  }
  refuseColumns(options.label, names, classified, resolved, options.optionName);
  return { chosen: [...resolved], skipped: [] };
}

/** Rethrows our own errors and interrupts; wraps what the format library threw. */
export function readFailure(error: unknown, label: string, format: string, hint: string): Error {
  if (error instanceof EmgpuInputError) return error;
  if (isAbortError(error)) return error as Error;
  // A TypeError or RangeError is the reader tripping over bytes that are not what the format
  // says ("Cannot read properties of undefined"): the file is damaged, which is what to say.
  if (error instanceof TypeError || error instanceof RangeError)
    return new EmgpuInputError(
      `${label} could not be read as ${format}: its metadata or data is damaged or cut short (the bytes do not describe a valid table); ${hint}`,
    );
  const message = error instanceof Error ? error.message : String(error);
  return new EmgpuInputError(`${label} could not be read as ${format} (${message}); ${hint}`);
}
