// mclust 6.0.0 parity of the 14 covariance models on the CPU engine: from the same starting
// responsibilities z (one-hot labels), regCovar 0, tol 0, the parameters after maxIter = m equal
// mclust's me() after itmax = m + 1 and the mean log-likelihoods lowerBounds[m − 1] equal
// mclust's loglik after itmax = m, divided by n (fixtures: scripts/make_mclust_fixtures.R).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/index.ts';
import { MCLUST_MODELS } from '../../src/model/names.ts';
import { nParameters } from '../../src/model/covariance.ts';

interface MclustModelFixture {
  readonly failed: boolean;
  readonly df: number;
  readonly loglik?: number[];
  readonly finalLoglik?: number;
  readonly bic?: number;
  readonly weights?: number[];
  readonly means?: number[][];
  readonly covariances?: number[][][];
}

export interface MclustFixture {
  readonly name: string;
  readonly iterations: number;
  readonly nComponents: number;
  readonly X: number[][];
  readonly labels: number[];
  readonly models: Record<string, MclustModelFixture>;
}

export const MCLUST_FIXTURES: MclustFixture[] = ['iris', 'faithful', 'diabetes', 'wreath'].map(
  (name) =>
    JSON.parse(readFileSync(new URL(`../fixtures/mclust/${name}.json`, import.meta.url), 'utf8')) as MclustFixture,
);

/** Largest |a − b| / max(1, |b|) over paired numbers. */
function relativeError(ours: ArrayLike<number>, theirs: readonly number[]): number {
  let worst = 0;
  theirs.forEach((b, i) => {
    const e = Math.abs((ours[i] as number) - b) / Math.max(1, Math.abs(b));
    if (!(e <= worst)) worst = e;
  });
  return worst;
}

for (const f of MCLUST_FIXTURES) {
  describe(`mclust parity: ${f.name} (${f.X.length} × ${f.X[0]?.length}, G = ${f.nComponents})`, () => {
    const n = f.X.length;
    const d = (f.X[0] as number[]).length;
    const k = f.nComponents;
    const resp = f.labels.map((label) => Array.from({ length: k }, (_, c) => (c === label - 1 ? 1 : 0)));
    it.each(MCLUST_MODELS.map((m) => [m]))('%s', async (model) => {
      const expected = f.models[model] as MclustModelFixture;
      expect(nParameters(model, k, d)).toBe(expected.df);
      if (expected.failed) return;
      const gm = new GaussianMixture({
        nComponents: k,
        covarianceType: model,
        regCovar: 0,
        tol: 0,
        maxIter: f.iterations,
        backend: 'cpu',
      });
      await gm.fit(f.X, { resp });
      const loglik = gm.lowerBounds.map((b) => b * n);
      expect(relativeError(loglik, expected.loglik as number[]), 'loglik').toBeLessThan(1e-8);
      expect(relativeError(gm.weights, expected.weights as number[]), 'weights').toBeLessThan(1e-6);
      expect(relativeError(gm.means, (expected.means as number[][]).flat()), 'means').toBeLessThan(1e-6);
      expect(relativeError(gm.covariances, (expected.covariances as number[][][]).flat(2)), 'covariances').toBeLessThan(
        1e-6,
      );
    });
  });
}
