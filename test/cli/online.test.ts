// `emgpu fit --online`: the model equals GaussianMixture.partialFit over the same batches called
// from the library; batching, passes, weights, shuffling and progress; bad flags are one line,
// exit 2, nothing written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchBounds } from '../../src/cli/online.ts';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, parseRows, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const irisRows = parseRows(readFileSync(IRIS, 'utf8').split('\n').slice(1).join('\n'));
const CPU = ['--backend', 'cpu'];
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const weights = irisRows.map((_, i) => 0.5 + ((i * 7) % 5) / 2);

describe('emgpu fit --online', () => {
  it('writes what partialFit over the same batches writes (file order, passes, step decay, burn-in, weights)', async () => {
    const dir = tempDir();
    const weightFile = writeFile(dir, 'w.txt', `${weights.join('\n')}\n`);
    const out = join(dir, 'model.json');
    const args = [
      'fit',
      IRIS,
      '-k',
      '3',
      '--covariance',
      'diag',
      '--online',
      '--batch-size',
      '50',
      '--passes',
      '2',
      '--step-decay',
      '0.8',
      '--burn-in',
      '2',
      '--seed',
      '4',
      '--sample-weight',
      weightFile,
      '-o',
      out,
      ...CPU,
    ];
    const { code, stdout, stderr } = await run(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const model = JSON.parse(readFileSync(out, 'utf8')) as { nIter: number; lowerBounds: number[]; converged: boolean };

    const gm = new GaussianMixture({
      nComponents: 3,
      covarianceType: 'diag',
      randomState: 4,
      stepDecay: 0.8,
      burnIn: 2,
      backend: 'cpu',
    });
    for (let pass = 0; pass < 2; pass++) {
      for (let start = 0; start < 150; start += 50)
        await gm.partialFit(irisRows.slice(start, start + 50), { sampleWeight: weights.slice(start, start + 50) });
    }
    expect(model).toEqual(asJson(gm.toJSON()));
    expect(model.lowerBounds).toHaveLength(6);
    expect(model.nIter).toBe(5);
    expect(model.converged).toBe(false);
  });

  it('uses batches of at most --batch-size rows, as equal as possible, and says so per batch with --verbose', async () => {
    expect(batchBounds(150, 40)).toEqual([
      [0, 38],
      [38, 76],
      [76, 113],
      [113, 150],
    ]);
    expect(batchBounds(150, 150)).toEqual([[0, 150]]);
    expect(batchBounds(150, 1000)).toEqual([[0, 150]]);
    expect(batchBounds(5, 1)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);

    const { code, stdout, stderr } = await run([
      'fit',
      IRIS,
      '-k',
      '3',
      '--online',
      '--batch-size',
      '40',
      '--seed',
      '0',
      '--verbose',
      ...CPU,
    ]);
    expect(code).toBe(0);
    const batchLines = stderr.split('\n').filter((line) => /^emgpu: pass 1\/1 {2}batch \d\/4 {2}rows/.test(line));
    expect(batchLines).toHaveLength(4);
    expect(batchLines[0]).toMatch(/batch 1\/4 {2}rows 38 {2}mean log-likelihood -?\d+\.\d{6} {2}burn-in/);
    expect(batchLines[1]).toMatch(/batch 2\/4 {2}rows 38 .* step 0\.5173 /); // 3^-0.6
    expect(stderr).toMatch(
      /emgpu: fitted 3 components \(full\) online to 150 × 4 from .*iris\.csv: 1 pass of 4 batches of ≤ 40 rows \(step decay 0\.6, burn-in 1\), 4 M-steps, mean log-likelihood of all rows -?\d+\.\d{6}, \d+ ms, cpu/,
    );

    const gm = new GaussianMixture({ nComponents: 3, randomState: 0, backend: 'cpu' });
    for (const [start, end] of [
      [0, 38],
      [38, 76],
      [76, 113],
      [113, 150],
    ] as const)
      await gm.partialFit(irisRows.slice(start, end));
    expect(JSON.parse(stdout)).toEqual(asJson(gm.toJSON()));
    const score = await gm.score(irisRows);
    expect(stderr).toContain(`mean log-likelihood of all rows ${score.toFixed(6)}`);
  });

  it('shows a progress bar over the batches when stderr is a terminal, and skips batches whose weights are all 0', async () => {
    const bar = await run(
      ['fit', IRIS, '-k', '3', '--online', '--batch-size', '50', '--passes', '2', '--seed', '0', ...CPU],
      { stderrTTY: true },
    );
    expect(bar.code).toBe(0);
    expect(JSON.parse(bar.stdout).nComponents).toBe(3);
    expect(bar.stderr).toMatch(
      /online EM pass 2\/2 \[[=\- ]+\] 6\/6 batches \| mean log-likelihood -?\d+\.\d{6} \| step 0\.\d+ \| [\d.]+ ms\/batch \| cpu/,
    );

    // Rows 50..99 weigh nothing: their batch is skipped, and the model is partialFit over the other two.
    const dir = tempDir();
    const zeroMiddle = irisRows.map((_, i) => (i >= 50 && i < 100 ? 0 : 1));
    const weightFile = writeFile(dir, 'w.txt', `${zeroMiddle.join('\n')}\n`);
    const skipped = await run([
      'fit',
      IRIS,
      '-k',
      '2',
      '--online',
      '--batch-size',
      '50',
      '--seed',
      '3',
      '--sample-weight',
      weightFile,
      '--verbose',
      ...CPU,
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('emgpu: pass 1/1  batch 2/3  skipped: every weight is 0\n');
    expect(skipped.stderr).toMatch(
      /1 pass of 3 batches of ≤ 50 rows \(step decay 0\.6, burn-in 1, 1 all-zero-weight batch skipped\), 2 M-steps/,
    );
    const gm = new GaussianMixture({ nComponents: 2, randomState: 3, backend: 'cpu' });
    await gm.partialFit(irisRows.slice(0, 50), { sampleWeight: zeroMiddle.slice(0, 50) });
    await gm.partialFit(irisRows.slice(100, 150), { sampleWeight: zeroMiddle.slice(100, 150) });
    expect(JSON.parse(skipped.stdout)).toEqual(asJson(gm.toJSON()));
  });

  it('--shuffle visits the rows in an order fixed by --seed', async () => {
    const fit = async (...extra: string[]): Promise<string> => {
      const result = await run(['fit', IRIS, '-k', '3', '--online', '--batch-size', '30', ...extra, ...CPU]);
      expect(result.code).toBe(0);
      return result.stdout;
    };
    const a = await fit('--shuffle', '--seed', '1', '--passes', '2');
    const b = await fit('--shuffle', '--seed', '1', '--passes', '2');
    const c = await fit('--shuffle', '--seed', '2', '--passes', '2');
    const plain = await fit('--seed', '1', '--passes', '2');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).not.toBe(plain);
    const model = JSON.parse(a) as { lowerBounds: number[] };
    expect(model.lowerBounds).toHaveLength(10);
  });

  it.each([
    [
      ['--online', '--batch-size', '0'],
      /^emgpu: option '--batch-size <B>' argument '0' is invalid\. It must be an integer ≥ 1\. \(see 'emgpu fit --help'\)\n$/,
    ],
    [['--online', '--batch-size', '2.5'], /argument '2\.5' is invalid\. It must be an integer ≥ 1\./],
    [
      ['--online', '--step-decay', '0.5'],
      /^emgpu: option '--step-decay <a>' argument '0\.5' is invalid\. It must be a number in \(0\.5, 1\], e\.g\. 0\.6\./,
    ],
    [['--online', '--step-decay', '1.01'], /argument '1\.01' is invalid\. It must be a number in \(0\.5, 1\]/],
    [['--online', '--step-decay', 'x'], /argument 'x' is invalid/],
    [['--online', '--passes', '0'], /option '--passes <P>' argument '0' is invalid\. It must be an integer ≥ 1\./],
    [['--online', '--burn-in', '-1'], /option '--burn-in <N>' argument '-1' is invalid/],
    [['--batch-size', '10'], /^emgpu: --batch-size is an option of online EM; add --online, or drop --batch-size\.\n$/],
    [['--shuffle'], /^emgpu: --shuffle is an option of online EM; add --online, or drop --shuffle\.\n$/],
    [['--online', '--bayesian'], /^emgpu: --online fits a GaussianMixture .*; drop --bayesian or --online\.\n$/],
    [['--online', '--max-iter', '5'], /^emgpu: --max-iter has no effect with --online .*; drop --max-iter\.\n$/],
    [['--online', '--tol', '0.1'], /^emgpu: --tol has no effect with --online/],
    [['--online', '--n-init', '3'], /^emgpu: --n-init has no effect with --online/],
    [
      ['--online', '--batch-size', '2'],
      /^emgpu: the first batch has 2 rows but --components is 3; online EM initialises on the first batch, so raise --batch-size to at least 3\.\n$/,
    ],
  ])('refuses %j in one line, exit 2, nothing written', async (flags, message) => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run([
      'fit',
      IRIS,
      '-k',
      '3',
      ...flags,
      '-o',
      join(dir, 'model.json'),
      ...CPU,
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(listDir(dir)).toEqual([]);
  });

  it('refuses --online with --demo and with responsibilities in --init', async () => {
    const demo = await run(['fit', '--demo', '--online', ...CPU]);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toMatch(/^emgpu: fit --demo does not take --online/);
    const dir = tempDir();
    const resp = writeFile(
      dir,
      'resp.json',
      JSON.stringify({ resp: irisRows.map((_, i) => [i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, i % 3 === 2 ? 1 : 0]) }),
    );
    const withResp = await run(['fit', IRIS, '-k', '3', '--online', '--init', resp, ...CPU]);
    expect(withResp.code).toBe(2);
    expect(withResp.stderr).toMatch(/responsibilities \('resp'\) are for fit without --online/);
  });
});
