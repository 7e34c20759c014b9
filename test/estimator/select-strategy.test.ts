// selectModel's starts (strategy) and its refusal of degenerate models: a model with a component
// on one row is degenerate (its BIC is a spurious maximum), an ordinary one is not, for each
// covariance layout (including K = D, where diag's K × D looks like tied's D × D); hc+emEM keeps
// the better of its two starts, hc+best the better of hc and emEM in its leading rows; the best
// row is never degenerate while another is not.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isDegenerate } from '../../src/model/degenerate.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import { COVARIANCE_TYPES, type CovarianceType } from '../../src/options.ts';
import { Random } from '../../src/random.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { selectModel } from '../../src/select-model.ts';

afterAll(() => releaseBackends());

/** K = D = 3 components with unit variances, one of them (component 1) collapsed to regCovar when `collapsed`. */
function params(type: CovarianceType, collapsed: boolean, reg: number) {
  const k = 3;
  const d = 3;
  const full = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++)
    for (let a = 0; a < d; a++) full[c * d * d + a * d + a] = (collapsed && c === 1 ? 0 : 1 + 0.1 * a) + reg;
  // By storage form: mclust's models store K full matrices whatever their structure.
  const form = COVARIANCE_MODELS[type].form;
  const covariances =
    form === 'full'
      ? full
      : form === 'tied'
        ? full.slice(collapsed ? d * d : 0, collapsed ? 2 * d * d : d * d)
        : form === 'diag'
          ? Float64Array.from({ length: k * d }, (_, i) => full[Math.floor(i / d) * d * d + (i % d) * d + (i % d)]!)
          : Float64Array.from({ length: k }, (_, c) => full[c * d * d]!);
  return {
    covarianceType: type,
    nComponents: k,
    nFeatures: d,
    weights: new Float64Array(k).fill(1 / k),
    means: new Float64Array(k * d),
    precisionsCholesky: COVARIANCE_MODELS[type].precisionCholesky(covariances, k, d),
    covariances,
  };
}

describe('isDegenerate', () => {
  for (const type of COVARIANCE_TYPES) {
    it(`${type}: a component at regCovar is degenerate, unit variances are not (K = D)`, () => {
      const variance = Float64Array.from([1, 1, 1]);
      expect(isDegenerate(params(type, true, 1e-6), 1e-6, variance)).toBe(true);
      expect(isDegenerate(params(type, false, 1e-6), 1e-6, variance)).toBe(false);
    });
  }
});

function duplicatedRows(): { data: Float64Array; rows: number; cols: number } {
  // 60 rows in two groups plus 3 far rows, each repeated: small K fits well, large K can put a
  // component on a repeated row.
  const random = new Random(3);
  const rows: number[][] = [];
  for (let i = 0; i < 60; i++) rows.push([(i % 2) * 6 + random.nextGaussian(), random.nextGaussian()]);
  for (const r of [
    [20, 20],
    [-20, 15],
    [15, -25],
  ])
    for (let j = 0; j < 4; j++) rows.push(r);
  return { data: Float64Array.from(rows.flat()), rows: rows.length, cols: 2 };
}

describe('selectModel strategies', () => {
  it('hc+emEM keeps the better of hc and emEM in every cell', async () => {
    const X = duplicatedRows();
    const options = {
      nComponents: [1, 2, 3],
      covarianceTypes: ['full', 'spherical'] as CovarianceType[],
      randomState: 7,
      backend: 'cpu' as const,
    };
    const [hc, em, both] = await Promise.all(
      (['hc', 'emEM', 'hc+emEM'] as const).map((strategy) => selectModel(X, { ...options, strategy })),
    );
    both!.table.forEach((row, i) => {
      const a = hc!.table[i]!;
      const b = em!.table[i]!;
      const candidates = [a, b].filter((r) => !r.degenerate);
      // Both degenerate: emEM again from other seeds, so either answer may come back.
      if (candidates.length === 0) return;
      expect(row.degenerate).toBe(false);
      expect(row.score).toBeCloseTo(Math.max(...candidates.map((r) => r.score)), 8);
    });
  });

  it('hc+best: hc in every cell, and the better of hc and emEM in the leading rows', async () => {
    // mclust's banknote (200 × 6), where emEM beats hc's start in some of the leading cells.
    const set = (
      JSON.parse(readFileSync(new URL('../fixtures/mclust-hc/hc.json', import.meta.url), 'utf8')) as {
        sets: Array<{ name: string; rows: number; cols: number; X: number[] }>;
      }
    ).sets.find((s) => s.name === 'banknote')!;
    const X = { data: Float64Array.from(set.X), rows: set.rows, cols: set.cols };
    const options = {
      nComponents: [2, 3, 4],
      covarianceTypes: ['VVE', 'EEE'] as CovarianceType[],
      randomState: 7,
      backend: 'cpu' as const,
    };
    const [hc, em, best] = await Promise.all(
      (['hc', 'emEM', 'hc+best'] as const).map((strategy) => selectModel(X, { ...options, strategy })),
    );
    // The five best rows of hc's table are the ones emEM refined (polishing, which moves each
    // score by about tol relative, is in all three runs, hence the 1e-4).
    const leading = new Set(
      hc!.table
        .filter((row) => !row.degenerate)
        .sort((a, b) => a.bic - b.bic)
        .slice(0, 5)
        .map((row) => hc!.table.indexOf(row)),
    );
    const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.abs(b);
    let refinedAbove = 0;
    best!.table.forEach((row, i) => {
      const a = hc!.table[i]!;
      const b = em!.table[i]!;
      if (!leading.has(i)) {
        expect(close(row.score, a.score)).toBe(true);
        return;
      }
      const candidates = [a, b].filter((r) => !r.degenerate);
      expect(row.score).toBeGreaterThanOrEqual(Math.max(...candidates.map((r) => r.score)) - 1e-4 * Math.abs(a.score));
      if (row.score > a.score + 1e-4 * Math.abs(a.score)) refinedAbove++;
    });
    // Here emEM finds a better maximum than hc in at least one leading cell.
    expect(refinedAbove).toBeGreaterThan(0);
  });

  it('hc+best on data larger than hcSubset: hc and emEM (short runs on hcSubset rows) in every cell, the better kept', async () => {
    const X = duplicatedRows();
    const options = {
      nComponents: [1, 2, 3],
      covarianceTypes: ['full', 'spherical'] as CovarianceType[],
      randomState: 3,
      hcSubset: 30,
      backend: 'cpu' as const,
    };
    const [hc, best, again] = await Promise.all(
      (['hc', 'hc+best', 'hc+best'] as const).map((strategy) => selectModel(X, { ...options, strategy })),
    );
    best!.table.forEach((row, i) => {
      const a = hc!.table[i]!;
      if (a.degenerate && !row.degenerate) return;
      expect(row.degenerate).toBe(a.degenerate);
      expect(row.score).toBeGreaterThanOrEqual(a.score - 1e-4 * Math.abs(a.score));
    });
    // The subset is drawn from randomState: the same call gives the same table.
    expect(again!.table.map((row) => row.score)).toEqual(best!.table.map((row) => row.score));
  });

  it('never picks a degenerate row while another is not', async () => {
    const X = duplicatedRows();
    const result = await selectModel(X, {
      nComponents: [2, 5, 8],
      covarianceTypes: ['diag'],
      strategy: 'emEM',
      randomState: 1,
      backend: 'cpu',
    });
    expect(result.bestRow.degenerate).toBe(false);
    for (const row of result.table) if (row.degenerate) expect(row).not.toBe(result.bestRow);
  });

  it("stops each start by mclust's relative rule, and polishes the best row to a 100 times smaller change", async () => {
    const X = duplicatedRows();
    const tol = 1e-4;
    const result = await selectModel(X, {
      nComponents: [1, 2, 3],
      covarianceTypes: ['full', 'spherical'],
      strategy: 'hc',
      tol,
      randomState: 5,
      backend: 'cpu',
    });
    const n = X.rows;
    for (const row of result.table) expect(row.converged).toBe(true);
    // The returned model is the polished one its row describes; its last step (of the polishing
    // continuation) is below tol / 100 relative to the total log-likelihood.
    expect(result.best.lowerBound).toBe(result.bestRow.lowerBound);
    expect(result.best.converged).toBe(true);
    const bounds = result.best.lowerBounds;
    if (bounds.length >= 2) {
      const last = bounds[bounds.length - 1] as number;
      const change = Math.abs(last - (bounds[bounds.length - 2] as number));
      expect(change).toBeLessThan((tol / 100) * (1 / n + Math.abs(last)));
    }
    // The same cell selected alone (and polished there too) gives the same model.
    const again = await selectModel(X, {
      nComponents: [result.bestRow.nComponents],
      covarianceTypes: [result.bestRow.covarianceType],
      strategy: 'hc',
      tol,
      randomState: 5,
      backend: 'cpu',
    });
    expect(again.bestRow.score).toBeCloseTo(result.bestRow.score, 10);
  });

  it('refuses an unknown strategy, naming the choices', async () => {
    await expect(selectModel(duplicatedRows(), { strategy: 'best' as 'hc' })).rejects.toThrow(
      /strategy must be one of 'init', 'hc', 'emEM', 'hc\+emEM'/,
    );
  });
});
