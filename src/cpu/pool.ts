// Worker threads for the CPU engine. Rows are split into the engine's fixed blocks; each
// worker computes a contiguous range of whole blocks and writes each block's partial
// statistics into a shared array, which the engine then sums in block order, so the result
// is bit-identical for any thread count. Data is shared through SharedArrayBuffer (copied
// once per fit unless the caller's array already lives in one).

import type { MomentKind } from '../backend.ts';
import type { KernelParams } from '../model/params.ts';
import type { Moments } from './kernels.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

export type BlockTask =
  | { readonly kind: 'estep'; readonly params: KernelParams; readonly moments: MomentKind }
  | { readonly kind: 'assign'; readonly centers: Float64Array; readonly k: number; readonly moments: Moments }
  | { readonly kind: 'random'; readonly seed: number; readonly k: number; readonly shifts: Float64Array; readonly moments: MomentKind };

export interface SharedRows {
  readonly data: Float64Array | Float32Array;
  readonly weights: Float64Array | null;
  /** Tells the workers to drop their views of this data. */
  readonly release: () => void;
}

export interface WorkerPool {
  readonly threads: number;
  /** Makes the data visible to every worker (SharedArrayBuffer; one copy unless already shared). */
  share(data: Float64Array | Float32Array, weights: Float64Array | null, cols: number): Promise<SharedRows & { id: number }>;
  /** Runs the task over blocks [0, blocks) of data `id`; returns blocks × size partials. */
  run(id: number, task: BlockTask, blocks: number, size: number): Promise<Float64Array>;
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
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof (globalThis as { document?: unknown }).document === 'undefined';
}

async function spawnWorkers(threads: number, onReply: (reply: WorkerReply) => void, onError: (error: Error) => void): Promise<AnyWorker[]> {
  const workers: AnyWorker[] = [];
  if (isNodeRuntime()) {
    // Imported by a computed name so browser bundles keep no Node specifier.
    const { Worker } = (await import(/* @vite-ignore */ ['node', 'worker_threads'].join(':'))) as typeof import('node:worker_threads');
    const here = import.meta.url;
    // From the sources this file is src/cpu/pool.ts; from the library bundle, dist/emgpu.js.
    const script = here.endsWith('/dist/emgpu.js') ? new URL(['..', 'src', 'cpu', 'node-worker.js'].join('/'), here) : new URL(['.', 'node-worker.js'].join('/'), here);
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(script);
      worker.on('message', onReply);
      worker.on('error', onError);
      worker.unref();
      workers.push(worker);
    }
    return workers;
  }
  for (let t = 0; t < threads; t++) {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerReply>) => onReply(event.data);
    worker.onerror = (event) => onError(new Error(event.message || 'a CPU worker failed to start'));
    workers.push(worker);
  }
  return workers;
}

/** A pool of `threads` workers, or null where shared memory or workers are unavailable. */
export async function createWorkerPool(threads: number): Promise<WorkerPool | null> {
  if (!canShareMemory()) return null;
  if (!isNodeRuntime() && typeof Worker === 'undefined') return null;
  let nextJob = 1;
  let nextId = 1;
  let failure: Error | null = null;
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  const onReply = (reply: WorkerReply): void => {
    const waiter = pending.get(reply.job);
    if (waiter === undefined) return;
    pending.delete(reply.job);
    if (reply.error === undefined) waiter.resolve();
    else waiter.reject(new Error(`CPU worker failed: ${reply.error}`));
  };
  const onError = (error: Error): void => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  const workers = await spawnWorkers(threads, onReply, onError);

  return {
    threads,
    async share(data, weights, cols) {
      const id = nextId++;
      const sharedData = sharedCopy(data);
      const sharedWeights = weights === null ? null : sharedCopy(weights);
      const rows = data.length / cols;
      for (const worker of workers) worker.postMessage({ type: 'load', id, data: sharedData, weights: sharedWeights, cols, rows });
      return {
        id,
        data: sharedData,
        weights: sharedWeights,
        release: () => {
          for (const worker of workers) worker.postMessage({ type: 'unload', id });
        },
      };
    },
    async run(id, task, blocks, size) {
      if (failure !== null) throw failure;
      const out = new Float64Array(new SharedArrayBuffer(blocks * size * 8));
      const used = Math.min(workers.length, blocks);
      const jobs: Promise<void>[] = [];
      for (let t = 0; t < used; t++) {
        const firstBlock = Math.floor((t * blocks) / used);
        const endBlock = Math.floor(((t + 1) * blocks) / used);
        const job = nextJob++;
        jobs.push(new Promise<void>((resolve, reject) => pending.set(job, { resolve, reject })));
        (workers[t] as AnyWorker).postMessage({ type: 'run', id, job, task, firstBlock, endBlock, size, out });
      }
      // Idle Node workers are unref'd so they never keep a process alive; a running job must.
      for (const worker of workers) worker.ref?.();
      try {
        await Promise.all(jobs);
      } finally {
        for (const worker of workers) worker.unref?.();
      }
      return out;
    },
    dispose() {
      for (const worker of workers) void worker.terminate();
      workers.length = 0;
    },
  };
}
