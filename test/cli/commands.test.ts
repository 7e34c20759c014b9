import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, parseRows, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const irisRows = parseRows(readFileSync(IRIS, 'utf8').split('\n').slice(1).join('\n'));
const CPU = ['--backend', 'cpu'];

/** Two separated 2-D blobs, deterministic. */
function blobs(n = 40): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    rows.push([c * 6 + Math.sin(i * 1.7) * 0.8, c * 3 + Math.cos(i * 2.3) * 0.6]);
  }
  return rows;
}
const toCsv = (rows: number[][]): string => rows.map((r) => r.join(',')).join('\n') + '\n';

async function libraryFit(
  X: number[][],
  options: ConstructorParameters<typeof GaussianMixture>[0],
  sampleWeight?: number[],
) {
  const gm = new GaussianMixture({ backend: 'cpu', ...options });
  await gm.fit(X, sampleWeight ? { sampleWeight } : {});
  return gm;
}

describe('emgpu fit', () => {
  it('writes exactly gm.toJSON() to stdout', async () => {
    const { code, stdout, stderr } = await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const model = JSON.parse(stdout);
    for (const key of [
      'covarianceType',
      'weights',
      'means',
      'covariances',
      'precisionsCholesky',
      'converged',
      'nIter',
      'lowerBound',
      'lowerBounds',
      'backend',
      'nFeatures',
      'nComponents',
    ]) {
      expect(model).toHaveProperty(key);
    }
    expect(model.nComponents).toBe(3);
    expect(model.nFeatures).toBe(4);
    expect(model.covariances).toHaveLength(3);
    expect(model.covariances[0]).toHaveLength(4);
    const gm = await libraryFit(irisRows, { nComponents: 3, randomState: 0 });
    expect(model).toEqual(JSON.parse(JSON.stringify(gm.toJSON())));
  });

  it('passes every option through', async () => {
    const { code, stdout } = await run([
      'fit',
      IRIS,
      '-k',
      '2',
      '--covariance',
      'diag',
      '--init',
      'random',
      '--max-iter',
      '7',
      '--tol',
      '0',
      '--reg-covar',
      '0.01',
      '--n-init',
      '2',
      '--seed',
      '5',
      ...CPU,
    ]);
    expect(code).toBe(0);
    const gm = await libraryFit(irisRows, {
      nComponents: 2,
      covarianceType: 'diag',
      initParams: 'random',
      maxIter: 7,
      tol: 0,
      regCovar: 0.01,
      nInit: 2,
      randomState: 5,
    });
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(gm.toJSON())));
    expect(JSON.parse(stdout).nIter).toBe(7);
  });

  it('--output writes the file atomically and nothing to stdout', async () => {
    const dir = tempDir();
    const out = join(dir, 'model.json');
    const { code, stdout } = await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '--output', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(listDir(dir)).toEqual(['model.json']); // no temporary file left
    const again = await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU]);
    expect(readFileSync(out, 'utf8')).toBe(again.stdout);
  });

  it('reads CSV from stdin with -', async () => {
    const csv = toCsv(blobs());
    const fromStdin = await run(['fit', '-', '-k', '2', '--seed', '1', ...CPU], { stdin: csv });
    expect(fromStdin.code).toBe(0);
    const gm = await libraryFit(blobs(), { nComponents: 2, randomState: 1 });
    expect(JSON.parse(fromStdin.stdout).means).toEqual(JSON.parse(JSON.stringify(gm.toJSON())).means);
  });

  it('detects a header row; the same data without a header gives the same model', async () => {
    const dir = tempDir();
    const withHeader = writeFile(dir, 'h.csv', 'a,b\n' + toCsv(blobs()));
    const quotedHeader = writeFile(dir, 'q.csv', '"x 1";"x 2"\n' + toCsv(blobs()).replaceAll(',', ';'));
    const without = writeFile(dir, 'n.csv', '\n' + toCsv(blobs()) + '\n\n');
    const a = await run(['fit', withHeader, '-k', '2', '--seed', '1', ...CPU]);
    const b = await run(['fit', without, '-k', '2', '--seed', '1', ...CPU]);
    const c = await run(['fit', quotedHeader, '-k', '2', '--seed', '1', ...CPU]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).nFeatures).toBe(2);
  });

  it('reads a .json array of rows', async () => {
    const dir = tempDir();
    const json = writeFile(dir, 'data.json', JSON.stringify(blobs()));
    const csv = writeFile(dir, 'data.csv', toCsv(blobs()));
    const a = await run(['fit', json, '-k', '2', '--seed', '1', ...CPU]);
    const b = await run(['fit', csv, '-k', '2', '--seed', '1', ...CPU]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('--sample-weight: one number per line or a one-column CSV with a header', async () => {
    const dir = tempDir();
    const X = blobs(20);
    const data = writeFile(dir, 'x.csv', toCsv(X));
    const weights = X.map((_, i) => (i % 3) + 0.5);
    const plain = writeFile(dir, 'w.txt', weights.join('\n') + '\n');
    const csv = writeFile(dir, 'w.csv', 'weight\n' + weights.join('\n'));
    const a = await run(['fit', data, '-k', '2', '--seed', '2', ...CPU, '--sample-weight', plain]);
    const b = await run(['fit', data, '-k', '2', '--seed', '2', ...CPU, '--sample-weight', csv]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const gm = await libraryFit(X, { nComponents: 2, randomState: 2 }, weights);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(JSON.stringify(gm.toJSON())));
    const unweighted = await run(['fit', data, '-k', '2', '--seed', '2', ...CPU]);
    expect(unweighted.stdout).not.toBe(a.stdout);
  });

  it('--verbose prints one progress line per iteration on stderr', async () => {
    const { code, stdout, stderr } = await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '--verbose']);
    expect(code).toBe(0);
    const model = JSON.parse(stdout);
    const iterations = stderr
      .split('\n')
      .filter((l) => /^emgpu: iter +\d+\/100  lower bound -?\d+\.\d+  change \S+  \d+\.\d ms\/iter  cpu/.test(l));
    expect(iterations).toHaveLength(model.nIter);
    expect(stderr).toMatch(
      /emgpu: fitted 3 components \(full\) to 150 × 4 from .*iris\.csv: \d+ iterations, converged/,
    );
  });

  it('shows a progress bar when stderr is a terminal', async () => {
    const { code, stdout, stderr } = await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU], { stderrTTY: true });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).nComponents).toBe(3);
    expect(stderr).toMatch(/EM \[[=\- ]+\] \d+\/100 \| lower bound -1\.\d+ \| change \S+ \| [\d.]+ ms\/iter \| cpu/);
  });
});

describe('emgpu fit --init FILE.json', () => {
  const X = blobs();
  const means = [
    [0, 0],
    [6, 3],
  ];
  const weights = [0.4, 0.6];
  const cases = [
    {
      type: 'full',
      covariances: [
        [
          [1, 0.2],
          [0.2, 0.5],
        ],
        [
          [2, 0],
          [0, 0.25],
        ],
      ],
      precisions: [
        [
          [0.5 / 0.46, -0.2 / 0.46],
          [-0.2 / 0.46, 1 / 0.46],
        ],
        [
          [0.5, 0],
          [0, 4],
        ],
      ],
    },
    {
      type: 'tied',
      covariances: [
        [1, 0.2],
        [0.2, 0.5],
      ],
      precisions: [
        [0.5 / 0.46, -0.2 / 0.46],
        [-0.2 / 0.46, 1 / 0.46],
      ],
    },
    {
      type: 'diag',
      covariances: [
        [1, 0.5],
        [2, 0.25],
      ],
      precisions: [
        [1, 2],
        [0.5, 4],
      ],
    },
    { type: 'spherical', covariances: [0.5, 4], precisions: [2, 0.25] },
  ] as const;
  for (const c of cases) {
    it(`converts ${c.type} covariances to precisions`, async () => {
      const dir = tempDir();
      const data = writeFile(dir, 'x.csv', toCsv(X));
      const init = writeFile(dir, 'init.json', JSON.stringify({ weights, means, covariances: c.covariances }));
      const fromCovariances = await run([
        'fit',
        data,
        '--covariance',
        c.type,
        '--init',
        init,
        '--max-iter',
        '3',
        ...CPU,
      ]);
      expect(fromCovariances.stderr).not.toMatch(/error/);
      expect(fromCovariances.code).toBe(0);
      const model = JSON.parse(fromCovariances.stdout);
      expect(model.nComponents).toBe(2); // inferred from the file
      const gm = await libraryFit(X, {
        nComponents: 2,
        covarianceType: c.type,
        maxIter: 3,
        weightsInit: weights,
        meansInit: means,
        precisionsInit: c.precisions as never,
      });
      const expected = JSON.parse(JSON.stringify(gm.toJSON()));
      expect(model.nIter).toBe(expected.nIter);
      model.lowerBounds.forEach((lb: number, i: number) => expect(lb).toBeCloseTo(expected.lowerBounds[i], 10));
      model.means.flat().forEach((m: number, i: number) => expect(m).toBeCloseTo(expected.means.flat()[i], 10));
      // 'precisions' given directly map to precisionsInit unchanged.
      const direct = writeFile(dir, 'p.json', JSON.stringify({ weights, means, precisions: c.precisions }));
      const fromPrecisions = await run([
        'fit',
        data,
        '-k',
        '2',
        '--covariance',
        c.type,
        '--init',
        direct,
        '--max-iter',
        '3',
        ...CPU,
      ]);
      expect(JSON.parse(fromPrecisions.stdout)).toEqual(expected);
    });
  }

  it('accepts a model written by fit (warm start from its parameters)', async () => {
    const dir = tempDir();
    const data = writeFile(dir, 'x.csv', toCsv(X));
    const model = join(dir, 'm.json');
    expect((await run(['fit', data, '-k', '2', '--covariance', 'diag', '--seed', '0', ...CPU, '-o', model])).code).toBe(
      0,
    );
    const again = await run(['fit', data, '--init', model, ...CPU]);
    expect(again.code).toBe(0);
    const refit = JSON.parse(again.stdout);
    expect(refit.covarianceType).toBe('diag');
    expect(refit.nIter).toBeLessThanOrEqual(2);
  });
});

describe('emgpu predict / score / sample', () => {
  it('round trip: predict on the saved model equals the fitted model’s own predictions', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    expect((await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', model])).code).toBe(0);
    const { code, stdout } = await run(['predict', '--model', model, IRIS, ...CPU]);
    expect(code).toBe(0);
    const labels = stdout.trim().split('\n').map(Number);
    expect(labels).toHaveLength(150);
    const gm = new GaussianMixture({ nComponents: 3, randomState: 0, backend: 'cpu' });
    const own = await gm.fitPredict(irisRows);
    expect(labels).toEqual(Array.from(own));
    const loaded = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });
    expect(labels).toEqual(Array.from(await loaded.predict(irisRows)));
  });

  it('predict --proba prints K probabilities per row; score prints log-likelihoods; --mean their mean', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', model]);
    const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });

    const proba = parseRows((await run(['predict', '-m', model, IRIS, '--proba', ...CPU])).stdout);
    expect(proba).toHaveLength(150);
    expect(proba.flat()).toEqual(Array.from(await gm.predictProba(irisRows)));
    for (const row of proba) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);

    const scores = (await run(['score', '-m', model, IRIS, ...CPU])).stdout.trim().split('\n').map(Number);
    expect(scores).toEqual(Array.from(await gm.scoreSamples(irisRows)));
    const mean = await run(['score', '-m', model, IRIS, '--mean', ...CPU]);
    expect(mean.stdout.trim().split('\n')).toHaveLength(1);
    expect(Number(mean.stdout)).toBe(await gm.score(irisRows));
  });

  it('predict reads stdin and JSON data', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', model]);
    const rows = irisRows.slice(0, 5);
    const fromStdin = await run(['predict', '-m', model, '-', ...CPU], { stdin: toCsv(rows) });
    const json = writeFile(dir, 'rows.json', JSON.stringify(rows));
    const fromJson = await run(['predict', '-m', model, json, ...CPU]);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.trim().split('\n')).toHaveLength(5);
    expect(fromJson.stdout).toBe(fromStdin.stdout);
  });

  it('sample prints N rows of D features; --labels adds the component; a seed reproduces it', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', model]);
    const plain = await run(['sample', '-m', model, '-n', '7', '--seed', '3']);
    expect(plain.code).toBe(0);
    const rows = parseRows(plain.stdout);
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row).toHaveLength(4);
    const labelled = parseRows(
      (await run(['sample', '--model', model, '--n-samples', '7', '--seed', '3', '--labels'])).stdout,
    );
    expect(labelled.map((r) => r.slice(0, 4))).toEqual(rows);
    const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')));
    const expected = gm.sample(7, 3);
    expect(labelled.map((r) => r[4])).toEqual(Array.from(expected.labels));
    expect(rows.flat()).toEqual(Array.from(expected.X.data));
  });
});

describe('help, version, demo', () => {
  it('--help and fit --help print usage to stdout and exit 0', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: emgpu/);
    for (const command of ['fit', 'predict', 'score', 'sample']) expect(top.stdout).toContain(command);
    const fit = await run(['fit', '--help']);
    expect(fit.code).toBe(0);
    for (const option of [
      '--components',
      '--covariance',
      '--init',
      '--max-iter',
      '--tol',
      '--reg-covar',
      '--n-init',
      '--seed',
      '--backend',
      '--sample-weight',
      '--output',
      '--verbose',
      '--demo',
    ]) {
      expect(fit.stdout).toContain(option);
    }
    const sample = await run(['sample', '--help']);
    expect(sample.stdout).toMatch(/--labels/);
    expect(sample.stdout).toMatch(/features/);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
    );
  });

  it('fit --demo prints a readable summary of the iris fit', async () => {
    const dir = tempDir();
    const out = join(dir, 'demo-model.json');
    const { code, stdout } = await run(['fit', '--demo', ...CPU, '--output', out]);
    expect(code).toBe(0);
    for (const text of [
      'iris',
      '150 rows, 4 features, 3 components',
      'backend      cpu',
      'iterations',
      'converged',
      'lower bound',
      'time',
      'weight',
      'petal_length',
      'setosa',
      'versicolor',
      'virginica',
      'adjusted Rand index',
    ]) {
      expect(stdout).toContain(text);
    }
    const ari = Number(/adjusted Rand index[^:]*: (\d\.\d+)/.exec(stdout)?.[1]);
    expect(ari).toBeGreaterThan(0.8);
    expect(existsSync(out)).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).nComponents).toBe(3);
  });
});
