// `emgpu fit DATA --stream`: on a Parquet and a CSV file it writes the in-memory fit's model from
// the same --init file (to float64 rounding), whatever --chunk-rows; a bar per pass on a
// terminal; flags it cannot take and bad data are one line, exit 2, nothing written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { listDir, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];
const N = 3000;
const dir = tempDir();
let parquet = '';
let csv = '';
let init = '';

interface ModelJson {
  weights: number[];
  means: number[][];
  covariances: unknown;
  precisionsCholesky: unknown;
  nIter: number;
  converged: boolean;
  lowerBound: number;
  lowerBounds: number[];
}

beforeAll(async () => {
  const random = new Random(17);
  const x: number[] = [];
  const y: number[] = [];
  const z: number[] = [];
  for (let i = 0; i < N; i++) {
    const c = i % 3;
    // Overlapping clusters: EM takes tens of iterations.
    x.push(2 * c + random.nextGaussian());
    y.push(-1.5 * c + 2 * random.nextGaussian());
    z.push(i % 7);
  }
  parquet = join(dir, 'points.parquet');
  parquetWriteFile({
    filename: parquet,
    columnData: [
      { name: 'x', data: x, type: 'DOUBLE' },
      { name: 'label', data: z, type: 'INT32' },
      { name: 'y', data: y, type: 'DOUBLE' },
    ],
    rowGroupSize: 1000,
  });
  csv = writeFile(
    dir,
    'points.csv',
    `x,label,y\n${x.map((v, i) => `${v},${z[i] as number},${y[i] as number}`).join('\n')}\n`,
  );
  // A start that is not the answer: one iteration from k-means, saved as a model file.
  init = join(dir, 'init.json');
  const started = await run([
    'fit',
    csv,
    '--columns',
    'x,y',
    '-k',
    '3',
    '--max-iter',
    '1',
    '--seed',
    '3',
    ...CPU,
    '-o',
    init,
  ]);
  expect(started.code).toBe(0);
});

function expectSameModel(streamed: ModelJson, inMemory: ModelJson): void {
  expect(streamed.nIter).toBe(inMemory.nIter);
  expect(streamed.converged).toBe(inMemory.converged);
  expect(streamed.lowerBounds).toHaveLength(inMemory.lowerBounds.length);
  const flat = (value: unknown): number[] => (Array.isArray(value) ? value.flatMap(flat) : [value as number]);
  for (const key of ['weights', 'means', 'covariances', 'precisionsCholesky', 'lowerBounds'] as const) {
    const a = flat(streamed[key]);
    const b = flat(inMemory[key]);
    const scale = Math.max(...b.map(Math.abs));
    a.forEach((v, i) => expect(Math.abs(v - (b[i] as number)) / scale, `${key}[${i}]`).toBeLessThan(1e-9));
  }
}

describe('emgpu fit --stream', () => {
  for (const [name, file, chunk] of [
    ['Parquet (row groups of 1000, chunks of 700)', () => parquet, '700'],
    ['CSV (chunks of about 500 rows)', () => csv, '500'],
  ] as const) {
    it(`${name}: the in-memory fit's model from the same --init file`, async () => {
      const args = ['fit', file(), '--columns', 'x,y', '--init', init, '--tol', '1e-5', '--max-iter', '1000', ...CPU];
      const inMemory = await run(args);
      const streamed = await run([...args, '--stream', '--chunk-rows', chunk]);
      expect(inMemory.code).toBe(0);
      expect(streamed.stderr).toBe('');
      expect(streamed.code).toBe(0);
      const a = JSON.parse(streamed.stdout) as ModelJson;
      const b = JSON.parse(inMemory.stdout) as ModelJson;
      expect(b.nIter).toBeGreaterThan(2);
      expectSameModel(a, b);
    });
  }

  it('the CSV and Parquet streams of the same table give the same model, and --verbose says what was streamed', async () => {
    const fromCsv = await run(['fit', csv, '--columns', 'x,y', '--init', init, '--stream', ...CPU, '--verbose']);
    const fromParquet = await run([
      'fit',
      parquet,
      '--columns',
      'x,y',
      '--init',
      init,
      '--stream',
      '--chunk-rows',
      '1000',
      ...CPU,
    ]);
    expect(fromCsv.code).toBe(0);
    expectSameModel(JSON.parse(fromCsv.stdout) as ModelJson, JSON.parse(fromParquet.stdout) as ModelJson);
    expect(fromCsv.stderr).toMatch(/emgpu: iter +1\/100 {2}lower bound/);
    expect(fromCsv.stderr).toMatch(
      /emgpu: fitted 3 components \(full\) streamed from .*points\.csv \(2 columns, chunks of ≤ 1000000 rows\): \d+ iterations, converged/,
    );
  });

  it('an init method runs on the sample (the whole file here, so the in-memory fit with the same seed)', async () => {
    const args = ['fit', parquet, '--columns', 'x,y', '-k', '3', '--covariance', 'diag', '--seed', '5', ...CPU];
    const inMemory = await run(args);
    const streamed = await run([...args, '--stream', '--chunk-rows', '999', '-o', join(dir, 'streamed.json')]);
    expect(streamed.code).toBe(0);
    expectSameModel(
      JSON.parse(readFileSync(join(dir, 'streamed.json'), 'utf8')) as ModelJson,
      JSON.parse(inMemory.stdout) as ModelJson,
    );
  });

  it('shows a progress bar per pass over the file on a terminal', async () => {
    const { code, stderr } = await run(
      [
        'fit',
        parquet,
        '--columns',
        'x,y',
        '--init',
        init,
        '--stream',
        '--chunk-rows',
        '1000',
        '--max-iter',
        '3',
        '--tol',
        '0',
        ...CPU,
      ],
      { stderrTTY: true },
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/scan {4}\[=+\] 100% \| 3000\/3000 rows/);
    for (const pass of ['EM 1/3', 'EM 2/3', 'EM 3/3']) expect(stderr).toContain(pass);
  });
});

describe('emgpu fit --stream refuses in one line, exit 2, writing nothing', () => {
  const refuses = async (args: string[], message: RegExp): Promise<void> => {
    const out = tempDir();
    const { code, stdout, stderr } = await run([...args, '-o', join(out, 'model.json')]);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(listDir(out)).toEqual([]);
  };

  it('--online, --bayesian, --sample-weight, stdin, a JSON file; --chunk-rows without --stream', async () => {
    await refuses(
      ['fit', csv, '--stream', '--online'],
      /^emgpu: --stream and --online are two different fits: .*Choose one\.$/m,
    );
    await refuses(['fit', csv, '--stream', '--bayesian'], /--stream fits a GaussianMixture/);
    await refuses(['fit', csv, '--stream', '--sample-weight', csv], /--stream does not take --sample-weight/);
    await refuses(['fit', '-', '--stream'], /DATA must be a file, not stdin/);
    await refuses(
      ['fit', writeFile(dir, 'rows.json', '[[1,2],[3,4]]'), '--stream'],
      /--stream reads CSV, TSV and Parquet files, and .*rows\.json is JSON/,
    );
    await refuses(['fit', csv, '--chunk-rows', '10'], /--chunk-rows is an option of streamed EM; add --stream/);
    await refuses(['fit', csv, '--stream', '--chunk-rows', '0'], /--chunk-rows/);
  });

  it('a bad value names the file, its row and column, wherever the chunk', async () => {
    const lines = ['a,b', ...Array.from({ length: 2000 }, (_, i) => `${i % 10},${(i * 7) % 13}`)];
    lines[1501] = '3,nan';
    const bad = writeFile(dir, 'bad.csv', `${lines.join('\n')}\n`);
    await refuses(
      ['fit', bad, '-k', '2', '--stream', '--chunk-rows', '100', ...CPU],
      /^emgpu: .*bad\.csv, row 1502, column 2 \("b"\): the value is "nan" \(not a number\)/,
    );
  });

  it("an --init file with responsibilities ('resp')", async () => {
    const resp = writeFile(dir, 'resp.json', JSON.stringify({ resp: [[1, 0]] }));
    await refuses(
      ['fit', csv, '--columns', 'x,y', '-k', '2', '--stream', '--init', resp, ...CPU],
      /--stream starts from an init method or from weights, means and covariances/,
    );
  });
});
