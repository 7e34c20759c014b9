// Missing values by marginalisation (`missing: 'marginalize'`) against a numpy reference written
// from the formulas (scripts/missing_reference.py → test/fixtures/missing/holes3d.json): 240
// correlated 3-D rows far from the origin, ~15% of values missing, one row with every value
// missing; all four covariance types, weighted and not, after 1, 5 and 20 iterations from the
// same start. The CPU engine is held to 1e-6 on the parameters and 1e-8 on the lower bound;
// WebGPU in Node to the float32 contract (its complete rows run on the GPU).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/index.ts';
import type { BackendChoice, CovarianceType } from '../../src/options.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';

interface Snapshot {
  readonly nIter: number;
  readonly lowerBound: number;
  readonly weights: number[];
  readonly means: number[][];
  readonly covariances: number | number[] | number[][] | number[][][];
}
interface Case {
  readonly covarianceType: CovarianceType;
  readonly weighted: boolean;
  readonly init: { weights: number[]; means: number[][]; precisions: number[] | number[][] | number[][][] };
  readonly iterations: Snapshot[];
  readonly final: { labels: number[] };
}
interface Fixture {
  readonly X: (number | null)[][];
  readonly sampleWeight: number[];
  readonly regCovar: number;
  readonly cases: Record<string, Case>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/missing/holes3d.json', import.meta.url), 'utf8'),
) as Fixture;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** Largest |a − b| / max(|b|, floor) over the entries. */
function relativeError(a: ArrayLike<number>, b: readonly number[], floor = 1e-3): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(Math.abs(b[i] as number), floor));
  return worst;
}

function model(c: Case, maxIter: number, backend: BackendChoice): GaussianMixture {
  return new GaussianMixture({
    nComponents: c.init.weights.length,
    covarianceType: c.covarianceType,
    weightsInit: c.init.weights,
    meansInit: c.init.means,
    precisionsInit: c.init.precisions,
    maxIter,
    tol: 0,
    regCovar: fixture.regCovar,
    missing: 'marginalize',
    backend,
  });
}

const worst = { params: 0, lowerBound: 0 };

describe.each(Object.entries(fixture.cases))('missing values, %s', (_name, c) => {
  it.each(c.iterations.map((s) => [s.nIter, s] as const))(
    'CPU engine after %i iterations equals the numpy reference',
    async (nIter, snapshot) => {
      const gm = await model(c, nIter, 'cpu').fit(fixture.X, c.weighted ? { sampleWeight: fixture.sampleWeight } : {});
      const params = Math.max(
        relativeError(gm.weights, snapshot.weights),
        relativeError(gm.means, flat(snapshot.means)),
        relativeError(gm.covariances, flat(snapshot.covariances)),
      );
      const lb = Math.abs(gm.lowerBound - snapshot.lowerBound) / Math.abs(snapshot.lowerBound);
      worst.params = Math.max(worst.params, params);
      worst.lowerBound = Math.max(worst.lowerBound, lb);
      expect(params).toBeLessThan(1e-6);
      expect(lb).toBeLessThan(1e-8);
      expect(gm.nIter).toBe(nIter);
      expect(gm.warnings).toEqual(['1 row of X had every value missing and was left out of the fit.']);
      if (nIter === 20) {
        // predict on the same rows: the reference's labels for the kept rows, −1 for the empty one.
        const labels = await gm.predict(fixture.X);
        const kept = Array.from(labels).filter((_, i) => fixture.X[i]?.some((v) => v !== null));
        expect(kept).toEqual(c.final.labels);
        expect(labels[5]).toBe(-1);
      }
    },
  );
});

describe('missing values: behaviour', () => {
  const c = fixture.cases.full as Case;
  const typed = {
    data: Float64Array.from(fixture.X.flat(), (v) => (v === null ? NaN : v)),
    rows: fixture.X.length,
    cols: 3,
  };

  it('a Float64Array with NaNs gives the nested null rows’ fit; the caller’s array is not changed', async () => {
    const before = Float64Array.from(typed.data);
    const a = await model(c, 5, 'cpu').fit(typed);
    const b = await model(c, 5, 'cpu').fit(fixture.X);
    expect(Array.from(a.means)).toEqual(Array.from(b.means));
    expect(a.lowerBound).toBe(b.lowerBound);
    expect(Array.from(typed.data).map(String)).toEqual(Array.from(before).map(String));
  });

  it('with nothing missing, marginalize fits bit for bit as the default', async () => {
    const complete = fixture.X.filter((row) => row.every((v) => v !== null)) as number[][];
    for (const covarianceType of ['full', 'tied', 'diag', 'spherical'] as const) {
      const options = { nComponents: 3, covarianceType, randomState: 3, maxIter: 10, backend: 'cpu' as const };
      const plain = await new GaussianMixture(options).fit(complete);
      const marginal = await new GaussianMixture({ ...options, missing: 'marginalize' }).fit(complete);
      expect(Array.from(marginal.covariances)).toEqual(Array.from(plain.covariances));
      expect(marginal.lowerBound).toBe(plain.lowerBound);
    }
  });

  it('predict, predictProba, scoreSamples and score take rows with holes; an empty row has no label or likelihood', async () => {
    const gm = await model(c, 20, 'cpu').fit(fixture.X);
    const proba = await gm.predictProba(fixture.X);
    const logLik = await gm.scoreSamples(fixture.X);
    expect(Number.isNaN(logLik[5] as number)).toBe(true);
    expect(Number.isNaN(proba[15] as number)).toBe(true);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < fixture.X.length; i++) {
      if (i === 5) continue;
      expect(Number.isFinite(logLik[i] as number)).toBe(true);
      expect((proba[i * 3] as number) + (proba[i * 3 + 1] as number) + (proba[i * 3 + 2] as number)).toBeCloseTo(1, 12);
      sum += logLik[i] as number;
      n++;
    }
    // score: the mean over the rows that have a likelihood. It is the fit's last E-step's bound
    // one M-step later, so close to (and not below) the lower bound of iteration 20.
    expect(await gm.score(fixture.X)).toBeCloseTo(sum / n, 12);
    expect(await gm.score(fixture.X)).toBeGreaterThanOrEqual(gm.lowerBound - 1e-9);
    // A row's holes change its likelihood: the same row with a value removed is more likely (fewer dimensions).
    const row = fixture.X[0] as number[];
    const [full] = await gm.scoreSamples([row]);
    const [partial] = await gm.scoreSamples([[row[0] as number, null as unknown as number, row[2] as number]]);
    expect(partial as number).toBeGreaterThan(full as number);
  });

  it('rows that all have holes fit (no complete row); k-means initialisation on the imputed rows', async () => {
    const holey = fixture.X.map((row, i) => row.map((v, j) => (j === i % 3 ? null : v)));
    const gm = await new GaussianMixture({
      nComponents: 3,
      randomState: 0,
      missing: 'marginalize',
      backend: 'cpu',
    }).fit(holey);
    expect(gm.converged).toBe(true);
    for (const v of gm.covariances) expect(Number.isFinite(v)).toBe(true);
    // The three clusters are found: each has about a third of the weight.
    for (const w of gm.weights) expect(w).toBeGreaterThan(0.2);
  });

  it('errors: a NaN by default names the option; Infinity is refused; too few rows counts the empty ones', async () => {
    await expect(
      new GaussianMixture({ nComponents: 2, backend: 'cpu' }).fit([
        [1, 2],
        [NaN, 3],
        [4, 5],
      ]),
    ).rejects.toThrow(
      "X row 1, column 0 is NaN; every value must be a finite number (remove or impute missing values, or let GaussianMixture marginalise over them with the option missing: 'marginalize').",
    );
    await expect(
      new GaussianMixture({ nComponents: 2, missing: 'marginalize', backend: 'cpu' }).fit([
        [1, 2],
        [Infinity, 3],
        [4, 5],
      ]),
    ).rejects.toThrow('X row 1, column 0 is Infinity; every value must be a finite number or NaN for a missing value.');
    await expect(
      new GaussianMixture({ nComponents: 2, missing: 'marginalize', backend: 'cpu' }).fit([
        [1, 2],
        [NaN, NaN],
        [NaN, NaN],
      ]),
    ).rejects.toThrow('X has 1 rows (2 more have every value missing) but nComponents is 2');
    await expect(new GaussianMixture({ missing: 'marginalize', backend: 'cpu' }).fit(() => [[[1, 2]]])).rejects.toThrow(
      "missing: 'marginalize' does not work with a chunk source yet",
    );
    expect(() => new GaussianMixture({ missing: 'impute' as 'error' })).toThrow(
      "Option missing must be one of 'error', 'marginalize', got \"impute\".",
    );
    await expect(
      new GaussianMixture({ nComponents: 2, missing: 'marginalize', backend: 'cpu' }).fit(
        [
          [1, 2],
          [NaN, 3],
          [4, 5],
          [6, 1],
        ],
        {
          resp: [
            [1, 0],
            [0, 1],
            [1, 0],
            [0, 1],
          ],
        },
      ),
    ).rejects.toThrow('Initial responsibilities (resp) cannot start a fit with missing values');
  });

  it('WebGPU in Node: complete rows on the GPU, rows with holes on the host, within the float32 contract', async (ctx) => {
    const reason = await webgpuUnavailable();
    if (reason !== null) return ctx.skip(reason);
    for (const name of ['full', 'tied-weighted', 'diag', 'spherical-weighted']) {
      const k = fixture.cases[name] as Case;
      const snapshot = k.iterations.at(-1) as Snapshot;
      const gm = await model(k, snapshot.nIter, 'webgpu').fit(
        fixture.X,
        k.weighted ? { sampleWeight: fixture.sampleWeight } : {},
      );
      expect(gm.backend).toMatch(/^webgpu/);
      expect(Math.abs(gm.lowerBound - snapshot.lowerBound) / Math.abs(snapshot.lowerBound), name).toBeLessThan(1e-4);
      expect(relativeError(gm.means, flat(snapshot.means)), name).toBeLessThan(2e-3);
      expect(relativeError(gm.covariances, flat(snapshot.covariances)), name).toBeLessThan(2e-3);
    }
  });

  it('reports the worst CPU errors measured above', () => {
    console.log(
      `missing values, CPU engine vs numpy reference: parameters ${worst.params.toExponential(1)}, lower bound ${worst.lowerBound.toExponential(1)}`,
    );
    expect(worst.params).toBeGreaterThanOrEqual(0);
  });
});
