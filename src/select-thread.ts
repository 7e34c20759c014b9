// A selectModel worker thread (Node worker_threads; src/select-pool.ts starts it): it receives the
// rows and the cell settings once, then fits one cell per job with src/select-cell.ts and replies
// with the fitted model's JSON and its scores.

import { GaussianMixture } from './gaussian-mixture.ts';
import { cellFitter, type CellFitter, type Fit } from './select-cell.ts';
import type { FitOptionsSnapshot, SelectReply, SelectRequest } from './select-pool.ts';

interface Port {
  postMessage(message: SelectReply): void;
}

let fitter: CellFitter | null = null;

/** The fit options a model's JSON does not keep, so that the calling thread rebuilds it as it was. */
function savedOptions(gm: GaussianMixture): FitOptionsSnapshot {
  const o = gm.options;
  return {
    tol: o.tol,
    convergence: o.convergence,
    regCovar: o.regCovar,
    maxIter: o.maxIter,
    nInit: o.nInit,
    initParams: o.initParams,
    hcSubset: o.hcSubset,
    randomState: o.randomState,
    warmStart: o.warmStart,
  };
}

async function run(message: Extract<SelectRequest, { type: 'job' }>): Promise<Fit> {
  if (fitter === null) throw new Error('the selectModel worker received a job before its data');
  if (message.op === 'grid') return fitter.fitCell(message.cell);
  if (message.op === 'refine') return fitter.fitFrom(message.cell, 'emEM');
  return fitter.continued(GaussianMixture.fromJSON(message.model), message.tol);
}

function handle(message: SelectRequest, port: Port): void {
  if (message.type === 'init') {
    const { data, rows, cols, weights, settings } = message;
    // The engine on this thread: the rows are few enough that it would not use its workers anyway.
    fitter = cellFitter({ data, rows, cols }, weights, {
      ...settings,
      common: { ...settings.common, backend: 'cpu', cpuThreads: 1 },
    });
    return;
  }
  if (message.type === 'reset') {
    fitter = null; // the rows are dropped until the next call
    return;
  }
  const started = performance.now();
  run(message).then(
    ({ gm, scores }) => {
      const seconds = (performance.now() - started) / 1000;
      port.postMessage({ job: message.job, fit: { json: gm.toJSON(), scores, options: savedOptions(gm), seconds } });
    },
    (error: unknown) =>
      port.postMessage({
        job: message.job,
        error:
          error instanceof Error
            ? { name: error.name, message: error.message }
            : { name: 'Error', message: String(error) },
      }),
  );
}

void import(/* @vite-ignore */ ['node', 'worker_threads'].join(':')).then(
  ({ parentPort }: typeof import('node:worker_threads')) => {
    const port = parentPort as NonNullable<typeof parentPort>;
    port.on('message', (message: SelectRequest) => handle(message, port));
    port.postMessage({ ready: true });
  },
);
