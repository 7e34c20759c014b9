// The generated straight-line kernels (src/cpu/unrolled.ts) exist (a generator bug once made
// one of them silently fall back) and give bit-identical statistics to the generic loops, for
// every D they cover.
import { toDataset } from '../../src/matrix.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { kmeansPlusPlusSequential } from '../../src/cpu/kmeanspp.ts';
import {
  setUnrolledEnabled,
  UNROLLED_DIAG_MAX_D,
  UNROLLED_OUTER_MAX_D,
  UNROLLED_SOLVE_MAX_D,
  unrolledAccumulate,
  unrolledDiagAccumulate,
  unrolledDiagLogProb,
  unrolledLogProb,
  unrolledPotentials,
  unrolledSphericalLogProb,
} from '../../src/cpu/unrolled.ts';
import type { CovarianceType } from '../../src/options.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import { Random } from '../../src/random.ts';
import { randomCovariances } from '../reference.ts';

afterEach(() => setUnrolledEnabled(true));

const fullDims = [...Array.from({ length: 17 }, (_, i) => i + 1), 24];
const diagDims = [1, 2, 3, 5, 8, 13, 16, 17, 31, 32, 33, 48];
const cases: (readonly [CovarianceType, number])[] = [
  ...fullDims.flatMap((d) => [['full', d] as const, ['tied', d] as const]),
  ...diagDims.flatMap((d) => [['diag', d] as const, ['spherical', d] as const]),
];

describe('generated kernels', () => {
  it('are built for every D they cover, and not beyond', () => {
    for (const d of fullDims) {
      if (d <= UNROLLED_SOLVE_MAX_D) expect(unrolledLogProb(d), `full log-prob, D = ${d}`).toBeTypeOf('function');
      if (d <= UNROLLED_OUTER_MAX_D) expect(unrolledAccumulate(d), `full accumulate, D = ${d}`).toBeTypeOf('function');
    }
    for (const d of diagDims.filter((dim) => dim <= UNROLLED_DIAG_MAX_D)) {
      expect(unrolledDiagLogProb(d), `diag log-prob, D = ${d}`).toBeTypeOf('function');
      expect(unrolledSphericalLogProb(d), `spherical log-prob, D = ${d}`).toBeTypeOf('function');
      expect(unrolledDiagAccumulate(d), `diag accumulate, D = ${d}`).toBeTypeOf('function');
    }
    expect(unrolledLogProb(UNROLLED_SOLVE_MAX_D + 1)).toBeNull();
    expect(unrolledAccumulate(UNROLLED_OUTER_MAX_D + 1)).toBeNull();
    expect(unrolledDiagLogProb(UNROLLED_DIAG_MAX_D + 1)).toBeNull();
    expect(unrolledDiagAccumulate(UNROLLED_DIAG_MAX_D + 1)).toBeNull();
  });

  it.each(cases)(
    '%s, D = %i: eStep statistics equal the generic loops bit for bit',
    async (type, d) => {
      const random = new Random(100 + d);
      const n = 9000;
      const k = 3;
      const data = Float64Array.from({ length: n * d }, (_, i) => (i % 3) * 2 + random.nextGaussian());
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 4) * 0.75);
      const covariances = randomCovariances(type, k, d, random);
      const params = {
        covarianceType: type, nComponents: k, nFeatures: d,
        weights: Float64Array.from([0.2, 0.3, 0.5]),
        means: Float64Array.from({ length: k * d }, () => random.nextGaussian() * 2),
        precisionsCholesky: COVARIANCE_MODELS[type].precisionCholesky(covariances, k, d),
      };
      const backend = await CpuBackend.create({ threads: 1 });
      const run = async (on: boolean) => {
        setUnrolledEnabled(on);
        const loaded = await backend.load(toDataset({ data: data, rows: n, cols: d }, weights));
        const stats = await loaded.eStep(params, type === 'full' || type === 'tied' ? 'full' : 'diag');
        const labels = (await loaded.evaluate(params, { labels: true, logLik: true })).logLik;
        loaded.dispose();
        return { stats, labels };
      };
      const fast = await run(true);
      const generic = await run(false);
      expect(Array.from(fast.stats.sumResp)).toEqual(Array.from(generic.stats.sumResp));
      expect(Array.from(fast.stats.sumDiff)).toEqual(Array.from(generic.stats.sumDiff));
      expect(Array.from(fast.stats.sumOuter)).toEqual(Array.from(generic.stats.sumOuter));
      expect(fast.stats.sumLogLik).toBe(generic.stats.sumLogLik);
      expect(Array.from(fast.labels ?? [])).toEqual(Array.from(generic.labels ?? []));
    },
  );
});

describe('generated k-means++ potentials', () => {
  it('exist for D ≤ 16', () => {
    for (let d = 1; d <= 16; d++) expect(unrolledPotentials(d, 4), `D = ${d}`).toBeTypeOf('function');
    expect(unrolledPotentials(17, 4)).toBeNull();
  });

  it.each([1, 2, 3, 8, 16, 17])('D = %i: the same seeds as the generic loop', (d) => {
    const random = new Random(300 + d);
    const n = 5000;
    const data = Float64Array.from({ length: n * d }, (_, i) => (Math.floor(i / d) % 7) * 3 + random.nextGaussian());
    const weights = Float64Array.from({ length: n }, (_, i) => (i % 3) * 0.5 + 0.25);
    for (const k of [2, 16, 200]) {
      for (const w of [null, weights]) {
        const seeds = (on: boolean) => {
          setUnrolledEnabled(on);
          return Array.from(kmeansPlusPlusSequential({ data, cols: d, weights: w }, n, k, new Random(k)));
        };
        expect(seeds(true)).toEqual(seeds(false));
      }
    }
  });
});
