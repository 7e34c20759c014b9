// `emgpu summary`, `predict --uncertainty`, `fit --init hc` and the select table's mclust names,
// through the CLI, against the library on the same model.
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { run, tempDir, writeFile } from './helpers.ts';
import fixtures from '../fixtures/mclust-summary/summary.json';

afterAll(() => releaseBackends());

const faithful = (fixtures as Array<{ name: string; X: number[][] }>).find((c) => c.name === 'faithful-EEE-3')!.X;
const dir = tempDir();
const data = writeFile(dir, 'faithful.csv', `eruptions,waiting\n${faithful.map((r) => r.join(',')).join('\n')}\n`);
const X = { data: Float64Array.from(faithful.flat()), rows: faithful.length, cols: 2 };

async function fitModel(): Promise<string> {
  const fit = await run([
    'fit',
    data,
    '-k',
    '3',
    '--covariance',
    'tied',
    '--init',
    'hc',
    '--seed',
    '0',
    '--backend',
    'cpu',
    '-o',
    `${dir}/m.json`,
  ]);
  expect(fit.code, fit.stderr).toBe(0);
  return `${dir}/m.json`;
}

describe('emgpu summary and predict --uncertainty', () => {
  it("prints mclust's summary: the library's numbers, names in both vocabularies", async () => {
    const model = await fitModel();
    const { readFileSync } = await import('node:fs');
    const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });
    const expected = await gm.summary(X);
    const text = await run(['summary', '--model', model, data, '--backend', 'cpu']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('EEE (tied) model with 3 components');
    expect(text.stdout).toContain(expected.bic.toFixed(4));
    expect(text.stdout).toContain(expected.icl.toFixed(4));
    const json = await run(['summary', '--model', model, data, '--backend', 'cpu', '--json']);
    const parsed = JSON.parse(json.stdout) as { model: string; bic: number; clusterSizes: number[]; df: number };
    expect(parsed.model).toBe('EEE');
    expect(parsed.bic).toBe(expected.bic);
    expect(parsed.df).toBe(expected.df);
    expect(parsed.clusterSizes).toEqual(Array.from(expected.clusterSizes));
    const u = await run(['predict', '--model', model, data, '--uncertainty', '--backend', 'cpu']);
    expect(u.code, u.stderr).toBe(0);
    const values = u.stdout.trim().split('\n').map(Number);
    const lib = await gm.uncertainty(X);
    expect(values).toEqual(Array.from(lib));
  });

  it('refuses --proba with --uncertainty in one sentence, and a column mismatch', async () => {
    const model = await fitModel();
    const both = await run(['predict', '--model', model, data, '--uncertainty', '--proba']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--proba and --uncertainty print different things; pass one of them/);
    const one = writeFile(dir, 'one.csv', 'a\n1\n2\n3\n');
    const bad = await run(['summary', '--model', model, one]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/has 1 column but the model .* has 2 features/);
  });

  it('select shows the mclust name beside the alias and takes --strategy and --hc-subset', async () => {
    const out = await run([
      'select',
      data,
      '-k',
      '1-3',
      '--covariance',
      'full,tied',
      '--strategy',
      'hc',
      '--hc-subset',
      '100',
      '--seed',
      '0',
      '--backend',
      'cpu',
      '-o',
      `${dir}/best.json`,
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('full (VVV)');
    expect(out.stdout).toContain('tied (EEE)');
    expect(out.stdout).toMatch(/best by BIC \(\*\): tied \(EEE\), K = 3/);
    // The select table's ICL of the best cell is the one `emgpu summary` prints for that model.
    const best = await run(['summary', '--model', `${dir}/best.json`, data, '--backend', 'cpu', '--json']);
    expect(best.code, best.stderr).toBe(0);
    const icl = (JSON.parse(best.stdout) as { icl: number }).icl;
    const row = out.stdout.split('\n').find((l) => l.startsWith('tied (EEE)') && l.endsWith(' *'))!;
    expect(row.trim().split(/\s+/)).toContain(icl.toFixed(3));
    const stray = await run(['fit', data, '-k', '2', '--hc-subset', '100']);
    expect(stray.code).not.toBe(0);
    expect(stray.stderr).toMatch(/--hc-subset sets the rows of --init hc; add --init hc or drop --hc-subset/);
    const bad = await run(['select', data, '--hc-subset', '9000']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/hc-subset/);
  });
});
