// The Dask integration (integrations/dask/emgpu_dask.py) on a real LocalCluster: two worker
// processes on loopback, each with its own `emgpu serve`, started by /usr/bin/python3 with
// Debian's python3-distributed. The reference is `emgpu fit` on the concatenated table (run
// in-process here), which shares no code with the integration's loop (partitions, Python tree
// merges, `emgpu mstep` per iteration). Under CI=true a missing python3-distributed fails.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { run, tempDir } from '../cli/helpers.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'integrations/dask/emgpu_dask.py');
const PYTHON = '/usr/bin/python3';
const EMGPU = `${process.execPath} ${join(ROOT, 'bin/emgpu.js')}`;
const inCI = process.env.CI === 'true' || process.env.CI === '1';

function daskUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const probe = spawnSync(PYTHON, ['-c', 'import distributed'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PYTHON} cannot import distributed (apt-get install python3-distributed)`;
}
const unavailable = daskUnavailable();

function needDask(ctx: TestContext): void {
  if (unavailable === null) return;
  if (inCI) throw new Error(`CI=true and ${unavailable}`);
  ctx.skip(unavailable);
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dask(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(PYTHON, [SCRIPT, 'fit', ...args, '--local-workers', '2', '--emgpu', EMGPU], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Three clusters of 2-D points (x, y) and an integer weight w (a seeded LCG), `rows` rows starting at `seed`. */
function points(rows: number, seed: number): number[][] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(next() * 3);
    const gauss = (): number => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    out.push([c * 6 + gauss(), (1 - c) * 4 + 1.5 * gauss() + 0.3 * c * gauss(), 1 + Math.floor(next() * 3)]);
  }
  return out;
}

const csv = (rows: (number | null)[][]): string =>
  `x,y,w\n${rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\n')}\n`;

type Model = Record<string, unknown> & { nIter: number; converged: boolean; lowerBound: number };

function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

/** The largest difference of the fitted arrays, relative to each array's largest entry. */
function expectSameModel(a: Model, b: Model, tolerance: number): void {
  expect(a.nIter).toBe(b.nIter);
  expect(a.converged).toBe(b.converged);
  for (const key of ['weights', 'means', 'covariances', 'precisionsCholesky', 'lowerBounds']) {
    const x = flat(a[key]);
    const y = flat(b[key]);
    expect(x.length, key).toBe(y.length);
    const scale = Math.max(...y.map(Math.abs));
    const worst = Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))));
    expect(worst / scale, key).toBeLessThan(tolerance);
  }
  expect(Math.abs(a.lowerBound - b.lowerBound)).toBeLessThan(tolerance * Math.abs(b.lowerBound));
}

const readModel = (path: string): Model => JSON.parse(readFileSync(path, 'utf8')) as Model;

describe('emgpu_dask.py on a LocalCluster of 2 worker processes', () => {
  const dir = tempDir();
  const parts = [points(400, 1), points(250, 2), points(350, 3)];
  // Partition 1 is Parquet, the others CSV.
  const paths = [join(dir, 'p0.csv'), join(dir, 'p1.parquet'), join(dir, 'p2.csv')];
  writeFileSync(paths[0] as string, csv(parts[0] as number[][]));
  writeFileSync(
    paths[1] as string,
    writeParquet([
      { name: 'x', type: 'DOUBLE', values: (parts[1] as number[][]).map((r) => r[0] as number) },
      { name: 'y', type: 'DOUBLE', values: (parts[1] as number[][]).map((r) => r[1] as number) },
      { name: 'w', type: 'DOUBLE', values: (parts[1] as number[][]).map((r) => r[2] as number) },
    ]),
  );
  writeFileSync(paths[2] as string, csv(parts[2] as number[][]));
  const all = join(dir, 'all.csv');
  writeFileSync(all, csv(parts.flat()));

  it('equals emgpu fit on the concatenated table, from the sample start, with an all-missing partition merged as zero', async (ctx) => {
    needDask(ctx);
    const empty = join(dir, 'holes.csv');
    writeFileSync(
      empty,
      csv([
        [null, null, 1],
        [null, null, 2],
        [null, null, 1],
      ]),
    );
    const out = join(dir, 'dask.json');
    const common = [
      '-k',
      '3',
      '--seed',
      '7',
      '--tol',
      '1e-6',
      '--max-iter',
      '30',
      '--missing',
      'marginalize',
      '--columns',
      'x,y',
    ];
    const result = await dask([...paths, empty, ...common, '--covariance', 'full', '--backend', 'cpu', '-o', out]);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.code, result.stderr).toBe(0);
    // Progress: one line per iteration with the lower bound, its change and the seconds.
    expect(result.stderr).toMatch(/emgpu_dask: iteration 2: lower bound -\d+\.\d+, change \d\.\d+e[-+]\d+, \d+\.\d+ s/);
    const reference = join(dir, 'fit.json');
    const concatenated = join(dir, 'all-holes.csv');
    writeFileSync(concatenated, csv([...parts.flat(), [null, null, 1], [null, null, 2], [null, null, 1]]));
    const fit = await run(['fit', concatenated, ...common, '--backend', 'cpu', '-o', reference]);
    expect(fit.code, fit.stderr).toBe(0);
    expectSameModel(readModel(out), readModel(reference), 1e-9);
  });

  it('gives the same model, weighted by a column, when a worker process is killed mid-iteration (Dask runs its task again)', async (ctx) => {
    needDask(ctx);
    const start = join(dir, 'start.json');
    writeFileSync(
      start,
      JSON.stringify({
        weights: [0.3, 0.3, 0.4],
        means: [
          [0, 1],
          [5, 3],
          [11, -3],
        ],
        covariances: [
          [
            [2, 0],
            [0, 2],
          ],
          [
            [2, 0.5],
            [0.5, 2],
          ],
          [
            [3, 0],
            [0, 3],
          ],
        ],
      }),
    );
    const marker = join(dir, 'killed');
    const out = join(dir, 'dask-killed.json');
    const common = [
      '--init',
      start,
      '--covariance',
      'full',
      '--tol',
      '1e-6',
      '--max-iter',
      '8',
      '--weight-column',
      'w',
    ];
    const result = await dask([...paths, ...common, '--backend', 'cpu', '-o', out], {
      EMGPU_DASK_TEST_KILL: `2:1:${marker}`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true); // the worker did die in iteration 2
    const reference = join(dir, 'fit-init.json');
    const fit = await run(['fit', all, ...common, '--backend', 'cpu', '-o', reference]);
    expect(fit.code, fit.stderr).toBe(0);
    expectSameModel(readModel(out), readModel(reference), 1e-9);
  });

  it('stops with one line naming a corrupt partition, and writes nothing', async (ctx) => {
    needDask(ctx);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'x,y,w\n1,2,1\n3,oops,1\n');
    const out = join(dir, 'never.json');
    const result = await dask([paths[0] as string, bad, '-k', '2', '--seed', '1', '--columns', 'x,y', '-o', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.stderr).toMatch(/^emgpu_dask: partition 1 \(.*bad\.csv\): .*bad\.csv.*row 3.*$/m);
    expect(existsSync(out)).toBe(false);
  });
});
