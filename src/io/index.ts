// emgpu/io: tables from files into the row-major matrix the estimators take, in browsers and
// Node. A separate entry point, so that the core bundle does not carry the Parquet and Arrow
// readers.
//
//   import { readTable } from 'emgpu/io';
//   const X = await readTable(file, { columns: ['delay', 'distance'] });   // a File, Blob, ArrayBuffer or Uint8Array
//   await new GaussianMixture({ nComponents: 6 }).fit(X);

import { EmgpuInputError } from '../options.ts';
import { parseColumnList, type ColumnSpec } from './columns.ts';
import type { ColumnarTable } from './columnar.ts';
import { formatFromName, sniffFormat, TABLE_FORMATS, type TableFormat } from './formats.ts';
import { readArrow } from './arrow.ts';
import { asyncBufferFromBytes, readParquet, type AsyncBuffer } from './parquet.ts';
import { parseCsv, parseJsonRows, type TextTable } from './text.ts';

export type { ColumnSpec } from './columns.ts';
// The class readTable throws. dist/io.js is a bundle of its own: catch with this export (or test
// error.name === 'EmgpuInputError'), as the one from 'emgpu' is another copy of the class.
export { EmgpuInputError } from '../options.ts';
export { TABLE_FORMATS, formatFromName, sniffFormat, type TableFormat } from './formats.ts';

/** A table as bytes: an ArrayBuffer, a typed array or DataView over one, or a Blob / File. */
export type TableSource = ArrayBuffer | ArrayBufferView | Blob;

export interface ReadTableOptions {
  /** The format; by default from a File's name (.csv, .tsv, .json, .parquet, .arrow, .feather, .ipc), else from the bytes. */
  readonly format?: TableFormat;
  /**
   * The columns to read, in order: names, or 0-based indices (numbers, or strings of digits
   * that are not a column's name), or one comma-separated string such as 'delay,distance'.
   * Default: every column, each of which must then be numeric.
   */
  readonly columns?: readonly ColumnSpec[] | string;
  /** How error messages name the table (default: a File's name, else 'the table'). */
  readonly name?: string;
  /** Stops reading (between row groups, record batches or 1 MiB of text) with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Parquet and Arrow, without `columns`: read every numeric column and leave the others
   * (strings, dictionaries, nested…) out, listed in `skipped`, instead of refusing the table.
   * A table with no numeric column is still refused. Text formats have no column types: every
   * column of CSV, TSV or JSON is read as numbers whatever this says.
   */
  readonly skipNonNumeric?: boolean;
  /**
   * Keep missing values as NaN instead of refusing the table: nulls in Parquet and Arrow, NaN,
   * and in text an empty cell, NaN, NA, N/A, null or None (JSON: null). For GaussianMixture's
   * `missing: 'marginalize'`.
   */
  readonly missing?: boolean;
  /**
   * Called with the rows read so far and the table's rows: after each Parquet row group or
   * Arrow record batch, and once at the end for text.
   */
  readonly onProgress?: (rowsRead: number, rows: number) => void;
}

/** A table read as numbers: usable directly as X (`{ data, rows, cols }`, row-major). */
export interface TableData {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** The names of the columns read, in order (for text without a header row: '0', '1', …, their 0-based indices). */
  readonly columns: string[];
  /**
   * The type each column was read as: 'float64', 'int64', 'boolean (0/1)', 'date (ms since
   * epoch)', 'timestamp[us] (ms since epoch)', … ('number' for text).
   */
  readonly columnTypes: string[];
  /** Columns left out because they are not numeric (only with skipNonNumeric), with their type. */
  readonly skipped: { readonly name: string; readonly reason: string }[];
}

/** How messages name the columns option. */
const OPTION = 'the columns option';

/** The items of `columns`, a list or a comma-separated string. */
function columnList(
  columns: readonly ColumnSpec[] | string | undefined,
  optionName: string,
): readonly ColumnSpec[] | undefined {
  return typeof columns === 'string' ? parseColumnList(columns, optionName) : columns;
}

function asBytes(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof Uint8Array
    ? source
    : ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : new Uint8Array(source);
}

/** Lets the event loop run, then stops if the signal aborted. */
function pauser(signal: AbortSignal | undefined): (() => Promise<void>) | undefined {
  if (signal === undefined) return undefined;
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    signal.throwIfAborted();
  };
}

/** Reads text formats (CSV, TSV, JSON rows) from their bytes. */
async function readText(
  bytes: Uint8Array,
  format: 'csv' | 'tsv' | 'json',
  label: string,
  columns: readonly ColumnSpec[] | undefined,
  pause: (() => Promise<void>) | undefined,
  missing: boolean,
): Promise<TextTable> {
  const text = new TextDecoder('utf-8').decode(bytes); // drops a byte order mark
  const options = { optionName: OPTION, missing, ...(columns !== undefined ? { columns } : {}) };
  if (format === 'json') return parseJsonRows({ label, text }, options);
  return parseCsv(
    { label, text },
    { ...options, ...(format === 'tsv' ? { delimiter: '\t' } : {}), ...(pause !== undefined ? { pause } : {}) },
  );
}

function fromText(table: TextTable, columns: readonly ColumnSpec[] | undefined): TableData {
  const names =
    table.header ??
    (columns === undefined ? Array.from({ length: table.cols }, (_, j) => String(j)) : columns.map((c) => String(c)));
  return {
    data: table.data,
    rows: table.rows,
    cols: table.cols,
    columns: names,
    columnTypes: names.map(() => 'number'),
    skipped: [],
  };
}

function fromColumnar(table: ColumnarTable): TableData {
  return {
    data: table.data,
    rows: table.rows,
    cols: table.cols,
    columns: table.columns,
    columnTypes: table.columnTypes,
    skipped: table.skipped,
  };
}

/** A Blob read in slices (only the byte ranges Parquet needs: the footer and the chosen columns). */
function blobBuffer(blob: Blob): AsyncBuffer {
  return { byteLength: blob.size, slice: (start: number, end?: number) => blob.slice(start, end).arrayBuffer() };
}

/**
 * Reads a CSV, TSV, JSON, Parquet or Arrow IPC table into a row-major Float64Array, the chosen
 * columns only. Integers (int64 within ±2^53), floats and booleans (0/1) are read as numbers,
 * dates and timestamps as milliseconds since the Unix epoch; string, dictionary-encoded and
 * nested columns are refused (choose numeric ones with `columns`), and so is a missing or
 * non-finite value, naming its row and column. Throws an EmgpuInputError.
 */
export async function readTable(source: TableSource, options: ReadTableOptions = {}): Promise<TableData> {
  const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
  const fileName = isBlob && 'name' in source && typeof source.name === 'string' ? source.name : null;
  const label = options.name ?? fileName ?? 'the table';
  const columns = columnList(options.columns, OPTION);
  const pause = pauser(options.signal);
  options.signal?.throwIfAborted();
  const named = options.format ?? (fileName === null ? null : formatFromName(fileName));
  if (named !== null && !(TABLE_FORMATS as readonly string[]).includes(named)) {
    throw new EmgpuInputError(
      `The format ${JSON.stringify(named)} is not one emgpu reads; use one of ${TABLE_FORMATS.join(', ')}.`,
    );
  }
  const columnar = {
    label,
    optionName: OPTION,
    ...(columns !== undefined ? { columns } : {}),
    ...(pause !== undefined ? { pause } : {}),
    ...(options.skipNonNumeric === true ? { skipNonNumeric: true } : {}),
    ...(options.missing === true ? { missing: true } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  };
  const textDone = (table: TableData): TableData => {
    options.onProgress?.(table.rows, table.rows);
    return table;
  };
  if (isBlob) {
    const blob = source as Blob;
    const format = named ?? sniffFormat(new Uint8Array(await blob.slice(0, 4096).arrayBuffer()));
    // Parquet: only the footer and the chosen columns' bytes are read from the Blob.
    if (format === 'parquet') return fromColumnar(await readParquet(blobBuffer(blob), columnar));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    if (format === 'arrow') return fromColumnar(await readArrow(bytes, columnar));
    return textDone(fromText(await readText(bytes, format, label, columns, pause, options.missing === true), columns));
  }
  if (!(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
    throw new EmgpuInputError(
      'readTable needs the table as an ArrayBuffer, a Uint8Array (or another view) or a Blob / File; read a path with fs.readFile first.',
    );
  }
  const bytes = asBytes(source);
  const format = named ?? sniffFormat(bytes);
  if (format === 'parquet') return fromColumnar(await readParquet(asyncBufferFromBytes(bytes), columnar));
  if (format === 'arrow') return fromColumnar(await readArrow(bytes, columnar));
  return textDone(fromText(await readText(bytes, format, label, columns, pause, options.missing === true), columns));
}
