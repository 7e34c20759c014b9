// The page's side of demo/fit-worker.ts: one job at a time, its streamed messages, and Stop.

import { stoppedError, type FromWorker, type JobRequest } from './protocol.ts';

type Handler = (message: FromWorker) => void;
type Final<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;
/** A job request before the client numbers it. */
export type JobWithoutId = JobRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** A job that ended with the worker's 'error' message (name and message as thrown there). */
class JobError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface WorkerEvents {
  /** Told when the worker fails to start or crashes. */
  readonly onCrash: (message: string) => void;
  /** Called after Stop had to replace the worker: the new one holds no data yet. */
  readonly onRestart: () => void;
}

/** How long Stop waits for the worker to notice before replacing it. */
const STOP_GRACE_MS = 4000;

export class FitWorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly handlers = new Map<number, Handler>();
  private current: { id: number; reject: (e: Error) => void } | null = null;
  private stopTimer: number | undefined;
  /**
   * A shared cell the worker's fits poll, so Stop works even while a CPU fit never yields to
   * the worker's event loop (needs cross-origin isolation for SharedArrayBuffer).
   */
  private readonly stopFlag =
    typeof SharedArrayBuffer !== 'undefined' && self.crossOriginIsolated
      ? new Int32Array(new SharedArrayBuffer(4))
      : null;

  /** Answers awaited for 'row-proba' queries, which run beside the job (numbered apart from jobs). */
  private readonly queries = new Map<number, (probabilities: number[] | null) => void>();
  private nextQuery = 1;

  private events: WorkerEvents = { onCrash: () => {}, onRestart: () => {} };

  start(events: WorkerEvents = this.events): void {
    this.events = events;
    const worker = new Worker(new URL('./fit-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === 'row-proba') {
        this.queries.get(message.id)?.(message.probabilities);
        this.queries.delete(message.id);
      } else this.handlers.get(message.id)?.(message);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.events.onCrash(`The fit worker failed: ${event.message || 'it could not start'}.`);
      this.current?.reject(new Error('The fit worker failed.'));
    };
    if (this.stopFlag !== null) worker.postMessage({ type: 'stop-flag', flag: this.stopFlag });
    this.worker = worker;
  }

  /** Sends one job; `onMessage` sees its streamed messages; resolves with the final one. */
  run<T extends FromWorker['type']>(
    request: JobWithoutId,
    done: T,
    onMessage: Handler = () => {},
    transfer: Transferable[] = [],
  ): Promise<Final<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.current = { id, reject };
      this.handlers.set(id, (message) => {
        if (message.type === done) {
          this.finish(id);
          resolve(message as Final<T>);
        } else if (message.type === 'error') {
          this.finish(id);
          reject(new JobError(message.name, message.message));
        } else {
          onMessage(message);
        }
      });
      if (this.stopFlag !== null) Atomics.store(this.stopFlag, 0, 0);
      this.requireWorker().postMessage({ ...request, id }, transfer);
    });
  }

  /** One row's membership probabilities under the worker's last fitted model (null: none). */
  rowProbabilities(row: number): Promise<number[] | null> {
    const id = this.nextQuery++;
    return new Promise((resolve) => {
      this.queries.set(id, resolve);
      this.requireWorker().postMessage({ type: 'row-proba', id, row });
    });
  }

  /**
   * Asks the running job to stop. A worker that cannot see the shared flag (no cross-origin
   * isolation) and is busy in a long synchronous pass is replaced after a grace period; the
   * job then rejects with an AbortError and `onRestart` reloads the data.
   */
  stop(): void {
    const job = this.current;
    if (job === null) return;
    if (this.stopFlag !== null) Atomics.store(this.stopFlag, 0, 1);
    this.requireWorker().postMessage({ type: 'stop', id: job.id });
    window.clearTimeout(this.stopTimer);
    this.stopTimer = window.setTimeout(() => {
      if (this.current?.id !== job.id) return;
      this.requireWorker().terminate();
      this.finish(job.id);
      for (const answer of this.queries.values()) answer(null);
      this.queries.clear();
      this.start();
      job.reject(stoppedError());
      this.events.onRestart();
    }, STOP_GRACE_MS);
  }

  private finish(id: number): void {
    this.handlers.delete(id);
    if (this.current?.id === id) this.current = null;
  }

  private requireWorker(): Worker {
    if (this.worker === null) throw new Error('The fit worker was not started.');
    return this.worker;
  }
}

/** The page's one fit worker. */
export const fitWorker = new FitWorkerClient();
