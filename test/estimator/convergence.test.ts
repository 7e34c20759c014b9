// The convergence option: 'sklearn' (default) stops when the mean log-likelihood ℓ changes by
// less than tol; 'mclust' when the total L = W·ℓ changes by less than tol·(1 + |L|), mclust's EM
// rule. Checked on fit's recorded lower bounds (it stops at the first iteration that meets the
// rule and at none before), on the statistics API's mStep, through the model JSON, and refused
// when misspelt.
import { afterAll, describe, expect, it } from 'vitest';
import { EmgpuInputError, GaussianMixture, mergeStatistics, releaseBackends } from '../../src/index.ts';
import { Random } from '../../src/random.ts';

afterAll(() => releaseBackends());

const N = 400;
const D = 2;
function data(): { data: Float64Array; rows: number; cols: number } {
  const random = new Random(11);
  const x = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    x[i * D] = (i % 3) * 2.5 + random.nextGaussian();
    x[i * D + 1] = 0.5 * x[i * D]! + random.nextGaussian();
  }
  return { data: x, rows: N, cols: D };
}

/** mclust's rule on the recorded mean lower bounds ℓ: |ΔL| / (1 + |L|) < tol, L = N·ℓ. */
const mclustStops = (previous: number, next: number, tol: number): boolean =>
  Math.abs(N * next - N * previous) / (1 + Math.abs(N * next)) < tol;

describe('convergence', () => {
  it("'mclust' stops at the first iteration whose relative change of the total log-likelihood is below tol", async () => {
    const tol = 1e-6;
    const gm = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'full',
      convergence: 'mclust',
      tol,
      maxIter: 500,
      randomState: 2,
      backend: 'cpu',
    }).fit(data());
    const bounds = gm.lowerBounds;
    expect(gm.converged).toBe(true);
    expect(bounds.length).toBeGreaterThan(2);
    for (let i = 1; i < bounds.length - 1; i++) expect(mclustStops(bounds[i - 1]!, bounds[i]!, tol)).toBe(false);
    expect(mclustStops(bounds[bounds.length - 2]!, bounds[bounds.length - 1]!, tol)).toBe(true);
    // The same tol read as sklearn reads it (absolute on ℓ, |ℓ| ≈ 3.5 here) stops elsewhere.
    const sklearn = await new GaussianMixture({
      nComponents: 3,
      covarianceType: 'full',
      tol,
      maxIter: 500,
      randomState: 2,
      backend: 'cpu',
    }).fit(data());
    expect(sklearn.nIter).not.toBe(gm.nIter);
  });

  it("the model JSON keeps 'mclust' (and sklearn-style files keep their fields)", async () => {
    const options = { nComponents: 2, maxIter: 5, randomState: 1, backend: 'cpu' as const };
    const gm = await new GaussianMixture({ ...options, convergence: 'mclust' }).fit(data());
    const json = gm.toJSON();
    expect(json.options).toMatchObject({ convergence: 'mclust' });
    expect(GaussianMixture.fromJSON(json).options.convergence).toBe('mclust');
    const plain = (await new GaussianMixture(options).fit(data())).toJSON();
    expect(plain.options).not.toHaveProperty('convergence');
    expect(GaussianMixture.fromJSON(plain).options.convergence).toBe('sklearn');
  });

  it("mStep's converged flag follows the model's rule", async () => {
    const X = data();
    const fitted = await new GaussianMixture({
      nComponents: 3,
      maxIter: 40,
      tol: 0,
      randomState: 4,
      backend: 'cpu',
    }).fit(X);
    const at = (options: { tol: number; convergence?: 'sklearn' | 'mclust' }) =>
      GaussianMixture.fromJSON(fitted.toJSON(), { ...options, backend: 'cpu' });
    // The next step's change c and bound ℓ; with tol = c / 2 the rules disagree (|ℓ| > 2 here):
    // sklearn's c < tol fails, mclust's c < tol·(1/N + |ℓ|) holds.
    const probe = at({ tol: 0 });
    const before = probe.lowerBound;
    const next = probe.mStep(mergeStatistics(await probe.statistics(X)));
    const change = Math.abs(next.lowerBound - before);
    expect(Math.abs(next.lowerBound)).toBeGreaterThan(2);
    for (const convergence of ['sklearn', 'mclust'] as const) {
      const gm = at({ tol: change / 2, convergence });
      const step = gm.mStep(mergeStatistics(await gm.statistics(X)));
      expect(step.lowerBound).toBe(next.lowerBound);
      expect(step.converged).toBe(convergence === 'mclust');
    }
  });

  it('refuses an unknown rule, naming the choices', () => {
    expect(() => new GaussianMixture({ convergence: 'relative' as 'mclust' })).toThrow(EmgpuInputError);
    expect(() => new GaussianMixture({ convergence: 'relative' as 'mclust' })).toThrow(
      /convergence must be one of 'sklearn', 'mclust'/,
    );
  });
});
