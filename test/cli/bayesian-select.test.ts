// `emgpu fit --bayesian`, init files with responsibilities, and `emgpu select`, against the
// library called directly with the same options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BayesianGaussianMixture } from '../../src/bayesian-mixture.ts';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { mclustName } from '../../src/model/names.ts';
import { selectModel } from '../../src/select-model.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, parseRows, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const irisRows = parseRows(readFileSync(IRIS, 'utf8').split('\n').slice(1).join('\n'));
const CPU = ['--backend', 'cpu'];
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('emgpu fit --bayesian', () => {
  it('writes exactly BayesianGaussianMixture.toJSON() with every prior option passed through', async () => {
    const args = [
      'fit',
      IRIS,
      '-k',
      '5',
      '--bayesian',
      '--weight-prior-type',
      'dirichlet_distribution',
      '--weight-concentration-prior',
      '0.05',
      '--mean-precision-prior',
      '0.5',
      '--degrees-of-freedom-prior',
      '6',
      '--mean-prior',
      '5,3,4,1',
      '--covariance',
      'diag',
      '--covariance-prior',
      '0.5,0.2,1,0.1',
      '--seed',
      '3',
      '--max-iter',
      '40',
    ];
    const { code, stdout, stderr } = await run([...args, ...CPU]);
    expect(code).toBe(0);
    const model = JSON.parse(stdout);
    expect(stderr).toBe(
      model.converged ? '' : 'emgpu: warning: the fit did not converge in 40 iterations; raise --max-iter or --tol.\n',
    );
    expect(model.format).toBe('emgpu-bayesian-gaussian-mixture');
    const bgm = new BayesianGaussianMixture({
      nComponents: 5,
      covarianceType: 'diag',
      weightConcentrationPriorType: 'dirichlet_distribution',
      weightConcentrationPrior: 0.05,
      meanPrecisionPrior: 0.5,
      degreesOfFreedomPrior: 6,
      meanPrior: [5, 3, 4, 1],
      covariancePrior: [0.5, 0.2, 1, 0.1],
      randomState: 3,
      maxIter: 40,
      backend: 'cpu',
    });
    await bgm.fit(irisRows);
    expect(model).toEqual(asJson(bgm.toJSON()));
    // The priors are the ones given, not the defaults.
    expect(model.priors.weightConcentrationPrior).toBe(0.05);
    expect(model.priors.meanPrior).toEqual([5, 3, 4, 1]);
    expect(model.priors.covariancePrior).toEqual([0.5, 0.2, 1, 0.1]);
  });

  it('predict, score and sample read a Bayesian model; they agree with the library', async () => {
    const dir = tempDir();
    const path = join(dir, 'bgm.json');
    const fit = await run(['fit', IRIS, '-k', '6', '--bayesian', '--seed', '0', '-o', path, ...CPU]);
    expect(fit.code).toBe(0);
    const bgm = BayesianGaussianMixture.fromJSON(JSON.parse(readFileSync(path, 'utf8')), { backend: 'cpu' });
    const predict = await run(['predict', '-m', path, IRIS, ...CPU]);
    expect(predict.code).toBe(0);
    expect(predict.stdout.trim().split('\n').map(Number)).toEqual([...(await bgm.predict(irisRows))]);
    const score = await run(['score', '-m', path, IRIS, '--mean', ...CPU]);
    expect(Number(score.stdout)).toBeCloseTo(await bgm.score(irisRows), 10);
    const sample = await run(['sample', '-m', path, '-n', '20', '--seed', '4', '--labels']);
    expect(sample.code).toBe(0);
    const rows = parseRows(sample.stdout);
    expect(rows).toHaveLength(20);
    for (const row of rows) expect(row).toHaveLength(5);
  });

  it('prior options without --bayesian, and priors of the wrong shape, are usage errors with one line', async () => {
    const stray = await run(['fit', IRIS, '-k', '2', '--weight-concentration-prior', '0.1', ...CPU]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe(
      'emgpu: --weight-concentration-prior is an option of the Bayesian mixture; add --bayesian, or drop --weight-concentration-prior.\n',
    );
    const shape = await run(['fit', IRIS, '-k', '2', '--bayesian', '--mean-prior', '1,2', ...CPU]);
    expect(shape.code).toBe(2);
    expect(shape.stderr.split('\n')).toHaveLength(2);
    expect(shape.stderr).toMatch(/meanPrior|--mean-prior/);
    const bad = await run(['fit', IRIS, '-k', '2', '--bayesian', '--mean-precision-prior', '-1', ...CPU]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^emgpu: option '--mean-precision-prior <X>' argument '-1' is invalid\. It must be a finite number > 0\./,
    );
    const dof = await run(['fit', IRIS, '-k', '2', '--bayesian', '--degrees-of-freedom-prior', '2', ...CPU]);
    expect(dof.code).toBe(2);
    expect(dof.stderr).toMatch(/degreesOfFreedomPrior|degrees-of-freedom/);
  });
});

describe('emgpu fit --init FILE.json with resp', () => {
  it('starts from the given responsibilities, as fit(X, { resp }) does, for either estimator', async () => {
    const dir = tempDir();
    const resp = irisRows.map((_, i) => (i < 50 ? [1, 0, 0] : i < 100 ? [0, 0.7, 0.3] : [0, 0.2, 0.8]));
    const init = writeFile(dir, 'resp.json', JSON.stringify({ resp }));
    const flat = Float64Array.from(resp.flat());

    const plain = await run(['fit', IRIS, '--init', init, '--max-iter', '5', ...CPU]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(
      /^(emgpu: warning: the fit did not converge in 5 iterations; raise --max-iter or --tol\.\n)?$/,
    );
    const gm = new GaussianMixture({ nComponents: 3, maxIter: 5, backend: 'cpu' });
    await gm.fit(irisRows, { resp: flat });
    expect(JSON.parse(plain.stdout)).toEqual(asJson(gm.toJSON()));

    const bayes = await run(['fit', IRIS, '--init', init, '--bayesian', '--max-iter', '5', ...CPU]);
    expect(bayes.code).toBe(0);
    const bgm = new BayesianGaussianMixture({ nComponents: 3, maxIter: 5, backend: 'cpu' });
    await bgm.fit(irisRows, { resp: flat });
    expect(JSON.parse(bayes.stdout)).toEqual(asJson(bgm.toJSON()));
  });

  it('rejects responsibilities of the wrong shape, or mixed with parameters, naming the file', async () => {
    const dir = tempDir();
    const short = writeFile(dir, 'short.json', JSON.stringify({ resp: [[1, 0]] }));
    const r1 = await run(['fit', IRIS, '--init', short, ...CPU]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('short.json');
    expect(r1.stderr.split('\n')).toHaveLength(2);
    const mixed = writeFile(
      dir,
      'mixed.json',
      JSON.stringify({
        resp: irisRows.map(() => [1, 0]),
        means: [
          [0, 0, 0, 0],
          [1, 1, 1, 1],
        ],
      }),
    );
    const r2 = await run(['fit', IRIS, '--init', mixed, ...CPU]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("has 'resp' and initial parameters");
    const wrongK = await run([
      'fit',
      IRIS,
      '-k',
      '4',
      '--init',
      writeFile(dir, 'k3.json', JSON.stringify({ resp: irisRows.map(() => [1, 0, 0]) })),
      ...CPU,
    ]);
    expect(wrongK.code).toBe(2);
  });
});

describe('emgpu select', () => {
  it('prints the table of the grid with the best marked; --output has the table and the best model, which predict reads', async () => {
    const dir = tempDir();
    const out = join(dir, 'select.json');
    const { code, stdout, stderr } = await run([
      'select',
      IRIS,
      '-k',
      '1-4',
      '--covariance',
      'full,diag',
      '--seed',
      '0',
      '-o',
      out,
      ...CPU,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(listDir(dir)).toEqual(['select.json']);

    const lib = await selectModel(irisRows, {
      nComponents: [1, 2, 3, 4],
      covarianceTypes: ['full', 'diag'],
      randomState: 0,
      backend: 'cpu',
    });
    const lines = stdout.trim().split('\n');
    const rows = lines.filter((line) => /^(full \(VVV\)|diag \(VVI\))\s/.test(line));
    expect(rows).toHaveLength(8);
    expect(rows.filter((line) => line.endsWith(' *'))).toHaveLength(1);
    const marked = rows.find((line) => line.endsWith(' *')) as string;
    const name = `${lib.bestRow.covarianceType} (${mclustName(lib.bestRow.covarianceType)})`;
    expect(marked.startsWith(`${name} `)).toBe(true);
    expect(marked).toMatch(new RegExp(`\\)\\s+${lib.bestRow.nComponents}\\s`));
    expect(lines.at(-1)).toBe(
      `best by BIC (*): ${name}, K = ${lib.bestRow.nComponents} (BIC ${lib.bestRow.bic.toFixed(3)})`,
    );

    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.criterion).toBe('bic');
    expect(json.table).toHaveLength(8);
    const strip = (row: Record<string, unknown>) => ({ ...row, seconds: 0 });
    expect(json.table.map(strip)).toEqual(lib.table.map((row) => strip(asJson(row) as Record<string, unknown>)));
    expect(json.best.model).toEqual(asJson(lib.best.toJSON()));

    const predict = await run(['predict', '-m', out, IRIS, ...CPU]);
    expect(predict.code).toBe(0);
    expect(predict.stdout.trim().split('\n').map(Number)).toEqual([...(await lib.best.predict(irisRows))]);
  });

  it('--criterion picks by AIC or ICL; --verbose shows one line per fit', async () => {
    const { code, stdout, stderr } = await run([
      'select',
      IRIS,
      '-k',
      '2,3',
      '--covariance',
      'tied',
      '--criterion',
      'aic',
      '--seed',
      '1',
      '--verbose',
      ...CPU,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/best by AIC \(\*\): tied \(EEE\), K = [23] /);
    expect(stderr.split('\n').filter((line) => line.startsWith('emgpu: select: '))).toHaveLength(2);
  });

  it('bad grids are usage errors with one line, and --output is left untouched', async () => {
    const dir = tempDir();
    const out = writeFile(dir, 'keep.json', 'old');
    const cases: Array<[string[], RegExp]> = [
      [['-k', '0-3'], /argument '0-3' is invalid\. A range must be FROM-TO/],
      [['-k', 'three'], /argument 'three' is invalid/],
      [['-k', '151'], /has 150 rows but --components includes 151; try at most 150 components\./],
      [
        ['--covariance', 'full,round'],
        /Each type must be one of full, tied, diag, spherical, mclust's EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV, or all \(mclust's 14\)\./,
      ],
      [['--criterion', 'bayes'], /--criterion/],
      [['--init', 'init.json'], /--init for select must be a method/],
    ];
    for (const [args, message] of cases) {
      const result = await run(['select', IRIS, ...args, '-o', out, ...CPU]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split('\n')).toHaveLength(2);
      expect(readFileSync(out, 'utf8')).toBe('old');
    }
  });
});
