// --weight-column (fit, fit --stream, stats, reservoir) against the same weights given as a
// --sample-weight file, which reads them by a separate path; emgpu serve and emgpu reservoir.

import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';
import { run, tempDir, writeFile } from './helpers.ts';

/** Rows (w, x, y): two clusters, integer weights 0–3, from a seeded LCG. */
function rows(n: number): number[][] {
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, (_, i) => {
    const c = i % 2;
    return [Math.floor(next() * 4), c * 5 + next() * 2, -c * 3 + next() + next()];
  });
}

const dir = tempDir();
const table = rows(600);
const withWeights = writeFile(dir, 'wxy.csv', `w,x,y\n${table.map((r) => r.join(',')).join('\n')}\n`);
const features = writeFile(dir, 'xy.csv', `x,y\n${table.map((r) => `${r[1]},${r[2]}`).join('\n')}\n`);
const weightFile = writeFile(dir, 'w.txt', `${table.map((r) => r[0]).join('\n')}\n`);
const parquet = join(dir, 'wxy.parquet');
const column = (name: string, j: number) => ({
  name,
  type: 'DOUBLE' as const,
  values: table.map((r) => r[j] as number),
});
// The weight column between the features, row groups of 128 rows.
writeFileSync(parquet, writeParquet([column('x', 1), column('w', 0), column('y', 2)], 128));

const FIT = ['-k', '2', '--seed', '4', '--tol', '1e-8', '--backend', 'cpu'];

describe('--weight-column', () => {
  it('fits as the same weights in a --sample-weight file (bit for bit), streamed too (1e-9)', async () => {
    const fromColumn = join(dir, 'column.json');
    const fromFile = join(dir, 'file.json');
    const streamed = join(dir, 'stream.json');
    const start = join(dir, 'start.json');
    expect((await run(['fit', withWeights, '--weight-column', 'w', ...FIT, '-o', fromColumn])).code).toBe(0);
    expect((await run(['fit', features, '--sample-weight', weightFile, ...FIT, '-o', fromFile])).code).toBe(0);
    expect(readFileSync(fromColumn, 'utf8')).toBe(readFileSync(fromFile, 'utf8'));
    // Streamed from Parquet, chunks of 100 rows, against the in-memory fit of the same file.
    writeFile(
      dir,
      'start.json',
      JSON.stringify({
        weights: [0.5, 0.5],
        means: [
          [0, 0],
          [6, -3],
        ],
        covariances: [
          [
            [1, 0],
            [0, 1],
          ],
          [
            [1, 0],
            [0, 1],
          ],
        ],
      }),
    );
    const inMemory = join(dir, 'memory.json');
    const initFit = ['-k', '2', '--init', start, '--tol', '1e-8', '--backend', 'cpu'];
    expect((await run(['fit', parquet, '--weight-column', 'w', ...initFit, '-o', inMemory])).code).toBe(0);
    const s = await run([
      'fit',
      parquet,
      '--weight-column',
      '1',
      '--stream',
      '--chunk-rows',
      '100',
      ...initFit,
      '-o',
      streamed,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const a = JSON.parse(readFileSync(inMemory, 'utf8')) as {
      means: number[][];
      covariances: number[][][];
      nIter: number;
    };
    const b = JSON.parse(readFileSync(streamed, 'utf8')) as typeof a;
    expect(b.nIter).toBe(a.nIter);
    const worst = Math.max(
      ...a.means.flat().map((v, i) => Math.abs(v - (b.means.flat()[i] as number))),
      ...a.covariances.flat(2).map((v, i) => Math.abs(v - (b.covariances.flat(2)[i] as number))),
    );
    expect(worst).toBeLessThan(1e-9);
  });

  it('gives stats the same statistics as --sample-weight', async () => {
    const model = join(dir, 'm0.json');
    expect((await run(['fit', features, '-k', '2', '--seed', '1', '--max-iter', '0', '-o', model])).code).toBe(0);
    const a = await run(['stats', '--model', model, withWeights, '--weight-column', 'w', '--backend', 'cpu']);
    const b = await run(['stats', '--model', model, features, '--sample-weight', weightFile, '--backend', 'cpu']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('refuses a missing column, a weight that is also a feature, a negative weight and two sources of weights', async () => {
    const bad = writeFile(dir, 'neg.csv', 'w,x,y\n1,1,2\n-2,3,4\n1,2,2\n');
    const cases: [string[], RegExp][] = [
      [[withWeights, '--weight-column', 'q'], /wxy\.csv has no column named "q"; its columns are "w", "x", "y"/],
      [[withWeights, '--weight-column', 'x', '--columns', 'x,y'], /--weight-column "x" is also in --columns/],
      [
        [bad, '--weight-column', 'w'],
        /neg\.csv, row 3: the weight in column "w" is -2; weights must be finite and ≥ 0/,
      ],
      [
        [withWeights, '--weight-column', 'w', '--sample-weight', weightFile],
        /--weight-column and --sample-weight both/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run(['fit', ...args, '-k', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('emgpu reservoir', () => {
  it('keeps every row in order when the table fits, and a sample of distinct rows with their weights otherwise', async () => {
    const whole = await run(['reservoir', withWeights, '--size', '1000', '--seed', '3', '--weight-column', 'w']);
    expect(whole.code, whole.stderr).toBe(0);
    const all = JSON.parse(whole.stdout) as { nRows: number; rows: number[][]; weights: number[]; header: string[] };
    expect(all.nRows).toBe(600);
    expect(all.header).toEqual(['x', 'y']);
    expect(all.rows).toEqual(table.map((r) => [r[1], r[2]]));
    expect(all.weights).toEqual(table.map((r) => r[0]));
    const some = await run(['reservoir', withWeights, '--size', '50', '--seed', '3', '--weight-column', 'w']);
    const part = JSON.parse(some.stdout) as typeof all;
    expect(part.nRows).toBe(600);
    expect(part.rows).toHaveLength(50);
    const index = new Map(table.map((r, i) => [`${r[1]},${r[2]}`, i]));
    const picked = part.rows.map((r) => index.get(`${r[0]},${r[1]}`));
    expect(new Set(picked).size).toBe(50);
    picked.forEach((i, j) => expect(part.weights[j]).toBe((table[i as number] as number[])[0]));
  });
});

describe('emgpu serve', () => {
  it('answers each line as the command alone would, and refuses bad lines in one line each', async () => {
    const alone = await run(['reservoir', features, '--size', '5', '--seed', '9']);
    const requests = [
      JSON.stringify(['reservoir', features, '--size', '5', '--seed', '9']),
      'not json',
      JSON.stringify(['serve']),
      JSON.stringify(['fit', join(dir, 'nope.csv')]),
    ];
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _e, done) {
        out += chunk.toString();
        done();
      },
    });
    const code = await main(['serve'], {
      stdout,
      stderr: new Writable({ write: (_c, _e, done) => done() }),
      stdin: Readable.from([`${requests.join('\n')}\n`]),
    });
    expect(code).toBe(0);
    const answers = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { exitCode: number; stdout: string; stderr: string });
    expect(answers).toHaveLength(4);
    expect(answers[0]).toEqual({ exitCode: 0, stdout: alone.stdout, stderr: '' });
    expect(answers[1]?.exitCode).toBe(2);
    expect(answers[1]?.stderr).toMatch(/^emgpu: the request is not valid JSON/);
    expect(answers[2]?.stderr).toMatch(/'serve' cannot be requested from serve/);
    expect(answers[3]?.exitCode).toBe(2);
    expect(answers[3]?.stderr).toMatch(/nope\.csv/);
  });

  it('reads a file again once it has changed, and keeps it while it has not', async () => {
    const path = writeFile(dir, 'changing.csv', 'x\n1\n2\n');
    const then = new Date('2026-01-01T00:00:00Z');
    utimesSync(path, then, then);
    const ask = JSON.stringify(['reservoir', path, '--size', '10', '--seed', '1']);
    const lines: string[] = [];
    const stdin = new PassThrough();
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _e, done) {
        out += chunk.toString();
        done();
      },
    });
    const served = main(['serve'], { stdout, stderr: new Writable({ write: (_c, _e, done) => done() }), stdin });
    const next = async (): Promise<number[][]> => {
      stdin.write(`${ask}\n`);
      while (out.split('\n').length - 1 === lines.length) await new Promise((r) => setTimeout(r, 10));
      const line = out.split('\n')[lines.length] as string;
      lines.push(line);
      return (JSON.parse((JSON.parse(line) as { stdout: string }).stdout) as { rows: number[][] }).rows;
    };
    expect(await next()).toEqual([[1], [2]]);
    // Kept: the same bytes rewritten in place with the old modification time are not read again.
    writeFileSync(path, 'x\n7\n8\n');
    utimesSync(path, then, then);
    expect(await next()).toEqual([[1], [2]]);
    writeFileSync(path, 'x\n1\n2\n3\n');
    expect(await next()).toEqual([[1], [2], [3]]);
    stdin.end();
    expect(await served).toBe(0);
  });
});
