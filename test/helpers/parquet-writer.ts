// A minimal Parquet writer for tests (no Parquet writer is installed): flat columns, PLAIN
// encoding, no compression, data page v1, optional columns with definition levels, any number
// of row groups. Enough to make small files with the types and nulls the readers must handle.

export type ParquetColumnType = 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** Converted type (legacy annotation): 'UTF8', 'DATE', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS'. */
  converted?: 'UTF8' | 'DATE' | 'TIMESTAMP_MILLIS' | 'TIMESTAMP_MICROS';
  /** null marks a missing value (the column is then OPTIONAL). */
  values: (number | bigint | boolean | string | null)[];
}

const TYPE_IDS: Record<ParquetColumnType, number> = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  FLOAT: 4,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
};
const CONVERTED_IDS = { UTF8: 0, DATE: 6, TIMESTAMP_MILLIS: 9, TIMESTAMP_MICROS: 10 } as const;

class Bytes {
  private parts: number[] = [];
  byte(b: number): this {
    this.parts.push(b & 0xff);
    return this;
  }
  bytes(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.parts.push((data[i] as number) & 0xff);
    return this;
  }
  varint(value: bigint): this {
    let v = value;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return this.byte(Number(v));
  }
  zigzag(value: number | bigint): this {
    const v = BigInt(value);
    return this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }
  u32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }
  get length(): number {
    return this.parts.length;
  }
  toArray(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.parts);
  }
}

/** Thrift compact protocol, the subset the footer and page headers need. */
type Thrift =
  | { kind: 'i32'; value: number }
  | { kind: 'i64'; value: number | bigint }
  | { kind: 'string'; value: string }
  | { kind: 'struct'; fields: [number, Thrift][] }
  | { kind: 'list'; of: 'i32' | 'string' | 'struct'; items: Thrift[] };

const i32 = (value: number): Thrift => ({ kind: 'i32', value });
const i64 = (value: number | bigint): Thrift => ({ kind: 'i64', value });
const str = (value: string): Thrift => ({ kind: 'string', value });
const struct = (fields: [number, Thrift | undefined][]): Thrift => ({
  kind: 'struct',
  fields: fields.filter((f): f is [number, Thrift] => f[1] !== undefined),
});
const list = (of: 'i32' | 'string' | 'struct', items: Thrift[]): Thrift => ({ kind: 'list', of, items });

const COMPACT = { i32: 5, i64: 6, string: 8, list: 9, struct: 12 } as const;

function writeValue(out: Bytes, value: Thrift): void {
  switch (value.kind) {
    case 'i32':
    case 'i64':
      out.zigzag(value.value);
      return;
    case 'string': {
      const bytes = new TextEncoder().encode(value.value);
      out.varint(BigInt(bytes.length)).bytes(bytes);
      return;
    }
    case 'list': {
      const n = value.items.length;
      const type = COMPACT[value.of];
      if (n < 15) out.byte((n << 4) | type);
      else out.byte(0xf0 | type).varint(BigInt(n));
      for (const item of value.items) writeValue(out, item);
      return;
    }
    case 'struct': {
      let last = 0;
      for (const [id, field] of value.fields) {
        const type = COMPACT[field.kind];
        if (id > last && id - last <= 15) out.byte(((id - last) << 4) | type);
        else out.byte(type).zigzag(id);
        last = id;
        writeValue(out, field);
      }
      out.byte(0);
    }
  }
}

function thrift(value: Thrift): Uint8Array {
  const out = new Bytes();
  writeValue(out, value);
  return out.toArray();
}

function plainValues(column: ParquetColumn, values: (number | bigint | boolean | string)[]): Uint8Array {
  const out = new Bytes();
  if (column.type === 'BOOLEAN') {
    for (let i = 0; i < values.length; i += 8) {
      let b = 0;
      for (let k = 0; k < 8 && i + k < values.length; k++) if (values[i + k]) b |= 1 << k;
      out.byte(b);
    }
    return out.toArray();
  }
  for (const v of values) {
    const view = new DataView(new ArrayBuffer(8));
    switch (column.type) {
      case 'INT32':
        view.setInt32(0, Number(v), true);
        out.bytes(new Uint8Array(view.buffer, 0, 4));
        break;
      case 'INT64':
        view.setBigInt64(0, BigInt(v as number | bigint), true);
        out.bytes(new Uint8Array(view.buffer));
        break;
      case 'FLOAT':
        view.setFloat32(0, Number(v), true);
        out.bytes(new Uint8Array(view.buffer, 0, 4));
        break;
      case 'DOUBLE':
        view.setFloat64(0, Number(v), true);
        out.bytes(new Uint8Array(view.buffer));
        break;
      case 'BYTE_ARRAY': {
        const bytes = new TextEncoder().encode(String(v));
        out.u32(bytes.length).bytes(bytes);
        break;
      }
    }
  }
  return out.toArray();
}

/** Definition levels (bit width 1) as the RLE/bit-packed hybrid: one RLE run per value, with its length prefix. */
function definitionLevels(values: unknown[]): Uint8Array {
  const runs = new Bytes();
  for (const v of values) runs.byte(1 << 1).byte(v === null ? 0 : 1); // run of 1 (header 1 << 1), value in 1 byte
  return new Bytes().u32(runs.length).bytes(runs.toArray()).toArray();
}

/** A Parquet file of the columns, split into row groups of `groupRows` rows. */
export function writeParquet(columns: ParquetColumn[], groupRows = Infinity): Uint8Array<ArrayBuffer> {
  const rows = columns[0]?.values.length ?? 0;
  const file = new Bytes().bytes(new TextEncoder().encode('PAR1'));
  const rowGroups: Thrift[] = [];
  for (let start = 0; start < rows; start += groupRows) {
    const end = Math.min(rows, start + groupRows);
    const chunks: Thrift[] = [];
    let groupBytes = 0;
    for (const column of columns) {
      const values = column.values.slice(start, end);
      const optional = column.values.includes(null);
      const present = values.filter((v): v is number | bigint | boolean | string => v !== null);
      const body = new Bytes();
      if (optional) body.bytes(definitionLevels(values));
      body.bytes(plainValues(column, present));
      const header = thrift(
        struct([
          [1, i32(0)], // DATA_PAGE
          [2, i32(body.length)],
          [3, i32(body.length)],
          [
            5,
            struct([
              [1, i32(values.length)],
              [2, i32(0)],
              [3, i32(3)],
              [4, i32(3)],
            ]),
          ], // PLAIN values, RLE levels
        ]),
      );
      const offset = file.length;
      file.bytes(header).bytes(body.toArray());
      const size = header.length + body.length;
      groupBytes += size;
      chunks.push(
        struct([
          [2, i64(offset)],
          [
            3,
            struct([
              [1, i32(TYPE_IDS[column.type])],
              [2, list('i32', [i32(0), i32(3)])],
              [3, list('string', [str(column.name)])],
              [4, i32(0)], // UNCOMPRESSED
              [5, i64(values.length)],
              [6, i64(size)],
              [7, i64(size)],
              [9, i64(offset)],
            ]),
          ],
        ]),
      );
    }
    rowGroups.push(
      struct([
        [1, list('struct', chunks)],
        [2, i64(groupBytes)],
        [3, i64(end - start)],
      ]),
    );
  }
  const schema = [
    struct([
      [4, str('schema')],
      [5, i32(columns.length)],
    ]),
    ...columns.map((column) =>
      struct([
        [1, i32(TYPE_IDS[column.type])],
        [3, i32(column.values.includes(null) ? 1 : 0)],
        [4, str(column.name)],
        [6, column.converted === undefined ? undefined : i32(CONVERTED_IDS[column.converted])],
      ]),
    ),
  ];
  const footer = thrift(
    struct([
      [1, i32(1)],
      [2, list('struct', schema)],
      [3, i64(rows)],
      [4, list('struct', rowGroups)],
      [6, str('emgpu test writer')],
    ]),
  );
  file.bytes(footer).u32(footer.length).bytes(new TextEncoder().encode('PAR1'));
  return file.toArray();
}
