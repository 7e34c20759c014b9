// The multi-threaded CPU engine gives bit-identical results for any thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { SKLEARN_COVARIANCE_TYPES } from '../../src/options.ts';
import { Random } from '../../src/random.ts';
import { BLOCK_ROWS, blockScratch } from '../../src/cpu/blocks.ts';

function data(n: number, d: number, seed: number): { data: Float64Array; rows: number; cols: number } {
  const random = new Random(seed);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) out[i * d + a] = (i % 4) * 3 + random.nextGaussian() * (1 + a * 0.2);
  return { data: out, rows: n, cols: d };
}

afterAll(() => releaseBackends());

describe('worker threads', () => {
  const X = data(50_000, 3, 1);
  const weights = Float64Array.from({ length: X.rows }, (_, i) => (i % 5) * 0.5);
  it.each(SKLEARN_COVARIANCE_TYPES)('%s: 1 thread and 2 threads agree bit for bit', async (type) => {
    const fit = async (threads: number) => {
      const gm = new GaussianMixture({
        nComponents: 4,
        covarianceType: type,
        cpuThreads: threads,
        backend: 'cpu',
        randomState: 3,
        maxIter: 8,
        tol: 0,
      });
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

describe('the block scratch a thread keeps (blockScratch)', () => {
  it('is one object per shape, replaced when K or D changes, and results do not depend on what ran before', async () => {
    const a = blockScratch(6, 2);
    expect(blockScratch(6, 2)).toBe(a);
    const b = blockScratch(7, 2);
    expect(b).not.toBe(a);
    expect(b.resp.length).toBe(BLOCK_ROWS * 7);
    expect(blockScratch(7, 3)).not.toBe(b);
    // A fit on the main thread (cpuThreads 1) after another shape's fit left its scratch, and
    // with the scratch of an identical fit still there: the same model, bit for bit.
    const X = data(20_000, 3, 41);
    const fit = async (): Promise<GaussianMixture> =>
      new GaussianMixture({ nComponents: 4, maxIter: 20, tol: 0, randomState: 3, backend: 'cpu', cpuThreads: 1 }).fit(
        X,
      );
    const first = await fit();
    await new GaussianMixture({ nComponents: 9, maxIter: 3, randomState: 1, backend: 'cpu', cpuThreads: 1 }).fit(
      data(5000, 5, 42),
    );
    const second = await fit();
    const third = await fit();
    for (const other of [second, third]) {
      expect(Array.from(other.means)).toEqual(Array.from(first.means));
      expect(Array.from(other.covariances)).toEqual(Array.from(first.covariances));
      expect(other.lowerBound).toBe(first.lowerBound);
    }
  });
});
