// Arrow IPC (apache-arrow's tableFromIPC: the file format, Feather v2 included, and the stream
// format): each chosen column's typed arrays, record batch by record batch, straight into the
// row-major Float64Array.

import { DataType, DateUnit, Precision, tableFromIPC, TimeUnit, type Data, type Table } from 'apache-arrow';
import { EmgpuInputError } from '../options.ts';
import { checkArrowFraming } from './arrow-frames.ts';
import { resolveColumns } from './columns.ts';
import {
  allocate,
  copyColumn,
  exactInteger,
  microsToMillis,
  nanosToMillis,
  nullError,
  readFailure,
  chooseNumeric,
  type Classified,
  type ColumnarOptions,
  type ColumnarTable,
  type ColumnTarget,
  type NumberArray,
} from './columnar.ts';

const EPOCH = 'ms since epoch';
const UNIT_NAMES: Record<number, string> = {
  [TimeUnit.SECOND]: 's',
  [TimeUnit.MILLISECOND]: 'ms',
  [TimeUnit.MICROSECOND]: 'us',
  [TimeUnit.NANOSECOND]: 'ns',
};

/** How an Arrow column is read, or why it cannot be. */
function classify(type: DataType): Classified {
  if (DataType.isInt(type)) return { ok: true, type: `${type.isSigned ? 'int' : 'uint'}${type.bitWidth}` };
  if (DataType.isFloat(type))
    return {
      ok: true,
      type: type.precision === Precision.HALF ? 'float16' : type.precision === Precision.SINGLE ? 'float32' : 'float64',
    };
  if (DataType.isBool(type)) return { ok: true, type: 'boolean (0/1)' };
  if (DataType.isDate(type))
    return { ok: true, type: `date${type.unit === DateUnit.DAY ? '[day]' : '[ms]'} (${EPOCH})` };
  if (DataType.isTimestamp(type)) return { ok: true, type: `timestamp[${UNIT_NAMES[type.unit] ?? '?'}] (${EPOCH})` };
  if (DataType.isDictionary(type)) return { ok: false, reason: 'dictionary-encoded: categories' };
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type))
    return { ok: false, reason: 'string' };
  if (
    DataType.isBinary(type) ||
    DataType.isLargeBinary(type) ||
    DataType.isBinaryView(type) ||
    DataType.isFixedSizeBinary(type)
  )
    return { ok: false, reason: 'binary' };
  if (DataType.isDecimal(type)) return { ok: false, reason: 'decimal: cast it to float64' };
  if (DataType.isTime(type)) return { ok: false, reason: 'time of day' };
  if (DataType.isDuration(type) || DataType.isInterval(type)) return { ok: false, reason: 'duration or interval' };
  if (DataType.isNull(type)) return { ok: false, reason: 'null: no values' };
  return { ok: false, reason: `nested: ${String(type)}` };
}

/** IEEE 754 half precision (the bits of a Float16 value) as a number. */
function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The bigint conversion of a timestamp unit to milliseconds. */
function timestampToMillis(unit: TimeUnit): (value: bigint) => number | null {
  switch (unit) {
    case TimeUnit.SECOND:
      return (value) => exactInteger(value * 1000n);
    case TimeUnit.MILLISECOND:
      return exactInteger;
    case TimeUnit.MICROSECOND:
      return microsToMillis;
    default:
      return nanosToMillis;
  }
}

/** Copies one record batch's chunk of a column (rows rowStart…) into the matrix. */
function copyChunk(target: ColumnTarget, rowStart: number, data: Data): void {
  const { type, length } = data;
  if (data.nullCount > 0 && target.missing !== true) {
    for (let i = 0; i < length; i++) if (!data.getValid(i)) throw nullError(target, rowStart + i);
  }
  copyValues(target, rowStart, data);
  // Missing values kept: the slots under nulls (whatever they hold) become NaN.
  if (data.nullCount > 0) {
    for (let i = 0; i < length; i++)
      if (!data.getValid(i)) target.out[(rowStart + i) * target.stride + target.offset] = NaN;
  }
}

function copyValues(target: ColumnTarget, rowStart: number, data: Data): void {
  const { type, length } = data;
  const values = data.values as NumberArray | BigInt64Array | BigUint64Array;
  if (DataType.isBool(type)) {
    // Bit-packed, least significant bit first; a slice keeps its bit offset.
    const bits = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const at = data.offset + i;
      bits[i] = ((values[at >> 3] as number) >> (at & 7)) & 1;
    }
    copyColumn(target, rowStart, bits);
  } else if (DataType.isFloat(type) && type.precision === Precision.HALF) {
    const halves = new Float64Array(length);
    for (let i = 0; i < length; i++) halves[i] = fromHalf(values[i] as number);
    copyColumn(target, rowStart, halves);
  } else if (DataType.isDate(type)) {
    copyColumn(target, rowStart, values.subarray(0, length), type.unit === DateUnit.DAY ? 86_400_000 : 1);
  } else if (DataType.isTimestamp(type)) {
    copyColumn(target, rowStart, values.subarray(0, length), 1, timestampToMillis(type.unit));
  } else {
    copyColumn(target, rowStart, values.subarray(0, length));
  }
}

const HINT =
  'check that it is a complete Arrow IPC file or stream (Feather v2); Feather v1 and compressed IPC buffers are not read.';

/** Reads the chosen columns of Arrow IPC bytes (file or stream format) into a row-major Float64Array. */
export async function readArrow(bytes: Uint8Array, options: ColumnarOptions): Promise<ColumnarTable> {
  const { label, optionName, pause } = options;
  if (
    bytes.length >= 4 &&
    String.fromCharCode(bytes[0] as number, bytes[1] as number, bytes[2] as number, bytes[3] as number) === 'FEA1'
  ) {
    throw new EmgpuInputError(
      `${label} is a Feather v1 file, which is not read; write it again as Feather v2 (Arrow IPC), e.g. pyarrow.feather.write_feather(df, path, version=2).`,
    );
  }
  // A corrupted length can make tableFromIPC loop forever (synchronously: Ctrl-C cannot stop it).
  checkArrowFraming(bytes, label, HINT);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw readFailure(error, label, 'Arrow IPC', HINT);
  }
  const fields = table.schema.fields;
  if (fields.length === 0) throw new EmgpuInputError(`${label} has no columns; ${HINT}`);
  const names = fields.map((field) => field.name);
  const classified = fields.map((field) => classify(field.type as DataType));
  const { chosen, skipped } = chooseNumeric(
    options,
    names,
    classified,
    resolveColumns(options.columns, names, names.length, { label, optionName }),
  );
  const rows = table.numRows;
  if (rows === 0) throw new EmgpuInputError(`${label} has no data rows; pass at least one row of numbers.`);
  const cols = chosen.length;
  const out = allocate(rows, cols, label, optionName);
  const targets: ColumnTarget[] = chosen.map((fileColumn, offset) => ({
    out,
    stride: cols,
    offset,
    label,
    fileColumn,
    name: names[fileColumn] as string,
    missing: options.missing === true,
  }));
  let rowStart = 0;
  for (const batch of table.batches) {
    for (const target of targets) copyChunk(target, rowStart, batch.data.children[target.fileColumn] as Data);
    rowStart += batch.numRows;
    options.onProgress?.(rowStart, rows);
    if (pause !== undefined) await pause();
  }
  return {
    data: out,
    rows,
    cols,
    columns: chosen.map((j) => names[j] as string),
    columnTypes: chosen.map((j) => (classified[j] as { type: string }).type),
    skipped,
  };
}
