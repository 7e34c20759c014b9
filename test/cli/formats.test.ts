// DATA in every format (CSV, TSV, JSON, Parquet, Arrow IPC), by extension, by --format and on
// stdin; --columns by name and by index for every command that reads DATA; the same columns in
// any format give the same model to the last bit; errors are one line with exit code 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Float64, Int64, makeVector, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readTable } from '../../src/io/index.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';
import { capture, run, tempDir, writeFile, type RunResult } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];
const FIT = ['-k', '3', '--seed', '0', '--max-iter', '20', ...CPU];
const FLIGHTS = new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url).pathname;

/** Runs the CLI with bytes on stdin (helpers.run takes text). */
async function runBytes(argv: string[], stdin: Uint8Array): Promise<RunResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]) });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Exit code 2 and exactly one line on stderr, nothing on stdout. */
function expectOneLineError(result: RunResult, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^emgpu: [^\n]*\n$/);
  expect(result.stderr).toMatch(pattern);
}

// 600 rows of three clusters: two numeric columns to fit, an int64 one, a string one.
const N = 600;
const xs = Array.from({ length: N }, (_, i) => (i % 3) * 5 + Math.sin(i * 1.3) * 1.1);
const ys = Array.from({ length: N }, (_, i) => (i % 3 === 1 ? 4 : 0) + Math.cos(i * 0.7) * 0.9);
const ids = Array.from({ length: N }, (_, i) => BigInt(1000 + i));
const names = Array.from({ length: N }, (_, i) => `p${i}`);

const dir = tempDir();
const csvPath = writeFile(
  dir,
  'points.csv',
  `name,x,id,y\n${xs.map((x, i) => `${names[i]},${x},${ids[i]},${ys[i]}`).join('\n')}\n`,
);
const plainCsv = writeFile(dir, 'xy.csv', `${xs.map((x, i) => `${x},${ys[i]}`).join('\n')}\n`);
const tsvPath = writeFile(dir, 'points.tsv', `x\ty\n${xs.map((x, i) => `${x}\t${ys[i]}`).join('\n')}\n`);
const jsonPath = writeFile(dir, 'points.json', JSON.stringify(xs.map((x, i) => [i, x, ys[i]])));
const parquetBytes = writeParquet(
  [
    { name: 'name', type: 'BYTE_ARRAY', converted: 'UTF8', values: names },
    { name: 'x', type: 'DOUBLE', values: xs },
    { name: 'id', type: 'INT64', values: ids },
    { name: 'y', type: 'DOUBLE', values: ys },
  ],
  250,
);
const parquetPath = join(dir, 'points.parquet');
writeFileSync(parquetPath, parquetBytes);
const arrowTable = new Table({
  name: vectorFromArray(names),
  x: vectorFromArray(xs, new Float64()),
  id: makeVector(BigInt64Array.from(ids)),
  y: vectorFromArray(ys, new Float64()),
});
const arrowFile = tableToIPC(arrowTable, 'file');
const arrowStream = tableToIPC(arrowTable, 'stream');
for (const name of ['points.arrow', 'points.feather', 'points.ipc']) writeFileSync(join(dir, name), arrowFile);
writeFileSync(join(dir, 'points.arrows'), arrowStream);
writeFileSync(join(dir, 'points.bin'), parquetBytes);

describe('the same columns in any format: the same model', () => {
  let reference = '';

  it('CSV with --columns x,y is the fit of the two-column CSV', async () => {
    const plain = await run(['fit', plainCsv, ...FIT]);
    expect(plain.code).toBe(0);
    const chosen = await run(['fit', csvPath, '--columns', 'x,y', ...FIT]);
    expect(chosen.stderr).toBe('');
    expect(chosen.stdout).toBe(plain.stdout);
    reference = plain.stdout;
    expect(JSON.parse(reference).nFeatures).toBe(2);
  });

  it.each([
    ['Parquet', 'points.parquet', ['--columns', 'x,y']],
    ['Parquet by 0-based index', 'points.parquet', ['--columns', '1,3']],
    ['Arrow IPC file (.arrow)', 'points.arrow', ['--columns', 'x,y']],
    ['Feather v2 (.feather)', 'points.feather', ['--columns', 'x,3']],
    ['Arrow IPC (.ipc)', 'points.ipc', ['--columns', 'x,y']],
    ['Arrow IPC stream (.arrows)', 'points.arrows', ['--columns', 'x,y']],
    ['Parquet with an odd extension and --format', 'points.bin', ['--format', 'parquet', '--columns', 'x,y']],
    ['TSV', 'points.tsv', []],
    ['JSON rows by index', 'points.json', ['--columns', '1,2']],
  ])('%s', async (_, file, options) => {
    const result = await run(['fit', join(dir, file), ...options, ...FIT]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(reference);
  });

  it('Parquet and Arrow on stdin with --format', async () => {
    for (const [format, bytes] of [
      ['parquet', parquetBytes],
      ['arrow', arrowStream],
      ['arrow', arrowFile],
    ] as const) {
      const result = await runBytes(['fit', '-', '--format', format, '--columns', 'x,y', ...FIT], bytes);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(reference);
    }
  });

  it('predict, score, select and stats take --format and --columns too', async () => {
    const model = writeFile(dir, 'model.json', reference);
    for (const command of [['predict'], ['predict', '--proba'], ['score'], ['score', '--mean'], ['stats']]) {
      const fromCsv = await run([...command, '--model', model, plainCsv, ...CPU]);
      expect(fromCsv.code).toBe(0);
      const fromParquet = await run([...command, '--model', model, parquetPath, '--columns', 'x,y', ...CPU]);
      expect(fromParquet.stderr).toBe('');
      expect(fromParquet.stdout).toBe(fromCsv.stdout);
      const fromArrow = await runBytes(
        [...command, '--model', model, '-', '--format', 'arrow', '--columns', '1,3', ...CPU],
        arrowFile,
      );
      expect(fromArrow.stdout).toBe(fromCsv.stdout);
    }
    const grid = ['-k', '1-2', '--covariance', 'full,diag', '--seed', '0', ...CPU];
    const selectCsv = await run(['select', plainCsv, ...grid]);
    const selectParquet = await run(['select', parquetPath, '--columns', 'x,y', ...grid]);
    expect(selectParquet.code).toBe(0);
    // The header names the file and the timing column differs: compare the BIC values.
    const bics = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^(full|diag)/.test(l))
        .map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
    expect(bics(selectParquet.stdout)).toEqual(bics(selectCsv.stdout));
    expect(bics(selectParquet.stdout)).toHaveLength(4);
  });

  it('the flights Parquet file: 20,000 rows of delay and distance, as Parquet-derived CSV and Arrow, fit alike', async () => {
    const flights = await readTable(readFileSync(FLIGHTS), { columns: 'delay,distance' });
    const rows = 20_000;
    const head = flights.data.subarray(0, rows * 2);
    const csv = writeFile(
      dir,
      'flights.csv',
      `delay,distance\n${Array.from({ length: rows }, (_, i) => `${head[2 * i]},${head[2 * i + 1]}`).join('\n')}\n`,
    );
    const arrow = join(dir, 'flights.arrow');
    writeFileSync(
      arrow,
      tableToIPC(
        new Table({
          distance: makeVector(
            BigInt64Array.from(Array.from({ length: rows }, (_, i) => BigInt(head[2 * i + 1] as number))),
          ),
          delay: vectorFromArray(
            Array.from({ length: rows }, (_, i) => head[2 * i] as number),
            new Float64(),
          ),
        }),
        'file',
      ),
    );
    const args = ['-k', '4', '--seed', '0', '--max-iter', '5', '--tol', '0', ...CPU];
    const a = await run(['fit', csv, ...args]);
    const b = await run(['fit', arrow, '--columns', 'delay,distance', ...args]);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('--columns and conversions on the command line', () => {
  it('--verbose lists the column types and says timestamps are milliseconds since the epoch', async () => {
    const times = join(dir, 'times.parquet');
    writeFileSync(
      times,
      writeParquet([
        {
          name: 'when',
          type: 'INT64',
          converted: 'TIMESTAMP_MICROS',
          values: [0n, 86_400_000_000n, 172_800_000_000n, 1_000n],
        },
        { name: 'flag', type: 'BOOLEAN', values: [true, false, true, false] },
        { name: 'count', type: 'INT64', values: [3n, 1n, 4n, 1n] },
      ]),
    );
    const result = await run([
      'fit',
      times,
      '--columns',
      'when,count,flag',
      '-k',
      '1',
      '--seed',
      '0',
      '--verbose',
      ...CPU,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('emgpu: read 4 × 3 from ');
    expect(result.stderr).toContain(
      'emgpu: columns: "when" timestamp[micros] (ms since epoch), "count" int64, "flag" boolean (0/1)\n',
    );
    expect(result.stderr).toContain(
      'emgpu: note: "when" is a date or timestamp, read as milliseconds since the Unix epoch (1970-01-01 00:00 UTC)\n',
    );
    const model = JSON.parse(result.stdout);
    expect(model.means[0][0]).toBeCloseTo((0 + 86_400_000 + 172_800_000 + 1) / 4, 2);
    expect(model.means[0][1]).toBeCloseTo(9 / 4, 10);
    expect(model.means[0][2]).toBeCloseTo(0.5, 10);
  });

  it('without --verbose, nothing is said about the columns', async () => {
    const result = await run(['fit', parquetPath, '--columns', 'id', '-k', '1', '--seed', '0', ...CPU]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).means[0][0]).toBeCloseTo(1000 + (N - 1) / 2, 8); // int64 read as numbers
  });
});

describe('errors: one line, exit code 2', () => {
  let model2 = '';
  beforeAll(async () => {
    const fitted = await run(['fit', plainCsv, '-k', '1', '--seed', '0', ...CPU]);
    model2 = writeFile(dir, 'm2.json', fitted.stdout);
  });

  it('string and dictionary columns are refused, named, with --columns suggested', async () => {
    expectOneLineError(
      await run(['fit', parquetPath, ...CPU]),
      /^emgpu: \S+points\.parquet: column "name" \(string\) is not numeric; choose numeric columns with --columns, e\.g\. --columns x,id,y\.\n$/,
    );
    expectOneLineError(
      await run(['fit', join(dir, 'points.arrow'), ...CPU]),
      /column "name" \(dictionary-encoded: categories\) is not numeric; choose numeric columns with --columns, e\.g\. --columns x,id,y\.\n$/,
    );
    expectOneLineError(
      await run(['fit', FLIGHTS, '--columns', 'delay,origin', ...CPU]),
      /flights-3m\.parquet: column "origin" \(string\) is not numeric; choose numeric columns with --columns, e\.g\. --columns date,delay,distance\.\n$/,
    );
  });

  it('int64 beyond 2^53 and nulls name row and column', async () => {
    const big = join(dir, 'big.parquet');
    writeFileSync(
      big,
      writeParquet([
        { name: 'a', type: 'DOUBLE', values: [1, 2] },
        { name: 'b', type: 'INT64', values: [2n ** 60n, 1n] },
      ]),
    );
    expectOneLineError(
      await run(['fit', big, ...CPU]),
      /big\.parquet, row 1, column 2 \("b"\): the integer 1152921504606846976 is beyond ±2\^53 \(9007199254740992\)/,
    );
    const arrowBig = join(dir, 'big.arrow');
    writeFileSync(arrowBig, tableToIPC(new Table({ b: makeVector(BigInt64Array.from([1n, -(2n ** 54n)])) }), 'file'));
    expectOneLineError(
      await run(['fit', arrowBig, ...CPU]),
      /big\.arrow, row 2, column 1 \("b"\): the integer -18014398509481984 is beyond/,
    );
    const holes = join(dir, 'holes.parquet');
    writeFileSync(
      holes,
      writeParquet([
        { name: 'a', type: 'DOUBLE', values: [1, 2, 3] },
        { name: 'b', type: 'INT64', values: [1n, null, 3n] },
      ]),
    );
    expectOneLineError(
      await run(['predict', '--model', model2, holes, ...CPU]),
      /holes\.parquet, row 2, column 2 \("b"\): the value is null \(a missing value\); every value must be a finite number \(remove or impute missing values, or marginalise over them: --missing marginalize\)\.\n$/,
    );
    const nan = join(dir, 'nan.arrow');
    writeFileSync(
      nan,
      tableToIPC(
        new Table({ a: vectorFromArray([1, Number.NaN], new Float64()), b: makeVector(new BigInt64Array(2)) }),
        'file',
      ),
    );
    expectOneLineError(
      await run(['score', '--model', model2, nan, ...CPU]),
      /nan\.arrow, row 2, column 1 \("a"\): the value is NaN \(not a number\)/,
    );
  });

  it('--columns that names nothing, twice, or out of range', async () => {
    expectOneLineError(
      await run(['fit', parquetPath, '--columns', 'x,z', ...CPU]),
      /points\.parquet has no column named "z"; its columns are "name", "x", "id", "y" \(--columns takes names or 0-based indices\)\.\n$/,
    );
    expectOneLineError(
      await run(['select', csvPath, '--columns', 'x,1', ...CPU]),
      /--columns chooses column 1 \("x"\) twice; list each column once\.\n$/,
    );
    expectOneLineError(
      await run(['stats', '--model', model2, plainCsv, '--columns', '0,2', ...CPU]),
      /xy\.csv has 2 columns, so column index 2 does not exist; use 0-based indices 0 to 1\.\n$/,
    );
    expectOneLineError(
      await run(['fit', plainCsv, '--columns', 'x', ...CPU]),
      /xy\.csv has no column names \(no header row\), so "x" names no column; choose columns by 0-based index \(indices 0 to 1\)\.\n$/,
    );
    expectOneLineError(
      await run(['fit', plainCsv, '--columns', '0,,1', ...CPU]),
      /option '--columns <list>' argument '0,,1' is invalid/,
    );
    expectOneLineError(
      await run(['fit', plainCsv, '--format', 'xlsx', ...CPU]),
      /option '--format <name>' argument 'xlsx' is invalid. Allowed choices are csv, tsv, json, parquet, arrow/,
    );
    expectOneLineError(
      await run(['fit', '--demo', '--columns', '0']),
      /fit --demo does not take --sample-weight, --weight-column, --init, --format or --columns/,
    );
  });

  it('a binary table taken for CSV says what it is; a damaged one names the file', async () => {
    expectOneLineError(
      await run(['fit', join(dir, 'points.bin'), ...CPU]),
      /points\.bin looks like a Parquet file, not CSV text; name it \.parquet or pass --format parquet\.\n$/,
    );
    expectOneLineError(
      await runBytes(['fit', '-', ...CPU], arrowStream),
      /stdin looks like an Arrow IPC file or stream, not CSV text; name it \.arrow or pass --format arrow\.\n$/,
    );
    const cut = join(dir, 'cut.parquet');
    writeFileSync(cut, parquetBytes.subarray(0, 200));
    expectOneLineError(
      await run(['fit', cut, ...CPU]),
      /cut\.parquet could not be read as Parquet \(.*\); check that it is a complete Parquet file\.\n$/,
    );
    expectOneLineError(
      await run(['fit', join(dir, 'missing.parquet'), ...CPU]),
      /cannot read data file '\S+missing\.parquet': no such file or directory; check the path\.\n$/,
    );
  });
});
