// The CPU engine and the shared M-step against the slow float64 reference (test/reference.ts).
import { toDataset } from '../../src/matrix.ts';
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/index.ts';
import { SKLEARN_COVARIANCE_TYPES, type CovarianceType } from '../../src/options.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import { Random } from '../../src/random.ts';
import {
  blobs,
  expandCovariances,
  maxRelativeError,
  precisionsOf,
  randomCovariances,
  refEStep,
  refMStep,
  refWeightedLogProb,
} from '../reference.ts';

function randomStart(type: CovarianceType, X: number[][], k: number, seed: number) {
  const random = new Random(seed);
  const d = X[0]!.length;
  const raw = Array.from({ length: k }, () => 0.2 + random.nextFloat());
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const means = Array.from({ length: k }, () =>
    X[random.nextInt(X.length)]!.map((v) => v + random.nextGaussian() * 0.1),
  );
  const covariances = randomCovariances(type, k, d, random);
  return { weights, means, covariances, precisions: precisionsOf(type, covariances, k, d) };
}

describe.each(SKLEARN_COVARIANCE_TYPES)('CPU engine vs float64 reference, %s covariance', (type) => {
  const { X } = blobs(600, 3, 3, 11);
  const k = 3;
  const d = 3;
  const start = randomStart(type, X, k, 5);
  /** The model at the random start, unchanged (maxIter 0), on the CPU engine. */
  const fittedAtStart = (): Promise<GaussianMixture> =>
    new GaussianMixture({
      nComponents: k,
      covarianceType: type,
      maxIter: 0,
      backend: 'cpu',
      weightsInit: start.weights,
      meansInit: start.means,
      precisionsInit: start.precisions,
    }).fit(X);
  const refParams = {
    covarianceType: type,
    k,
    d,
    weights: start.weights,
    means: start.means,
    covariances: expandCovariances(type, start.covariances, k, d),
  };

  it('one EM iteration gives the reference E-step, lower bound and M-step', async () => {
    const gm = new GaussianMixture({
      nComponents: k,
      covarianceType: type,
      maxIter: 1,
      tol: 0,
      backend: 'cpu',
      cpuThreads: 1,
      weightsInit: start.weights,
      meansInit: start.means,
      precisionsInit: start.precisions,
    });
    await gm.fit(X);
    const { resp, logLik } = refEStep(X, refParams);
    const expected = refMStep(X, resp, type, 1e-6);
    expect(Math.abs(gm.lowerBound - logLik.reduce((a, b) => a + b, 0) / X.length)).toBeLessThan(1e-10);
    expect(maxRelativeError(gm.weights, expected.weights)).toBeLessThan(1e-10);
    expect(maxRelativeError(gm.means, expected.means.flat())).toBeLessThan(1e-10);
    expect(maxRelativeError(gm.covariances, expected.covariances)).toBeLessThan(1e-9);
    expect(gm.nIter).toBe(1);
    expect(gm.converged).toBe(false);
  });

  it('sufficient statistics about the shifts match the reference sums', async () => {
    const backend = await CpuBackend.create();
    const data = await backend.load(toDataset({ data: Float64Array.from(X.flat()), rows: X.length, cols: d }, null));
    const params = {
      covarianceType: type,
      nComponents: k,
      nFeatures: d,
      weights: Float64Array.from(start.weights),
      means: Float64Array.from(start.means.flat()),
      precisionsCholesky: COVARIANCE_MODELS[type].precisionCholesky(start.covariances, k, d),
    };
    const moments = type === 'full' || type === 'tied' ? 'full' : 'diag';
    const stats = await data.eStep(params, moments);
    const { resp, logLik } = refEStep(X, refParams);
    for (let c = 0; c < k; c++) {
      const s0 = X.reduce((s, _x, i) => s + resp[i]![c]!, 0);
      expect(Math.abs(stats.sumResp[c]! - s0) / s0).toBeLessThan(1e-12);
      for (let a = 0; a < d; a++) {
        const s1 = X.reduce((s, x, i) => s + resp[i]![c]! * (x[a]! - start.means[c]![a]!), 0);
        expect(Math.abs(stats.sumDiff[c * d + a]! - s1)).toBeLessThan(1e-9 * (1 + Math.abs(s1)));
        for (let b = 0; b < d; b++) {
          if (moments === 'diag' && a !== b) continue;
          const s2 = X.reduce(
            (s, x, i) => s + resp[i]![c]! * (x[a]! - start.means[c]![a]!) * (x[b]! - start.means[c]![b]!),
            0,
          );
          const got = moments === 'full' ? stats.sumOuter[c * d * d + a * d + b]! : stats.sumOuter[c * d + a]!;
          expect(Math.abs(got - s2)).toBeLessThan(1e-9 * (1 + Math.abs(s2)));
        }
      }
    }
    expect(Math.abs(stats.sumLogLik - logLik.reduce((a, b) => a + b, 0))).toBeLessThan(1e-8);
    expect(stats.totalWeight).toBe(X.length);
    data.dispose();
  });

  it('scoreSamples, predict and predictProba match the reference densities', async () => {
    const gm = await fittedAtStart();
    const { resp, logLik } = refEStep(X, refParams);
    const wlp = refWeightedLogProb(X, refParams);
    expect(maxRelativeError(await gm.scoreSamples(X), logLik)).toBeLessThan(1e-10);
    expect(maxRelativeError(await gm.predictProba(X), resp.flat())).toBeLessThan(1e-8);
    const labels = await gm.predict(X);
    wlp.forEach((row, i) => expect(labels[i]).toBe(row.indexOf(Math.max(...row))));
  });

  it('samples follow the fitted weights, means and covariances', async () => {
    const gm = await fittedAtStart();
    const n = 60000;
    const { X: S, labels } = gm.sample(n, 3);
    expect(S.rows).toBe(n);
    const expanded = expandCovariances(type, gm.covariances, k, d);
    for (let c = 0; c < k; c++) {
      const rows: number[][] = [];
      for (let i = 0; i < n; i++) if (labels[i] === c) rows.push(Array.from(S.data.slice(i * d, i * d + d)));
      expect(Math.abs(rows.length / n - start.weights[c]!)).toBeLessThan(0.01);
      const mean = Array.from({ length: d }, (_, a) => rows.reduce((s, r) => s + r[a]!, 0) / rows.length);
      for (let a = 0; a < d; a++) {
        const sd = Math.sqrt(expanded[c]![a]![a]!);
        expect(Math.abs(mean[a]! - start.means[c]![a]!)).toBeLessThan((5 * sd) / Math.sqrt(rows.length));
        for (let b = 0; b < d; b++) {
          const cov = rows.reduce((s, r) => s + (r[a]! - mean[a]!) * (r[b]! - mean[b]!), 0) / (rows.length - 1);
          const scale = Math.sqrt(expanded[c]![a]![a]! * expanded[c]![b]![b]!);
          expect(Math.abs(cov - expanded[c]![a]![b]!)).toBeLessThan(0.06 * scale);
        }
      }
    }
    // seeded
    expect(gm.sample(10, 7).X.data).toEqual(gm.sample(10, 7).X.data);
  });
});

describe('EM loop', () => {
  const { X } = blobs(900, 2, 3, 3);

  it.each(
    SKLEARN_COVARIANCE_TYPES.flatMap((t) =>
      (['kmeans', 'k-means++', 'random', 'random_from_data'] as const).map((i) => [t, i] as const),
    ),
  )('the lower bound never decreases (%s, %s)', async (type, init) => {
    const gm = new GaussianMixture({
      nComponents: 3,
      covarianceType: type,
      initParams: init,
      tol: 1e-10,
      maxIter: 60,
      randomState: 4,
      backend: 'cpu',
    });
    await gm.fit(X);
    const lb = gm.lowerBounds;
    expect(lb.length).toBe(gm.nIter);
    for (let i = 1; i < lb.length; i++) expect(lb[i]! - lb[i - 1]!).toBeGreaterThan(-1e-10);
    expect(gm.lowerBound).toBe(lb[lb.length - 1]);
  });

  it('the same seed gives a bit-identical fit; another seed may not', async () => {
    const fit = async (seed: number) => {
      const gm = new GaussianMixture({
        nComponents: 3,
        initParams: 'random_from_data',
        randomState: seed,
        backend: 'cpu',
        maxIter: 5,
        tol: 0,
      });
      await gm.fit(X);
      return gm;
    };
    const [a, b, c] = [await fit(9), await fit(9), await fit(10)];
    expect(Array.from(a.means)).toEqual(Array.from(b.means));
    expect(Array.from(a.covariances)).toEqual(Array.from(b.covariances));
    expect(a.lowerBounds).toEqual(b.lowerBounds);
    expect(Array.from(a.means)).not.toEqual(Array.from(c.means));
  });

  it('with tol 0 it runs maxIter iterations and does not converge', async () => {
    const gm = new GaussianMixture({ nComponents: 2, tol: 0, maxIter: 7, randomState: 0, backend: 'cpu' });
    await gm.fit(X);
    expect(gm.nIter).toBe(7);
    expect(gm.converged).toBe(false);
  });

  it('fitPredict equals fit().predict', async () => {
    const gm = new GaussianMixture({ nComponents: 3, randomState: 1, backend: 'cpu', maxIter: 3, tol: 0 });
    const labels = await gm.fitPredict(X);
    expect(Array.from(await gm.predict(X))).toEqual(Array.from(labels));
  });

  it('keeps the best of nInit runs by lower bound', async () => {
    const single: number[] = [];
    for (let i = 0; i < 3; i++) {
      const gm = new GaussianMixture({
        nComponents: 3,
        initParams: 'random_from_data',
        randomState: 100 + i,
        backend: 'cpu',
      });
      await gm.fit(X);
      single.push(gm.lowerBound);
    }
    const gm = new GaussianMixture({
      nComponents: 3,
      initParams: 'random_from_data',
      nInit: 5,
      randomState: 2,
      backend: 'cpu',
    });
    const seen: number[] = [];
    const tracker = new GaussianMixture({
      nComponents: 3,
      initParams: 'random_from_data',
      nInit: 5,
      randomState: 2,
      backend: 'cpu',
      onIteration: (info) => {
        seen[info.init] = info.lowerBound;
      },
    });
    await gm.fit(X);
    await tracker.fit(X);
    expect(gm.lowerBound).toBe(Math.max(...seen));
  });

  it('integer sample weights behave exactly as repeated rows', async () => {
    const random = new Random(8);
    const counts = X.map(() => random.nextInt(4));
    counts[0] = 1;
    const repeated: number[][] = [];
    X.forEach((x, i) => {
      for (let r = 0; r < counts[i]!; r++) repeated.push(x);
    });
    const start = randomStart('full', X, 3, 2);
    const options = {
      nComponents: 3,
      covarianceType: 'full' as const,
      tol: 0,
      maxIter: 15,
      backend: 'cpu' as const,
      weightsInit: start.weights,
      meansInit: start.means,
      precisionsInit: start.precisions,
    };
    const weighted = new GaussianMixture(options);
    await weighted.fit(X, { sampleWeight: counts });
    const copies = new GaussianMixture(options);
    await copies.fit(repeated);
    expect(maxRelativeError(weighted.means, copies.means)).toBeLessThan(1e-9);
    expect(maxRelativeError(weighted.covariances, copies.covariances)).toBeLessThan(1e-9);
    expect(maxRelativeError(weighted.weights, copies.weights)).toBeLessThan(1e-9);
    expect(Math.abs(weighted.lowerBound - copies.lowerBound)).toBeLessThan(1e-10);
    expect(Math.abs((await weighted.score(X, { sampleWeight: counts })) - (await copies.score(repeated)))).toBeLessThan(
      1e-10,
    );
    expect(Math.abs((await weighted.bic(X, { sampleWeight: counts })) - (await copies.bic(repeated)))).toBeLessThan(
      1e-7,
    );
    expect(Math.abs((await weighted.aic(X, { sampleWeight: counts })) - (await copies.aic(repeated)))).toBeLessThan(
      1e-7,
    );
  });

  it('warmStart continues from the fitted parameters', async () => {
    const gm = new GaussianMixture({
      nComponents: 3,
      maxIter: 2,
      tol: 0,
      randomState: 0,
      backend: 'cpu',
      warmStart: true,
    });
    await gm.fit(X);
    const first = gm.lowerBounds;
    await gm.fit(X);
    const second = gm.lowerBounds;
    const straight = new GaussianMixture({ nComponents: 3, maxIter: 4, tol: 0, randomState: 0, backend: 'cpu' });
    await straight.fit(X);
    expect([...first, ...second]).toEqual(straight.lowerBounds);
  });

  it('an aborted fit rejects with an AbortError within one iteration', async () => {
    const controller = new AbortController();
    let iterations = 0;
    const gm = new GaussianMixture({
      nComponents: 3,
      tol: 0,
      maxIter: 1000,
      randomState: 0,
      backend: 'cpu',
      signal: controller.signal,
      onIteration: (info) => {
        iterations = info.iteration;
        if (info.iteration === 3) controller.abort();
      },
    });
    await expect(gm.fit(X)).rejects.toMatchObject({ name: 'AbortError' });
    expect(iterations).toBe(3);
    expect(gm.isFitted).toBe(false);
  });

  it('toJSON / fromJSON round-trips exactly', async () => {
    for (const type of SKLEARN_COVARIANCE_TYPES) {
      const gm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0, backend: 'cpu' });
      await gm.fit(X);
      const copy = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gm.toJSON())), { backend: 'cpu' });
      expect(Array.from(copy.means)).toEqual(Array.from(gm.means));
      expect(Array.from(copy.covariances)).toEqual(Array.from(gm.covariances));
      expect(Array.from(copy.precisionsCholesky)).toEqual(Array.from(gm.precisionsCholesky));
      expect(copy.lowerBounds).toEqual(gm.lowerBounds);
      expect(Array.from(await copy.scoreSamples(X))).toEqual(Array.from(await gm.scoreSamples(X)));
      expect(copy.toJSON()).toEqual(gm.toJSON());
    }
  });

  it("never mutates the caller's arrays", async () => {
    const data = Float64Array.from(X.flat());
    const before = Float64Array.from(data);
    const weights = X.map((_, i) => (i % 3) + 0.5);
    const weightsBefore = [...weights];
    const means = [
      [0, 0],
      [1, 1],
      [2, 2],
    ];
    const gm = new GaussianMixture({ nComponents: 3, meansInit: means, randomState: 0, backend: 'cpu' });
    await gm.fit({ data, rows: X.length, cols: 2 }, { sampleWeight: weights });
    await gm.predict({ data, rows: X.length, cols: 2 });
    expect(data).toEqual(before);
    expect(weights).toEqual(weightsBefore);
    expect(means).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
  });

  it('reports a collapsed component with sklearn-like advice', async () => {
    const Y = Array.from({ length: 20 }, (_, i) => [i < 10 ? 0 : 5, 1]);
    const gm = new GaussianMixture({ nComponents: 2, regCovar: 0, randomState: 0, backend: 'cpu' });
    await expect(gm.fit(Y)).rejects.toThrow(/ill-defined empirical covariance.*increase regCovar/);
  });
});
