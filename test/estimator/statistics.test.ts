// The statistics API (gm.statistics, mergeStatistics, gm.mStep): EM run as a loop over parts of
// the data gives fit's numbers on the whole table, parts merge in any order and survive JSON,
// parts of other models are refused by name; one WebGPU-in-Node check against the CPU engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BayesianGaussianMixture,
  SKLEARN_COVARIANCE_TYPES,
  EmgpuInputError,
  GaussianMixture,
  mergeStatistics,
  releaseBackends,
  type CovarianceType,
  type Matrix,
  type MixtureStatistics,
} from '../../src/index.ts';
import { Random } from '../../src/random.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { covarianceGroup, groupError, TOLERANCES } from '../suite/compare.ts';

afterAll(() => releaseBackends());

const D = 3;
const N = 1200;
const PARTS = 4;
/** Exactness of the loop against fit: the sums differ only in the order they were added. */
const EXACT = 1e-12;

/** Three overlapping, correlated clusters far from the origin (so the shifts matter). */
function clusters(seed: number): Float64Array {
  const random = new Random(seed);
  const data = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    const c = i % 3;
    const z = random.nextGaussian();
    for (let a = 0; a < D; a++)
      data[i * D + a] = 100 + 2.5 * c + (a === c ? 1.5 : 0) + 0.6 * z + (0.5 + 0.3 * a) * random.nextGaussian();
  }
  return data;
}

const data = clusters(7);
const X: Matrix = { data, rows: N, cols: D };
const rowsPerPart = N / PARTS;
const parts: Matrix[] = Array.from({ length: PARTS }, (_, p) => ({
  data: data.subarray(p * rowsPerPart * D, (p + 1) * rowsPerPart * D),
  rows: rowsPerPart,
  cols: D,
}));
const random = new Random(11);
/** Weights with a mean far above 2^20, so the engines scale them (and the API must undo it). */
const bigWeights = Float64Array.from({ length: N }, () => 3e6 * (0.2 + random.nextFloat()));
const partWeights = (weights: Float64Array | null, p: number): Float64Array | null =>
  weights === null ? null : weights.subarray(p * rowsPerPart, (p + 1) * rowsPerPart);

function softResp(k: number, seed: number): Float64Array {
  const r = new Random(seed);
  const resp = new Float64Array(N * k);
  for (let i = 0; i < N; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += resp[i * k + c] = r.nextFloat() + 0.05;
    for (let c = 0; c < k; c++) resp[i * k + c] = (resp[i * k + c] as number) / sum;
  }
  return resp;
}

type Mixture = GaussianMixture | BayesianGaussianMixture;

/** Worst error of each fitted array relative to the largest entry of its group (a component's mean, a covariance matrix). */
function paramErrors(a: Mixture, b: Mixture): Record<string, number> {
  const k = b.nComponents;
  const group = covarianceGroup(b.covarianceType, D);
  return {
    weights: groupError(a.weights, Array.from(b.weights), k),
    means: groupError(a.means, Array.from(b.means), D),
    covariances: groupError(a.covariances, Array.from(b.covariances), group),
    precisionsCholesky: groupError(a.precisionsCholesky, Array.from(b.precisionsCholesky), group),
  };
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** One iteration of EM over the parts: statistics of each (through JSON, as between machines), merged, one M-step. */
async function iterate(gm: Mixture, weights: Float64Array | null): Promise<ReturnType<Mixture['mStep']>> {
  const stats = await Promise.all(
    parts.map((part, p) => gm.statistics(part, { sampleWeight: partWeights(weights, p) })),
  );
  const sent = stats.map((s) => JSON.parse(JSON.stringify(s)) as MixtureStatistics);
  return gm.mStep(mergeStatistics(...sent));
}

/** Runs the loop until mStep says converged (or maxIter), as fit would. */
async function loop(gm: Mixture, weights: Float64Array | null, maxIter: number): Promise<void> {
  for (let i = 0; i < maxIter; i++) if ((await iterate(gm, weights)).converged) return;
}

function expectSameRun(loopModel: Mixture, fitted: Mixture): void {
  expect(loopModel.nIter).toBe(fitted.nIter);
  expect(loopModel.converged).toBe(fitted.converged);
  const bounds = loopModel.lowerBounds;
  fitted.lowerBounds.forEach((bound, i) =>
    expect(relative(bounds[i] as number, bound), `lower bound of iteration ${i + 1}`).toBeLessThan(EXACT),
  );
  for (const [name, error] of Object.entries(paramErrors(loopModel, fitted))) expect(error, name).toBeLessThan(EXACT);
}

describe('EM as a loop of statistics over four parts equals fit on the whole table', () => {
  it.for(
    // mclust's EVE and VEV too: their iterative M-steps start from the model's covariances.
    [...SKLEARN_COVARIANCE_TYPES, 'EVE' as const, 'VEV' as const].flatMap(
      (type) =>
        [
          [type, false],
          [type, true],
        ] as const,
    ),
  )('GaussianMixture, %s, weighted %s', async ([type, weighted]) => {
    const weights = weighted ? bigWeights : null;
    // tol 1e-6: enough iterations for the sums' rounding to have a chance to grow.
    const options = { nComponents: 3, covarianceType: type, randomState: 3, tol: 1e-6, backend: 'cpu' as const };
    // The start: the initialisation alone (maxIter 0), as a model file a worker would read.
    const start = await new GaussianMixture({ ...options, maxIter: 0 }).fit(X, { sampleWeight: weights });
    const gm = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(start.toJSON())), { backend: 'cpu' });
    expect(gm.nIter).toBe(0);
    const fitted = await new GaussianMixture({ ...options, maxIter: 200 }).fit(X, { sampleWeight: weights });
    await loop(gm, weights, 200);
    expect(fitted.converged).toBe(true);
    expect(fitted.nIter).toBeGreaterThan(5);
    expectSameRun(gm, fitted);
  });

  const bayesianCases: ReadonlyArray<readonly [CovarianceType, 'dirichlet_process' | 'dirichlet_distribution']> = [
    ...SKLEARN_COVARIANCE_TYPES.map((type) => [type, 'dirichlet_process'] as const),
    ['full', 'dirichlet_distribution'],
  ];
  it.for(bayesianCases)('BayesianGaussianMixture from the same responsibilities, %s, %s', async ([type, prior]) => {
    const options = {
      nComponents: 4,
      covarianceType: type,
      weightConcentrationPriorType: prior,
      backend: 'cpu' as const,
    };
    const resp = softResp(4, 5);
    const weights = prior === 'dirichlet_distribution' ? bigWeights : null;
    const start = await new BayesianGaussianMixture({ ...options, maxIter: 0 }).fit(X, { resp, sampleWeight: weights });
    const bgm = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(start.toJSON())), { backend: 'cpu' });
    const fitted = await new BayesianGaussianMixture({ ...options, maxIter: 12, tol: 0 }).fit(X, {
      resp,
      sampleWeight: weights,
    });
    await loop(bgm, weights, 12);
    expect(bgm.priors).toEqual(fitted.priors);
    expectSameRun(bgm, fitted);
    expect(groupError(bgm.degreesOfFreedom, Array.from(fitted.degreesOfFreedom), 1)).toBeLessThan(EXACT);
    expect(groupError(bgm.meanPrecision, Array.from(fitted.meanPrecision), 1)).toBeLessThan(EXACT);
  });

  it("mStep's result is the iteration fit reports, and the loop continues a fitted model like a warm start", async () => {
    const gm = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'diag',
      randomState: 1,
      maxIter: 3,
      tol: 0,
      backend: 'cpu',
    }).fit(X);
    const bounds = gm.lowerBounds;
    const result = await iterate(gm, null);
    expect(result.nIter).toBe(4);
    expect(gm.nIter).toBe(4);
    expect(result.lowerBound).toBe(gm.lowerBound);
    expect(gm.lowerBounds).toEqual([...bounds, result.lowerBound]);
    expect(result.change).toBe(result.lowerBound - (bounds[2] as number));
    expect(result.converged).toBe(false); // tol 0
    const warm = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'diag',
      randomState: 1,
      maxIter: 4,
      tol: 0,
      backend: 'cpu',
    }).fit(X);
    expect(relative(gm.lowerBound, warm.lowerBounds[3] as number)).toBeLessThan(EXACT);
    // previousLowerBound: null compares with −∞, a number with that number.
    const again = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gm.toJSON())), { backend: 'cpu' });
    const stats = await again.statistics(X);
    const fresh = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gm.toJSON())), { backend: 'cpu', tol: 1e-3 });
    expect(again.mStep(stats, { previousLowerBound: null })).toMatchObject({ change: Infinity, converged: false });
    const within = fresh.mStep(stats, { previousLowerBound: stats.sumLogLik / stats.totalWeight + 1e-4 });
    expect(within).toMatchObject({ converged: true, nIter: 5 });
  });
});

describe('statistics', () => {
  it('are the sums of the rows: weight, log-likelihood and entropy agree with score and predictProba', async () => {
    const gm = await new GaussianMixture({ nComponents: 3, randomState: 0, backend: 'cpu' }).fit(X);
    const s = await gm.statistics(X, { sampleWeight: bigWeights });
    expect(s).toMatchObject({
      format: 'emgpu-statistics',
      version: 1,
      estimator: 'GaussianMixture',
      covarianceType: 'full',
      nComponents: 3,
      nFeatures: D,
      nRows: N,
    });
    let total = 0;
    for (const w of bigWeights) total += w;
    expect(relative(s.totalWeight, total)).toBeLessThan(1e-14);
    expect(
      relative(
        s.sumResp.reduce((a, b) => a + b, 0),
        total,
      ),
    ).toBeLessThan(1e-12);
    expect(relative(s.sumLogLik / s.totalWeight, await gm.score(X, { sampleWeight: bigWeights }))).toBeLessThan(1e-12);
    const proba = await gm.predictProba(X);
    let entropy = 0;
    for (let i = 0; i < N; i++)
      for (let c = 0; c < 3; c++) {
        const r = proba[i * 3 + c] as number;
        if (r > 0) entropy += (bigWeights[i] as number) * r * Math.log(r);
      }
    expect(relative(s.sumRespLogResp, entropy)).toBeLessThan(1e-9);
    // Σ w·r·x = sumResp·shift + sumDiff; with the shift the means, that is the weighted mean of the component.
    expect(s.shift).toEqual([0, 1, 2].map((c) => Array.from(gm.means.subarray(c * D, (c + 1) * D))));
    expect(s.sumOuter).toHaveLength(3);
    expect((s.sumOuter as number[][][])[0]).toHaveLength(D);
  });

  it('diag and spherical models carry only the diagonal second moments', async () => {
    for (const covarianceType of ['diag', 'spherical'] as const) {
      const gm = await new GaussianMixture({
        nComponents: 2,
        covarianceType,
        randomState: 0,
        maxIter: 2,
        backend: 'cpu',
      }).fit(X);
      const s = await gm.statistics(X);
      expect((s.sumOuter as number[][]).map((row) => row.length)).toEqual([D, D]);
    }
  });

  it('round-trip through JSON exactly, and the M-step from the copy is the same to the last bit', async () => {
    const gm = await new BayesianGaussianMixture({
      nComponents: 3,
      covarianceType: 'tied',
      randomState: 0,
      maxIter: 2,
      backend: 'cpu',
    }).fit(X);
    const s = await gm.statistics(parts[1] as Matrix, { sampleWeight: partWeights(bigWeights, 1) });
    const copy = JSON.parse(JSON.stringify(s)) as MixtureStatistics;
    expect(copy).toEqual(s);
    const a = BayesianGaussianMixture.fromJSON(gm.toJSON(), { backend: 'cpu' });
    const b = BayesianGaussianMixture.fromJSON(gm.toJSON(), { backend: 'cpu' });
    expect(a.mStep(s)).toEqual(b.mStep(copy));
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it('unweighted statistics after a weighted fit of the same array are unweighted', async () => {
    const gm = new GaussianMixture({ nComponents: 2, randomState: 0, backend: 'cpu' });
    await gm.fit(X, { sampleWeight: bigWeights });
    const s = await gm.statistics(X);
    expect(s.totalWeight).toBe(N);
  });

  it('need a fitted (or loaded) model', async () => {
    await expect(new GaussianMixture({ nComponents: 2 }).statistics(X)).rejects.toThrow(
      /not fitted yet; call fit\(X\) first \(or load one with GaussianMixture.fromJSON\)/,
    );
    expect(() => new BayesianGaussianMixture({ nComponents: 2 }).mStep({} as MixtureStatistics)).toThrow(
      EmgpuInputError,
    );
  });
});

describe('mergeStatistics', () => {
  let model: GaussianMixture;
  let stats: MixtureStatistics[];
  beforeAll(async () => {
    model = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'full',
      randomState: 2,
      maxIter: 3,
      backend: 'cpu',
    }).fit(X);
    stats = await Promise.all(
      parts.map((part, p) => model.statistics(part, { sampleWeight: partWeights(bigWeights, p) })),
    );
  });

  /** Worst relative difference over every number of two statistics (relative to the largest of each field). */
  function difference(a: MixtureStatistics, b: MixtureStatistics): number {
    let worst = 0;
    for (const key of ['totalWeight', 'sumResp', 'sumDiff', 'sumOuter', 'sumLogLik', 'sumRespLogResp'] as const) {
      const x = [a[key]].flat(3) as number[];
      const y = [b[key]].flat(3) as number[];
      const scale = Math.max(...y.map(Math.abs));
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (y[i] as number)) / scale)));
    }
    return worst;
  }

  it('sums the parts: the merge of all four equals the statistics of the whole table', async () => {
    const merged = mergeStatistics(...(stats as [MixtureStatistics]));
    const whole = await model.statistics(X, { sampleWeight: bigWeights });
    expect(merged.nRows).toBe(N);
    expect(difference(merged, whole)).toBeLessThan(1e-13);
    expect(merged.shift).toEqual(whole.shift);
  });

  it('does not depend on the order or grouping of the parts beyond rounding', () => {
    const [a, b, c, d] = stats as [MixtureStatistics, MixtureStatistics, MixtureStatistics, MixtureStatistics];
    const reference = mergeStatistics(a, b, c, d);
    for (const order of [
      [d, c, b, a],
      [b, d, a, c],
      [c, a, d, b],
    ])
      expect(difference(mergeStatistics(...order), reference)).toBeLessThan(1e-14);
    expect(difference(mergeStatistics(mergeStatistics(a, b), mergeStatistics(c, d)), reference)).toBeLessThan(1e-14);
    expect(difference(mergeStatistics(d, mergeStatistics(c, mergeStatistics(b, a))), reference)).toBeLessThan(1e-14);
  });

  it('re-centres parts taken about another shift (s1 + s0·δ, s2 + δ·s1ᵀ + s1·δᵀ + s0·δ·δᵀ)', () => {
    const [a, b, c, d] = stats as [MixtureStatistics, MixtureStatistics, MixtureStatistics, MixtureStatistics];
    // Part b about shifts moved by −δ: the same rows' sums written about c' = c − δ.
    const moved = structuredClone(b) as {
      shift: number[][];
      sumDiff: number[][];
      sumOuter: number[][][];
      sumResp: number[];
    };
    const delta = [0.75, -1.25, 2];
    for (let k = 0; k < 3; k++) {
      const s0 = b.sumResp[k] as number;
      const s1 = (b.sumDiff[k] as number[]).slice();
      for (let i = 0; i < D; i++) {
        (moved.shift[k] as number[])[i] = (b.shift[k]![i] as number) - (delta[i] as number);
        (moved.sumDiff[k] as number[])[i] = (s1[i] as number) + s0 * (delta[i] as number);
        for (let j = 0; j < D; j++) {
          (moved.sumOuter[k]![i] as number[])[j] =
            ((b.sumOuter as number[][][])[k]![i]![j] as number) +
            delta[i]! * s1[j]! +
            s1[i]! * delta[j]! +
            s0 * delta[i]! * delta[j]!;
        }
      }
    }
    const reference = mergeStatistics(a, b, c, d);
    const merged = mergeStatistics(a, moved as unknown as MixtureStatistics, c, d);
    expect(merged.shift).toEqual(a.shift);
    expect(difference(merged, reference)).toBeLessThan(1e-12);
    // First: the sum is about the moved shift, and the M-step sees the same statistics.
    const first = mergeStatistics(moved as unknown as MixtureStatistics, a, c, d);
    expect(first.shift).toEqual(moved.shift);
    const m1 = GaussianMixture.fromJSON(model.toJSON(), { backend: 'cpu' });
    const m2 = GaussianMixture.fromJSON(model.toJSON(), { backend: 'cpu' });
    m1.mStep(reference);
    m2.mStep(first);
    for (const [name, error] of Object.entries(paramErrors(m2, m1))) expect(error, name).toBeLessThan(1e-12);
  });

  it('refuses parts that do not match, naming the part and what differs', async () => {
    const [a, b] = stats as [MixtureStatistics, MixtureStatistics];
    const other = (change: (s: Record<string, unknown>) => void): MixtureStatistics => {
      const copy = structuredClone(b) as unknown as Record<string, unknown>;
      change(copy);
      return copy as unknown as MixtureStatistics;
    };
    const refusal = (...list: MixtureStatistics[]): string => {
      try {
        mergeStatistics(...list);
      } catch (error) {
        expect(error).toBeInstanceOf(EmgpuInputError);
        return (error as Error).message;
      }
      throw new Error('expected mergeStatistics to refuse the parts');
    };
    const k2 = await new GaussianMixture({ nComponents: 2, randomState: 0, maxIter: 1, backend: 'cpu' }).fit(X);
    expect(refusal(a, await k2.statistics(X))).toMatch(
      /^part 2 has nComponents 2 but part 1 has 3; merge only statistics computed with the same model file/,
    );
    const diag = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'diag',
      randomState: 0,
      maxIter: 1,
      backend: 'cpu',
    }).fit(X);
    expect(refusal(a, b, await diag.statistics(X))).toMatch(/^part 3 has covarianceType "diag" but part 1 has "full"/);
    const twoColumns = { data: Float64Array.from(data.subarray(0, 600)), rows: 300, cols: 2 };
    const narrow = await new GaussianMixture({ nComponents: 3, randomState: 0, maxIter: 1, backend: 'cpu' }).fit(
      twoColumns,
    );
    expect(refusal(a, await narrow.statistics(twoColumns))).toMatch(/^part 2 has nFeatures 2 but part 1 has 3/);
    const bayes = await new BayesianGaussianMixture({ nComponents: 3, randomState: 0, maxIter: 1, backend: 'cpu' }).fit(
      X,
    );
    expect(refusal(a, await bayes.statistics(X))).toMatch(
      /^part 2 has estimator "BayesianGaussianMixture" but part 1 has "GaussianMixture"/,
    );
    // The same model one iteration later: a stale part.
    const later = GaussianMixture.fromJSON(model.toJSON(), { backend: 'cpu' });
    later.mStep(mergeStatistics(...stats));
    expect(refusal(a, await later.statistics(X))).toMatch(
      /^part 2 was computed under other parameters \(fingerprint [0-9a-f]{8}\) than part 1 \([0-9a-f]{8}\)/,
    );
    expect(
      refusal(
        a,
        other((s) => (s.format = 'emgpu-gaussian-mixture')),
      ),
    ).toMatch(/^part 2 has format "emgpu-gaussian-mixture", not 'emgpu-statistics'/);
    expect(
      refusal(
        a,
        other((s) => (s.version = 2)),
      ),
    ).toMatch(/^part 2 has version 2; this emgpu reads version 1/);
    expect(
      refusal(
        a,
        other((s) => delete s.sumLogLik),
      ),
    ).toMatch(/^part 2 has sumLogLik missing; it must be a finite number/);
    expect(
      refusal(
        a,
        other((s) => ((s.sumResp as number[])[1] = -1)),
      ),
    ).toMatch(/^part 2 has sumResp\[1\] -1; sums of weights must be ≥ 0/);
    expect(
      refusal(
        a,
        other((s) => (s.sumOuter as number[][][])[2]!.pop()),
      ),
    ).toMatch(
      /^part 2 has sumOuter\[2\] with 2 entries where 3 entries were expected; 'sumOuter' must have shape 3 × 3 × 3/,
    );
    expect(
      refusal(
        a,
        other((s) => ((s.sumDiff as unknown[][])[0]![1] = null)),
      ),
    ).toMatch(/^part 2 has sumDiff\[0\]\[1\] null; every value must be a finite number/);
    expect(
      refusal(
        other((s) => (s.totalWeight = 0)),
        a,
      ),
    ).toMatch(/^part 1 has totalWeight 0 but its sumResp adds up to \d/); // a part of no weight has sumResp 0 too
    expect(refusal(a, [] as unknown as MixtureStatistics)).toMatch(/^part 2 is an array, not statistics/);
    expect(refusal()).toMatch(/needs at least one part/);
  });

  it('mStep refuses statistics of another model', async () => {
    const later = GaussianMixture.fromJSON(model.toJSON(), { backend: 'cpu' });
    later.mStep(mergeStatistics(...stats));
    const before = later.toJSON();
    expect(() => later.mStep(mergeStatistics(...stats))).toThrow(
      /^The statistics were computed under other parameters \(fingerprint [0-9a-f]{8}\) than this model's \([0-9a-f]{8}\); compute every part with this model/,
    );
    const bayes = BayesianGaussianMixture.fromJSON(
      (
        await new BayesianGaussianMixture({ nComponents: 3, randomState: 0, maxIter: 1, backend: 'cpu' }).fit(X)
      ).toJSON(),
      { backend: 'cpu' },
    );
    expect(() => bayes.mStep(stats[0] as MixtureStatistics)).toThrow(
      /^The statistics have estimator "GaussianMixture" but this model has "BayesianGaussianMixture"/,
    );
    expect(() => later.mStep(stats[0] as MixtureStatistics, { previousLowerBound: Number.NaN })).toThrow(
      EmgpuInputError,
    );
    expect(later.toJSON()).toEqual(before);
  });
});

describe('statistics on WebGPU (Node)', () => {
  let unavailable: string | null = null;
  beforeAll(async () => {
    unavailable = await webgpuUnavailable();
  });

  it('match the CPU engine within the float32 contract, and merge with CPU parts', async (ctx) => {
    if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
    const tol = TOLERANCES.float32;
    for (const covarianceType of ['full', 'diag'] as const) {
      const fitted = await new GaussianMixture({
        nComponents: 3,
        covarianceType,
        randomState: 0,
        maxIter: 4,
        backend: 'cpu',
      }).fit(X);
      const onCpu = GaussianMixture.fromJSON(fitted.toJSON(), { backend: 'cpu' });
      const onGpu = GaussianMixture.fromJSON(fitted.toJSON(), { backend: 'webgpu' });
      const gpu = await onGpu.statistics(X, { sampleWeight: bigWeights });
      const cpu = await onCpu.statistics(X, { sampleWeight: bigWeights });
      expect(gpu.backend).toMatch(/^webgpu \(/);
      expect(gpu.parameters).toBe(cpu.parameters);
      expect(relative(gpu.totalWeight, cpu.totalWeight)).toBeLessThan(tol.logLik);
      expect(relative(gpu.sumLogLik / gpu.totalWeight, cpu.sumLogLik / cpu.totalWeight)).toBeLessThan(tol.logLik);
      // The M-step of each: the parameters the statistics stand for.
      const fromGpu = GaussianMixture.fromJSON(fitted.toJSON(), { backend: 'cpu' });
      const fromCpu = GaussianMixture.fromJSON(fitted.toJSON(), { backend: 'cpu' });
      fromGpu.mStep(gpu);
      fromCpu.mStep(cpu);
      const errors = paramErrors(fromGpu, fromCpu);
      expect(errors.weights).toBeLessThan(tol.params);
      expect(errors.means).toBeLessThan(tol.params);
      expect(errors.covariances).toBeLessThan(tol.params);
      expect(errors.precisionsCholesky).toBeLessThan(tol.precisions);
      // Half the parts on each engine: their shifts differ (the GPU's are float32), the merge re-centres.
      const mixed = await Promise.all(
        parts.map((part, p) =>
          (p % 2 === 0 ? onGpu : onCpu).statistics(part, { sampleWeight: partWeights(bigWeights, p) }),
        ),
      );
      const merged = mergeStatistics(...mixed);
      expect(merged.backend).toMatch(/^webgpu \(.*\) \+ cpu/);
      const fromMixed = GaussianMixture.fromJSON(fitted.toJSON(), { backend: 'cpu' });
      fromMixed.mStep(merged);
      for (const [name, error] of Object.entries(paramErrors(fromMixed, fromCpu)))
        expect(error, name).toBeLessThan(tol.params);
    }
  });
});
