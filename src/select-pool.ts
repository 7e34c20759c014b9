// selectModel's worker threads (Node only): each holds a copy of the rows and weights, sent once,
// and fits one cell at a time with the code of src/select-cell.ts (src/select-thread.ts), so a
// cell's fit is bit-identical to the calling thread's. The fitted model comes back as its JSON
// and is rebuilt here (GaussianMixture.fromJSON, an exact round trip).
//
// Every job settles: a worker that dies (throws, exits) rejects its job and every later one with a
// SelectWorkerError, and its threads are terminated (workers that fail to start take no job, and
// the calling thread fits the cells); an abort of `signal`
// terminates the workers and rejects what is running with an AbortError. When selectModel
// settles, its healthy workers are kept for the next call (a worker starts in a few hundred
// milliseconds from the sources), unref'd so they never keep the process alive, and told to drop
// the rows; releaseBackends() terminates them.

import { GaussianMixture, type GaussianMixtureJSON } from './gaussian-mixture.ts';
import type { Matrix } from './matrix.ts';
import { BACKEND_CHOICES, DEFAULT_OPTIONS, type GaussianMixtureOptions } from './options.ts';
import { usesWorkerThreads } from './cpu/engine.ts';
import { AbortError, abortErrorOf, EmgpuInputError } from './errors.ts';
import { availableCores, onRelease, selectBackend } from './select-backend.ts';
import type { SelectModelOptions } from './select-model.ts';
import { IllDefinedCovarianceError } from './model/covariance.ts';
import type { Cell, CellSettings, Fit, Scores } from './select-cell.ts';

/** A worker thread failed (not a cell's fit): selectModel rejects with it. */
export class SelectWorkerError extends Error {
  override readonly name = 'SelectWorkerError';
}

/** The fit options of a fitted model that its JSON does not keep (see savedOptions in select-thread.ts). */
export type FitOptionsSnapshot = Pick<
  GaussianMixtureOptions,
  'tol' | 'convergence' | 'regCovar' | 'maxIter' | 'nInit' | 'initParams' | 'hcSubset' | 'randomState' | 'warmStart'
>;

export type SelectRequest =
  | {
      readonly type: 'init';
      readonly data: Float64Array | Float32Array;
      readonly rows: number;
      readonly cols: number;
      readonly weights: Float64Array | null;
      readonly settings: CellSettings;
    }
  | { readonly type: 'reset' }
  | {
      readonly type: 'job';
      readonly job: number;
      readonly op: 'grid' | 'refine' | 'polish';
      readonly cell: Cell;
      readonly model?: GaussianMixtureJSON;
      readonly tol?: number;
    };

export type SelectReply =
  | { readonly ready: true }
  | {
      readonly job: number;
      readonly fit: { json: GaussianMixtureJSON; scores: Scores; options: FitOptionsSnapshot; seconds: number };
    }
  | { readonly job: number; readonly error: { name: string; message: string } };

/** What runs a cell's fits: the calling thread, or one worker. */
export interface CellRunner {
  /** A worker: resolves when it has started and holds the rows (it takes no job before). */
  readonly ready?: Promise<void>;
  grid(cell: Cell): Promise<Fit>;
  refine(cell: Cell): Promise<Fit>;
  polish(cell: Cell, gm: GaussianMixture, tol: number): Promise<Fit>;
}

export interface SelectPool {
  /** One runner per worker. */
  readonly runners: CellRunner[];
  /** Terminates the workers; jobs still running reject. Idempotent. */
  close(): void;
}

let scriptOverride: URL | null = null;
let waitForWorkers = false;

/**
 * Tests: the workers' entry script (faults are injected through it; null for the default), and
 * whether a call waits for its workers to start before fitting (so that they surely take cells).
 */
export function setSelectWorkerTesting(testing: { script?: URL | null; waitForWorkers?: boolean }): void {
  if (testing.script !== undefined) scriptOverride = testing.script;
  if (testing.waitForWorkers !== undefined) waitForWorkers = testing.waitForWorkers;
}

/** Whether selectModel can run cells on worker threads here (Node's worker_threads). */
export function canUseSelectWorkers(): boolean {
  return (
    typeof process !== 'undefined' &&
    typeof process.versions?.node === 'string' &&
    typeof (globalThis as { document?: unknown }).document === 'undefined'
  );
}

/** An error of a cell's fit, as the worker reported it, with its class where selectModel tells it apart. */
function cellError(error: { name: string; message: string }): Error {
  if (error.name === 'EmgpuInputError') return new EmgpuInputError(error.message);
  if (error.name === 'AbortError') return new AbortError(error.message);
  if (error.name === 'IllDefinedCovarianceError') {
    const rebuilt = new IllDefinedCovarianceError(null);
    rebuilt.message = error.message;
    return rebuilt;
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

type NodeWorker = import('node:worker_threads').Worker;
type Waiter = { resolve: (fit: Fit) => void; reject: (error: Error) => void };

/** Worker threads, used by one selectModel call at a time. */
interface WorkerSet {
  readonly threads: NodeWorker[];
  /** Per thread: resolves when it has started (it takes no job before). */
  readonly ready: Array<Promise<void>>;
  readonly pending: Map<number, Waiter>;
  failure: Error | null;
  /** The current call's handling of a fitted reply. */
  onFit: (reply: Extract<SelectReply, { fit: unknown }>, waiter: Waiter) => void;
}

/** The workers kept between calls (unref'd, holding no rows). */
let idle: WorkerSet | null = null;
let nextJob = 1;

/** Tests: how many jobs the worker threads were given so far (that they ran at all). */
export function selectWorkerJobs(): number {
  return nextJob - 1;
}

/** Terminates the set and rejects what runs on it (once: the first failure is the set's). */
function fail(set: WorkerSet, error: Error): void {
  if (set.failure !== null) return;
  set.failure = error;
  if (idle === set) idle = null;
  for (const worker of set.threads) void worker.terminate();
  const waiters = [...set.pending.values()];
  set.pending.clear();
  for (const waiter of waiters) waiter.reject(error);
}

/** Terminates the workers kept between calls (releaseBackends()). */
export function releaseSelectWorkers(): void {
  if (idle !== null) fail(idle, new SelectWorkerError('the selectModel worker threads were released'));
}
onRelease(releaseSelectWorkers);

async function spawn(count: number): Promise<WorkerSet> {
  const { Worker } = (await import(
    /* @vite-ignore */ ['node', 'worker_threads'].join(':')
  )) as typeof import('node:worker_threads');
  // select-worker.js next to this code: from the sources the bootstrap that runs select-thread.ts
  // through tsx; from a build the built worker (`vite build --mode node`).
  const script = scriptOverride ?? new URL(['.', 'select-worker.js'].join('/'), import.meta.url);
  let failed: (error: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => {});
  const set: WorkerSet = { threads: [], ready: [], pending: new Map(), failure: null, onFit: () => {} };
  const failWith = (error: Error): void => {
    failed(error);
    fail(set, error);
  };
  for (let t = 0; t < count; t++) {
    const worker = new Worker(script);
    let started: () => void = () => {};
    const ready = Promise.race([new Promise<void>((resolve) => (started = resolve)), failure]);
    ready.catch(() => {}); // awaited only while a job is left
    worker.on('message', (reply: SelectReply) => {
      if ('ready' in reply) return started();
      const waiter = set.pending.get(reply.job);
      if (waiter === undefined) return;
      set.pending.delete(reply.job);
      if ('error' in reply) waiter.reject(cellError(reply.error));
      else set.onFit(reply, waiter);
    });
    worker.on('error', (error: Error) =>
      failWith(new SelectWorkerError(`a selectModel worker thread failed: ${error.message}`)),
    );
    worker.on('exit', (code: number) =>
      failWith(new SelectWorkerError(`a selectModel worker thread exited unexpectedly (exit code ${code})`)),
    );
    set.threads.push(worker);
    set.ready.push(ready);
  }
  return set;
}

/**
 * `workers` worker threads (those kept from the last call, or new ones), each given the rows
 * once. `rebuild` are the options the returned models get besides those the worker's fit had
 * (backend, cpuThreads, signal), and `backendName` the engine's description they record (the
 * calling thread's engine).
 */
export async function startSelectPool(
  workers: number,
  matrix: Matrix,
  weights: Float64Array | null,
  settings: CellSettings,
  rebuild: GaussianMixtureOptions,
  backendName: string,
  signal: AbortSignal | null,
): Promise<SelectPool> {
  let set: WorkerSet;
  if (idle !== null && idle.threads.length === workers) {
    set = idle;
    idle = null;
  } else set = await spawn(workers);
  const { signal: _signal, ...plain } = settings.common;
  const init: SelectRequest = {
    type: 'init',
    data: matrix.data,
    rows: matrix.rows,
    cols: matrix.cols,
    weights,
    settings: { ...settings, common: plain },
  };
  set.onFit = (reply, waiter) => {
    const { json, scores, options, seconds } = reply.fit;
    try {
      const gm = GaussianMixture.fromJSON({ ...json, backend: backendName }, { ...rebuild, ...options });
      waiter.resolve({ gm, scores, seconds });
    } catch (error) {
      waiter.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  for (const worker of set.threads) {
    // While a call uses them, the workers keep the process alive (the call awaits their replies).
    worker.ref();
    worker.postMessage(init);
  }
  const onAbort = (): void => fail(set, abortErrorOf(signal, 'The model selection was aborted.'));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  if (waitForWorkers) await Promise.allSettled(set.ready);
  let closed = false;
  const runner = (worker: NodeWorker, ready: Promise<void>): CellRunner => {
    const post = (request: Omit<Extract<SelectRequest, { type: 'job' }>, 'type' | 'job'>): Promise<Fit> => {
      if (set.failure !== null) return Promise.reject(set.failure);
      if (closed) return Promise.reject(new SelectWorkerError('the selectModel worker threads were closed'));
      const job = nextJob++;
      const reply = new Promise<Fit>((resolve, reject) => set.pending.set(job, { resolve, reject }));
      worker.postMessage({ type: 'job', job, ...request } satisfies SelectRequest);
      return reply;
    };
    return {
      ready,
      grid: (cell) => post({ op: 'grid', cell }),
      refine: (cell) => post({ op: 'refine', cell }),
      polish: (cell, gm, tol) => post({ op: 'polish', cell, model: gm.toJSON(), tol }),
    };
  };
  return {
    runners: set.threads.map((worker, t) => runner(worker, set.ready[t] as Promise<void>)),
    close() {
      if (closed) return;
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      if (set.failure !== null) return;
      // Jobs still running (the call failed elsewhere), or workers kept already: terminated.
      if (set.pending.size > 0 || idle !== null) {
        fail(set, new SelectWorkerError('the selectModel worker threads were closed'));
        return;
      }
      set.onFit = () => {};
      for (const worker of set.threads) {
        worker.postMessage({ type: 'reset' } satisfies SelectRequest);
        worker.unref();
      }
      idle = set;
    },
  };
}

/**
 * Runs jobs 0 … count − 1 on the runners (once ready), each one job at a time, in order of index; no
 * runner takes another job once `stop()` holds or a job failed (the failure rejects).
 */
export async function drain<R extends { readonly ready?: Promise<void> }>(
  count: number,
  runners: readonly R[],
  job: (runner: R, index: number) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0;
  let failed = false;
  /** Resolves once every job is taken (or no more will be): a worker still starting then stops waiting. */
  let allTaken: () => void = () => {};
  const taken = new Promise<void>((resolve) => (allTaken = resolve));
  const lanes = runners.map(async (runner) => {
    // A worker still starting takes no job: the others take them meanwhile. One that failed to
    // start takes none at all (it lost none; a failure that loses a job rejects the call).
    if (runner.ready !== undefined) {
      try {
        await Promise.race([runner.ready, taken]);
      } catch {
        return;
      }
    }
    for (;;) {
      if (failed || stop() || next >= count) return;
      const index = next++;
      try {
        await job(runner, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  try {
    // Every lane that returns has taken its last job: then none is left for a lane still waiting.
    await Promise.all(lanes.map((lane) => lane.finally(allTaken)));
  } finally {
    allTaken();
  }
}

/** A macrotask's wait, so that the event loop takes the messages that arrived. */
const nextTask = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** The runner, each of its fits after a macrotask's wait. */
export function yielding(runner: CellRunner): CellRunner {
  return {
    grid: async (cell) => (await nextTask(), runner.grid(cell)),
    refine: async (cell) => (await nextTask(), runner.refine(cell)),
    polish: async (cell, gm, tol) => (await nextTask(), runner.polish(cell, gm, tol)),
  };
}

/**
 * How many worker threads fit cells beside the calling thread, and the CPU engine's description
 * the models record: cpuThreads (default all cores) threads in all, where the CPU engine runs
 * the fits (backend 'cpu', or 'auto' without a usable GPU), on data it would keep on one thread
 * (usesWorkerThreads), in Node. null: every cell on the calling thread.
 */
export async function workerPlan(
  options: SelectModelOptions,
  rows: number,
  cells: number,
): Promise<{ workers: number; backendName: string } | null> {
  const choice = options.backend ?? DEFAULT_OPTIONS.backend;
  const cpuThreads = options.cpuThreads ?? null;
  // Invalid options: the fits on this thread report them, as without workers.
  if (!BACKEND_CHOICES.includes(choice) || (cpuThreads !== null && !(Number.isInteger(cpuThreads) && cpuThreads >= 1)))
    return null;
  if (cells < 2 || choice === 'webgpu' || options.signal?.aborted || usesWorkerThreads(rows)) return null;
  if (!canUseSelectWorkers()) return null;
  const cores = await availableCores();
  const threads = Math.min(cpuThreads ?? cores, cores, cells);
  if (threads < 2) return null;
  const backend = await selectBackend(choice, cpuThreads);
  if (backend.kind !== 'cpu') return null;
  return { workers: threads - 1, backendName: backend.description };
}
