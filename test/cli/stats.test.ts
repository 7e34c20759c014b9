// `emgpu stats`, `emgpu merge` and `emgpu mstep`: the loop over two part files gives the library's
// statistics loop to the last bit and fit's numbers on the whole table; bad inputs are one line
// naming the file, exit 2, nothing written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BayesianGaussianMixture } from '../../src/bayesian-mixture.ts';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { mergeStatistics, type MixtureStatistics } from '../../src/statistics-api.ts';
import { IRIS, listDir, parseRows, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

type Json = Record<string, unknown> & {
  lowerBounds: number[];
  weights: number[];
  means: number[][];
  covariances: unknown;
  precisionsCholesky: unknown;
};
const CPU = ['--backend', 'cpu'];
const asJson = <T = Json>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

const irisRows = parseRows(readFileSync(IRIS, 'utf8').split('\n').slice(1).join('\n'));
const halves = [irisRows.slice(0, 75), irisRows.slice(75)];
/** Integer-free weights, deterministic. */
const weights = irisRows.map((_, i) => 0.25 + ((i * 37) % 11) / 4);
const weightHalves = [weights.slice(0, 75), weights.slice(75)];

const csv = (rows: number[][]): string => `${rows.map((r) => r.map(String).join(',')).join('\n')}\n`;
const lines = (values: number[]): string => `${values.map(String).join('\n')}\n`;

let dir: string;
let parts: string[];
let weightFiles: string[];
let allWeights: string;
beforeAll(() => {
  dir = tempDir();
  parts = halves.map((rows, i) => writeFile(dir, `part${i + 1}.csv`, csv(rows)));
  weightFiles = weightHalves.map((w, i) => writeFile(dir, `w${i + 1}.txt`, lines(w)));
  allWeights = writeFile(dir, 'w.txt', lines(weights));
});

async function ok(argv: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const result = await run(argv, stdin === undefined ? {} : { stdin });
  if (result.code !== 0) throw new Error(`emgpu ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

/** `iterations` rounds of stats on both parts, merge, mstep; the models and mstep's stderr. */
async function cliLoop(
  name: string,
  start: string,
  iterations: number,
  weighted: boolean,
): Promise<{ models: Json[]; said: string[] }> {
  const models: Json[] = [];
  const said: string[] = [];
  let model = start;
  for (let i = 1; i <= iterations; i++) {
    const stats = [];
    for (const [p, part] of parts.entries()) {
      const out = join(dir, `${name}-s${i}-${p}.json`);
      await ok([
        'stats',
        '--model',
        model,
        part,
        '-o',
        out,
        ...CPU,
        ...(weighted ? ['--sample-weight', weightFiles[p] as string] : []),
      ]);
      stats.push(out);
    }
    const all = join(dir, `${name}-all${i}.json`);
    await ok(['merge', ...stats, '-o', all]);
    const next = join(dir, `${name}-m${i}.json`);
    said.push((await ok(['mstep', '--model', model, all, '-o', next])).stderr);
    models.push(JSON.parse(readFileSync(next, 'utf8')) as Json);
    model = next;
  }
  return { models, said };
}

type Mixture = GaussianMixture | BayesianGaussianMixture;

/** The same loop in the library, on the same numbers. */
async function libraryLoop(gm: Mixture, iterations: number, weighted: boolean): Promise<Json[]> {
  const models: Json[] = [];
  for (let i = 0; i < iterations; i++) {
    const stats = await Promise.all(
      halves.map((rows, p) => gm.statistics(rows, { sampleWeight: weighted ? (weightHalves[p] ?? null) : null })),
    );
    gm.mStep(asJson<MixtureStatistics>(mergeStatistics(...stats)));
    models.push(asJson(gm.toJSON()));
  }
  return models;
}

function worstRelative(a: unknown, b: unknown): number {
  const x = [a].flat(4) as number[];
  const y = [b].flat(4) as number[];
  if (x.length !== y.length) return Infinity;
  let worst = 0;
  const scale = Math.max(...y.map(Math.abs));
  x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (y[i] as number)) / scale)));
  return worst;
}

function expectCloseToFit(model: Json, fitted: Json): void {
  for (const key of ['lowerBounds', 'weights', 'means', 'covariances', 'precisionsCholesky'] as const)
    expect(worstRelative(model[key], fitted[key]), key).toBeLessThan(1e-12);
  expect(model.nIter).toBe(fitted.nIter);
  expect(model.converged).toBe(fitted.converged);
}

describe('the CLI loop: stats on two part files, merge, mstep', () => {
  it('equals the library loop exactly and fit on the whole table (GaussianMixture, full)', async () => {
    const start = join(dir, 'g0.json');
    // --max-iter 0: the initialisation alone, without a warning that it did not converge.
    expect((await ok(['fit', IRIS, '-k', '3', '--seed', '0', '--max-iter', '0', '-o', start, ...CPU])).stderr).toBe('');
    const { models, said } = await cliLoop('g', start, 4, false);
    const library = await libraryLoop(
      GaussianMixture.fromJSON(JSON.parse(readFileSync(start, 'utf8')), { backend: 'cpu' }),
      4,
      false,
    );
    expect(models).toEqual(library);
    const fitted = asJson(
      await new GaussianMixture({ nComponents: 3, randomState: 0, maxIter: 4, backend: 'cpu' }).fit(irisRows),
    );
    expectCloseToFit(models[3] as Json, fitted);
    expect(said[0]).toMatch(
      /^emgpu: iteration 1: lower bound -?\d+\.\d+ \(no previous lower bound\); not converged \(tol 0\.001\)\n$/,
    );
    expect(said[3]).toBe(
      `emgpu: iteration 4: lower bound ${models[3]!.lowerBound} (change ${((models[3]!.lowerBound as number) - (models[2]!.lowerBound as number)).toPrecision(6)}); not converged (tol 0.001)\n`,
    );
  });

  it('with sample weights (diag), from a start fitted with the same weights', async () => {
    const start = join(dir, 'w0.json');
    await ok([
      'fit',
      IRIS,
      '-k',
      '3',
      '--covariance',
      'diag',
      '--seed',
      '1',
      '--max-iter',
      '0',
      '--sample-weight',
      allWeights,
      '-o',
      start,
      ...CPU,
    ]);
    const { models } = await cliLoop('w', start, 3, true);
    const library = await libraryLoop(
      GaussianMixture.fromJSON(JSON.parse(readFileSync(start, 'utf8')), { backend: 'cpu' }),
      3,
      true,
    );
    expect(models).toEqual(library);
    const fitted = asJson(
      await new GaussianMixture({
        nComponents: 3,
        covarianceType: 'diag',
        randomState: 1,
        maxIter: 3,
        backend: 'cpu',
      }).fit(irisRows, { sampleWeight: weights }),
    );
    expectCloseToFit(models[2] as Json, fitted);
  });

  it('BayesianGaussianMixture (--bayesian, tied): the model files carry the priors from one iteration to the next', async () => {
    const start = join(dir, 'b0.json');
    await ok([
      'fit',
      IRIS,
      '-k',
      '4',
      '--bayesian',
      '--covariance',
      'tied',
      '--seed',
      '2',
      '--max-iter',
      '0',
      '-o',
      start,
      ...CPU,
    ]);
    const { models } = await cliLoop('b', start, 3, false);
    const library = await libraryLoop(
      BayesianGaussianMixture.fromJSON(JSON.parse(readFileSync(start, 'utf8')), { backend: 'cpu' }),
      3,
      false,
    );
    expect(models).toEqual(library);
    const fitted = asJson(
      await new BayesianGaussianMixture({
        nComponents: 4,
        covarianceType: 'tied',
        randomState: 2,
        maxIter: 3,
        backend: 'cpu',
      }).fit(irisRows),
    );
    expectCloseToFit(models[2] as Json, fitted);
    expect(models[2]!.priors).toEqual(fitted.priors);
    expect(worstRelative(models[2]!.weightConcentration, fitted.weightConcentration)).toBeLessThan(1e-12);
  });
});

describe('emgpu stats / merge / mstep', () => {
  let model: string;
  let s1: string;
  let s2: string;
  let all: string;
  beforeAll(async () => {
    model = join(dir, 'm.json');
    await ok(['fit', IRIS, '-k', '2', '--seed', '0', '--max-iter', '2', '-o', model, ...CPU]);
    s1 = join(dir, 's1.json');
    s2 = join(dir, 's2.json');
    all = join(dir, 'all.json');
    await ok(['stats', '-m', model, parts[0] as string, '-o', s1, ...CPU]);
    await ok(['stats', '-m', model, parts[1] as string, '-o', s2, ...CPU]);
    await ok(['merge', s1, s2, '-o', all]);
  });

  it('stats writes one line of JSON: the library statistics of the file (also from stdin to stdout)', async () => {
    const text = readFileSync(s1, 'utf8');
    expect(text.split('\n')).toHaveLength(2);
    const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });
    expect(JSON.parse(text)).toEqual(asJson(await gm.statistics(halves[0] as number[][])));
    const piped = await ok(['stats', '-m', model, '-', ...CPU], csv(halves[0] as number[][]));
    expect(piped.stdout).toBe(text);
  });

  it('merge reads a part from stdin; mstep prints the model without -o and says whether it converged', async () => {
    const merged = await ok(['merge', s1, '-'], readFileSync(s2, 'utf8'));
    expect(merged.stdout).toBe(readFileSync(all, 'utf8'));
    const stats = JSON.parse(merged.stdout) as MixtureStatistics;
    const bound = stats.sumLogLik / stats.totalWeight;
    const next = await ok(['mstep', '-m', model, all, `--previous-lower-bound=${bound + 5e-4}`]);
    const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });
    gm.mStep(stats, { previousLowerBound: bound + 5e-4 });
    expect(JSON.parse(next.stdout)).toEqual(asJson(gm.toJSON()));
    expect(next.stderr).toBe(
      `emgpu: iteration 3: lower bound ${bound} (change ${(-5e-4).toPrecision(6)}); converged (|change| < tol 0.001)\n`,
    );
    expect(gm.converged).toBe(true);
    // --tol in place of the model's; a negative previous bound as a separate argument.
    const strict = await ok([
      'mstep',
      '-m',
      model,
      all,
      '--tol',
      '1e-5',
      '--previous-lower-bound',
      String(bound + 5e-4),
    ]);
    expect(strict.stderr).toMatch(/; not converged \(tol 0\.00001\)\n$/);
    expect(JSON.parse(strict.stdout).options.tol).toBe(1e-5);
  });

  /** Runs a command that must fail: exit 2, one line on stderr matching `message`, nothing written. */
  async function refused(argv: string[], message: RegExp): Promise<void> {
    const before = listDir(dir);
    const result = await run(argv);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toMatch(message);
    expect(listDir(dir)).toEqual(before);
  }

  it('refuses bad inputs with one line naming the file: exit 2, nothing written', async () => {
    const out = join(dir, 'out.json');
    const other = join(dir, 'k3.json');
    await ok(['fit', IRIS, '-k', '3', '--seed', '0', '--max-iter', '1', '-o', other, ...CPU]);
    const k3 = join(dir, 'k3-s.json');
    await ok(['stats', '-m', other, parts[1] as string, '-o', k3, ...CPU]);
    const broken = writeFile(dir, 'broken.json', '{"format": "emgpu-statistics", ');
    const edited = writeFile(
      dir,
      'edited.json',
      readFileSync(s2, 'utf8').replace('"sumLogLik":', '"sumLogLik":"x","was":'),
    );
    await refused(
      ['merge', s1, k3, '-o', out],
      /^emgpu: statistics file .*k3-s\.json has nComponents 3 but statistics file .*s1\.json has 2; merge only statistics computed with the same model file on every part of the data\.\n$/,
    );
    await refused(
      ['merge', s1, broken, '-o', out],
      /^emgpu: statistics file .*broken\.json is not valid JSON \(.*\); pass statistics written by 'emgpu stats' or 'emgpu merge'\.\n$/,
    );
    await refused(
      ['merge', s1, edited, '-o', out],
      /^emgpu: statistics file .*edited\.json has sumLogLik "x"; it must be a finite number\.\n$/,
    );
    await refused(
      ['merge', s1, model, '-o', out],
      /^emgpu: statistics file .*m\.json has format "emgpu-gaussian-mixture", not 'emgpu-statistics'/,
    );
    await refused(
      ['merge', s1, join(dir, 'missing.json'), '-o', out],
      /^emgpu: cannot read statistics file '.*missing\.json': no such file or directory/,
    );
    await refused(['merge', '-', '-', '-o', out], /^emgpu: only one statistics file can be read from stdin/);
    await refused(
      ['mstep', '-m', other, all, '-o', out],
      /^emgpu: statistics file .*all\.json does not fit model file .*k3\.json: the statistics have nComponents 2 but this model has 3; compute the statistics with this model\.\n$/,
    );
    // Statistics of the previous iteration's model: stale.
    const later = join(dir, 'later.json');
    await ok(['mstep', '-m', model, all, '-o', later]);
    await refused(
      ['mstep', '-m', later, all, '-o', out],
      /^emgpu: statistics file .*all\.json does not fit model file .*later\.json: the statistics were computed under other parameters \(fingerprint [0-9a-f]{8}\) than this model's \([0-9a-f]{8}\)/,
    );
    await refused(
      ['mstep', '-m', model, model, '-o', out],
      /^emgpu: statistics file .*m\.json has format "emgpu-gaussian-mixture"/,
    );
    await refused(
      ['mstep', '-m', model, all, '--previous-lower-bound', 'low', '-o', out],
      /^emgpu: option '--previous-lower-bound <X>' argument 'low' is invalid\. It must be a finite number/,
    );
    await refused(
      ['stats', '-m', all, parts[0] as string, '-o', out, ...CPU],
      /^emgpu: model file .*all\.json: The model JSON has format "emgpu-statistics"/,
    );
    await refused(
      ['stats', '-m', model, IRIS, '--sample-weight', weightFiles[0] as string, '-o', out, ...CPU],
      /^emgpu: sample-weight file .*w1\.txt has 75 weights but .*iris\.csv has 150 rows/,
    );
  });
});
