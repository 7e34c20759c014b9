// Every call settles, with the right result or a clear error, on the CPU engine: concurrent
// calls, a worker thread that dies mid-fit, releaseBackends() mid-fit, weights near underflow,
// more threads than cores, duplicate rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { GaussianMixture, releaseBackends, type Matrix } from '../../src/index.ts';
import { toDataset } from '../../src/matrix.ts';
import { Random } from '../../src/random.ts';

afterAll(() => releaseBackends());

/** Blobs, large enough that the 2-thread CPU engine shares them with its workers (> 8192 rows). */
function blobs(n: number, d: number, seed: number): Matrix {
  const random = new Random(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) data[i * d + a] = (i % 4) * 4 + random.nextGaussian() * (1 + 0.2 * a);
  return { data, rows: n, cols: d };
}

const X = blobs(30_000, 3, 1);
const Y = blobs(20_000, 3, 2);
const options = { nComponents: 4, backend: 'cpu' as const, cpuThreads: 2, randomState: 7, maxIter: 6, tol: 0 };

describe('concurrent calls', () => {
  it('fits, predicts and scores on one and on several estimators, all at once, give the sequential results', async () => {
    const sequential = async () => {
      const a = await new GaussianMixture(options).fit(X);
      const b = await new GaussianMixture({ ...options, covarianceType: 'diag' }).fit(Y);
      return { a, b, la: await a.predict(Y), sb: await b.score(X), pa: await a.predictProba(X) };
    };
    const expected = await sequential();
    const a = new GaussianMixture(options);
    const b = new GaussianMixture({ ...options, covarianceType: 'diag' });
    const c = new GaussianMixture(options);
    await Promise.all([a.fit(X), b.fit(Y), c.fit(X)]);
    const [la, sb, pa, la2, sc] = await Promise.all([
      a.predict(Y),
      b.score(X),
      a.predictProba(X),
      a.predict(Y),
      c.score(X),
    ]);
    expect(Array.from(a.means)).toEqual(Array.from(expected.a.means));
    expect(Array.from(c.means)).toEqual(Array.from(expected.a.means));
    expect(Array.from(b.covariances)).toEqual(Array.from(expected.b.covariances));
    expect(Array.from(la)).toEqual(Array.from(expected.la));
    expect(Array.from(la2)).toEqual(Array.from(expected.la));
    expect(sb).toBe(expected.sb);
    expect(sc).toBe(await expected.a.score(X));
    expect(Array.from(pa)).toEqual(Array.from(expected.pa));
  });
});

describe('concurrent calls in a process with nothing else to keep it alive', () => {
  it('all settle, with the sequential results', async () => {
    const script = new URL('../helpers/concurrent-fits.ts', import.meta.url).pathname;
    const runner = new URL('../../bin/run-ts.js', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [runner, script], { encoding: 'utf8', timeout: 120_000 });
    const result = JSON.parse(out.trim().split('\n').pop() as string) as {
      a: number[];
      b: number[];
      labels: number[];
      score: number;
    };
    const a = await new GaussianMixture(options).fit(X);
    const b = await new GaussianMixture({ ...options, covarianceType: 'diag' }).fit(Y);
    expect(result.a).toEqual(Array.from(a.means));
    expect(result.b).toEqual(Array.from(b.covariances));
    expect(result.labels).toEqual(Array.from((await a.predict(Y)).subarray(0, 20)));
    expect(result.score).toBe(await b.score(X));
  });
});

describe('worker threads that go away', () => {
  it('a worker that dies mid-fit rejects that fit with a message, and the next fit works', async () => {
    const marker = join(mkdtempSync(join(os.tmpdir(), 'emgpu-crash-')), 'crash');
    writeFileSync(marker, '');
    process.env.EMGPU_CRASH_MARKER = marker;
    const backend = await CpuBackend.create({
      threads: 2,
      workerScript: new URL('../helpers/crashing-worker.js', import.meta.url),
    });
    try {
      const data = await backend.load(toDataset(X, null));
      const params = (await new GaussianMixture({ ...options, maxIter: 1 }).fit(X)).params;
      await data.eStep(params, 'full');
      await expect(data.eStep(params, 'full')).rejects.toThrow(/CPU worker thread exited unexpectedly \(exit code 3\)/);
      // Fresh workers take over, with the data still loaded.
      const again = await data.eStep(params, 'full');
      const reference = await (
        await (await CpuBackend.create({ threads: 1 })).load(toDataset(X, null))
      ).eStep(params, 'full');
      expect(Array.from(again.sumOuter)).toEqual(Array.from(reference.sumOuter));
      data.dispose();
    } finally {
      delete process.env.EMGPU_CRASH_MARKER;
      backend.dispose();
    }
  });

  it('releaseBackends() during a fit rejects it with an AbortError, and later fits work', async () => {
    let released: Promise<void> | null = null;
    const gm = new GaussianMixture({
      ...options,
      maxIter: 50,
      onIteration: (info) => {
        if (info.iteration === 2) released = releaseBackends();
      },
    });
    await expect(gm.fit(X)).rejects.toMatchObject({
      name: 'AbortError',
      message: expect.stringMatching(/released \(releaseBackends\(\)\)/),
    });
    await released;
    expect(gm.isFitted).toBe(false);
    const later = await new GaussianMixture(options).fit(X);
    expect(later.nIter).toBe(6);
  });
});

describe('weights', () => {
  it.each([1e-14, 1e-320, 1e300])('uniform weights of %s fit as unweighted rows do', async (w) => {
    const plain = await new GaussianMixture({ ...options, cpuThreads: 1 }).fit(Y);
    const weighted = await new GaussianMixture({ ...options, cpuThreads: 1 }).fit(Y, {
      sampleWeight: new Float64Array(Y.rows).fill(w),
    });
    expect(weighted.converged).toBe(plain.converged);
    for (const [a, b] of [
      [weighted.means, plain.means],
      [weighted.covariances, plain.covariances],
      [weighted.weights, plain.weights],
    ] as const) {
      for (let i = 0; i < a.length; i++)
        expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(
          1e-12 * Math.max(1, Math.abs(b[i] as number)),
        );
    }
    expect(Math.abs(weighted.lowerBound - plain.lowerBound)).toBeLessThan(1e-12);
    // BIC counts the weights as given (Σw samples).
    const bic = await weighted.bic(Y, { sampleWeight: new Float64Array(Y.rows).fill(w) });
    expect(Number.isFinite(bic) || w === 1e-320).toBe(true);
  });
});

describe('threads', () => {
  it('cpuThreads above the core count is capped there, and says so', async () => {
    const cores = os.availableParallelism();
    const gm = await new GaussianMixture({ ...options, cpuThreads: cores + 62 }).fit(Y);
    expect(gm.backend).toBe(
      `cpu (${cores} thread${cores === 1 ? '' : 's'}): cpuThreads ${cores + 62} capped to the ${cores} cores here`,
    );
  });
});

describe('duplicate rows', () => {
  it('components left without weight are reported as a warning, as sklearn warns', async () => {
    const rows = Array.from({ length: 50 }, () => [1, 2]);
    const warnings: string[] = [];
    const gm = await new GaussianMixture({
      nComponents: 3,
      backend: 'cpu',
      randomState: 0,
      onWarning: (m) => warnings.push(m),
    }).fit(rows);
    expect(gm.warnings).toEqual(warnings);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^components 1, 2 of 3 ended with no weight: X has fewer distinct rows \(1\) than nComponents; lower nComponents/,
      ),
    ]);
    const fine = await new GaussianMixture({ nComponents: 3, backend: 'cpu', randomState: 0 }).fit(Y);
    expect(fine.warnings).toEqual([]);
  });
});
