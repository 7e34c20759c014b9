// Parquet (hyparquet, with hyparquet-compressors for Snappy, gzip, Zstandard, Brotli and LZ4):
// only the chosen columns are fetched and decoded, one row group at a time, straight into the
// row-major Float64Array.

import {
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type ParquetParsers,
  type SchemaTree,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { EmgpuInputError } from '../options.ts';
import { resolveColumns } from './columns.ts';
import {
  allocate,
  copyColumn,
  exactInteger,
  microsToMillis,
  nanosToMillis,
  readFailure,
  chooseNumeric,
  type Classified,
  type ColumnarOptions,
  type ColumnarTable,
  type ColumnTarget,
  type SkippedColumn,
} from './columnar.ts';
import { quoted } from './printable.ts';

export type { AsyncBuffer } from 'hyparquet';

/** Dates and timestamps as milliseconds since the Unix epoch, not Date objects. */
const parsers: Partial<ParquetParsers> = {
  // Beyond ±2^53 ms the bigint goes on, and copyColumn refuses it naming the row.
  timestampFromMilliseconds: (millis: bigint): number | bigint => exactInteger(millis) ?? millis,
  timestampFromMicroseconds: (micros: bigint): number => microsToMillis(micros),
  timestampFromNanoseconds: (nanos: bigint): number => nanosToMillis(nanos),
  dateFromDays: (days: number): number => days * 86_400_000,
};

const EPOCH = 'ms since epoch';

/** How a top-level Parquet column is read, or why it cannot be. */
function classify(node: SchemaTree): Classified {
  const { element } = node;
  if (node.children.length > 0) return { ok: false, reason: 'nested: a list, map or struct' };
  if (element.repetition_type === 'REPEATED') return { ok: false, reason: 'repeated values' };
  const logical = element.logical_type;
  const converted = element.converted_type;
  if (converted === 'DECIMAL' || logical?.type === 'DECIMAL') return { ok: true, type: 'decimal' };
  if (logical?.type === 'TIME' || converted === 'TIME_MILLIS' || converted === 'TIME_MICROS')
    return { ok: false, reason: 'time of day' };
  if (logical?.type === 'INTERVAL' || converted === 'INTERVAL') return { ok: false, reason: 'interval' };
  switch (element.type) {
    case 'BOOLEAN':
      return { ok: true, type: 'boolean (0/1)' };
    case 'INT32':
      if (converted === 'DATE' || logical?.type === 'DATE') return { ok: true, type: `date (${EPOCH})` };
      return {
        ok: true,
        type: converted === 'UINT_32' || (logical?.type === 'INTEGER' && !logical.isSigned) ? 'uint32' : 'int32',
      };
    case 'INT64':
      if (logical?.type === 'TIMESTAMP')
        return { ok: true, type: `timestamp[${logical.unit.toLowerCase()}] (${EPOCH})` };
      if (converted === 'TIMESTAMP_MILLIS') return { ok: true, type: `timestamp[millis] (${EPOCH})` };
      if (converted === 'TIMESTAMP_MICROS') return { ok: true, type: `timestamp[micros] (${EPOCH})` };
      return {
        ok: true,
        type: converted === 'UINT_64' || (logical?.type === 'INTEGER' && !logical.isSigned) ? 'uint64' : 'int64',
      };
    case 'INT96':
      return { ok: true, type: `timestamp[int96] (${EPOCH})` };
    case 'FLOAT':
      return { ok: true, type: 'float32' };
    case 'DOUBLE':
      return { ok: true, type: 'float64' };
    case 'FIXED_LEN_BYTE_ARRAY':
      if (logical?.type === 'FLOAT16') return { ok: true, type: 'float16' };
      return { ok: false, reason: logical?.type === 'UUID' ? 'uuid' : 'binary' };
    case 'BYTE_ARRAY':
      if (converted === 'ENUM' || logical?.type === 'ENUM') return { ok: false, reason: 'enum' };
      if (converted === 'JSON' || logical?.type === 'JSON' || converted === 'BSON' || logical?.type === 'BSON')
        return { ok: false, reason: 'JSON' };
      if (converted === 'UTF8' || logical?.type === 'STRING') return { ok: false, reason: 'string' };
      return {
        ok: false,
        reason: logical?.type === 'GEOMETRY' || logical?.type === 'GEOGRAPHY' ? 'geometry' : 'binary or string',
      };
    default:
      return { ok: false, reason: `Parquet type ${String(element.type)}` };
  }
}

/** Bytes in memory as hyparquet's AsyncBuffer (slices are ArrayBuffers, not views). */
export function asyncBufferFromBytes(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.byteLength,
    slice: (start: number, end?: number) => {
      // A copy in an ArrayBuffer of its own (a Node Buffer's slice is a view of a larger one).
      const part = bytes.subarray(start, end ?? bytes.byteLength);
      const copy = new Uint8Array(part.length);
      copy.set(part);
      return copy.buffer;
    },
  };
}

const HINT = 'check that it is a complete Parquet file.';

/** The file's metadata, with a one-line error when it is not Parquet. */
export async function parquetMetadataOf(file: AsyncBuffer, label: string): Promise<FileMetaData> {
  // hyparquet checks only the magic at the end; a Parquet file starts with it too.
  const head = new Uint8Array(await file.slice(0, Math.min(4, file.byteLength)));
  if (String.fromCharCode(...head) !== 'PAR1')
    throw new EmgpuInputError(
      `${label} does not start with Parquet's magic 'PAR1' (it starts with ${JSON.stringify(String.fromCharCode(...head))}); ${HINT}`,
    );
  try {
    return await parquetMetadataAsync(file);
  } catch (error) {
    throw readFailure(error, label, 'Parquet', HINT);
  }
}

/** The chosen columns of a Parquet file, checked: what reading them needs. */
interface PreparedParquet {
  readonly metadata: FileMetaData;
  readonly rows: number;
  readonly chosen: number[];
  readonly names: string[];
  readonly chosenNames: string[];
  /** The names hyparquet reads the chosen columns by (unique even where the file repeats a name). */
  readonly readNames: string[];
  readonly classified: Classified[];
  /** Columns left out as not numeric (skipNonNumeric). */
  readonly skipped: SkippedColumn[];
}

async function prepareParquet(file: AsyncBuffer, options: ColumnarOptions): Promise<PreparedParquet> {
  const { label, optionName } = options;
  const metadata = await parquetMetadataOf(file, label);
  const top = parquetSchema(metadata).children;
  const names = top.map((node) => node.element.name);
  const classified = top.map(classify);
  const { chosen, skipped } = chooseNumeric(
    options,
    names,
    classified,
    resolveColumns(options.columns, names, names.length, { label, optionName }),
  );
  const chosenNames = chosen.map((j) => names[j] as string);
  const rows = Number(metadata.num_rows);
  if (rows === 0) throw new EmgpuInputError(`${label} has no data rows; pass at least one row of numbers.`);
  const twice = chosenNames.find((name) => names.indexOf(name) !== names.lastIndexOf(name));
  if (twice === undefined)
    return { metadata, rows, chosen, names, chosenNames, readNames: chosenNames, classified, skipped };
  // hyparquet reads columns by name, so a name held twice cannot be told apart. In a flat
  // schema (no nested columns: column chunk j is top-level column j) the copy of the metadata
  // that reading uses gives such columns unique names; messages keep the file's.
  const flat = metadata.schema.length === names.length + 1 && top.every((node) => node.children.length === 0);
  if (!flat)
    throw new EmgpuInputError(
      `${label} has two columns named ${quoted(twice)} among nested columns, which cannot be told apart; rename one.`,
    );
  const unique = names.map((name, j) => (names.indexOf(name) === names.lastIndexOf(name) ? name : `${name}\u0000${j}`));
  const renamed: FileMetaData = {
    ...metadata,
    schema: metadata.schema.map((element, i) => (i === 0 ? element : { ...element, name: unique[i - 1] as string })),
    row_groups: metadata.row_groups.map((group) => ({
      ...group,
      columns: group.columns.map((chunk, j) =>
        chunk.meta_data === undefined
          ? chunk
          : { ...chunk, meta_data: { ...chunk.meta_data, path_in_schema: [unique[j] as string] } },
      ),
    })),
  };
  return {
    metadata: renamed,
    rows,
    chosen,
    names,
    chosenNames,
    readNames: chosen.map((j) => unique[j] as string),
    classified,
    skipped,
  };
}

/** Reads the chosen columns of a Parquet file into a row-major Float64Array. */
export async function readParquet(file: AsyncBuffer, options: ColumnarOptions): Promise<ColumnarTable> {
  const { label, pause } = options;
  const { metadata, rows, chosen, names, chosenNames, readNames, classified, skipped } = await prepareParquet(
    file,
    options,
  );
  const cols = chosen.length;
  const out = allocate(rows, cols, label, options.optionName);
  const targets: ColumnTarget[] = chosen.map((fileColumn, offset) => ({
    out,
    stride: cols,
    offset,
    label,
    fileColumn,
    name: names[fileColumn] as string,
    missing: options.missing === true,
  }));
  try {
    const scan = await parquetScan({ file, metadata, columns: readNames, compressors, parsers, utf8: false });
    let covered = 0;
    for (const { rowStart, rowEnd } of scan.ranges) {
      covered += rowEnd - rowStart;
      for (const [offset, target] of targets.entries()) {
        const values = await scan.readColumn({ column: readNames[offset] as string, rowStart, rowEnd });
        if (values.length !== rowEnd - rowStart)
          throw new Error(`column ${target.name} has ${values.length} values in rows ${rowStart} to ${rowEnd}`);
        copyColumn(target, rowStart, values);
      }
      options.onProgress?.(covered, rows);
      if (pause !== undefined) await pause();
    }
    if (covered !== rows) throw new Error(`its row groups hold ${covered} rows but its footer says ${rows}`);
  } catch (error) {
    throw readFailure(error, label, 'Parquet', HINT);
  }
  return {
    data: out,
    rows,
    cols,
    columns: chosenNames,
    columnTypes: chosen.map((j) => (classified[j] as { type: string }).type),
    skipped,
  };
}

/** A block of rows of a table read in chunks. */
export interface RowChunk {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** 0-based row of the table of the chunk's first row. */
  readonly firstRow: number;
}

/** A Parquet file opened for reading in chunks of rows. */
export interface ParquetChunks {
  readonly rows: number;
  readonly cols: number;
  readonly columns: string[];
  readonly columnTypes: string[];
  /**
   * The chosen columns, chunkRows rows at a time (fewer at the end of each row group): a new
   * pass over the file on every call. A chunk's data is a view of its row group's numbers,
   * valid until the next chunk is asked for: copy what you keep.
   */
  chunks(chunkRows: number): AsyncGenerator<RowChunk>;
}

/** Opens a Parquet file for reading its chosen columns in chunks of rows (streamed EM). */
export async function openParquetChunks(file: AsyncBuffer, options: ColumnarOptions): Promise<ParquetChunks> {
  const { label, pause } = options;
  const { metadata, rows, chosen, names, chosenNames, readNames, classified } = await prepareParquet(file, options);
  const cols = chosen.length;
  const scanOf = (): ReturnType<typeof parquetScan> =>
    parquetScan({ file, metadata, columns: readNames, compressors, parsers, utf8: false });
  /**
   * Rows rowStart..rowEnd−1 (one row group) of the chosen columns as one row-major block at the
   * start of `room`, decoded one column at a time, each by a scan of its own: hyparquet decodes a column of a
   * row group whole, and a scan keeps the last column it decoded, so a scan per column leaves
   * only the block and one decoded column alive at once (not every chosen column's, and not the
   * previous row group's beside the next).
   */
  async function rowGroup(rowStart: number, rowEnd: number, room: Float64Array): Promise<Float64Array> {
    const block = room.subarray(0, (rowEnd - rowStart) * cols);
    try {
      for (const [offset, fileColumn] of chosen.entries()) {
        const target: ColumnTarget = {
          out: block,
          stride: cols,
          offset,
          label,
          fileColumn,
          name: names[fileColumn] as string,
          firstRow: rowStart,
        };
        const values = await (await scanOf()).readColumn({ column: readNames[offset] as string, rowStart, rowEnd });
        if (values.length !== rowEnd - rowStart)
          throw new Error(`column ${target.name} has ${values.length} values in rows ${rowStart} to ${rowEnd}`);
        copyColumn(target, rowStart, values);
      }
    } catch (error) {
      throw readFailure(error, label, 'Parquet', HINT);
    }
    return block;
  }
  async function* chunks(chunkRows: number): AsyncGenerator<RowChunk> {
    const step = Math.max(1, Math.floor(chunkRows));
    let covered = 0;
    let ranges: readonly { rowStart: number; rowEnd: number }[];
    try {
      ranges = (await scanOf()).ranges;
    } catch (error) {
      throw readFailure(error, label, 'Parquet', HINT);
    }
    // One block for the pass, sized for its largest row group and refilled for each: a chunk is
    // valid until the next is asked for (one large allocation per pass, not one per row group,
    // which the C allocator would keep as fragments).
    const largest = ranges.reduce((most, r) => Math.max(most, r.rowEnd - r.rowStart), 0);
    let room: Float64Array | null = null;
    for (const { rowStart, rowEnd } of ranges) {
      room ??= allocate(largest, cols, label, options.optionName);
      const block = await rowGroup(rowStart, rowEnd, room);
      for (let start = rowStart; start < rowEnd; start += step) {
        const end = Math.min(rowEnd, start + step);
        covered += end - start;
        yield {
          data: block.subarray((start - rowStart) * cols, (end - rowStart) * cols),
          rows: end - start,
          cols,
          firstRow: start,
        };
        if (pause !== undefined) await pause();
      }
    }
    if (covered !== rows)
      throw readFailure(
        new Error(`its row groups hold ${covered} rows but its footer says ${rows}`),
        label,
        'Parquet',
        HINT,
      );
  }
  return {
    rows,
    cols,
    columns: chosenNames,
    columnTypes: chosen.map((j) => (classified[j] as { type: string }).type),
    chunks,
  };
}
