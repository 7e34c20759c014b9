// The generated straight-line kernels (src/cpu/unrolled.ts) give bit-identical statistics to
// the generic loops, for every D they cover.
import { afterEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { setUnrolledEnabled, UNROLLED_MAX_D } from '../../src/cpu/unrolled.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import { Random } from '../../src/random.ts';
import { randomCovariances } from '../reference.ts';

afterEach(() => setUnrolledEnabled(true));

describe('generated full/tied kernels', () => {
  it.each(Array.from({ length: UNROLLED_MAX_D }, (_, i) => i + 1).flatMap((d) => [['full', d] as const, ['tied', d] as const]))(
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
        const loaded = await backend.load(data, n, d, weights);
        const stats = await loaded.eStep(params, 'full');
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
