// GaussianMixture.criteria(X): BIC, AIC, ICL and the score from one evaluate pass, against the
// same quantities computed here from scoreSamples and predictProba, and ICL against mclust's
// icl() at mclust's fitted parameters (test/fixtures/mclust-summary/summary.json, made by
// scripts/make_mclust_summary_fixtures.R): selectModel's ICL is the summary's, mclust's.
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { SKLEARN_COVARIANCE_TYPES } from '../../src/options.ts';
import { Random } from '../../src/random.ts';
import mclustCases from '../fixtures/mclust-summary/summary.json';
import { mclustModel, type McCase } from '../helpers/mclust-model.ts';

const random = new Random(11);
const rows = 600;
const data = new Float64Array(rows * 2);
for (let i = 0; i < rows; i++) {
  const c = i % 3;
  data[2 * i] = c * 3 + random.nextGaussian();
  data[2 * i + 1] = (c === 1 ? 2 : 0) + 0.5 * random.nextGaussian();
}
const X = { data, rows, cols: 2 };
const weights = Array.from({ length: rows }, (_, i) => 0.5 + (i % 4));

/** BIC, AIC, mclust's ICL from per-row log-likelihoods and responsibilities (float64, in the test). */
async function slowCriteria(gm: GaussianMixture, w: number[] | null) {
  const logLik = await gm.scoreSamples(X);
  const proba = await gm.predictProba(X);
  const k = gm.nComponents;
  let n = 0;
  let sum = 0;
  let logMap = 0;
  for (let i = 0; i < rows; i++) {
    const wi = w === null ? 1 : w[i]!;
    n += wi;
    sum += wi * logLik[i]!;
    const row = Array.from(proba.subarray(i * k, (i + 1) * k));
    logMap += wi * Math.log(Math.max(...row));
  }
  const p = gm.nParameters();
  const bic = -2 * sum + p * Math.log(n);
  return { bic, aic: -2 * sum + 2 * p, icl: bic - 2 * logMap, score: sum / n };
}

describe('GaussianMixture.criteria', () => {
  it.for(SKLEARN_COVARIANCE_TYPES)(
    '%s: BIC, AIC, ICL and score equal the ones computed from scoreSamples and predictProba',
    async (type) => {
      const gm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0, backend: 'cpu' });
      await gm.fit(X);
      const fast = await gm.criteria(X);
      const slow = await slowCriteria(gm, null);
      for (const key of ['bic', 'aic', 'icl', 'score'] as const)
        expect(Math.abs(fast[key] - slow[key]) / Math.abs(slow[key]), key).toBeLessThan(1e-12);
      expect(fast.icl).toBeGreaterThan(fast.bic); // overlapping clusters: uncertain MAP rows cost ICL
      expect(fast.bic).toBeCloseTo(await gm.bic(X), 8);
      expect(fast.aic).toBeCloseTo(await gm.aic(X), 8);
    },
  );

  it('weighted and unweighted after a weighted fit on the same array: each uses its own weights', async () => {
    const gm = new GaussianMixture({ nComponents: 3, randomState: 0, backend: 'cpu' });
    await gm.fit(X, { sampleWeight: weights });
    const weighted = await gm.criteria(X, { sampleWeight: weights });
    const plain = await gm.criteria(X);
    const slowWeighted = await slowCriteria(gm, weights);
    const slowPlain = await slowCriteria(gm, null);
    expect(Math.abs(weighted.bic - slowWeighted.bic) / Math.abs(slowWeighted.bic)).toBeLessThan(1e-12);
    expect(Math.abs(plain.bic - slowPlain.bic) / Math.abs(slowPlain.bic)).toBeLessThan(1e-12);
    expect(Math.abs(weighted.icl - slowWeighted.icl) / Math.abs(slowWeighted.icl)).toBeLessThan(1e-12);
    expect(Math.abs(plain.score - (await gm.score(X)))).toBeLessThan(1e-12);
    expect(plain.n).toBe(rows);
  });

  it.for((mclustCases as McCase[]).map((c) => [c.name, c] as const))(
    "%s: ICL is mclust's icl() (hard MAP classification), the summary's, not the soft entropy",
    async ([, c]) => {
      const gm = mclustModel(c);
      const Xc = { data: Float64Array.from(c.X.flat()), rows: c.n, cols: c.d };
      const got = await gm.criteria(Xc);
      expect(-got.bic).toBeCloseTo(c.bic, 7);
      expect(-got.icl).toBeCloseTo(c.icl, 7);
      expect(got.icl).toBe((await gm.summary(Xc)).icl);
      // The soft-entropy ICL (Σ z·log z) differs from mclust's by more than the tolerance above.
      const proba = await gm.predictProba(Xc);
      let soft = 0;
      for (const z of proba) if (z > 0) soft += z * Math.log(z);
      expect(Math.abs(got.bic - 2 * soft - got.icl)).toBeGreaterThan(1e-3);
    },
  );
});
