// Bad input: one clear sentence naming the problem, the place and the fix.
import { describe, expect, it } from 'vitest';
import { EmgpuInputError, GaussianMixture } from '../../src/index.ts';
import type { GaussianMixtureOptions } from '../../src/index.ts';

const X = [
  [0, 1],
  [1, 2],
  [2, 0],
  [5, 5],
  [6, 5],
  [5, 7],
];

async function fitError(x: unknown, options: GaussianMixtureOptions = {}, sampleWeight?: unknown): Promise<Error> {
  try {
    const gm = new GaussianMixture({ backend: 'cpu', randomState: 0, ...options });
    await gm.fit(x as number[][], sampleWeight === undefined ? {} : { sampleWeight: sampleWeight as number[] });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the fit to fail');
}

describe('input validation', () => {
  it.each([
    [[], /X is empty/],
    [[[1, 2], [3]], /X row 1 has 1 values but row 0 has 2/],
    [
      [
        [1, 2],
        [3, NaN],
      ],
      /X row 1, column 1 is NaN/,
    ],
    [
      [
        [1, 2],
        [Infinity, 1],
      ],
      /X row 1, column 0 is Infinity/,
    ],
    [[[1, 'a']], /X row 0, column 1 is "a"/],
    [{ data: new Float64Array(5), rows: 2, cols: 3 }, /X.data has 5 values but rows × cols = 2 × 3 = 6/],
    [{ data: Float32Array.from([1, 2, NaN, 4]), rows: 2, cols: 2 }, /X row 1, column 0 is NaN/],
  ])('rejects bad X %#', async (x, message) => {
    const error = await fitError(x);
    expect(error).toBeInstanceOf(EmgpuInputError);
    expect(error.message).toMatch(message);
  });

  it('rejects fewer rows than components', async () => {
    expect((await fitError(X.slice(0, 2), { nComponents: 3 })).message).toBe(
      'X has 2 rows but nComponents is 3; pass at least 3 rows or lower nComponents.',
    );
  });

  it.each([
    [{ nComponents: 0 }, 'Option nComponents must be an integer ≥ 1, got 0.'],
    [{ nComponents: 1.5 }, 'Option nComponents must be an integer ≥ 1, got 1.5.'],
    [
      { covarianceType: 'foo' },
      "Option covarianceType must be one of 'full', 'tied', 'diag', 'spherical', 'EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI', 'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV', got \"foo\".",
    ],
    [{ tol: -1 }, 'Option tol must be a finite number ≥ 0, got -1.'],
    [{ regCovar: NaN }, 'Option regCovar must be a finite number ≥ 0, got NaN.'],
    [{ maxIter: -1 }, 'Option maxIter must be an integer ≥ 0, got -1.'],
    [
      { initParams: 'kmeans2' },
      "Option initParams must be one of 'kmeans', 'k-means++', 'random', 'random_from_data', 'hc', got \"kmeans2\".",
    ],
    [{ backend: 'cuda' }, "Option backend must be one of 'auto', 'cpu', 'webgpu', got \"cuda\"."],
    [{ randomState: -3 }, 'Option randomState must be an integer from 0 to 4294967295, got -3.'],
    [{ ncomponents: 2 }, /^Unknown option 'ncomponents'/],
  ])('rejects bad options %#', (options, message) => {
    expect(() => new GaussianMixture(options as GaussianMixtureOptions)).toThrow(message);
  });

  it.each([
    [{ onProgress: 5 }, 'Option onProgress must be a function (or null), got 5.'],
    [{ onIteration: 'log' }, 'Option onIteration must be a function (or null), got "log".'],
    [{ signal: 5 }, 'Option signal must be an AbortSignal (e.g. new AbortController().signal), got 5.'],
    [
      { signal: {} },
      'Option signal must be an AbortSignal (e.g. new AbortController().signal), got an object (Object).',
    ],
    [{ warmStart: 'yes' }, 'Option warmStart must be true or false, got "yes".'],
    [{ warmStart: 1 }, 'Option warmStart must be true or false, got 1.'],
    [
      { weightsInit: 'equal' },
      'Option weightsInit must be an array (sklearn\'s nested shape) or a Float64Array / Float32Array, got "equal".',
    ],
    [
      { meansInit: { 0: [1, 2] } },
      "Option meansInit must be an array (sklearn's nested shape) or a Float64Array / Float32Array, got an object (Object).",
    ],
    [
      { precisionsInit: new Int32Array(4) },
      "Option precisionsInit must be an array (sklearn's nested shape) or a Float64Array / Float32Array, got an object (Int32Array).",
    ],
    [{ nComponents: '3' }, 'Option nComponents must be an integer ≥ 1, got "3".'],
    [{ randomState: '7' }, 'Option randomState must be an integer from 0 to 4294967295, got "7".'],
  ])('rejects options of the wrong type %#', (options, message) => {
    expect(() => new GaussianMixture(options as unknown as GaussianMixtureOptions)).toThrow(
      new EmgpuInputError(message),
    );
  });

  it('rejects options that are not an object', () => {
    expect(() => new GaussianMixture(3 as unknown as GaussianMixtureOptions)).toThrow(
      'The options must be an object such as { nComponents: 3 }, got 3.',
    );
  });

  it('accepts a signal, callbacks and null for every optional callback', () => {
    expect(
      () =>
        new GaussianMixture({
          signal: new AbortController().signal,
          onProgress: () => undefined,
          onIteration: null,
          warmStart: true,
        }),
    ).not.toThrow();
  });

  it('sample(n, seed) refuses a bad n or seed', async () => {
    const gm = new GaussianMixture({ nComponents: 2, backend: 'cpu', randomState: 0 });
    await gm.fit(X);
    expect(() => gm.sample(0)).toThrow('sample(n) needs an integer n ≥ 1, got 0.');
    expect(() => gm.sample('5' as unknown as number)).toThrow('sample(n) needs an integer n ≥ 1, got 5.');
    for (const seed of [NaN, -1, 1.5, 2 ** 32, '3']) {
      expect(() => gm.sample(3, seed as number)).toThrow(EmgpuInputError);
      expect(() => gm.sample(3, seed as number)).toThrow(
        /^sample\(n, seed\) needs a seed from 0 to 4294967295 \(or undefined for randomState\), got /,
      );
    }
    expect(() => gm.sample(2 ** 40)).toThrow(
      new EmgpuInputError(
        'sample(1099511627776) needs 1099511627776 × 2 numbers, more than can be allocated here; draw fewer samples per call.',
      ),
    );
    expect(gm.sample(3, undefined).X.data).toEqual(gm.sample(3).X.data); // randomState
    expect(gm.sample(3, 0).X.rows).toBe(3);
  });

  it.each([
    [[1, 1, -1, 1, 1, 1], 'sampleWeight[2] is -1; weights must be finite and ≥ 0.'],
    [[1, 1, NaN, 1, 1, 1], 'sampleWeight[2] is NaN; weights must be finite and ≥ 0.'],
    [[0, 0, 0, 0, 0, 0], 'sampleWeight is all zero; at least one row needs a positive weight.'],
    [[1, 1], 'sampleWeight has 2 values but X has 6 rows; give one weight per row.'],
    [
      [1, 0, 0, 0, 0, 0],
      'sampleWeight has 1 positive weights but nComponents is 2; give at least 2 rows a positive weight.',
    ],
  ])('rejects bad sample weights %#', async (weights, message) => {
    expect((await fitError(X, { nComponents: 2 }, weights)).message).toBe(message);
  });

  it.each([
    [{ weightsInit: [0.5, 0.6] }, 'Option weightsInit must sum to 1, but sums to 1.1000000; normalise it.'],
    [{ weightsInit: [1] }, 'Option weightsInit has 1 values but must have shape 2 (2 values).'],
    [
      {
        meansInit: [
          [0, 0, 0],
          [1, 1, 1],
        ],
      },
      'Option meansInit has shape 2 × 3 but must have shape 2 × 2.',
    ],
    [
      {
        precisionsInit: [
          [
            [1, 0],
            [0, -1],
          ],
          [
            [1, 0],
            [0, 1],
          ],
        ],
      },
      /precisionsInit is not positive definite/,
    ],
    [
      {
        precisionsInit: [
          [
            [1, 0.5],
            [0, 1],
          ],
          [
            [1, 0],
            [0, 1],
          ],
        ],
      },
      /precisionsInit\[0\] is not symmetric/,
    ],
    [
      {
        covarianceType: 'diag' as const,
        precisionsInit: [
          [1, 0],
          [1, 1],
        ],
      },
      /precisionsInit is not positive definite/,
    ],
  ])('rejects bad initial parameters %#', async (options, message) => {
    const error = await fitError(X, { nComponents: 2, ...options });
    expect(error).toBeInstanceOf(EmgpuInputError);
    expect(error.message).toMatch(message);
  });

  it('rejects predicting with the wrong number of columns, or before fitting', async () => {
    const gm = new GaussianMixture({ nComponents: 2, backend: 'cpu', randomState: 0 });
    await expect(gm.predict(X)).rejects.toThrow('This GaussianMixture is not fitted yet; call fit(X) first');
    await gm.fit(X);
    await expect(gm.predict([[1, 2, 3]])).rejects.toThrow(
      'X has 3 columns but the model was fitted with 2 features; pass data with 2 columns.',
    );
  });

  it("says clearly when backend 'webgpu' has no adapter", async () => {
    // In Node without the GPU backend's adapter this fails with a reason; with one it fits.
    const gm = new GaussianMixture({ nComponents: 2, backend: 'webgpu', randomState: 0 });
    try {
      await gm.fit(X);
      expect(gm.backend).toMatch(/^webgpu/);
    } catch (error) {
      expect((error as Error).message).toMatch(
        /^Backend 'webgpu' is not available: .+; use backend 'auto' or 'cpu' to run on the CPU\.$/,
      );
    }
  });
});
