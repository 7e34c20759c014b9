// Missing values under mclust-named covariance models (VEV: full second moments, EEI: diagonal
// ones), against a slow float64 reference written here from the conditional Gaussian formulas
// (Gauss–Jordan inverses and determinants of the observed blocks from test/reference.ts, no Cholesky factor):
//   log p(x_o) = log Σ_k w_k N(x_o; μ_o, Σ_oo),
//   E[x_m | x_o] = μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o),   Cov[x_m | x_o] = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om.
// The data are the rows of test/fixtures/missing/holes3d.json (3-D, 1 to 3 holes in 106 rows).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/index.ts';
import { holesEStep, keptRows, missingLayout } from '../../src/missing.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import type { CovarianceType } from '../../src/options.ts';
import { inverseAndLogDet } from '../reference.ts';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/missing/holes3d.json', import.meta.url), 'utf8')) as {
  X: (number | null)[][];
  sampleWeight: number[];
  regCovar: number;
};
const X = fixture.X.map((row) => row.map((v) => (v === null ? NaN : v)));
const D = 3;

interface Mixture {
  readonly weights: number[];
  readonly means: number[][];
  readonly covariances: number[][][];
}

/** Per component: log w_k + log N(x_o), the conditional mean x̂ (all D coordinates) and C on the missing ones. */
function reference(x: number[], mix: Mixture): { logp: number[]; xhat: number[][]; cond: number[][][] } {
  const o = x.flatMap((v, j) => (Number.isNaN(v) ? [] : [j]));
  const mi = x.flatMap((v, j) => (Number.isNaN(v) ? [j] : []));
  const logp: number[] = [];
  const xhat: number[][] = [];
  const cond: number[][][] = [];
  mix.means.forEach((mu, k) => {
    const s = mix.covariances[k]!;
    const { inverse, logDet } = inverseAndLogDet(o.map((a) => o.map((b) => s[a]![b]!)));
    const diff = o.map((a) => x[a]! - mu[a]!);
    const solved = inverse.map((row) => row.reduce((t, v, b) => t + v * diff[b]!, 0));
    const maha = solved.reduce((t, v, a) => t + v * diff[a]!, 0);
    logp.push(Math.log(mix.weights[k]!) - 0.5 * (o.length * Math.log(2 * Math.PI) + logDet + maha));
    const h = [...x];
    for (const m of mi) h[m] = mu[m]! + o.reduce((t, a, ai) => t + s[m]![a]! * solved[ai]!, 0);
    xhat.push(h);
    // C[m][n] = Σ_mn − Σ_mo Σ_oo⁻¹ Σ_on
    cond.push(
      mi.map((m) =>
        mi.map(
          (n) =>
            s[m]![n]! -
            o.reduce((t, a, ai) => t + s[m]![a]! * o.reduce((u, b, bi) => u + inverse[ai]![bi]! * s[b]![n]!, 0), 0),
        ),
      ),
    );
  });
  return { logp, xhat, cond };
}

function logSumExp(v: number[]): number {
  const top = Math.max(...v);
  return top + Math.log(v.reduce((t, a) => t + Math.exp(a - top), 0));
}

/**
 * The fitted mixture as nested arrays, each covariance a dense D × D matrix expanded here from
 * gm.covariances' layout: sklearn's full K × D × D, tied D × D, diag K × D, spherical K; an
 * mclust-named model stores K full D × D matrices.
 */
function mixtureOf(gm: GaussianMixture, covarianceType: CovarianceType = 'VVV'): Mixture {
  const k = gm.weights.length;
  const cov = gm.covariances;
  const entry = (c: number, a: number, b: number): number => {
    switch (covarianceType) {
      case 'tied':
        return cov[a * D + b] as number;
      case 'diag':
        return a === b ? (cov[c * D + a] as number) : 0;
      case 'spherical':
        return a === b ? (cov[c] as number) : 0;
      default:
        return cov[c * D * D + a * D + b] as number;
    }
  };
  const sizes: Partial<Record<CovarianceType, number>> = { tied: D * D, diag: k * D, spherical: k };
  expect(cov.length).toBe(sizes[covarianceType] ?? k * D * D);
  return {
    weights: Array.from(gm.weights),
    means: Array.from({ length: k }, (_, c) => Array.from(gm.means.subarray(c * D, (c + 1) * D))),
    covariances: Array.from({ length: k }, (_, c) =>
      Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => entry(c, a, b))),
    ),
  };
}

const close = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

describe.each(['VEV', 'EEI'] as const)('missing values with covariance model %s', (covarianceType: CovarianceType) => {
  const fitted = async (weighted: boolean): Promise<GaussianMixture> =>
    new GaussianMixture({
      nComponents: 3,
      covarianceType,
      randomState: 0,
      maxIter: 10,
      regCovar: fixture.regCovar,
      missing: 'marginalize',
      backend: 'cpu',
    }).fit(X, weighted ? { sampleWeight: fixture.sampleWeight } : {});

  it('scoreSamples and predictProba of rows with and without holes equal the conditional-Gaussian reference', async () => {
    const gm = await fitted(false);
    const mix = mixtureOf(gm);
    const scores = await gm.scoreSamples(X);
    const proba = await gm.predictProba(X);
    let holey = 0;
    X.forEach((x, i) => {
      if (x.every((v) => Number.isNaN(v))) {
        expect(scores[i]).toBeNaN();
        return;
      }
      if (x.some((v) => Number.isNaN(v))) holey++;
      const { logp } = reference(x, mix);
      const lse = logSumExp(logp);
      close(scores[i] as number, lse, 1e-10);
      logp.forEach((l, c) => expect(Math.abs((proba[i * 3 + c] as number) - Math.exp(l - lse))).toBeLessThan(1e-10));
    });
    expect(holey).toBe(105);
  });

  it('the statistics of the rows with holes add w·r·[(x̂ − μ)(x̂ − μ)ᵀ + C] as the reference does', async () => {
    const gm = await fitted(true);
    const mix = mixtureOf(gm);
    const k = mix.weights.length;
    const model = COVARIANCE_MODELS[covarianceType];
    const matrix = { data: Float64Array.from(X.flat()), rows: X.length, cols: D };
    const layout = missingLayout(matrix);
    const kept = keptRows(matrix, Float64Array.from(fixture.sampleWeight), layout);
    const w = kept.weights as Float64Array;
    const dataset = { ...kept.matrix, weights: w, totalWeight: w.reduce((t, v) => t + v, 0), weightExponent: 0 };
    const params = {
      covarianceType,
      nComponents: k,
      nFeatures: D,
      weights: gm.weights,
      means: gm.means,
      precisionsCholesky: gm.precisionsCholesky,
    };
    const { stats } = holesEStep(dataset, layout, params, model.moments);
    if (stats === null) throw new Error('holesEStep returned no statistics');
    expect(stats.moments).toBe(covarianceType === 'VEV' ? 'full' : 'diag');
    const sumResp = new Array<number>(k).fill(0);
    const sumDiff = new Array<number>(k * D).fill(0);
    const outer = new Array<number>(k * D * D).fill(0);
    let sumLogLik = 0;
    let totalWeight = 0;
    for (const pattern of layout.patterns) {
      for (const row of pattern.rows) {
        const x = Array.from(kept.matrix.data.subarray(row * D, (row + 1) * D));
        const weight = w[row] as number;
        const { logp, xhat, cond } = reference(x, mix);
        const lse = logSumExp(logp);
        sumLogLik += weight * lse;
        totalWeight += weight;
        const mi = x.flatMap((v, j) => (Number.isNaN(v) ? [j] : []));
        for (let c = 0; c < k; c++) {
          const wr = weight * Math.exp(logp[c]! - lse);
          const dev = xhat[c]!.map((v, a) => v - mix.means[c]![a]!);
          sumResp[c]! += wr;
          for (let a = 0; a < D; a++) {
            sumDiff[c * D + a]! += wr * dev[a]!;
            for (let b = 0; b < D; b++) {
              const m = mi.indexOf(a);
              const n = mi.indexOf(b);
              const cov = m >= 0 && n >= 0 ? cond[c]![m]![n]! : 0;
              outer[c * D * D + a * D + b]! += wr * (dev[a]! * dev[b]! + cov);
            }
          }
        }
      }
    }
    close(stats.sumLogLik, sumLogLik, 1e-11);
    close(stats.totalWeight, totalWeight, 1e-13);
    sumResp.forEach((v, c) => close(stats.sumResp[c] as number, v, 1e-11));
    sumDiff.forEach((v, i) => close(stats.sumDiff[i] as number, v, 1e-10));
    const expectedOuter = stats.moments === 'full' ? outer : outer.filter((_, i) => Math.floor(i / D) % D === i % D); // the diagonals
    expect(stats.sumOuter.length).toBe(expectedOuter.length);
    expectedOuter.forEach((v, i) => close(stats.sumOuter[i] as number, v, 1e-10));
  });

  it('one iteration from a given start: the lower bound is the reference mean log-likelihood of every kept row', async () => {
    const start: Mixture = {
      weights: [0.5, 0.3, 0.2],
      means: [
        [10, 20, 30],
        [12, 18, 33],
        [8, 22, 28],
      ],
      covariances:
        covarianceType === 'EEI'
          ? Array.from({ length: 3 }, () => [
              [4, 0, 0],
              [0, 9, 0],
              [0, 0, 2],
            ])
          : [
              [
                [4, 1, 0.5],
                [1, 3, -0.4],
                [0.5, -0.4, 2],
              ],
              [
                [6, -1, 0.2],
                [-1, 5, 1],
                [0.2, 1, 3],
              ],
              [
                [2, 0.3, 0.1],
                [0.3, 2.5, 0.6],
                [0.1, 0.6, 4],
              ],
            ],
    };
    const gm = await new GaussianMixture({
      nComponents: 3,
      covarianceType,
      weightsInit: start.weights,
      meansInit: start.means,
      precisionsInit: start.covariances.map((s) => inverseAndLogDet(s).inverse),
      maxIter: 1,
      tol: 0,
      regCovar: fixture.regCovar,
      missing: 'marginalize',
      backend: 'cpu',
    }).fit(X, { sampleWeight: fixture.sampleWeight });
    let sum = 0;
    let weight = 0;
    X.forEach((x, i) => {
      if (x.every((v) => Number.isNaN(v))) return;
      const wi = fixture.sampleWeight[i] as number;
      sum += wi * logSumExp(reference(x, start).logp);
      weight += wi;
    });
    close(gm.lowerBound, sum / weight, 1e-10);
  });
});

describe('missing values with every covariance type', () => {
  it.each(Object.keys(COVARIANCE_MODELS) as CovarianceType[])(
    '%s fits with holes and scores each kept row as the reference does',
    async (covarianceType) => {
      const gm = await new GaussianMixture({
        nComponents: 2,
        covarianceType,
        randomState: 1,
        maxIter: 3,
        regCovar: fixture.regCovar,
        missing: 'marginalize',
        backend: 'cpu',
      }).fit(X, { sampleWeight: fixture.sampleWeight });
      const mix = mixtureOf(gm, covarianceType);
      const scores = await gm.scoreSamples(X);
      X.forEach((x, i) => {
        if (x.every((v) => Number.isNaN(v))) expect(scores[i]).toBeNaN();
        else close(scores[i] as number, logSumExp(reference(x, mix).logp), 1e-10);
      });
    },
  );
});

describe('COVARIANCE_MODELS componentCovariances', () => {
  it('gives every covariance type as K dense D × D matrices, from its own storage layout', () => {
    const k = 2;
    const d = 3;
    const dense = [
      [4, 1, 0.5, 1, 3, -0.4, 0.5, -0.4, 2],
      [6, -1, 0.2, -1, 5, 1, 0.2, 1, 3],
    ];
    const stored: Record<'full' | 'tied' | 'diag' | 'spherical', number[]> = {
      full: dense.flat(),
      tied: dense[0]!,
      diag: [4, 3, 2, 6, 5, 3],
      spherical: [2, 5],
    };
    const expected: Record<'full' | 'tied' | 'diag' | 'spherical', number[]> = {
      full: dense.flat(),
      tied: [...dense[0]!, ...dense[0]!],
      diag: [4, 0, 0, 0, 3, 0, 0, 0, 2, 6, 0, 0, 0, 5, 0, 0, 0, 3],
      spherical: [2, 0, 0, 0, 2, 0, 0, 0, 2, 5, 0, 0, 0, 5, 0, 0, 0, 5],
    };
    for (const [type, model] of Object.entries(COVARIANCE_MODELS)) {
      const factors = model.precisionCholesky(Float64Array.from(stored[model.form]), k, d);
      const got = model.componentCovariances(factors, k, d);
      expect(got.length, type).toBe(k * d * d);
      expected[model.form].forEach((v, i) => expect(Math.abs((got[i] as number) - v), type).toBeLessThan(1e-13));
    }
    expect(Object.keys(COVARIANCE_MODELS)).toHaveLength(18);
  });
});
