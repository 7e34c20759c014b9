// Exact EM streamed from a chunk source (fit(source)): from the same start it gives the in-memory
// fit's model (the sums differ only in the order they were added) for every covariance type, with
// and without sample weights, on the CPU engine (and on WebGPU in Node, where an adapter exists, within the float32 contract); the
// reservoir sample the initialisation runs on is uniform; bad chunks and single-use sources are
// refused in one sentence naming the chunk and row; an abort stops a pass.
import { afterAll, describe, expect, it } from 'vitest';
import {
  BayesianGaussianMixture,
  SKLEARN_COVARIANCE_TYPES,
  EmgpuInputError,
  GaussianMixture,
  releaseBackends,
  type ChunkInput,
  type CovarianceType,
  type Matrix,
  type StreamChunk,
} from '../../src/index.ts';
import { Random } from '../../src/random.ts';
import { scanStream } from '../../src/stream.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { covarianceGroup, groupError, TOLERANCES } from '../suite/compare.ts';

afterAll(() => releaseBackends());

const D = 3;
const N = 4000;
/** Streamed and in-memory sums differ only in the order they were added. */
const EXACT = 1e-9;

/** Three overlapping, correlated clusters away from the origin. */
function clusters(seed: number, n = N): Float64Array {
  const random = new Random(seed);
  const data = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const z = random.nextGaussian();
    for (let a = 0; a < D; a++)
      data[i * D + a] = 50 + 3 * c + (a === c ? 1.5 : 0) + 0.6 * z + (0.5 + 0.3 * a) * random.nextGaussian();
  }
  return data;
}

const data = clusters(3);
const X: Matrix = { data, rows: N, cols: D };
const weightRandom = new Random(5);
const weights = Float64Array.from({ length: N }, () => 0.1 + 2 * weightRandom.nextFloat());

/** The rows as chunks of `size` (the last shorter), with their weights when given: a new pass on every call. */
function chunked(size: number, w: Float64Array | null = null): () => AsyncGenerator<StreamChunk> {
  return async function* () {
    for (let start = 0; start < N; start += size) {
      const end = Math.min(N, start + size);
      yield {
        data: data.subarray(start * D, end * D),
        rows: end - start,
        cols: D,
        ...(w !== null ? { sampleWeight: w.subarray(start, end) } : {}),
      };
    }
  };
}

/** An explicit start (weights, means, precisions) for K = 3 from a one-iteration fit that is not the answer. */
async function explicitStart(
  covarianceType: CovarianceType,
): Promise<Pick<GaussianMixture, 'weights' | 'means' | 'precisions'>> {
  const gm = new GaussianMixture({
    nComponents: 3,
    covarianceType,
    maxIter: 1,
    randomState: 1,
    backend: 'cpu',
    cpuThreads: 1,
    initParams: 'random_from_data',
  });
  await gm.fit(X);
  return gm;
}

function modelErrors(a: GaussianMixture, b: GaussianMixture): Record<string, number> {
  const group = covarianceGroup(b.covarianceType, D);
  return {
    weights: groupError(a.weights, Array.from(b.weights), b.nComponents),
    means: groupError(a.means, Array.from(b.means), D),
    covariances: groupError(a.covariances, Array.from(b.covariances), group),
    precisionsCholesky: groupError(a.precisionsCholesky, Array.from(b.precisionsCholesky), group),
    lowerBound: Math.abs(a.lowerBound - b.lowerBound) / Math.abs(b.lowerBound),
  };
}

async function streamedVsInMemory(
  covarianceType: CovarianceType,
  backend: 'cpu' | 'webgpu',
  w: Float64Array | null,
): Promise<{ streamed: GaussianMixture; inMemory: GaussianMixture }> {
  const start = await explicitStart(covarianceType);
  const options = {
    nComponents: 3,
    covarianceType,
    tol: 1e-8,
    maxIter: 300,
    backend,
    cpuThreads: 2,
    weightsInit: start.weights,
    meansInit: start.means,
    precisionsInit: start.precisions,
  } as const;
  const inMemory = await new GaussianMixture(options).fit(X, { sampleWeight: w });
  const streamed = await new GaussianMixture(options).fit(chunked(777, w));
  return { streamed, inMemory };
}

describe('streamed EM equals the in-memory fit from the same start (CPU engine)', () => {
  // mclust's EVE and VEV too: their iterative M-steps carry state from the previous covariances.
  for (const covarianceType of [...SKLEARN_COVARIANCE_TYPES, 'EVE' as const, 'VEV' as const]) {
    it(`${covarianceType}: same parameters, lower bounds, nIter and converged`, async () => {
      const { streamed, inMemory } = await streamedVsInMemory(covarianceType, 'cpu', null);
      expect(inMemory.nIter).toBeGreaterThan(3);
      expect(streamed.nIter).toBe(inMemory.nIter);
      expect(streamed.converged).toBe(inMemory.converged);
      for (const [name, error] of Object.entries(modelErrors(streamed, inMemory)))
        expect(error, name).toBeLessThan(EXACT);
      streamed.lowerBounds.forEach((bound, i) =>
        expect(Math.abs(bound - (inMemory.lowerBounds[i] as number)) / Math.abs(bound)).toBeLessThan(EXACT),
      );
    });
  }

  it('with sample weights carried by the chunks (full)', async () => {
    const { streamed, inMemory } = await streamedVsInMemory('full', 'cpu', weights);
    expect(streamed.nIter).toBe(inMemory.nIter);
    for (const [name, error] of Object.entries(modelErrors(streamed, inMemory)))
      expect(error, name).toBeLessThan(EXACT);
  });

  it('with weights whose mean is far beyond 2^20: scaled by the same power of two as fit scales them', async () => {
    const huge = weights.map((w) => w * 2 ** 40);
    const { streamed, inMemory } = await streamedVsInMemory('diag', 'cpu', huge);
    expect(streamed.nIter).toBe(inMemory.nIter);
    for (const [name, error] of Object.entries(modelErrors(streamed, inMemory)))
      expect(error, name).toBeLessThan(EXACT);
  });

  it('kmeans init on a sample that holds the whole stream is the in-memory fit’s init (same seed)', async () => {
    const options = { nComponents: 3, covarianceType: 'tied', randomState: 42, backend: 'cpu', cpuThreads: 1 } as const;
    const inMemory = await new GaussianMixture(options).fit(X);
    const streamed = await new GaussianMixture(options).fit(chunked(1000), { sampleSize: N });
    expect(streamed.nIter).toBe(inMemory.nIter);
    for (const [name, error] of Object.entries(modelErrors(streamed, inMemory)))
      expect(error, name).toBeLessThan(EXACT);
  });

  it('number[][] chunks from an object re-iterable by [Symbol.asyncIterator], and a warm start continuing as fit does', async () => {
    const rows = Array.from({ length: N }, (_, i) => Array.from(data.subarray(i * D, (i + 1) * D)));
    const source = {
      async *[Symbol.asyncIterator](): AsyncGenerator<ChunkInput> {
        for (let start = 0; start < N; start += 1500) yield rows.slice(start, start + 1500);
      },
    };
    const options = {
      nComponents: 2,
      covarianceType: 'diag',
      randomState: 9,
      backend: 'cpu',
      cpuThreads: 1,
      maxIter: 3,
      warmStart: true,
    } as const;
    const inMemory = new GaussianMixture(options);
    const streamed = new GaussianMixture(options);
    await inMemory.fit(X);
    await streamed.fit(source, { sampleSize: N });
    await inMemory.fit(X); // continues from the first fit's model and lower bound
    await streamed.fit(source);
    expect(streamed.nIter).toBe(inMemory.nIter);
    expect(streamed.converged).toBe(inMemory.converged);
    for (const [name, error] of Object.entries(modelErrors(streamed, inMemory)))
      expect(error, name).toBeLessThan(EXACT);
  });
});

describe('streamed EM on WebGPU in Node', () => {
  it('matches the in-memory WebGPU fit within the float32 contract (each chunk is conditioned and summed on its own)', async (ctx) => {
    const reason = await webgpuUnavailable();
    if (reason !== null) ctx.skip(`no WebGPU adapter: ${reason}`);
    const { streamed, inMemory } = await streamedVsInMemory('full', 'webgpu', null);
    expect(streamed.backend).toMatch(/webgpu/);
    // Float32 sums per chunk about each chunk's own conditioning: not the last bits of the
    // in-memory pass, so the float32 contract of docs/webgpu.md (parameters 2e-3, lower bound 1e-4).
    const { lowerBound, ...params } = modelErrors(streamed, inMemory);
    expect(lowerBound).toBeLessThan(TOLERANCES.float32.logLik);
    for (const [name, error] of Object.entries(params)) expect(error, name).toBeLessThan(TOLERANCES.float32.params);
  });
});

describe('the reservoir sample is uniform', () => {
  it('every row is kept with probability m / N, whatever its position or chunk (chi-square over 20 bins, 300 fixed seeds)', async () => {
    const n = 2000;
    const m = 100;
    const bins = 20;
    const rows = Float64Array.from({ length: n }, (_, i) => i);
    // Chunks of uneven sizes, so that chunk boundaries cannot hide a bias.
    const source = async function* (): AsyncGenerator<Matrix> {
      let at = 0;
      for (const size of [1, 37, 400, 62, 1000, 500]) {
        yield { data: rows.subarray(at, at + size), rows: size, cols: 1 };
        at += size;
      }
    };
    const counts = new Float64Array(bins);
    const seeds = 300;
    const settings = { throwIfAborted: () => undefined, onChunk: null };
    for (let seed = 0; seed < seeds; seed++) {
      const scan = await scanStream(source, m, seed, settings);
      expect(scan.sample.rows).toBe(m);
      const kept = Array.from(scan.sample.data);
      expect(new Set(kept).size).toBe(m); // without replacement
      for (const row of kept)
        counts[Math.floor((row * bins) / n)] = (counts[Math.floor((row * bins) / n)] as number) + 1;
    }
    const expected = (seeds * m) / bins;
    let chiSquare = 0;
    for (const c of counts) chiSquare += (c - expected) ** 2 / expected;
    // 19 degrees of freedom: P(χ² > 43.8) = 0.001. A sampler that favours early or late rows scores far above.
    expect(chiSquare).toBeLessThan(43.8);
    // First and last bins alike (algorithm R's classic off-by-one shows here).
    expect(Math.abs((counts[0] as number) - (counts[bins - 1] as number))).toBeLessThan(6 * Math.sqrt(expected));
  });

  it('a stream no longer than the sample is kept whole, in order', async () => {
    const scan = await scanStream(chunked(1000), N, 1, { throwIfAborted: () => undefined, onChunk: null });
    expect(scan.sample.rows).toBe(N);
    expect(Array.from(scan.sample.data)).toEqual(Array.from(data));
  });
});

describe('bad sources and chunks', () => {
  const gm = (): GaussianMixture =>
    new GaussianMixture({ nComponents: 2, backend: 'cpu', cpuThreads: 1, randomState: 0 });
  const rejects = async (source: Parameters<GaussianMixture['fit']>[0], pattern: RegExp): Promise<void> => {
    const error: unknown = await gm()
      .fit(source as never)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EmgpuInputError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message.split(/(?<=[.;])\s+(?=[A-Z])/).length).toBe(1);
  };

  it('a chunk with another column count names the chunk', async () => {
    await rejects(async function* () {
      yield { data: new Float64Array(6), rows: 3, cols: 2 };
      yield { data: new Float64Array(9), rows: 3, cols: 3 };
    }, /^chunk 1 \(0-based; its row 0 is row 3 of the stream\) has 3 columns but the chunks before it have 2/);
  });

  it('NaN names the chunk, the row and the column', async () => {
    await rejects(async function* () {
      yield [
        [1, 2],
        [3, 4],
        [5, 6],
      ];
      yield [
        [1, 2],
        [3, Number.NaN],
      ];
    }, /^chunk 1 \(0-based; its row 0 is row 3 of the stream\) row 1, column 1 is NaN/);
  });

  it('a negative weight names the chunk and row; weights on some chunks only are refused', async () => {
    await rejects(async function* () {
      yield { data: new Float64Array(6), rows: 3, cols: 2, sampleWeight: [1, -1, 1] };
    }, /chunk 0 .*row 1: the sample weight is -1/);
    await rejects(async function* () {
      yield { data: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2, sampleWeight: [1, 1, 1] };
      yield { data: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };
    }, /chunk 1 .* has no sampleWeight but the chunks before it have/);
  });

  it('a generator object (readable once) is refused on its second pass, saying to pass a function', async () => {
    const once = (async function* () {
      yield { data, rows: N, cols: D };
    })();
    await rejects(once, /^Pass 2 over the chunk source gave 0 rows but pass 1 gave 4000; .*pass a function/);
  });

  it('an empty source, and fewer rows than components', async () => {
    await rejects(async function* () {}, /gave no rows/);
    await rejects(async function* () {
      yield [[1, 2]];
    }, /has 1 rows but nComponents is 2/);
  });

  it('fit options of a matrix (sampleWeight) are refused for a source, and the Bayesian mixture refuses a source', async () => {
    const error = await gm()
      .fit(chunked(1000), { sampleWeight: [1] } as never)
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/each chunk carries its sampleWeight/);
    const bayes = await new BayesianGaussianMixture({ nComponents: 2, backend: 'cpu' })
      .fit(chunked(1000))
      .catch((e: unknown) => e);
    expect(bayes).toBeInstanceOf(EmgpuInputError);
    expect((bayes as Error).message).toMatch(/BayesianGaussianMixture cannot fit a chunk source/);
  });

  it('an abort in the middle of a pass stops the fit with an AbortError, and the model stays unfitted', async () => {
    const controller = new AbortController();
    const model = new GaussianMixture({
      nComponents: 3,
      backend: 'cpu',
      cpuThreads: 1,
      randomState: 0,
      tol: 0,
      maxIter: 50,
      signal: controller.signal,
    });
    let chunksSeen = 0;
    const error = await model
      .fit(chunked(500), {
        onChunk: (p) => {
          chunksSeen++;
          if (p.phase === 'em' && p.iteration === 3 && p.chunks === 2) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(chunksSeen).toBe(8 + 2 * 8 + 2); // the scan, two EM passes, two chunks of the third
    expect(model.isFitted).toBe(false);
  });
});
