// A CPU engine worker (Node worker_threads or a browser Web Worker). It holds shared views of
// the data and computes whole blocks of partial statistics into a shared output array.

import { BLOCK_ROWS, blockScratch, runBlockTask, taskComponents } from './blocks.ts';
import type { RowSource } from './accumulate.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';
import { InternalError } from '../errors.ts';

interface Port {
  postMessage(message: WorkerReply): void;
}

const sources = new Map<number, { source: RowSource; rows: number }>();

function handle(message: WorkerRequest, port: Port): void {
  switch (message.type) {
    case 'load':
      sources.set(message.id, {
        source: { data: message.data, cols: message.cols, weights: message.weights },
        rows: message.rows,
      });
      return;
    case 'unload':
      sources.delete(message.id);
      return;
    case 'run': {
      try {
        const entry = sources.get(message.id);
        if (entry === undefined) throw new InternalError(`worker has no data ${message.id}`);
        const scratch = blockScratch(taskComponents(message.task), entry.source.cols);
        for (let b = message.firstBlock; b < message.endBlock; b++) {
          const start = b * BLOCK_ROWS;
          const end = Math.min(entry.rows, start + BLOCK_ROWS);
          const at = (b - message.outBlock) * message.size;
          const out = message.out.subarray(at, at + message.size);
          out.fill(0);
          runBlockTask(message.task, entry.source, start, end, scratch, out);
        }
        port.postMessage({ job: message.job });
      } catch (error) {
        port.postMessage({ job: message.job, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  typeof (globalThis as { document?: unknown }).document === 'undefined' &&
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined';

if (isNode) {
  // No top-level await: a bundler that rebuilds this worker as a classic script (Vite's default
  // worker format, 'iife', in a project importing emgpu) refuses one. Messages wait in the port
  // until the listener is attached.
  void import(/* @vite-ignore */ ['node', 'worker_threads'].join(':')).then(
    ({ parentPort }: typeof import('node:worker_threads')) => {
      const port = parentPort as NonNullable<typeof parentPort>;
      port.on('message', (message: WorkerRequest) => handle(message, port));
    },
  );
} else {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
    postMessage(message: WorkerReply): void;
  };
  scope.onmessage = (event) => handle(event.data, scope);
}
