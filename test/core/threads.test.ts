// The multi-threaded CPU engine gives bit-identical results for any thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { COVARIANCE_TYPES } from '../../src/options.ts';
import { Random } from '../../src/random.ts';

function data(n: number, d: number, seed: number): { data: Float64Array; rows: number; cols: number } {
  const random = new Random(seed);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) out[i * d + a] = (i % 4) * 3 + random.nextGaussian() * (1 + a * 0.2);
  return { data: out, rows: n, cols: d };
}

afterAll(() => releaseBackends());

describe('worker threads', () => {
  const X = data(50_000, 3, 1);
  const weights = Float64Array.from({ length: X.rows }, (_, i) => (i % 5) * 0.5);
  it.each(COVARIANCE_TYPES)('%s: 1 thread and 2 threads agree bit for bit', async (type) => {
    const fit = async (threads: number) => {
      const gm = new GaussianMixture({ nComponents: 4, covarianceType: type, cpuThreads: threads, backend: 'cpu', randomState: 3, maxIter: 8, tol: 0 });
      await gm.fit(X, { sampleWeight: weights });
      return gm;
    };
    const one = await fit(1);
    const two = await fit(2);
    expect(two.backend).toMatch(/^cpu \(2 threads\)/);
    expect(Array.from(two.means)).toEqual(Array.from(one.means));
    expect(Array.from(two.covariances)).toEqual(Array.from(one.covariances));
    expect(two.lowerBounds).toEqual(one.lowerBounds);
  });
});
