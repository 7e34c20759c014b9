// Worker threads for the CPU engine. Rows are split into the engine's fixed blocks; each
// worker computes a contiguous range of whole blocks and writes each block's partial
// statistics into a shared array, which the engine then sums in block order, so the result
// is bit-identical for any thread count. Data is shared through SharedArrayBuffer (copied
// once per load unless the caller's array already lives in one).
//
// Every call settles: a job whose worker dies (throws, exits, fails to start) rejects, and
// the pool starts fresh workers for the next call (re-sharing the data still loaded);
// dispose() rejects what is running with an AbortError. Node workers keep the process alive
// only while a job runs.

import type { BlockTask } from './blocks.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';
import { engineReleased } from '../errors.ts';

export interface SharedRows {
  readonly id: number;
  readonly data: Float64Array | Float32Array;
  readonly weights: Float64Array | null;
  /** Tells the workers to drop their views of this data. Idempotent. */
  readonly release: () => void;
}

export interface WorkerPool {
  readonly threads: number;
  /** Makes the data visible to every worker (SharedArrayBuffer; one copy unless already shared). */
  share(data: Float64Array | Float32Array, weights: Float64Array | null, cols: number): SharedRows;
  /**
   * Runs the task over blocks [firstBlock, endBlock) of data `id`; returns one partial of
   * `size` numbers per block, in block order.
   */
  run(id: number, task: BlockTask, firstBlock: number, endBlock: number, size: number): Promise<Float64Array>;
  /** Terminates the workers; running jobs reject with an AbortError. */
  dispose(): void;
}

/** The handful of Worker methods both Node's worker_threads and browsers provide. */
interface AnyWorker {
  postMessage(message: WorkerRequest): void;
  terminate(): unknown;
  /** Node only: whether the worker keeps the event loop alive. */
  ref?(): void;
  unref?(): void;
}

type LoadMessage = Extract<WorkerRequest, { type: 'load' }>;

function sharedCopy<T extends Float64Array | Float32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Ctor = array.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const copy = new Ctor(new SharedArrayBuffer(array.length * Ctor.BYTES_PER_ELEMENT));
  copy.set(array);
  return copy;
}

function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated !== false;
}

function isNodeRuntime(): boolean {
  return (
    typeof process !== 'undefined' &&
    typeof process.versions?.node === 'string' &&
    typeof (globalThis as { document?: unknown }).document === 'undefined'
  );
}

interface Events {
  reply(reply: WorkerReply): void;
  /** The worker failed or exited; `expected` is false for anything but our own terminate(). */
  failed(worker: AnyWorker, error: Error): void;
}

type Spawner = (threads: number, events: Events) => Promise<AnyWorker[]>;

/**
 * A worker's young generation, in MiB (Node's default grows to 48 over a fit). A worker keeps
 * nothing between runs but its shared views, and a run allocates only its scratch: a small young
 * generation costs it no time and saves the process ~7 MiB per worker.
 */
const WORKER_YOUNG_GENERATION_MB = 2;

async function nodeSpawner(workerScript: URL | null): Promise<Spawner> {
  // Imported by a computed name so browser bundles keep no Node specifier.
  const { Worker } = (await import(
    /* @vite-ignore */ ['node', 'worker_threads'].join(':')
  )) as typeof import('node:worker_threads');
  // node-worker.js next to this code: from the sources (src/cpu/pool.ts) the bootstrap that
  // runs worker.ts through tsx; from a build (dist/emgpu.js, or the CLI's dist/*.js) the built
  // worker dist/node-worker.js (`vite build --mode node`). The name is built at run time so
  // that bundlers leave it alone.
  const script = workerScript ?? new URL(['.', 'node-worker.js'].join('/'), import.meta.url);
  return async (threads, events) => {
    const workers: AnyWorker[] = [];
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      worker.on('message', (reply: WorkerReply) => events.reply(reply));
      worker.on('error', (error: Error) =>
        events.failed(worker, new Error(`a CPU worker thread failed: ${error.message}`)),
      );
      worker.on('exit', (code: number) =>
        events.failed(worker, new Error(`a CPU worker thread exited unexpectedly (exit code ${code})`)),
      );
      worker.unref();
      workers.push(worker);
    }
    return workers;
  };
}

function browserSpawner(): Spawner {
  return async (threads, events) => {
    const workers: AnyWorker[] = [];
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<WorkerReply>) => events.reply(event.data);
      worker.onerror = (event) =>
        events.failed(worker, new Error(`a CPU Web Worker failed: ${event.message || 'it could not start'}`));
      worker.onmessageerror = () =>
        events.failed(worker, new Error('a CPU Web Worker received a message it could not read'));
      workers.push(worker);
    }
    return workers;
  };
}

export interface WorkerPoolOptions {
  /** Node: the worker's entry script (tests inject faults through it); default node-worker.js. */
  readonly workerScript?: URL;
}

/** A pool of `threads` workers, or null where shared memory or workers are unavailable. */
export async function createWorkerPool(threads: number, options: WorkerPoolOptions = {}): Promise<WorkerPool | null> {
  if (!canShareMemory()) return null;
  const node = isNodeRuntime();
  if (!node && typeof Worker === 'undefined') return null;
  const spawn = node ? await nodeSpawner(options.workerScript ?? null) : browserSpawner();

  let workers: AnyWorker[] | null = null;
  let starting: Promise<AnyWorker[]> | null = null;
  let disposed = false;
  let nextJob = 1;
  let nextId = 1;
  let running = 0;
  /** Workers we terminated ourselves: their exit is not a failure. */
  const retired = new WeakSet<AnyWorker>();
  const loaded = new Map<number, LoadMessage>();
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  const rejectAll = (error: Error): void => {
    const waiters = [...pending.values()];
    pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  };
  const retire = (list: AnyWorker[]): void => {
    for (const worker of list) {
      retired.add(worker);
      void worker.terminate();
    }
  };
  const events: Events = {
    reply(reply) {
      const waiter = pending.get(reply.job);
      if (waiter === undefined) return;
      pending.delete(reply.job);
      if (reply.error === undefined) waiter.resolve();
      else waiter.reject(new Error(`CPU worker failed: ${reply.error}`));
    },
    failed(worker, error) {
      if (retired.has(worker)) return;
      // Every running job spans all workers: fail them all, and start afresh next time.
      if (workers !== null) retire(workers);
      workers = null;
      rejectAll(error);
    },
  };

  /** The live workers, started (and given the loaded data) when needed. */
  const ready = async (): Promise<AnyWorker[]> => {
    if (disposed) throw engineReleased('CPU', 'before');
    if (workers !== null) return workers;
    starting ??= spawn(threads, events).then(
      (list) => {
        starting = null;
        if (disposed) {
          retire(list);
          throw engineReleased('CPU', 'starting');
        }
        for (const message of loaded.values()) for (const worker of list) worker.postMessage(message);
        if (running > 0) for (const worker of list) worker.ref?.();
        workers = list;
        return list;
      },
      (error: unknown) => {
        starting = null;
        throw error;
      },
    );
    return starting;
  };

  return {
    threads,
    share(data, weights, cols) {
      const id = nextId++;
      const sharedData = sharedCopy(data);
      const sharedWeights = weights === null ? null : sharedCopy(weights);
      const message: LoadMessage = {
        type: 'load',
        id,
        data: sharedData,
        weights: sharedWeights,
        cols,
        rows: data.length / cols,
      };
      loaded.set(id, message);
      if (workers !== null) for (const worker of workers) worker.postMessage(message);
      return {
        id,
        data: sharedData,
        weights: sharedWeights,
        release: () => {
          if (!loaded.delete(id)) return;
          if (workers !== null) for (const worker of workers) worker.postMessage({ type: 'unload', id });
        },
      };
    },
    async run(id, task, firstBlock, endBlock, size) {
      if (!loaded.has(id)) throw new Error('This data was released (dispose() was called); load it again.');
      running++;
      if (running === 1) for (const worker of workers ?? []) worker.ref?.();
      try {
        const list = await ready();
        const blocks = endBlock - firstBlock;
        const out = new Float64Array(new SharedArrayBuffer(blocks * size * 8));
        const used = Math.min(list.length, blocks);
        const jobs: Promise<void>[] = [];
        for (let t = 0; t < used; t++) {
          const job = nextJob++;
          jobs.push(new Promise<void>((resolve, reject) => pending.set(job, { resolve, reject })));
          const message: WorkerRequest = {
            type: 'run',
            id,
            job,
            task,
            firstBlock: firstBlock + Math.floor((t * blocks) / used),
            endBlock: firstBlock + Math.floor(((t + 1) * blocks) / used),
            outBlock: firstBlock,
            size,
            out,
          };
          (list[t] as AnyWorker).postMessage(message);
        }
        await Promise.all(jobs);
        return out;
      } finally {
        running--;
        // Idle Node workers are unref'd so they never keep a process alive.
        if (running === 0) for (const worker of workers ?? []) worker.unref?.();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (workers !== null) retire(workers);
      workers = null;
      loaded.clear();
      rejectAll(engineReleased('CPU', 'running'));
    },
  };
}
