// Online EM (GaussianMixture.partialFit): the update s ← s + γ_t·(s̄ − s), γ_t = (t + 2)^(−a),
// after a summed burn-in, against a slow float64 re-implementation of the formula (raw moments,
// responsibilities from test/reference.ts); the exact identities with fit (one burn-in batch of
// all the data is fit's first iteration, bit for bit; burn-in batches covering the data are fit's
// first iteration up to rounding); one pass over blobs against batch EM's converged score;
// weights as repeated rows; determinism; restarts after fit; bad options; abort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BayesianGaussianMixture,
  SKLEARN_COVARIANCE_TYPES,
  EmgpuInputError,
  GaussianMixture,
  releaseBackends,
  type CovarianceType,
  type Matrix,
} from '../../src/index.ts';
import { Random } from '../../src/random.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { expandCovariances, refEStep } from '../reference.ts';
import { TOLERANCES } from '../suite/compare.ts';

afterAll(() => releaseBackends());

const CPU = { backend: 'cpu' as const };

/** K well-separated, correlated 2-D blobs (D = 2), rows cycling through the blobs. */
function blobs(n: number, k: number, seed: number, spread = 12): Float64Array {
  const random = new Random(seed);
  const centres = Array.from({ length: k }, (_, c) => [
    spread * Math.cos((2 * Math.PI * c) / k) + 3,
    spread * Math.sin((2 * Math.PI * c) / k) - 2,
  ]);
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const z0 = random.nextGaussian();
    const z1 = random.nextGaussian();
    const centre = centres[c] as number[];
    data[i * 2] = (centre[0] as number) + (0.6 + 0.2 * c) * z0;
    data[i * 2 + 1] = (centre[1] as number) + 0.5 * z0 + (0.8 + 0.1 * c) * z1;
  }
  return data;
}

const rowsOf = (m: Matrix): number[][] =>
  Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
const slice = (data: Float64Array, start: number, end: number, d = 2): Matrix => ({
  data: data.subarray(start * d, end * d),
  rows: end - start,
  cols: d,
});

/** Normalised raw moments: s0_k = Σw·r/W, s1_k = Σw·r·x/W, s2_k = Σw·r·x·xᵀ/W, and Σw·log p/W. */
interface Moments {
  s0: number[];
  s1: number[][];
  s2: number[][][];
  ll: number;
}

/** The slow reference: raw sums of one batch under the model's parameters (not normalised), and its weight. */
function refBatchSums(gm: GaussianMixture, X: number[][], w: number[] | null): { sums: Moments; weight: number } {
  const k = gm.nComponents;
  const d = X[0]!.length;
  const { resp, logLik } = refEStep(X, {
    covarianceType: gm.covarianceType,
    k,
    d,
    weights: Array.from(gm.weights),
    means: Array.from({ length: k }, (_, c) => Array.from(gm.means.slice(c * d, (c + 1) * d))),
    covariances: expandCovariances(gm.covarianceType, gm.covariances, k, d),
  });
  const sums: Moments = {
    s0: new Array<number>(k).fill(0),
    s1: Array.from({ length: k }, () => new Array<number>(d).fill(0)),
    s2: Array.from({ length: k }, () => Array.from({ length: d }, () => new Array<number>(d).fill(0))),
    ll: 0,
  };
  let weight = 0;
  X.forEach((x, i) => {
    const wi = w === null ? 1 : w[i]!;
    weight += wi;
    sums.ll += wi * logLik[i]!;
    for (let c = 0; c < k; c++) {
      const r = wi * resp[i]![c]!;
      sums.s0[c]! += r;
      for (let a = 0; a < d; a++) {
        sums.s1[c]![a]! += r * x[a]!;
        for (let b = 0; b < d; b++) sums.s2[c]![a]![b]! += r * x[a]! * x[b]!;
      }
    }
  });
  return { sums, weight };
}

const combine = (a: Moments, fa: number, b: Moments, fb: number): Moments => ({
  s0: a.s0.map((v, c) => fa * v + fb * b.s0[c]!),
  s1: a.s1.map((row, c) => row.map((v, i) => fa * v + fb * b.s1[c]![i]!)),
  s2: a.s2.map((m, c) => m.map((row, i) => row.map((v, j) => fa * v + fb * b.s2[c]![i]![j]!))),
  ll: fa * a.ll + fb * b.ll,
});

/** θ from normalised raw moments (sklearn's M-step written on s): flat arrays in sklearn's shapes. */
function refMStep(
  s: Moments,
  type: CovarianceType,
  reg: number,
): { weights: number[]; means: number[]; covariances: number[] } {
  const k = s.s0.length;
  const d = s.s1[0]!.length;
  const total = s.s0.reduce((a, b) => a + b, 0);
  const means = s.s1.map((row, c) => row.map((v) => v / s.s0[c]!));
  const cov = s.s2.map((m, c) => m.map((row, i) => row.map((v, j) => v / s.s0[c]! - means[c]![i]! * means[c]![j]!)));
  let covariances: number[];
  if (type === 'full')
    covariances = cov.flatMap((m) => m.flatMap((row, i) => row.map((v, j) => v + (i === j ? reg : 0))));
  else if (type === 'tied') {
    covariances = [];
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        covariances.push(cov.reduce((acc, m, c) => acc + s.s0[c]! * m[i]![j]!, 0) / total + (i === j ? reg : 0));
  } else if (type === 'diag') covariances = cov.flatMap((m) => m.map((row, i) => row[i]! + reg));
  else covariances = cov.map((m) => m.reduce((acc, row, i) => acc + row[i]!, 0) / d + reg);
  return { weights: s.s0.map((v) => v / total), means: means.flat(), covariances };
}

function worst(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let error = 0;
  for (let i = 0; i < expected.length; i++) error = Math.max(error, Math.abs(actual[i]! - expected[i]!) / scale);
  return error;
}

describe('the update is s ← s + γ_t·(s̄ − s), γ_t = (t + 2)^(−a), after a summed burn-in', () => {
  const data = blobs(400, 3, 21, 6);
  // Batches of unequal sizes, two of them weighted.
  const cuts = [0, 40, 95, 125, 186, 233, 290, 400];
  const random = new Random(5);
  const weightsAll = Array.from({ length: 400 }, () => 0.2 + 2 * random.nextFloat());
  const weighted = [false, true, false, false, true, false, false];

  it.for(
    SKLEARN_COVARIANCE_TYPES.flatMap(
      (type) =>
        [
          [type, 0.6, 1],
          [type, 0.85, 3],
        ] as const,
    ),
  )('%s, a = %s, burnIn %s', async ([type, a, burnIn]) => {
    const start = await new GaussianMixture({
      ...CPU,
      nComponents: 3,
      covarianceType: type,
      randomState: 2,
      maxIter: 0,
    }).fit(slice(data, 0, 400));
    const gm = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(start.toJSON())), { ...CPU, stepDecay: a, burnIn });
    const reg = gm.options.regCovar;
    let burnSums: Moments | null = null;
    let burnWeight = 0;
    let s: Moments | null = null;
    let rows = 0;
    let expected = {
      weights: Array.from(gm.weights),
      means: Array.from(gm.means),
      covariances: Array.from(gm.covariances),
    };
    for (let t = 0; t + 1 < cuts.length; t++) {
      const batch = slice(data, cuts[t]!, cuts[t + 1]!);
      const w = weighted[t] ? weightsAll.slice(cuts[t]!, cuts[t + 1]!) : null;
      // The reference, under the parameters before this batch.
      const { sums, weight } = refBatchSums(gm, rowsOf(batch), w);
      await gm.partialFit(batch, { sampleWeight: w });
      rows += batch.rows;
      if (t < burnIn) {
        burnSums = burnSums === null ? sums : combine(burnSums, 1, sums, 1);
        burnWeight += weight;
        if (t === burnIn - 1) s = combine(burnSums, 1 / burnWeight, burnSums, 0);
        expect(gm.stepSize).toBeNull();
      } else {
        const gamma = (t + 2) ** -a;
        const sBar = combine(sums, 1 / weight, sums, 0);
        s = combine(s as Moments, 1 - gamma, sBar, gamma); // s + γ(s̄ − s)
        expect(gm.stepSize).toBe(gamma);
      }
      if (s !== null) expected = refMStep(s, type, reg);
      expect(worst(gm.weights, expected.weights), `weights after batch ${t}`).toBeLessThan(1e-10);
      expect(worst(gm.means, expected.means), `means after batch ${t}`).toBeLessThan(1e-10);
      expect(worst(gm.covariances, expected.covariances), `covariances after batch ${t}`).toBeLessThan(1e-9);
      expect(Math.abs(gm.lowerBound - sums.ll / weight), `lowerBound after batch ${t}`).toBeLessThan(1e-12);
      expect(gm.nBatches).toBe(t + 1);
      expect(gm.nSeen).toBe(rows);
      expect(gm.nIter).toBe(Math.max(0, t + 2 - burnIn));
      expect(gm.lowerBounds).toHaveLength(t + 1);
      expect(gm.converged).toBe(false);
    }
  });
});

describe('exact identities with fit', () => {
  const data = blobs(3000, 4, 3);
  const X = slice(data, 0, 3000);
  const random = new Random(9);
  const bigWeights = Float64Array.from({ length: 3000 }, () => 3e6 * (0.1 + random.nextFloat()));

  it.for(
    SKLEARN_COVARIANCE_TYPES.flatMap(
      (type) =>
        [
          [type, false],
          [type, true],
        ] as const,
    ),
  )(
    'from scratch, one batch of all the rows (burn-in 1) is fit with maxIter 1, bit for bit: %s, weighted %s',
    async ([type, weightedRun]) => {
      const options = { ...CPU, nComponents: 4, covarianceType: type, randomState: 17 };
      const sampleWeight = weightedRun ? bigWeights : null;
      const online = await new GaussianMixture(options).partialFit(X, { sampleWeight });
      const fitted = await new GaussianMixture({ ...options, maxIter: 1 }).fit(X, { sampleWeight });
      const a = online.toJSON();
      const b = fitted.toJSON();
      expect({ ...a, options: null }).toEqual({ ...b, options: null });
      expect(online.nIter).toBe(1);
      expect(online.nBatches).toBe(1);
    },
  );

  it.for(SKLEARN_COVARIANCE_TYPES)(
    'burn-in batches that cover the rows give fit’s first iteration (to rounding): %s',
    async (type) => {
      const options = { ...CPU, nComponents: 4, covarianceType: type, randomState: 4 };
      const start = await new GaussianMixture({ ...options, maxIter: 0 }).fit(X);
      const gm = GaussianMixture.fromJSON(start.toJSON(), { ...CPU, burnIn: 3 });
      const cuts = [0, 700, 1900, 3000];
      for (let t = 0; t < 3; t++) {
        await gm.partialFit(slice(data, cuts[t]!, cuts[t + 1]!));
        if (t < 2) {
          // No M-step during the burn-in: the starting parameters stay.
          expect(gm.means).toEqual(start.means);
          expect(gm.nIter).toBe(0);
        }
      }
      const fitted = await new GaussianMixture({ ...options, maxIter: 1 }).fit(X);
      expect(gm.nIter).toBe(1);
      expect(worst(gm.weights, fitted.weights)).toBeLessThan(1e-12);
      expect(worst(gm.means, fitted.means)).toBeLessThan(1e-12);
      expect(worst(gm.covariances, fitted.covariances)).toBeLessThan(1e-12);
      expect(worst(gm.precisionsCholesky, fitted.precisionsCholesky)).toBeLessThan(1e-12);
      // The batches' mean log-likelihoods, weighted by their rows, are fit's lower bound.
      const bounds = gm.lowerBounds;
      const pooled = bounds.reduce((acc, v, t) => acc + v * (cuts[t + 1]! - cuts[t]!), 0) / 3000;
      expect(Math.abs(pooled - fitted.lowerBound)).toBeLessThan(1e-12);
    },
  );

  it('starting from scratch is starting from the first batch’s initialisation (fit with maxIter 0 on it), bit for bit', async () => {
    const options = { ...CPU, nComponents: 4, randomState: 8, stepDecay: 0.7 };
    const scratch = new GaussianMixture(options);
    const init = await new GaussianMixture({ ...options, maxIter: 0 }).fit(slice(data, 0, 500));
    const fromInit = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(init.toJSON())), { ...CPU, stepDecay: 0.7 });
    for (let start = 0; start < 3000; start += 500) {
      await scratch.partialFit(slice(data, start, start + 500));
      await fromInit.partialFit(slice(data, start, start + 500));
    }
    expect(scratch.means).toEqual(fromInit.means);
    expect(scratch.covariances).toEqual(fromInit.covariances);
    expect(scratch.weights).toEqual(fromInit.weights);
    expect(scratch.lowerBounds).toEqual(fromInit.lowerBounds);
  });
});

describe('one pass over well-separated blobs', () => {
  it('reaches batch EM’s converged mean log-likelihood within 0.5%', async () => {
    const n = 40_000;
    const k = 5;
    const data = blobs(n, k, 13);
    const X = slice(data, 0, n);
    // A poor start in the right basin: means off by (1.5, −1.5), covariances 4·I, equal weights.
    const meansInit = Array.from({ length: k }, (_, c) => [
      12 * Math.cos((2 * Math.PI * c) / k) + 4.5,
      12 * Math.sin((2 * Math.PI * c) / k) - 3.5,
    ]);
    const precisionsInit = Array.from({ length: k }, () => [
      [0.25, 0],
      [0, 0.25],
    ]);
    const init = await new GaussianMixture({
      ...CPU,
      nComponents: k,
      maxIter: 0,
      meansInit,
      precisionsInit,
      weightsInit: new Array<number>(k).fill(1 / k),
    }).fit(slice(data, 0, 2000));
    const start = JSON.parse(JSON.stringify(init.toJSON())) as ReturnType<GaussianMixture['toJSON']>;
    const batch = await GaussianMixture.fromJSON(start, { ...CPU, warmStart: true, maxIter: 500, tol: 1e-6 }).fit(X);
    expect(batch.converged).toBe(true);
    const online = GaussianMixture.fromJSON(start, CPU);
    for (let s = 0; s < n; s += 2000) await online.partialFit(slice(data, s, s + 2000));
    expect(online.nBatches).toBe(20);
    expect(online.nSeen).toBe(n);
    const batchScore = await batch.score(X);
    const onlineScore = await online.score(X);
    expect((batchScore - onlineScore) / Math.abs(batchScore)).toBeLessThan(0.005);
    // The start was far from it: the pass did the work.
    expect(await init.score(X)).toBeLessThan(batchScore - 0.3);
  });
});

describe('batches, weights and state', () => {
  const data = blobs(1200, 3, 31);
  const startModel = async (): Promise<GaussianMixture> => {
    const init = await new GaussianMixture({ ...CPU, nComponents: 3, randomState: 6, maxIter: 0 }).fit(
      slice(data, 0, 1200),
    );
    return GaussianMixture.fromJSON(init.toJSON(), { ...CPU, stepDecay: 0.75 });
  };

  it('integer sample weights act as repeated rows', async () => {
    const weightedModel = await startModel();
    const repeatedModel = await startModel();
    const random = new Random(2);
    for (let s = 0; s < 1200; s += 300) {
      const batch = slice(data, s, s + 300);
      const weights = Array.from({ length: 300 }, () => random.nextInt(4)); // zeros included
      const repeated: number[][] = [];
      rowsOf(batch).forEach((row, i) => {
        for (let c = 0; c < weights[i]!; c++) repeated.push(row);
      });
      await weightedModel.partialFit(batch, { sampleWeight: weights });
      await repeatedModel.partialFit(repeated);
    }
    expect(worst(weightedModel.weights, repeatedModel.weights)).toBeLessThan(1e-12);
    expect(worst(weightedModel.means, repeatedModel.means)).toBeLessThan(1e-12);
    expect(worst(weightedModel.covariances, repeatedModel.covariances)).toBeLessThan(1e-12);
    expect(worst(weightedModel.lowerBounds, repeatedModel.lowerBounds)).toBeLessThan(1e-12);
  });

  it('the same seed and batches give the same model, bit for bit; fit, mStep and fromJSON start online EM afresh', async () => {
    const run = async (seed: number): Promise<GaussianMixture> => {
      const gm = new GaussianMixture({ ...CPU, nComponents: 3, randomState: seed, initParams: 'random_from_data' });
      for (let s = 0; s < 1200; s += 200) await gm.partialFit(slice(data, s, s + 200));
      return gm;
    };
    const a = await run(12);
    const b = await run(12);
    const other = await run(13);
    expect(a.toJSON()).toEqual(b.toJSON());
    // The seed matters (the first batch's initialisation), so the equality above is not vacuous.
    expect(other.lowerBounds[0]).not.toEqual(a.lowerBounds[0]);
    expect(a.nBatches).toBe(6);

    // A fit replaces the model: the next batch is a burn-in under the fitted parameters.
    await a.fit(slice(data, 0, 1200));
    expect(a.nBatches).toBe(0);
    expect(a.nSeen).toBe(0);
    const fittedIter = a.nIter;
    const fittedMeans = a.means;
    await a.partialFit(slice(data, 0, 200));
    expect(a.nBatches).toBe(1);
    expect(a.stepSize).toBeNull();
    expect(a.nIter).toBe(fittedIter + 1);
    expect(a.means).not.toEqual(fittedMeans);

    const statistics = await b.statistics(slice(data, 0, 1200));
    b.mStep(statistics);
    expect(b.nBatches).toBe(0);
    expect(GaussianMixture.fromJSON(b.toJSON()).nBatches).toBe(0);
  });

  it('leaves the caller’s batch and weights untouched', async () => {
    const gm = await startModel();
    const batch = Float64Array.from(data.subarray(0, 600));
    const copy = Float64Array.from(batch);
    const weights = Float64Array.from({ length: 300 }, (_, i) => 1 + (i % 3));
    const weightsCopy = Float64Array.from(weights);
    await gm.partialFit({ data: batch, rows: 300, cols: 2 }, { sampleWeight: weights });
    expect(batch).toEqual(copy);
    expect(weights).toEqual(weightsCopy);
  });
});

describe('bad options and input', () => {
  it.each([
    [
      { stepDecay: 0.5 },
      'Option stepDecay must be a number in (0.5, 1] (step sizes (t + 2)^-stepDecay; 0.6 is the default), got 0.5.',
    ],
    [{ stepDecay: 1.2 }, /Option stepDecay must be a number in \(0.5, 1\].*got 1.2\./],
    [{ stepDecay: Number.NaN }, /Option stepDecay .* got NaN\./],
    [{ stepDecay: '0.6' }, /Option stepDecay .* got "0.6"\./],
    [{ burnIn: 0 }, 'Option burnIn must be an integer ≥ 1, got 0.'],
    [{ burnIn: 1.5 }, 'Option burnIn must be an integer ≥ 1, got 1.5.'],
  ])('rejects %o', (options, message) => {
    expect(() => new GaussianMixture(options as never)).toThrow(message);
  });

  it('rejects batches that do not fit, with the reason', async () => {
    const data = blobs(100, 3, 1);
    const gm = new GaussianMixture({ ...CPU, nComponents: 3, randomState: 0 });
    await expect(gm.partialFit(slice(data, 0, 2))).rejects.toThrow(
      'The first batch has 2 rows but nComponents is 3; online EM initialises on the first batch, so give it at least 3 rows (or start from a fitted model).',
    );
    await expect(gm.partialFit(slice(data, 0, 10), { sampleWeight: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0] })).rejects.toThrow(
      /fewer than 3 rows with a positive weight/,
    );
    await expect(gm.partialFit(slice(data, 0, 10), { sampleWeight: [1, 2] })).rejects.toThrow(
      'sampleWeight has 2 values but X has 10 rows; give one weight per row.',
    );
    await expect(gm.partialFit(slice(data, 0, 10), 5 as never)).rejects.toThrow(EmgpuInputError);
    await gm.partialFit(slice(data, 0, 50));
    // Later batches may be small, but not of another width.
    await gm.partialFit(slice(data, 50, 51));
    await expect(gm.partialFit([[1, 2, 3]])).rejects.toThrow(
      'The batch has 3 columns but the model has 2 features; pass batches with 2 columns.',
    );
    await expect(gm.partialFit(slice(data, 51, 60), { sampleWeight: new Array<number>(9).fill(0) })).rejects.toThrow(
      /sampleWeight is all zero/,
    );
    expect(gm.nBatches).toBe(2);
  });

  it('refuses overlapping calls', async () => {
    const data = blobs(400, 2, 4);
    const gm = new GaussianMixture({ ...CPU, nComponents: 2, randomState: 0 });
    const first = gm.partialFit(slice(data, 0, 200));
    await expect(gm.partialFit(slice(data, 200, 400))).rejects.toThrow(
      /partialFit is already running on this model; await each call/,
    );
    await first;
    await gm.partialFit(slice(data, 200, 400));
    expect(gm.nBatches).toBe(2);
  });

  it('BayesianGaussianMixture refuses: online EM is for GaussianMixture', async () => {
    const bgm = new BayesianGaussianMixture({ ...CPU, nComponents: 2 });
    await expect(
      bgm.partialFit([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).rejects.toThrow(EmgpuInputError);
    await expect(
      bgm.partialFit([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).rejects.toThrow(/^Online EM \(partialFit\) is for GaussianMixture/);
  });

  it('stops at the abort signal, leaving the model as after the last whole batch', async () => {
    const data = blobs(1000, 2, 8);
    const controller = new AbortController();
    const gm = new GaussianMixture({ ...CPU, nComponents: 2, randomState: 0, signal: controller.signal });
    await gm.partialFit(slice(data, 0, 500));
    const before = gm.toJSON();
    controller.abort();
    await expect(gm.partialFit(slice(data, 500, 1000))).rejects.toMatchObject({ name: 'AbortError' });
    expect(gm.toJSON()).toEqual(before);
    expect(gm.nBatches).toBe(1);
  });
});

describe('online EM on WebGPU (Node)', () => {
  let unavailable: string | null = null;
  beforeAll(async () => {
    unavailable = await webgpuUnavailable();
  });

  it('follows the CPU engine within the float32 contract', async (ctx) => {
    if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
    const tol = TOLERANCES.float32;
    const data = blobs(6000, 3, 17);
    const init = await new GaussianMixture({ ...CPU, nComponents: 3, randomState: 0, maxIter: 0 }).fit(
      slice(data, 0, 1000),
    );
    const onCpu = GaussianMixture.fromJSON(init.toJSON(), CPU);
    const onGpu = GaussianMixture.fromJSON(init.toJSON(), { backend: 'webgpu' });
    for (let s = 0; s < 6000; s += 1000) {
      await onCpu.partialFit(slice(data, s, s + 1000));
      await onGpu.partialFit(slice(data, s, s + 1000));
    }
    expect(onGpu.backend).toMatch(/^webgpu \(/);
    expect(worst(onGpu.weights, onCpu.weights)).toBeLessThan(tol.params);
    expect(worst(onGpu.means, onCpu.means)).toBeLessThan(tol.params);
    expect(worst(onGpu.covariances, onCpu.covariances)).toBeLessThan(tol.params);
    expect(worst(onGpu.lowerBounds, onCpu.lowerBounds)).toBeLessThan(tol.logLik);
  });
});
