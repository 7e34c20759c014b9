// Parity with scikit-learn 1.2.1's GaussianMixture on fixtures made by
// scripts/make_sklearn_fixtures.py (regenerate with `npm run fixtures`; see
// /work/shared/sklearn-parity.md for what parity means).
//
// Every case starts from explicit weightsInit/meansInit/precisionsInit, so the result does
// not depend on random initialisation, and runs on the float64 CPU engine.
//
// Tolerances:
//  - weights, means, covariances, precisions, precisionsCholesky: |a − b| ≤ 1e-6·max(|b|, s)
//    where s guards near-zero entries: s is the largest |entry| of the same group, a group
//    being one component's block (a weights vector and each spherical variance are one group
//    of their own; means: one component's mean row; full: one component's D×D matrix; tied:
//    the shared D×D matrix; diag: one component's D variances). So an off-diagonal entry
//    that is ~0 is held to 1e-6 of its matrix's scale, not to 1e-6 of itself.
//  - lowerBound, score: 1e-8 absolute. scoreSamples (first 10 rows): 1e-8·max(1, |b|).
//  - predictProba (first 10 rows): 1e-8 absolute.
//  - bic, aic: 1e-6 relative. predict labels, nIter and converged: identical.
// precisionsCholesky is compared after fits only (sklearn keeps the lower factor of
// precisions_init until the first M-step; every fixture has ≥ 1 iteration, so it is upper).

import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../src/index.ts';
import type { CovarianceType } from '../src/index.ts';

type NestedNumbers = number | NestedNumbers[];

interface SklearnCase {
  name: string;
  options: {
    n_components: number;
    covariance_type: CovarianceType;
    tol: number;
    reg_covar: number;
    max_iter: number;
    weights_init: number[];
    means_init: number[][];
    means_init_rows: number[];
    precisions_init: NestedNumbers;
  };
  expected: {
    weights_: number[];
    means_: number[][];
    covariances_: NestedNumbers;
    precisions_cholesky_: NestedNumbers;
    precisions_: NestedNumbers;
    converged_: boolean;
    n_iter_: number;
    lower_bound_: number;
    predict: number[];
    score: number;
    score_samples_first10: number[];
    predict_proba_first10: number[][];
    bic: number;
    aic: number;
  };
}

interface SklearnFixture {
  dataset: string;
  description: string;
  sklearn_version: string;
  n_samples: number;
  n_features: number;
  X: number[][];
  cases: SklearnCase[];
}

const FIXTURE_DIR = new URL('./fixtures/sklearn/', import.meta.url);

function loadFixtures(): SklearnFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as SklearnFixture);
}

/** numpy C order. */
function flat(value: NestedNumbers): number[] {
  if (typeof value === 'number') return [value];
  return value.flatMap((v) => flat(v));
}

/** Entries per group for a parameter of this covariance type (see the header). */
function covarianceGroup(type: CovarianceType, d: number): number {
  switch (type) {
    case 'full':
    case 'tied':
      return d * d;
    case 'diag':
      return d;
    case 'spherical':
      return 1;
  }
}

/**
 * Relative comparison with a per-group scale; returns a description of the worst offending
 * entry, or null when every entry is within tolerance.
 */
function compareRelative(
  quantity: string,
  actual: ArrayLike<number>,
  expected: readonly number[],
  groupSize: number,
  rtol: number,
): string | null {
  if (actual.length !== expected.length) {
    return `${quantity}: length ${actual.length}, expected ${expected.length}`;
  }
  let worst: { i: number; ratio: number; err: number } | null = null;
  for (let g = 0; g < expected.length; g += groupSize) {
    let scale = 0;
    for (let i = g; i < g + groupSize; i++) scale = Math.max(scale, Math.abs(expected[i]!));
    for (let i = g; i < g + groupSize; i++) {
      const b = expected[i]!;
      const a = actual[i]!;
      const bound = rtol * Math.max(Math.abs(b), scale);
      const err = Math.abs(a - b);
      const ratio = bound > 0 ? err / bound : err === 0 ? 0 : Infinity;
      if (!(ratio <= 1) && (worst === null || !(ratio <= worst.ratio))) worst = { i, ratio, err };
    }
  }
  if (worst === null) return null;
  return (
    `${quantity}[${worst.i}]: got ${actual[worst.i]}, expected ${expected[worst.i]} ` +
    `(|diff| ${worst.err.toExponential(3)}, ${worst.ratio.toExponential(2)}× the tolerance)`
  );
}

/** |a − b| ≤ atol·max(1, |b|) when relativeAboveOne, else |a − b| ≤ atol. */
function compareAbsolute(
  quantity: string,
  actual: ArrayLike<number>,
  expected: readonly number[],
  atol: number,
  relativeAboveOne = false,
): string | null {
  if (actual.length < expected.length) {
    return `${quantity}: length ${actual.length}, expected at least ${expected.length}`;
  }
  let worst: { i: number; ratio: number; err: number } | null = null;
  for (let i = 0; i < expected.length; i++) {
    const b = expected[i]!;
    const err = Math.abs(actual[i]! - b);
    const ratio = err / (atol * (relativeAboveOne ? Math.max(1, Math.abs(b)) : 1));
    if (!(ratio <= 1) && (worst === null || !(ratio <= worst.ratio))) worst = { i, ratio, err };
  }
  if (worst === null) return null;
  return (
    `${quantity}[${worst.i}]: got ${actual[worst.i]}, expected ${expected[worst.i]} ` +
    `(|diff| ${worst.err.toExponential(3)}, ${worst.ratio.toExponential(2)}× the tolerance)`
  );
}

function newModel(c: SklearnCase): GaussianMixture {
  const o = c.options;
  return new GaussianMixture({
    nComponents: o.n_components,
    covarianceType: o.covariance_type,
    tol: o.tol,
    regCovar: o.reg_covar,
    maxIter: o.max_iter,
    weightsInit: o.weights_init,
    meansInit: o.means_init,
    precisionsInit: o.precisions_init,
    backend: 'cpu',
    randomState: 0,
  });
}

/** Every mismatch between a fitted model and sklearn's results for one case. */
async function mismatches(gm: GaussianMixture, fixture: SklearnFixture, c: SklearnCase): Promise<string[]> {
  const X = fixture.X;
  const d = fixture.n_features;
  const k = c.options.n_components;
  const type = c.options.covariance_type;
  const e = c.expected;
  const out: (string | null)[] = [];
  const covGroup = covarianceGroup(type, d);

  out.push(compareRelative('weights', gm.weights, e.weights_, k, 1e-6));
  out.push(compareRelative('means', gm.means, flat(e.means_), d, 1e-6));
  out.push(compareRelative('covariances', gm.covariances, flat(e.covariances_), covGroup, 1e-6));
  out.push(compareRelative('precisions', gm.precisions, flat(e.precisions_), covGroup, 1e-6));
  out.push(compareRelative('precisionsCholesky', gm.precisionsCholesky, flat(e.precisions_cholesky_), covGroup, 1e-6));
  out.push(compareAbsolute('lowerBound', [gm.lowerBound], [e.lower_bound_], 1e-8));
  if (gm.nIter !== e.n_iter_) out.push(`nIter: got ${gm.nIter}, expected ${e.n_iter_}`);
  if (gm.converged !== e.converged_) out.push(`converged: got ${gm.converged}, expected ${e.converged_}`);

  const labels = await gm.predict(X);
  if (labels.length !== e.predict.length) {
    out.push(`predict: length ${labels.length}, expected ${e.predict.length}`);
  } else {
    const differ = e.predict.flatMap((l, i) => (labels[i] === l ? [] : [i]));
    if (differ.length > 0) {
      out.push(`predict: ${differ.length} labels differ, first at row ${differ[0]} (got ${labels[differ[0]!]}, expected ${e.predict[differ[0]!]})`);
    }
  }
  out.push(compareAbsolute('score', [await gm.score(X)], [e.score], 1e-8));
  const first10 = X.slice(0, 10);
  out.push(compareAbsolute('scoreSamples', await gm.scoreSamples(first10), e.score_samples_first10, 1e-8, true));
  out.push(compareAbsolute('predictProba', await gm.predictProba(first10), flat(e.predict_proba_first10), 1e-8));
  out.push(compareRelative('bic', [await gm.bic(X)], [e.bic], 1, 1e-6));
  out.push(compareRelative('aic', [await gm.aic(X)], [e.aic], 1, 1e-6));
  return out.filter((m): m is string => m !== null);
}

const fixtures = loadFixtures();

afterAll(async () => {
  await releaseBackends();
});

describe('sklearn parity fixtures', () => {
  it('are present for four data sets and every covariance type', () => {
    expect(fixtures.map((f) => f.dataset)).toEqual(['blobs2d', 'iris', 'oned2', 'wine']);
    for (const f of fixtures) {
      expect(new Set(f.cases.map((c) => c.options.covariance_type))).toEqual(new Set(['full', 'tied', 'diag', 'spherical']));
      expect(f.X).toHaveLength(f.n_samples);
    }
  });
});

for (const fixture of fixtures) {
  describe(`sklearn parity: ${fixture.dataset} (${fixture.description})`, () => {
    it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const gm = newModel(c);
      await gm.fit(fixture.X);
      expect(await mismatches(gm, fixture, c)).toEqual([]);
    });
  });
}

describe('sklearn parity: input forms', () => {
  it('fits {data, rows, cols} exactly as number[][]', async () => {
    const fixture = fixtures.find((f) => f.dataset === 'iris')!;
    const c = fixture.cases.find((cc) => cc.options.covariance_type === 'full' && cc.options.max_iter === 10)!;
    const data = Float64Array.from(fixture.X.flat());
    const gm = newModel(c);
    await gm.fit({ data, rows: fixture.n_samples, cols: fixture.n_features });
    expect(await mismatches(gm, fixture, c)).toEqual([]);
  });
});
