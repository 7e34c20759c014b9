// The same fit from number[][] and from {data, rows, cols} (float64 and float32 views of the
// same numbers), and predict / score on the same typed X reusing the loaded data.
import { afterAll, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { fixture } from '../suite/fixtures.ts';
import { matrixOf } from '../suite/run.ts';

afterAll(() => releaseBackends());

const f = fixture('iris');
const c = f.cases.find((x) => x.options.covariance_type === 'full' && x.options.max_iter === 10)!;
const options = () => ({
  nComponents: c.options.n_components,
  maxIter: c.options.max_iter,
  tol: 0,
  weightsInit: c.options.weights_init!,
  meansInit: c.options.means_init!,
  precisionsInit: c.options.precisions_init!,
  backend: 'cpu' as const,
});

it('fits {data, rows, cols} exactly as number[][]', async () => {
  const nested = await new GaussianMixture(options()).fit(f.X);
  const typed = await new GaussianMixture(options()).fit(matrixOf(f.X));
  expect(Array.from(typed.means)).toEqual(Array.from(nested.means));
  expect(Array.from(typed.covariances)).toEqual(Array.from(nested.covariances));
  expect(typed.lowerBound).toBe(nested.lowerBound);
});

it('predict and score on the fitted typed X agree with a fresh copy of it, and see later changes to it', async () => {
  const X = matrixOf(f.X);
  const gm = await new GaussianMixture(options()).fit(X);
  const copy = { ...X, data: Float64Array.from(X.data) };
  expect(Array.from(await gm.predict(X))).toEqual(Array.from(await gm.predict(copy)));
  expect(await gm.score(X)).toBe(await gm.score(copy));
  // Changed in place: the cached copy must not be reused.
  const before = await gm.scoreSamples(X);
  X.data[0] = (X.data[0] as number) + 5;
  const after = await gm.scoreSamples(X);
  expect(after[0]).not.toBe(before[0]);
  expect(after[1]).toBe(before[1]);
  X.data[3] = Number.NaN;
  await expect(gm.predict(X)).rejects.toThrow(/row 0, column 3 is NaN/);
});
