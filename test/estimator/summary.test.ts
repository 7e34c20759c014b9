// summary() and uncertainty() against mclust 6.0.0: the same parameters loaded into emgpu give
// mclust's log-likelihood, df, BIC, ICL, cluster sizes and per-row uncertainty
// (test/fixtures/mclust-summary/summary.json, made by scripts/make_mclust_summary_fixtures.R).
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/summary.ts';
import fixtures from '../fixtures/mclust-summary/summary.json';
import { mclustModel as modelOf, typeOf, type McCase as Case } from '../helpers/mclust-model.ts';

describe("summary() against mclust's summary", () => {
  it.for((fixtures as Case[]).map((c) => [c.name, c] as const))('%s', async ([, c]) => {
    const gm = modelOf(c);
    const X = { data: Float64Array.from(c.X.flat()), rows: c.n, cols: c.d };
    const s = await gm.summary(X);
    expect(s.model).toBe(c.model);
    expect(s.n).toBe(c.n);
    expect(s.df).toBe(c.df);
    expect(s.logLikelihood).toBeCloseTo(c.loglik, 8);
    expect(s.mclustBic).toBeCloseTo(c.bic, 7);
    expect(s.bic).toBeCloseTo(-c.bic, 7);
    expect(s.mclustIcl).toBeCloseTo(c.icl, 7);
    expect(Array.from(s.clusterSizes)).toEqual(c.clusterSizes);
    expect(Array.from(s.weights)).toEqual(c.weights);
    const u = await gm.uncertainty(X);
    u.forEach((v, i) => expect(v).toBeCloseTo(c.uncertainty[i]!, 10));
    const text = renderSummary(s);
    expect(text).toContain(`${c.model} (${typeOf(c.model)}) model with ${c.G} components`);
    expect(text).toContain(s.mclustBic.toFixed(4));
  });

  it('weights rows: n is Σ w and an integer weight counts as copies of the row', async () => {
    const c = (fixtures as Case[])[0]!;
    const gm = modelOf(c);
    const rows = c.X.slice(0, 40);
    const w = rows.map((_, i) => 1 + (i % 3));
    const copies = rows.flatMap((r, i) => Array.from({ length: w[i]! }, () => r));
    const weighted = await gm.summary(
      { data: Float64Array.from(rows.flat()), rows: 40, cols: c.d },
      { sampleWeight: w },
    );
    const copied = await gm.summary({ data: Float64Array.from(copies.flat()), rows: copies.length, cols: c.d });
    expect(weighted.n).toBe(copies.length);
    expect(weighted.logLikelihood).toBeCloseTo(copied.logLikelihood, 9);
    expect(weighted.icl).toBeCloseTo(copied.icl, 9);
    expect(Array.from(weighted.clusterSizes)).toEqual(Array.from(copied.clusterSizes));
  });
});
