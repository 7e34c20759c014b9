// mclust's 14 covariance models through the public API, beyond the parity suite
// (test/suite/mclust.ts): parameter counts, sklearn's four names as aliases of four of them, the
// model JSON, the refusals, EM's monotone log-likelihood, and missing values.
import { describe, expect, it } from 'vitest';
import {
  BayesianGaussianMixture,
  EmgpuInputError,
  GaussianMixture,
  MCLUST_MODELS,
  SKLEARN_ALIASES,
  mclustName,
  type Matrix,
  type SklearnCovarianceName,
} from '../../src/index.ts';
import { nParameters } from '../../src/model/covariance.ts';
import { Random } from '../../src/random.ts';

/** Three elongated, rotated, unequal clusters in 3-D (seeded). */
function data(n: number, seed: number): Matrix {
  const random = new Random(seed);
  const d = 3;
  const out = new Float64Array(n * d);
  const centres = [
    [0, 0, 0],
    [6, 1, -2],
    [-3, 5, 4],
  ];
  const scales = [
    [2, 0.5, 0.3],
    [1, 1, 1],
    [0.4, 3, 0.8],
  ];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const z = [0, 1, 2].map((a) => random.nextGaussian() * (scales[c]?.[a] as number));
    // Rotate components 0 and 2 in the (0, 1) plane.
    const angle = c === 1 ? 0 : c === 0 ? 0.6 : -1.1;
    const [z0, z1, z2] = z as [number, number, number];
    const row = [z0 * Math.cos(angle) - z1 * Math.sin(angle), z0 * Math.sin(angle) + z1 * Math.cos(angle), z2];
    for (let a = 0; a < d; a++) out[i * d + a] = (row[a] as number) + (centres[c]?.[a] as number);
  }
  return { data: out, rows: n, cols: d };
}

const X = data(300, 7);

/** sklearn's covariances (any layout) as K full D × D matrices. */
function expand(type: SklearnCovarianceName, cov: Float64Array, k: number, d: number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        const at = c * d * d + i * d + j;
        if (type === 'full') out[at] = cov[at] as number;
        else if (type === 'tied') out[at] = cov[i * d + j] as number;
        else if (i === j) out[at] = type === 'diag' ? (cov[c * d + i] as number) : (cov[c] as number);
      }
  return out;
}

function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1e-3, Math.abs(b[i] as number));
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

describe('mclust models: names and parameter counts', () => {
  it("counts parameters as mclust's nMclustParams (R, mclust 6.0.0: d = 4, G = 3 and d = 5, G = 4)", () => {
    // nMclustParams(model, 4, 3) and nMclustParams(model, 5, 4) for mclust.options("emModelNames").
    const d4g3 = [15, 17, 18, 20, 24, 26, 24, 26, 30, 32, 36, 38, 42, 44];
    const d5g4 = [24, 27, 28, 31, 40, 43, 38, 41, 50, 53, 68, 71, 80, 83];
    expect(MCLUST_MODELS.map((m) => nParameters(m, 3, 4))).toEqual(d4g3);
    expect(MCLUST_MODELS.map((m) => nParameters(m, 4, 5))).toEqual(d5g4);
  });

  it("sklearn's four names count as the mclust models they are", () => {
    for (const [alias, name] of Object.entries(SKLEARN_ALIASES)) {
      expect(mclustName(alias)).toBe(name);
      expect(nParameters(alias as SklearnCovarianceName, 4, 5)).toBe(nParameters(name, 4, 5));
    }
  });
});

describe("sklearn's names are aliases: the same fit, in sklearn's layout", () => {
  it.each(Object.entries(SKLEARN_ALIASES) as [SklearnCovarianceName, string][])(
    '%s = %s (regCovar 1e-3 added as sklearn adds it)',
    async (alias, name) => {
      const options = { nComponents: 3, randomState: 1, tol: 0, maxIter: 8, regCovar: 1e-3, backend: 'cpu' as const };
      const sk = await new GaussianMixture({ ...options, covarianceType: alias }).fit(X);
      const mc = await new GaussianMixture({ ...options, covarianceType: name as SklearnCovarianceName }).fit(X);
      expect(worstRelative(mc.covariances, expand(alias, sk.covariances, 3, 3))).toBeLessThan(1e-10);
      expect(worstRelative(mc.means, sk.means)).toBeLessThan(1e-10);
      expect(worstRelative(mc.lowerBounds, sk.lowerBounds)).toBeLessThan(1e-12);
      expect(mc.covariances.length).toBe(3 * 3 * 3);
    },
  );
});

describe('every mclust model', () => {
  it.each(MCLUST_MODELS.map((m) => [m]))(
    '%s: the log-likelihood never drops, and toJSON / fromJSON round-trips K full matrices',
    async (model) => {
      const gm = await new GaussianMixture({
        nComponents: 3,
        covarianceType: model,
        randomState: 2,
        tol: 0,
        maxIter: 30,
        regCovar: 0,
        backend: 'cpu',
      }).fit(X);
      const bounds = gm.lowerBounds;
      // The inner loops of VEE, EVE and VVE stop at a relative change of their target below
      // sqrt(eps), and mclust's VVE orientation step weighs components by shape alone: allow
      // drops at that level, no more.
      for (let i = 1; i < bounds.length; i++)
        expect((bounds[i] as number) - (bounds[i - 1] as number), `iteration ${i + 1}`).toBeGreaterThan(
          -1e-7 * Math.abs(bounds[i] as number),
        );
      const json = JSON.parse(JSON.stringify(gm.toJSON())) as { covarianceType: string; covariances: number[][][] };
      expect(json.covarianceType).toBe(model);
      expect(json.covariances.length).toBe(3);
      expect(json.covariances.every((m) => m.length === 3 && m.every((row) => row.length === 3))).toBe(true);
      const back = GaussianMixture.fromJSON(json, { backend: 'cpu' });
      expect(back.covarianceType).toBe(model);
      expect(Array.from(back.covariances)).toEqual(Array.from(gm.covariances));
      expect(Array.from(await back.scoreSamples(X))).toEqual(Array.from(await gm.scoreSamples(X)));
      const { X: drawn } = await back.sample(50);
      expect(drawn.rows).toBe(50);
    },
  );
});

describe('refusals', () => {
  it('BayesianGaussianMixture refuses an mclust model in one sentence', () => {
    expect(() => new BayesianGaussianMixture({ covarianceType: 'VEV' })).toThrow(
      new EmgpuInputError(
        "Option covarianceType is 'VEV', an mclust model that only GaussianMixture fits; BayesianGaussianMixture takes 'full', 'tied', 'diag' or 'spherical' (mclust's VVV, EEE, VVI and VII).",
      ),
    );
  });

  it('an unknown model name is refused with the names there are', () => {
    expect(() => new GaussianMixture({ covarianceType: 'VVX' as 'VVV' })).toThrow(/must be one of .*'EII'.*'VVV'/);
  });
});

describe('missing values (marginalisation) with mclust models', () => {
  it('VVV marginalises as full does, and EVE fits to finite numbers', async () => {
    const holes = Float64Array.from(X.data);
    for (let i = 0; i < holes.length; i += 7) holes[i] = Number.NaN;
    const withHoles: Matrix = { data: holes, rows: X.rows, cols: X.cols };
    const options = {
      nComponents: 3,
      randomState: 4,
      tol: 0,
      maxIter: 6,
      regCovar: 1e-4,
      missing: 'marginalize' as const,
      backend: 'cpu' as const,
    };
    const full = await new GaussianMixture({ ...options, covarianceType: 'full' }).fit(withHoles);
    const vvv = await new GaussianMixture({ ...options, covarianceType: 'VVV' }).fit(withHoles);
    expect(worstRelative(vvv.covariances, full.covariances)).toBeLessThan(1e-10);
    expect(worstRelative(vvv.lowerBounds, full.lowerBounds)).toBeLessThan(1e-12);
    const eve = await new GaussianMixture({ ...options, covarianceType: 'EVE' }).fit(withHoles);
    expect(eve.covariances.every(Number.isFinite)).toBe(true);
    for (const value of await eve.scoreSamples(withHoles)) expect(Number.isFinite(value)).toBe(true);
  });
});
