// emgpu/io's readTable: Parquet (files written here by a minimal test writer, and the real
// 3M-row flights file with Zstandard pages, dictionary encoding and a timestamp column), Arrow
// IPC (file and stream, written here with apache-arrow), CSV, TSV and JSON; the column choice,
// the conversions and the errors.
import { readFileSync } from 'node:fs';
import {
  Bool,
  DateDay,
  Float64,
  Int64,
  makeData,
  makeVector,
  Table,
  tableToIPC,
  TimestampMicrosecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint64,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readTable, sniffFormat } from '../../src/io/index.ts';
import { asyncBufferFromBytes, openParquetChunks } from '../../src/io/parquet.ts';
import { EmgpuInputError } from '../../src/options.ts';
import { writeParquet, type ParquetColumn } from '../helpers/parquet-writer.ts';

const FLIGHTS = new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url).pathname;
const DAY = 86_400_000;

/** A small table of every numeric Parquet type, in three row groups. */
function mixedParquet(): Uint8Array<ArrayBuffer> {
  const columns: ParquetColumn[] = [
    { name: 'label', type: 'BYTE_ARRAY', converted: 'UTF8', values: ['a', 'b', 'c', 'd', 'e'] },
    { name: 'x', type: 'DOUBLE', values: [1.5, -2.25, 3, 1e-300, 4.75] },
    { name: 'n', type: 'INT64', values: [1n, -2n, 2n ** 53n, -(2n ** 53n), 7n] },
    { name: 'i', type: 'INT32', values: [10, 20, -30, 40, 50] },
    { name: 'f', type: 'FLOAT', values: [0.5, 1.5, 2.5, 3.5, 4.5] },
    { name: 'ok', type: 'BOOLEAN', values: [true, false, true, true, false] },
    { name: 'day', type: 'INT32', converted: 'DATE', values: [0, 1, -1, 19000, 2] },
    { name: 'ms', type: 'INT64', converted: 'TIMESTAMP_MILLIS', values: [0n, 1_700_000_000_123n, -5n, 1n, 2n] },
    {
      name: 'us',
      type: 'INT64',
      converted: 'TIMESTAMP_MICROS',
      values: [1_500n, 1_700_000_000_123_456n, -1_000n, 0n, 999n],
    },
  ];
  return writeParquet(columns, 2);
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmgpuInputError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

const ipc = (columns: Record<string, Vector>, format: 'file' | 'stream' = 'file'): Uint8Array =>
  tableToIPC(new Table(columns), format);

describe('readTable: Parquet', () => {
  const bytes = mixedParquet();

  it('reads the chosen columns, by name or 0-based index, in the order given, across row groups', async () => {
    const t = await readTable(bytes, { columns: ['n', 'x', 3] });
    expect(t.rows).toBe(5);
    expect(t.cols).toBe(3);
    expect(t.columns).toEqual(['n', 'x', 'i']);
    expect(t.columnTypes).toEqual(['int64', 'float64', 'int32']);
    expect(Array.from(t.data)).toEqual([
      1,
      1.5,
      10,
      -2,
      -2.25,
      20,
      2 ** 53,
      3,
      -30,
      -(2 ** 53),
      1e-300,
      40,
      7,
      4.75,
      50,
    ]);
    const same = await readTable(bytes, { columns: '2, 1,i' });
    expect(same.data).toEqual(t.data);
  });

  it('converts floats, booleans (0/1), dates and timestamps (ms since the Unix epoch)', async () => {
    const t = await readTable(bytes, { columns: 'f,ok,day,ms,us' });
    expect(t.columnTypes).toEqual([
      'float32',
      'boolean (0/1)',
      'date (ms since epoch)',
      'timestamp[millis] (ms since epoch)',
      'timestamp[micros] (ms since epoch)',
    ]);
    const rows = Array.from({ length: t.rows }, (_, i) => Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)));
    expect(rows).toEqual([
      [0.5, 1, 0, 0, 1.5],
      [1.5, 0, DAY, 1_700_000_000_123, 1_700_000_000_123.456],
      [2.5, 1, -DAY, -5, -1],
      [3.5, 1, 19000 * DAY, 1, 0],
      [4.5, 0, 2 * DAY, 2, 0.999],
    ]);
  });

  it('refuses string columns in one message naming them and suggesting numeric ones', async () => {
    const message = await rejection(readTable(bytes, { name: 'mixed.parquet' }));
    expect(message).toBe(
      `mixed.parquet: column "label" (string) is not numeric; choose numeric columns with the columns option, e.g. columns: 'x,n,i,f,ok,day' (8 numeric columns in all).`,
    );
    expect(await rejection(readTable(bytes, { columns: ['x', 'label'] }))).toContain(
      'column "label" (string) is not numeric',
    );
  });

  it('refuses int64 values beyond ±2^53, naming the row and column', async () => {
    const big = writeParquet([
      { name: 'a', type: 'DOUBLE', values: [1, 2, 3] },
      { name: 'big', type: 'INT64', values: [1n, 2n, 2n ** 53n + 1n] },
    ]);
    const message = await rejection(readTable(big, { name: 'big.parquet' }));
    expect(message).toBe(
      'big.parquet, row 3, column 2 ("big"): the integer 9007199254740993 is beyond ±2^53 (9007199254740992), where float64 numbers no longer hold every integer; store the column as floating point or rescale it.',
    );
  });

  it('a null, NaN or infinite value is an error naming row and column', async () => {
    const file = writeParquet(
      [
        { name: 'a', type: 'DOUBLE', values: [1, 2, 3, 4] },
        { name: 'b', type: 'INT64', values: [1n, 2n, null, 4n] },
        { name: 'c', type: 'DOUBLE', values: [1, 2, 3, Number.NaN] },
        { name: 'd', type: 'DOUBLE', values: [1, -Infinity, 3, 4] },
      ],
      2,
    );
    expect(await rejection(readTable(file, { name: 'n.parquet', columns: 'a,b' }))).toBe(
      'n.parquet, row 3, column 2 ("b"): the value is null (a missing value); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).',
    );
    expect(await rejection(readTable(file, { name: 'n.parquet', columns: 'c' }))).toBe(
      'n.parquet, row 4, column 3 ("c"): the value is NaN (not a number); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).',
    );
    expect(await rejection(readTable(file, { name: 'n.parquet', columns: 'd' }))).toMatch(
      /^n\.parquet, row 2, column 4 \("d"\): the value is -Infinity \(infinite\)/,
    );
    expect(Array.from((await readTable(file, { columns: 'a' })).data)).toEqual([1, 2, 3, 4]);
  });

  it('column choices that name nothing are one-line errors', async () => {
    expect(await rejection(readTable(bytes, { name: 'm.parquet', columns: ['x', 'nope'] }))).toBe(
      'm.parquet has no column named "nope"; its columns are "label", "x", "n", "i", "f", "ok", "day", "ms", "us" (the columns option takes names or 0-based indices).',
    );
    expect(await rejection(readTable(bytes, { name: 'm.parquet', columns: [9] }))).toBe(
      'm.parquet has 9 columns, so column index 9 does not exist; use 0-based indices 0 to 8.',
    );
    expect(await rejection(readTable(bytes, { columns: ['x', 1] }))).toBe(
      'the columns option chooses column 1 ("x") twice; list each column once.',
    );
    expect(await rejection(readTable(bytes, { columns: 'x,,n' }))).toMatch(/has an empty item/);
    expect(await rejection(readTable(bytes, { columns: [] }))).toMatch(/is empty; choose at least one column/);
  });

  it('a damaged file is one line naming it', async () => {
    const cut = bytes.subarray(0, bytes.length - 10);
    expect(await rejection(readTable(cut, { name: 'cut.parquet', format: 'parquet' }))).toMatch(
      /^cut\.parquet could not be read as Parquet \(.*\); check that it is a complete Parquet file\.$/,
    );
  });

  it('a Blob or File: read by name or by its first bytes, Parquet in slices', async () => {
    const file = new File([bytes], 'mixed.parquet');
    expect((await readTable(file, { columns: 'x' })).columns).toEqual(['x']);
    const blob = new Blob([bytes]);
    expect(Array.from((await readTable(blob, { columns: 'i' })).data)).toEqual([10, 20, -30, 40, 50]);
    expect(sniffFormat(bytes)).toBe('parquet');
  });

  it('the 3M-row flights file: Zstandard pages, int64 and timestamp columns, strings refused', async () => {
    const bytes = readFileSync(FLIGHTS);
    expect(await rejection(readTable(bytes, { name: 'flights-3m.parquet' }))).toBe(
      `flights-3m.parquet: columns "origin" (string) and "destination" (string) are not numeric; choose numeric columns with the columns option, e.g. columns: 'date,delay,distance'.`,
    );
    const t = await readTable(bytes, { columns: ['distance', 'date'] });
    expect(t.rows).toBe(3_000_000);
    expect(t.columnTypes).toEqual(['int64', 'timestamp[micros] (ms since epoch)']);
    let sum = 0;
    for (let i = 0; i < t.rows; i++) sum += t.data[2 * i] as number;
    expect(sum / t.rows).toBeGreaterThan(100); // miles
    // 2001: every date falls in that year (flights data of the US Bureau of Transportation Statistics).
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < t.rows; i++) {
      const d = t.data[2 * i + 1] as number;
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    expect(new Date(min).getUTCFullYear()).toBe(2001);
    expect(new Date(max).getUTCFullYear()).toBe(2001);
  });
});

describe('openParquetChunks (streamed EM): a row group decoded a column at a time, chunks of it', () => {
  const bytes = mixedParquet();
  const columns = ['n', 'x', 'i', 'day'];

  it("gives readTable's rows in order, in chunks that never cross a row group, on every pass", async () => {
    const whole = await readTable(bytes, { columns });
    const file = await openParquetChunks(asyncBufferFromBytes(bytes), {
      label: 'mixed.parquet',
      optionName: 'columns',
      columns,
    });
    expect([file.rows, file.cols, file.columns]).toEqual([5, 4, columns]);
    for (const chunkRows of [1, 2, 3, 1000]) {
      for (let pass = 0; pass < 2; pass++) {
        const got: number[] = [];
        const shape: [number, number][] = [];
        for await (const chunk of file.chunks(chunkRows)) {
          shape.push([chunk.firstRow, chunk.rows]);
          expect(chunk.data.length).toBe(chunk.rows * chunk.cols);
          got.push(...chunk.data);
        }
        expect(got, `chunks of ${chunkRows}`).toEqual(Array.from(whole.data));
        // Row groups of 2 rows: [0, 2), [2, 4), [4, 5).
        const expected =
          chunkRows === 1
            ? [
                [0, 1],
                [1, 1],
                [2, 1],
                [3, 1],
                [4, 1],
              ]
            : [
                [0, 2],
                [2, 2],
                [4, 1],
              ];
        expect(shape, `chunks of ${chunkRows}`).toEqual(expected);
      }
    }
  });

  it('a bad value names its row of the table, not of the chunk or row group', async () => {
    const bad = writeParquet([{ name: 'x', type: 'DOUBLE', values: [1, 2, 3, 4, Number.POSITIVE_INFINITY, 6] }], 2);
    const file = await openParquetChunks(asyncBufferFromBytes(bad), { label: 'bad.parquet', optionName: 'columns' });
    const read = async (): Promise<void> => {
      for await (const chunk of file.chunks(1)) void chunk;
    };
    const error = await read().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^bad\.parquet, row 5\b/);
  });
});

describe('readTable: Arrow IPC', () => {
  const columns = {
    x: vectorFromArray([1.5, 2.5, -3.5], new Float64()),
    n: makeVector(BigInt64Array.from([1n, -(2n ** 53n), 2n ** 53n])),
    ok: vectorFromArray([true, false, true], new Bool()),
    day: makeVector(makeData({ type: new DateDay(), data: Int32Array.from([0, 1, -2]) })),
    us: makeVector(makeData({ type: new TimestampMicrosecond(), data: BigInt64Array.from([1_500n, 0n, -2_000n]) })),
    s: makeVector(makeData({ type: new TimestampSecond(), data: BigInt64Array.from([1n, 2n, 3n]) })),
    ns: makeVector(
      makeData({ type: new TimestampNanosecond(), data: BigInt64Array.from([1_700_000_000_123_500_000n, 0n, -1n]) }),
    ),
    u: makeVector(makeData({ type: new Uint64(), data: BigUint64Array.from([0n, 5n, 2n ** 53n]) })),
  };

  it('file and stream formats give the same table; typed arrays copied, conversions as for Parquet', async () => {
    for (const format of ['file', 'stream'] as const) {
      const bytes = ipc(columns, format);
      expect(sniffFormat(bytes)).toBe('arrow');
      const t = await readTable(bytes, { columns: 'x,n,ok,day,us,s,ns,u' });
      expect(t.columnTypes).toEqual([
        'float64',
        'int64',
        'boolean (0/1)',
        'date[day] (ms since epoch)',
        'timestamp[us] (ms since epoch)',
        'timestamp[s] (ms since epoch)',
        'timestamp[ns] (ms since epoch)',
        'uint64',
      ]);
      expect(Array.from(t.data)).toEqual([
        1.5,
        1,
        1,
        0,
        1.5,
        1000,
        1_700_000_000_123.5,
        0,
        2.5,
        -(2 ** 53),
        0,
        DAY,
        0,
        2000,
        0,
        5,
        -3.5,
        2 ** 53,
        1,
        -2 * DAY,
        -2,
        3000,
        -0.000001,
        2 ** 53,
      ]);
    }
  });

  it('several record batches land at their rows', async () => {
    const a = new Table({ x: vectorFromArray([1, 2], new Float64()), y: vectorFromArray([10, 20], new Float64()) });
    const b = new Table({ x: vectorFromArray([3], new Float64()), y: vectorFromArray([30], new Float64()) });
    const both = a.concat(b);
    expect(both.batches.length).toBe(2);
    const t = await readTable(tableToIPC(both, 'stream'), { columns: [1, 0] });
    expect(Array.from(t.data)).toEqual([10, 1, 20, 2, 30, 3]);
  });

  it('dictionary-encoded and string columns are refused, naming them; so are nulls and int64 beyond 2^53', async () => {
    const withStrings = ipc({ city: vectorFromArray(['a', 'b', 'a']), x: vectorFromArray([1, 2, 3], new Float64()) });
    expect(await rejection(readTable(withStrings, { name: 'c.arrow' }))).toBe(
      `c.arrow: column "city" (dictionary-encoded: categories) is not numeric; choose numeric columns with the columns option, e.g. columns: 'x'.`,
    );
    expect(Array.from((await readTable(withStrings, { columns: 'x' })).data)).toEqual([1, 2, 3]);
    const nulls = ipc({ x: vectorFromArray([1, null, 3], new Float64()) });
    expect(await rejection(readTable(nulls, { name: 'n.arrow' }))).toBe(
      'n.arrow, row 2, column 1 ("x"): the value is null (a missing value); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).',
    );
    const big = ipc({ x: makeVector(BigInt64Array.from([0n, -(2n ** 53n) - 1n])) });
    expect(await rejection(readTable(big, { name: 'b.arrow' }))).toMatch(
      /^b\.arrow, row 2, column 1 \("x"\): the integer -9007199254740993 is beyond ±2\^53/,
    );
    expect(
      await rejection(
        readTable(new Uint8Array([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31, 0, 0, 1, 2, 3]), { name: 'bad.arrow' }),
      ),
    ).toMatch(/^bad\.arrow is damaged: it starts as an Arrow IPC file but does not end with 'ARROW1'/);
    expect(await rejection(readTable(new TextEncoder().encode('FEA1xxxx'), { name: 'old.feather' }))).toMatch(
      /Feather v1/,
    );
    expect(
      await rejection(
        readTable(
          ipc({
            x: vectorFromArray([1], new Float64()),
            y: makeVector(makeData({ type: new Int64(), data: BigInt64Array.from([1n]) })),
          }),
          { columns: 'x,q', name: 'q.arrow' },
        ),
      ),
    ).toMatch(/^q\.arrow has no column named "q"; its columns are "x", "y"/);
  });
});

describe('readTable: skipNonNumeric and onProgress (what the demo uses)', () => {
  it('Parquet: every numeric column, the others listed; progress after each row group', async () => {
    const progress: [number, number][] = [];
    const t = await readTable(mixedParquet(), {
      skipNonNumeric: true,
      onProgress: (done, rows) => progress.push([done, rows]),
    });
    expect(t.columns).toEqual(['x', 'n', 'i', 'f', 'ok', 'day', 'ms', 'us']);
    expect(t.skipped).toEqual([{ name: 'label', reason: 'string' }]);
    // The same numbers as choosing those columns by name.
    const chosen = await readTable(mixedParquet(), { columns: t.columns });
    expect(Array.from(t.data)).toEqual(Array.from(chosen.data));
    expect(chosen.skipped).toEqual([]);
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    // A choice is still a choice: a chosen string column is refused with the option on.
    expect(await rejection(readTable(mixedParquet(), { columns: 'x,label', skipNonNumeric: true }))).toContain(
      'column "label" (string) is not numeric',
    );
    // No numeric column at all: refused as without the option.
    const words = writeParquet([{ name: 'w', type: 'BYTE_ARRAY', converted: 'UTF8', values: ['a'] }]);
    expect(await rejection(readTable(words, { skipNonNumeric: true, name: 'w.parquet' }))).toMatch(
      /^w\.parquet: column "w" \(string\) is not numeric; w\.parquet has no numeric column to read\.$/,
    );
  });

  it('Arrow: the same, progress after each record batch; text reports once at the end', async () => {
    const a = new Table({ city: vectorFromArray(['a', 'b']), x: vectorFromArray([1, 2], new Float64()) });
    const b = new Table({ city: vectorFromArray(['c']), x: vectorFromArray([3], new Float64()) });
    const progress: number[] = [];
    const t = await readTable(tableToIPC(a.concat(b), 'stream'), {
      skipNonNumeric: true,
      onProgress: (done) => progress.push(done),
    });
    expect(t.columns).toEqual(['x']);
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
    expect(t.skipped).toEqual([{ name: 'city', reason: 'dictionary-encoded: categories' }]);
    expect(progress).toEqual([2, 3]);
    const text: [number, number][] = [];
    const csv = await readTable(new TextEncoder().encode('x,y\n1,2\n3,4\n'), {
      skipNonNumeric: true,
      onProgress: (done, rows) => text.push([done, rows]),
    });
    expect(csv.skipped).toEqual([]);
    expect(text).toEqual([[2, 2]]);
  });
});

describe('readTable: missing values kept as NaN (missing: true)', () => {
  it('Parquet and Arrow nulls, a NaN, and text markers (empty, NA, NaN, null, JSON null) become NaN', async () => {
    const parquet = writeParquet([
      { name: 'a', type: 'DOUBLE', values: [1, null, 3] },
      { name: 'b', type: 'INT64', values: [4n, 5n, null] },
    ]);
    const p = await readTable(parquet, { missing: true });
    expect(Array.from(p.data).map(String)).toEqual(['1', '4', 'NaN', '5', '3', 'NaN']);
    const arrow = ipc({ x: vectorFromArray([1, null, NaN], new Float64()) });
    expect(Array.from((await readTable(arrow, { missing: true })).data).map(String)).toEqual(['1', 'NaN', 'NaN']);
    const csv = await readTable(new TextEncoder().encode('x,y\n1,\nNA,2\nNaN,null\n,\n'), { missing: true });
    expect(Array.from(csv.data).map(String)).toEqual(['1', 'NaN', 'NaN', '2', 'NaN', 'NaN', 'NaN', 'NaN']);
    const json = await readTable(new TextEncoder().encode('[[1, null], ["NA", 2]]'), { missing: true });
    expect(Array.from(json.data).map(String)).toEqual(['1', 'NaN', 'NaN', '2']);
    // Without the option, the first one is refused, naming it and the way to keep it.
    expect(await rejection(readTable(parquet, { name: 'p.parquet' }))).toBe(
      'p.parquet, row 2, column 1 ("a"): the value is null (a missing value); every value must be a finite number (remove or impute missing values, or marginalise over them: --missing marginalize).',
    );
  });
});

describe('readTable: text', () => {
  const csv = new TextEncoder().encode('name,x,y\nA,1,2\nB,3,4.5\n');

  it('CSV with a header: by name or index; string columns left out are never parsed', async () => {
    const t = await readTable(csv, { columns: ['y', '1'] });
    expect(t).toEqual({
      data: Float64Array.from([2, 1, 4.5, 3]),
      rows: 2,
      cols: 2,
      columns: ['y', 'x'],
      columnTypes: ['number', 'number'],
      skipped: [],
    });
    expect(await rejection(readTable(csv, { name: 'p.csv' }))).toBe(
      'p.csv, row 2, column 1 ("name"): "A" is not a number; every value must be a finite number (fix or remove that row).',
    );
  });

  it('TSV (by format or by a File name), JSON rows and headerless CSV choose by index', async () => {
    const tsv = new TextEncoder().encode('1\t2\t3\n4\t5\t6\n');
    expect(Array.from((await readTable(tsv, { format: 'tsv', columns: [2, 0] })).data)).toEqual([3, 1, 6, 4]);
    expect(Array.from((await readTable(new File([tsv], 't.tsv'), { columns: '1' })).data)).toEqual([2, 5]);
    const json = new TextEncoder().encode('[[1, 2, 3], [4, 5, 6]]');
    const fromJson = await readTable(json, { columns: '2,0' });
    expect(fromJson.columns).toEqual(['2', '0']);
    expect(Array.from(fromJson.data)).toEqual([3, 1, 6, 4]);
    const plain = await readTable(new TextEncoder().encode('1,2\n3,4\n'));
    expect(plain.columns).toEqual(['0', '1']);
    expect(await rejection(readTable(json, { name: 'r.json', columns: 'x' }))).toBe(
      'r.json has no column names (no header row), so "x" names no column; choose columns by 0-based index (indices 0 to 2).',
    );
  });

  it('an AbortSignal stops reading', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readTable(csv, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});
