// fit --stream's spill file (src/cli/spill.ts): later passes read the first pass's decoded
// chunks from a temporary file. The model is the one --no-spill gets (every pass decoding the
// file) and the in-memory fit's, to float64 rounding; the file is gone after the fit, after
// Ctrl-C, and after the process is killed; a --spill that is not a folder is refused.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Random } from '../../src/random.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';
import { run, tempDir } from './helpers.ts';

afterAll(() => releaseBackends());

const dir = tempDir();
const random = new Random(5);
const N = 4000;
const x: number[] = [];
const y: number[] = [];
const w: number[] = [];
for (let i = 0; i < N; i++) {
  const c = i % 3;
  x.push(3 * c + random.nextGaussian());
  y.push(-2 * c + 1.5 * random.nextGaussian());
  w.push((i * 7) % 4);
}
const parquet = join(dir, 'points.parquet');
writeFileSync(
  parquet,
  writeParquet(
    [
      { name: 'x', type: 'DOUBLE', values: x },
      { name: 'w', type: 'DOUBLE', values: w },
      { name: 'y', type: 'DOUBLE', values: y },
    ],
    900,
  ),
);
const csv = join(dir, 'points.csv');
writeFileSync(csv, `x,w,y\n${x.map((v, i) => `${v},${w[i] as number},${y[i] as number}`).join('\n')}\n`);
const start = join(dir, 'start.json');
writeFileSync(
  start,
  JSON.stringify({
    weights: [0.4, 0.3, 0.3],
    means: [
      [0, 1],
      [2, -1],
      [5, -5],
    ],
    covariances: [
      [
        [1, 0],
        [0, 1],
      ],
      [
        [2, 0],
        [0, 2],
      ],
      [
        [1, 0.2],
        [0.2, 1],
      ],
    ],
  }),
);
const FIT = ['-k', '3', '--init', start, '--columns', 'x,y', '--tol', '1e-9', '--max-iter', '25', '--backend', 'cpu'];

type Model = { means: number[][]; covariances: number[][][]; weights: number[]; lowerBounds: number[]; nIter: number };
const load = (path: string): Model => JSON.parse(readFileSync(path, 'utf8')) as Model;

function worst(a: Model, b: Model): number {
  const pairs: [number[], number[]][] = [
    [a.weights, b.weights],
    [a.means.flat(), b.means.flat()],
    [a.covariances.flat(2), b.covariances.flat(2)],
    [a.lowerBounds, b.lowerBounds],
  ];
  return Math.max(
    ...pairs.map(([p, q]) => {
      const scale = Math.max(...q.map(Math.abs));
      return Math.max(...p.map((v, i) => Math.abs(v - (q[i] as number)))) / scale;
    }),
  );
}

describe('fit --stream with a spill file', () => {
  for (const [name, file, extra] of [
    ['Parquet (row groups of 900, chunks of 700)', parquet, []],
    ['CSV, weighted by a column', csv, ['--weight-column', 'w']],
  ] as const) {
    it(`${name}: spilled equals --no-spill and the in-memory fit within 1e-9, and leaves nothing in --spill DIR`, async () => {
      const folder = tempDir();
      const outs = ['memory', 'spill', 'nospill'].map((n) => join(dir, `${n}-${extra.length}.json`));
      const [memory, spilled, plain] = outs as [string, string, string];
      expect((await run(['fit', file, ...FIT, ...extra, '-o', memory])).code).toBe(0);
      const s = await run([
        'fit',
        file,
        ...FIT,
        ...extra,
        '--stream',
        '--chunk-rows',
        '700',
        '--spill',
        folder,
        '--verbose',
        '-o',
        spilled,
      ]);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).toMatch(/later passes read a spill file of 0\.\d MiB \(deleted\)/);
      const p = await run([
        'fit',
        file,
        ...FIT,
        ...extra,
        '--stream',
        '--chunk-rows',
        '700',
        '--no-spill',
        '--verbose',
        '-o',
        plain,
      ]);
      expect(p.code, p.stderr).toBe(0);
      expect(p.stderr).not.toMatch(/spill file/);
      expect(load(spilled).nIter).toBe(load(memory).nIter);
      expect(worst(load(spilled), load(memory))).toBeLessThan(1e-9);
      expect(worst(load(spilled), load(plain))).toBeLessThan(1e-9);
      expect(readdirSync(folder)).toEqual([]);
    });
  }

  it('leaves nothing after Ctrl-C in the middle of a pass', async () => {
    const folder = tempDir();
    const abort = new AbortController();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (b: Buffer) => {
      text += b.toString();
      // Interrupted during the second EM pass, which reads the spill file.
      if (/iter\s+2\/\d+/.test(text)) abort.abort();
    });
    const code = await main(
      [
        'fit',
        parquet,
        ...FIT,
        '--stream',
        '--chunk-rows',
        '500',
        '--spill',
        folder,
        '--verbose',
        '-o',
        join(dir, 'x.json'),
      ],
      { stdout: new PassThrough(), stderr, stdin: Readable.from([]), signal: abort.signal },
    );
    expect(code).toBe(130);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('leaves nothing when the process is killed (the file is unlinked while open)', async () => {
    const folder = tempDir();
    const bin = resolve(import.meta.dirname, '../../bin/emgpu.js');
    const child = spawn(process.execPath, [
      bin,
      'fit',
      parquet,
      ...FIT,
      '--max-iter',
      '1000',
      '--tol',
      '0',
      '--stream',
      '--chunk-rows',
      '300',
      '--spill',
      folder,
      '--verbose',
    ]);
    let text = '';
    await new Promise<void>((done) => {
      child.stderr.on('data', (b: Buffer) => {
        text += b.toString();
        if (/iter\s+2\//.test(text)) child.kill('SIGKILL');
      });
      child.on('close', () => done());
    });
    expect(text).toMatch(/iter\s+2\//);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('refuses a --spill that is not a folder, and --spill without --stream', async () => {
    const notFolder = await run(['fit', parquet, ...FIT, '--stream', '--spill', parquet]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toMatch(/^emgpu: --spill '.*points\.parquet' is not a folder; pass an existing folder/);
    const noStream = await run(['fit', parquet, ...FIT, '--no-spill']);
    expect(noStream.code).toBe(2);
    expect(noStream.stderr).toMatch(/--no-spill is an option of streamed EM; add --stream, or drop it\./);
  });
});
