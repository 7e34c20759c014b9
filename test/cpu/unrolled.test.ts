// The generated straight-line kernels (src/cpu/unrolled.ts) exist (a generator bug once made
// one of them silently fall back) and give bit-identical statistics to the generic loops for
// every D they cover; at every D, inside and beyond their limits, the statistics match the slow
// float64 reference (test/reference.ts), an independent implementation.
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
import { expandCovariances, maxRelativeError, randomCovariances, refEStep } from '../reference.ts';

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

  /** Whether a generated kernel handles this type and D (else both runs below take the loops). */
  const generated = (type: CovarianceType, d: number): boolean =>
    type === 'full' || type === 'tied' ? d <= UNROLLED_SOLVE_MAX_D : d <= UNROLLED_DIAG_MAX_D;

  it.each(cases)(
    '%s, D = %i: eStep statistics match the float64 reference, and the generic loops bit for bit where a kernel is generated',
    async (type, d) => {
      const random = new Random(100 + d);
      const n = 9000;
      const k = 3;
      const data = Float64Array.from({ length: n * d }, (_, i) => (i % 3) * 2 + random.nextGaussian());
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 4) * 0.75);
      const covariances = randomCovariances(type, k, d, random);
      const params = {
        covarianceType: type,
        nComponents: k,
        nFeatures: d,
        weights: Float64Array.from([0.2, 0.3, 0.5]),
        means: Float64Array.from({ length: k * d }, () => random.nextGaussian() * 2),
        precisionsCholesky: COVARIANCE_MODELS[type].precisionCholesky(covariances, k, d),
      };
      const moments = type === 'full' || type === 'tied' ? 'full' : 'diag';
      const backend = await CpuBackend.create({ threads: 1 });
      const run = async (on: boolean) => {
        setUnrolledEnabled(on);
        const loaded = await backend.load(toDataset({ data: data, rows: n, cols: d }, weights));
        const stats = await loaded.eStep(params, moments);
        const labels = (await loaded.evaluate(params, { labels: true, logLik: true })).logLik;
        loaded.dispose();
        return { stats, labels };
      };
      const fast = await run(true);

      // The reference: responsibilities from the covariances themselves, sums in plain loops.
      const X = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
      const ref = refEStep(X, {
        covarianceType: type,
        k,
        d,
        weights: [0.2, 0.3, 0.5],
        means: Array.from({ length: k }, (_, c) => Array.from(params.means.subarray(c * d, (c + 1) * d))),
        covariances: expandCovariances(type, covariances, k, d),
      });
      const s0 = new Float64Array(k);
      const s1 = new Float64Array(k * d);
      const s2 = new Float64Array(moments === 'full' ? k * d * d : k * d);
      let sumLogLik = 0;
      let sumRespLogResp = 0;
      for (let i = 0; i < n; i++) {
        const w = weights[i] as number;
        sumLogLik += w * (ref.logLik[i] as number);
        for (let c = 0; c < k; c++) {
          const r = ref.resp[i]![c] as number;
          if (r > 0) sumRespLogResp += w * r * Math.log(r);
        }
        for (let c = 0; c < k; c++) {
          const r = w * (ref.resp[i]![c] as number);
          s0[c] = (s0[c] as number) + r;
          for (let a = 0; a < d; a++) {
            const da = (data[i * d + a] as number) - (params.means[c * d + a] as number);
            s1[c * d + a] = (s1[c * d + a] as number) + r * da;
            if (moments === 'diag') s2[c * d + a] = (s2[c * d + a] as number) + r * da * da;
            else
              for (let b = 0; b < d; b++)
                s2[c * d * d + a * d + b] =
                  (s2[c * d * d + a * d + b] as number) +
                  r * da * ((data[i * d + b] as number) - (params.means[c * d + b] as number));
          }
        }
      }
      expect(maxRelativeError(fast.stats.sumResp, s0)).toBeLessThan(1e-11);
      expect(maxRelativeError(fast.stats.sumDiff, s1)).toBeLessThan(1e-10);
      expect(maxRelativeError(fast.stats.sumOuter, s2)).toBeLessThan(1e-10);
      expect(Math.abs(fast.stats.sumLogLik - sumLogLik) / Math.abs(sumLogLik)).toBeLessThan(1e-12);
      expect(Math.abs(fast.stats.sumRespLogResp - sumRespLogResp)).toBeLessThan(
        1e-10 * Math.max(1, Math.abs(sumRespLogResp)),
      );
      expect(maxRelativeError(fast.labels ?? [], ref.logLik)).toBeLessThan(1e-12);

      if (generated(type, d)) {
        const generic = await run(false);
        expect(Array.from(fast.stats.sumResp)).toEqual(Array.from(generic.stats.sumResp));
        expect(Array.from(fast.stats.sumDiff)).toEqual(Array.from(generic.stats.sumDiff));
        expect(Array.from(fast.stats.sumOuter)).toEqual(Array.from(generic.stats.sumOuter));
        expect(fast.stats.sumLogLik).toBe(generic.stats.sumLogLik);
        expect(Array.from(fast.labels ?? [])).toEqual(Array.from(generic.labels ?? []));
      }
    },
  );
});

describe('generated k-means++ potentials', () => {
  it('exist for D ≤ 16', () => {
    for (let d = 1; d <= 16; d++) expect(unrolledPotentials(d, 4), `D = ${d}`).toBeTypeOf('function');
    expect(unrolledPotentials(17, 4)).toBeNull();
  });

  // Only where a generated kernel exists: beyond D = 16 both runs would take the same loop.
  it.each([1, 2, 3, 8, 16])('D = %i: the same seeds as the generic loop', (d) => {
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
