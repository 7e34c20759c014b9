// BayesianGaussianMixture beyond the parity fixtures (test/suite): the JSON round trip, sample
// weights as repeated rows, warm starts, starting from responsibilities, and bad input.
import { describe, expect, it } from 'vitest';
import { BayesianGaussianMixture } from '../../src/bayesian-mixture.ts';
import { WEIGHT_CONCENTRATION_PRIOR_TYPES } from '../../src/model/bayesian.ts';
import { SKLEARN_COVARIANCE_TYPES, EmgpuInputError } from '../../src/options.ts';
import { Random } from '../../src/random.ts';

/** Three correlated 2-D clusters, deterministic. */
function clusters(n: number, seed: number): number[][] {
  const random = new Random(seed);
  const centres = [
    [0, 0],
    [5, 1],
    [1, 6],
  ];
  return Array.from({ length: n }, (_, i) => {
    const c = centres[i % 3]!;
    const a = random.nextGaussian();
    const b = random.nextGaussian();
    return [c[0]! + a, c[1]! + 0.6 * a + 0.5 * b];
  });
}

/** Responsibilities N × K, rows summing to 1, deterministic. */
function softResp(rows: number, k: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: rows }, () => {
    const r = Array.from({ length: k }, () => random.nextFloat() + 0.05);
    const sum = r.reduce((a, b) => a + b, 0);
    return r.map((v) => v / sum);
  });
}

const X = clusters(90, 1);
const flatten = (rows: number[][]): Float64Array => Float64Array.from(rows.flat());

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

describe('BayesianGaussianMixture', () => {
  it.for(
    SKLEARN_COVARIANCE_TYPES.flatMap((type) => WEIGHT_CONCENTRATION_PRIOR_TYPES.map((prior) => [type, prior] as const)),
  )('toJSON / fromJSON round-trips exactly (%s, %s)', async ([type, prior]) => {
    const bgm = new BayesianGaussianMixture({
      nComponents: 4,
      covarianceType: type,
      weightConcentrationPriorType: prior,
      randomState: 0,
      backend: 'cpu',
    });
    await bgm.fit(X);
    const copy = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(bgm.toJSON())), { backend: 'cpu' });
    expect(copy.toJSON()).toEqual(bgm.toJSON());
    expect(Array.from(await copy.scoreSamples(X))).toEqual(Array.from(await bgm.scoreSamples(X)));
    expect(Array.from(await copy.predictProba(X))).toEqual(Array.from(await bgm.predictProba(X)));
    expect(copy.weightConcentrationPriorType).toBe(prior);
    expect(copy.priors).toEqual(bgm.priors);
  });

  it('integer sample weights behave exactly as repeated rows', async () => {
    const random = new Random(5);
    const counts = X.map(() => random.nextInt(4));
    counts[0] = 1;
    const resp = softResp(X.length, 3, 2);
    const repeated: number[][] = [];
    const repeatedResp: number[][] = [];
    X.forEach((x, i) => {
      for (let r = 0; r < counts[i]!; r++) {
        repeated.push(x);
        repeatedResp.push(resp[i]!);
      }
    });
    for (const type of SKLEARN_COVARIANCE_TYPES) {
      const options = { nComponents: 3, covarianceType: type, tol: 0, maxIter: 12, backend: 'cpu' as const };
      const weighted = new BayesianGaussianMixture(options);
      await weighted.fit(X, { sampleWeight: counts, resp: flatten(resp) });
      const copies = new BayesianGaussianMixture(options);
      await copies.fit(repeated, { resp: flatten(repeatedResp) });
      expect(maxRelativeError(weighted.means, copies.means), type).toBeLessThan(1e-9);
      expect(maxRelativeError(weighted.covariances, copies.covariances), type).toBeLessThan(1e-9);
      expect(maxRelativeError(weighted.weights, copies.weights), type).toBeLessThan(1e-9);
      expect(maxRelativeError(weighted.degreesOfFreedom, copies.degreesOfFreedom), type).toBeLessThan(1e-9);
      expect(Math.abs(weighted.lowerBound - copies.lowerBound), type).toBeLessThan(1e-8 * Math.abs(copies.lowerBound));
      // The data-derived priors (mean, covariance) are weighted too.
      expect(maxRelativeError(weighted.priors.meanPrior, copies.priors.meanPrior), type).toBeLessThan(1e-12);
    }
  });

  it('a warm start continues from the fitted model and its lower bound', async () => {
    const resp = flatten(softResp(X.length, 3, 7));
    const warm = new BayesianGaussianMixture({ nComponents: 3, maxIter: 3, tol: 0, warmStart: true, backend: 'cpu' });
    await warm.fit(X, { resp });
    const first = warm.lowerBounds;
    await warm.fit(X);
    const straight = new BayesianGaussianMixture({ nComponents: 3, maxIter: 6, tol: 0, backend: 'cpu' });
    await straight.fit(X, { resp });
    expect([...first, ...warm.lowerBounds]).toEqual(straight.lowerBounds);
    expect(Array.from(warm.means)).toEqual(Array.from(straight.means));
    expect(warm.lowerBound).toBe(straight.lowerBound);
  });

  it('the lower bound never decreases over the iterations (variational EM)', async () => {
    for (const type of SKLEARN_COVARIANCE_TYPES) {
      const bgm = new BayesianGaussianMixture({
        nComponents: 5,
        covarianceType: type,
        maxIter: 60,
        tol: 0,
        randomState: 3,
        backend: 'cpu',
      });
      await bgm.fit(X);
      const bounds = bgm.lowerBounds;
      for (let i = 1; i < bounds.length; i++)
        expect(bounds[i]!, `${type} iteration ${i}`).toBeGreaterThanOrEqual(
          bounds[i - 1]! - 1e-9 * Math.abs(bounds[i - 1]!),
        );
    }
  });

  it('a small Dirichlet-process concentration switches surplus components off', async () => {
    const bgm = new BayesianGaussianMixture({
      nComponents: 8,
      weightConcentrationPrior: 1e-3,
      maxIter: 500,
      randomState: 0,
      backend: 'cpu',
    });
    await bgm.fit(clusters(600, 4));
    const used = Array.from(bgm.weights).filter((w) => w > 0.02);
    expect(used).toHaveLength(3);
  });

  it("never mutates the caller's arrays (data, weights, resp, priors)", async () => {
    const data = flatten(X);
    const dataBefore = Float64Array.from(data);
    const weights = X.map((_, i) => (i % 3) + 0.5);
    const weightsBefore = [...weights];
    const resp = flatten(softResp(X.length, 3, 1));
    const respBefore = Float64Array.from(resp);
    const meanPrior = [1, 2];
    const covariancePrior = [
      [2, 0.5],
      [0.5, 1],
    ];
    const bgm = new BayesianGaussianMixture({ nComponents: 3, meanPrior, covariancePrior, backend: 'cpu' });
    await bgm.fit({ data, rows: X.length, cols: 2 }, { sampleWeight: weights, resp });
    expect(data).toEqual(dataBefore);
    expect(weights).toEqual(weightsBefore);
    expect(resp).toEqual(respBefore);
    expect(meanPrior).toEqual([1, 2]);
    expect(covariancePrior).toEqual([
      [2, 0.5],
      [0.5, 1],
    ]);
  });

  it('bad priors and bad responsibilities are EmgpuInputErrors that say what to do', async () => {
    const cases: Array<[ConstructorParameters<typeof BayesianGaussianMixture>[0], { resp?: Float64Array }, RegExp]> = [
      [{ weightConcentrationPrior: -1 }, {}, /Option weightConcentrationPrior must be a finite number > 0/],
      [{ meanPrecisionPrior: 0 }, {}, /Option meanPrecisionPrior must be a finite number > 0/],
      [{ degreesOfFreedomPrior: 0.5 }, {}, /Option degreesOfFreedomPrior must be greater than D − 1 = 1, got 0.5\./],
      [
        {
          covariancePrior: [
            [1, 2],
            [0, 1],
          ],
        },
        {},
        /Option covariancePrior is not symmetric/,
      ],
      [
        {
          covariancePrior: [
            [1, 2],
            [2, 1],
          ],
        },
        {},
        /Option covariancePrior is not positive definite/,
      ],
      [
        { covarianceType: 'diag', covariancePrior: 2 },
        {},
        /Option covariancePrior must be 2 values for covarianceType 'diag', got a number\./,
      ],
      [{}, { resp: new Float64Array(5) }, /resp has 5 values but X has 90 rows and nComponents is 3/],
      [
        {},
        { resp: flatten(X.map(() => [0.5, 0.5, 0.5])) },
        /resp row 0 sums to 1\.5000000; each row of responsibilities must sum to 1\./,
      ],
      [
        {},
        { resp: flatten(X.map(() => [1.5, -0.5, 0])) },
        /resp row 0, component 1 is -0\.5; responsibilities must be finite and ≥ 0\./,
      ],
    ];
    for (const [options, fitOptions, message] of cases) {
      const run = async () => {
        const bgm = new BayesianGaussianMixture({ nComponents: 3, backend: 'cpu', ...options });
        await bgm.fit(X, fitOptions);
      };
      await expect(run(), String(message)).rejects.toThrow(message);
      await expect(run()).rejects.toBeInstanceOf(EmgpuInputError);
    }
  });
});
