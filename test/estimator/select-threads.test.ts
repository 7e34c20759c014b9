// selectModel's cells on worker threads (src/select-pool.ts): the table and the best model are
// bit for bit those of the calling thread alone (cpuThreads 1), over several models, K and
// strategies, with and without sample weights; an abort mid-grid rejects with an AbortError, a
// worker that dies rejects with a clear error (one that fails to start leaves the cells to the
// calling thread), and later calls work.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IllDefinedCovarianceError } from '../../src/model/covariance.ts';
import type { CovarianceType } from '../../src/options.ts';
import { availableCores, releaseBackends } from '../../src/select-backend.ts';
import { selectModel, type SelectModelOptions, type SelectionResult } from '../../src/select-model.ts';
import { releaseSelectWorkers, selectWorkerJobs, setSelectWorkerTesting } from '../../src/select-pool.ts';

// Every call waits for its workers to start, so that they take cells however small the grid.
beforeAll(() => setSelectWorkerTesting({ waitForWorkers: true }));
afterAll(async () => {
  setSelectWorkerTesting({ waitForWorkers: false });
  await releaseBackends();
});

const X = readFileSync(new URL('../../data/iris.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));
const TYPES: CovarianceType[] = ['EII', 'VII', 'EEE', 'VEV', 'VVV', 'diag'];
const base: SelectModelOptions = { nComponents: [1, 2, 3, 4], covarianceTypes: TYPES, randomState: 3, backend: 'cpu' };

/** The table without the timings, which are all that may differ. */
const cellsOf = (result: SelectionResult) => result.table.map(({ seconds: _seconds, ...row }) => row);

/** Skips (saying why) where this machine has one core: the workers need two threads. */
async function needTwoCores(ctx: { skip: (note: string) => void }): Promise<void> {
  const cores = await availableCores();
  if (cores < 2) ctx.skip(`one core here (${cores}): selectModel runs no worker threads`);
}

describe('selectModel on worker threads', () => {
  it.for([
    ['hc+best', {}],
    ['hc+emEM with sample weights', { strategy: 'hc+emEM', sampleWeight: X.map((_, i) => 0.5 + (i % 3)) }],
    ['emEM, criterion icl', { strategy: 'emEM', criterion: 'icl' }],
  ] as const)('%s: the same table and best model as on one thread', async ([, extra], ctx) => {
    await needTwoCores(ctx);
    const options: SelectModelOptions = { ...base, ...extra };
    const alone = await selectModel(X, { ...options, cpuThreads: 1 });
    const jobs = selectWorkerJobs();
    const progress: number[] = [];
    const threaded = await selectModel(X, { ...options, cpuThreads: 2, onProgress: (p) => progress.push(p.done) });
    // The workers took cells (both runs are real), and onProgress came once per cell, in order.
    expect(selectWorkerJobs()).toBeGreaterThan(jobs);
    expect(progress).toEqual(Array.from({ length: TYPES.length * 4 }, (_, i) => i + 1));
    expect(cellsOf(threaded)).toStrictEqual(cellsOf(alone));
    expect(threaded.bestRow).toStrictEqual(threaded.table[threaded.table.indexOf(threaded.bestRow)]);
    expect({ ...threaded.bestRow, seconds: 0 }).toStrictEqual({ ...alone.bestRow, seconds: 0 });
    // The best model: the same parameters and fit state, and it predicts and scores as the other.
    const [a, b] = [alone.best, threaded.best];
    // (The engine it records is the calling thread's: its description names its thread count.)
    expect(b.toJSON()).toStrictEqual({ ...a.toJSON(), backend: 'cpu (2 threads)' });
    expect([b.lowerBound, b.nIter, b.converged]).toStrictEqual([a.lowerBound, a.nIter, a.converged]);
    expect(Array.from(await b.predict(X))).toStrictEqual(Array.from(await a.predict(X)));
    expect(await b.score(X)).toBe(await a.score(X));
    expect(b.options.tol).toBe(a.options.tol);
    expect(b.options.nInit).toBe(a.options.nInit);
  });

  it("a cell whose every start fails rejects as on one thread (the fit's own error)", async (ctx) => {
    await needTwoCores(ctx);
    // Rounded data with few distinct values: at regCovar 0 every start has a singular group.
    const rounded = Array.from({ length: 60 }, (_, i) => [i % 4, (i * 7) % 3, i < 30 ? 0 : 1]);
    const options: SelectModelOptions = {
      ...base,
      nComponents: [1, 2, 3, 4, 5],
      covarianceTypes: ['VVV', 'EEE', 'VII'],
      regCovar: 0,
      strategy: 'hc+emEM',
    };
    const failure = /ill-defined empirical covariance/;
    await expect(selectModel(rounded, { ...options, cpuThreads: 1 })).rejects.toThrow(IllDefinedCovarianceError);
    const jobs = selectWorkerJobs();
    const threaded = selectModel(rounded, { ...options, cpuThreads: 2 });
    await expect(threaded).rejects.toThrow(IllDefinedCovarianceError);
    await expect(threaded).rejects.toThrow(failure);
    expect(selectWorkerJobs()).toBeGreaterThan(jobs);
  });

  it('an abort mid-grid rejects with an AbortError, and a later call works', async (ctx) => {
    await needTwoCores(ctx);
    const controller = new AbortController();
    const run = selectModel(X, {
      ...base,
      cpuThreads: 2,
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done === 5) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const later = await selectModel(X, { ...base, nComponents: [1, 2], cpuThreads: 2 });
    expect(later.table).toHaveLength(TYPES.length * 2);
  });

  describe('a worker that fails', () => {
    afterEach(() => {
      setSelectWorkerTesting({ script: null });
      delete process.env.EMGPU_SELECT_FAULT;
      releaseSelectWorkers();
    });

    it('exits on its first job: selectModel rejects with a clear error, and later calls work', async (ctx) => {
      await needTwoCores(ctx);
      releaseSelectWorkers(); // fresh workers, from the failing script
      process.env.EMGPU_SELECT_FAULT = 'exit';
      setSelectWorkerTesting({ script: new URL('../helpers/failing-select-worker.js', import.meta.url) });
      await expect(selectModel(X, { ...base, cpuThreads: 2 })).rejects.toThrow(
        /selectModel worker thread exited unexpectedly \(exit code 3\)/,
      );
      setSelectWorkerTesting({ script: null });
      const later = await selectModel(X, { ...base, nComponents: [1, 2], cpuThreads: 2 });
      expect(later.table).toHaveLength(TYPES.length * 2);
    });

    it('fails as it starts: the calling thread fits every cell, with the same results', async (ctx) => {
      await needTwoCores(ctx);
      releaseSelectWorkers();
      process.env.EMGPU_SELECT_FAULT = 'throw';
      setSelectWorkerTesting({ script: new URL('../helpers/failing-select-worker.js', import.meta.url) });
      const jobs = selectWorkerJobs();
      const threaded = await selectModel(X, { ...base, cpuThreads: 2 });
      expect(selectWorkerJobs()).toBe(jobs);
      setSelectWorkerTesting({ script: null });
      const alone = await selectModel(X, { ...base, cpuThreads: 1 });
      expect(cellsOf(threaded)).toStrictEqual(cellsOf(alone));
    });
  });
});
