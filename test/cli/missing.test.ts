// `--missing marginalize` through the command line: CSV holes (empty cells, NA, NaN, a row of
// delimiters only) and Parquet nulls give the numpy reference's fit
// (test/fixtures/missing/holes3d.json); predict and score keep one output line per input row.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseBackends } from '../../src/select-backend.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';
import { run, tempDir } from './helpers.ts';

interface Fixture {
  readonly X: (number | null)[][];
  readonly regCovar: number;
  readonly cases: Record<
    string,
    {
      init: { weights: number[]; means: number[][]; precisions: number[][][] };
      iterations: { nIter: number; lowerBound: number; means: number[][]; covariances: number[][][] }[];
      final: { labels: number[] };
    }
  >;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/missing/holes3d.json', import.meta.url), 'utf8'),
) as Fixture;
const full = fixture.cases.full as Fixture['cases'][string];
const reference = full.iterations.find((s) => s.nIter === 20) as Fixture['cases'][string]['iterations'][number];

afterAll(() => releaseBackends());

const dir = tempDir();
// Holes written three ways in turn, and row 6 (index 5) as ",,": every value missing.
const markers = ['', 'NA', 'NaN'];
let hole = 0;
const csv = join(dir, 'holes.csv');
writeFileSync(
  csv,
  `a,b,c\n${fixture.X.map((row) => row.map((v) => (v === null ? (markers[hole++ % 3] as string) : String(v))).join(',')).join('\n')}\n`,
);
const parquet = join(dir, 'holes.parquet');
writeFileSync(
  parquet,
  writeParquet(
    ['a', 'b', 'c'].map((name, j) => ({
      name,
      type: 'DOUBLE' as const,
      values: fixture.X.map((row) => row[j] ?? null),
    })),
    64,
  ),
);
const init = join(dir, 'init.json');
writeFileSync(init, JSON.stringify(full.init));
const fitArgs = [
  '-k',
  '3',
  '--init',
  init,
  '--max-iter',
  '20',
  '--tol',
  '0',
  '--reg-covar',
  String(fixture.regCovar),
  '--backend',
  'cpu',
];

function maxRelative(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)) / Math.max(Math.abs(b[i] as number), 1e-3)));
}

describe('emgpu --missing marginalize', () => {
  it('fit on CSV and on Parquet gives the numpy reference; the empty row is counted', async () => {
    for (const data of [csv, parquet]) {
      const out = join(dir, `model-${data.endsWith('.csv') ? 'csv' : 'parquet'}.json`);
      const result = await run(['fit', data, ...fitArgs, '--missing', 'marginalize', '-o', out]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(
        'emgpu: warning: 1 row of X had every value missing and was left out of the fit.',
      );
      const model = JSON.parse(readFileSync(out, 'utf8')) as {
        means: number[][];
        covariances: number[][][];
        lowerBound: number;
      };
      expect(maxRelative(model.means.flat(), reference.means.flat())).toBeLessThan(1e-6);
      expect(maxRelative(model.covariances.flat(2), reference.covariances.flat(2))).toBeLessThan(1e-6);
      expect(Math.abs(model.lowerBound - reference.lowerBound) / Math.abs(reference.lowerBound)).toBeLessThan(1e-8);
    }
  });

  it('predict and score: one line per row, −1 and NaN for the row with nothing observed', async () => {
    const model = join(dir, 'model-csv.json');
    const predicted = await run(['predict', csv, '-m', model, '--missing', 'marginalize', '--backend', 'cpu']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const labels = predicted.stdout.trim().split('\n').map(Number);
    expect(labels.length).toBe(fixture.X.length);
    expect(labels[5]).toBe(-1);
    expect(labels.filter((_, i) => i !== 5)).toEqual(full.final.labels);
    const scored = await run(['score', parquet, '-m', model, '--missing', 'marginalize', '--backend', 'cpu']);
    expect(scored.code, scored.stderr).toBe(0);
    const lines = scored.stdout.trim().split('\n');
    expect(lines.length).toBe(fixture.X.length);
    expect(lines[5]).toBe('NaN');
    expect(Number.isFinite(Number(lines[0]))).toBe(true);
  });

  it('without the option the first hole is refused naming it; Bayesian, online and streamed fits refuse the option', async () => {
    const plain = await run(['fit', csv, ...fitArgs]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /holes\.csv, row \d+, column \d \("[abc]"\): the (cell is empty|value is "NA") \(a missing value\); every value must be a finite number \(remove or impute missing values, or marginalise over them: --missing marginalize\)\.\n$/,
    );
    const bayesian = await run(['fit', csv, '-k', '3', '--bayesian', '--missing', 'marginalize', '--backend', 'cpu']);
    expect(bayesian.code).toBe(2);
    expect(bayesian.stderr).toBe(
      'emgpu: --missing marginalize works with Gaussian mixtures only, not with --bayesian; remove or impute the missing values.\n',
    );
    const online = await run(['fit', csv, '-k', '3', '--online', '--missing', 'marginalize', '--backend', 'cpu']);
    expect(online.code).toBe(2);
    expect(online.stderr).toContain('--missing marginalize does not work with --online yet');
    const streamed = await run(['fit', csv, '-k', '3', '--stream', '--missing', 'marginalize', '--backend', 'cpu']);
    expect(streamed.code).toBe(2);
    expect(streamed.stderr).toBe(
      'emgpu: --missing marginalize does not work with --stream yet; fit the table in memory, or remove or impute the missing values.\n',
    );
  });
});
