// Fit progress on stderr: one line per EM iteration (or online EM batch) with --verbose, a
// progress bar when stderr is a terminal, nothing otherwise.

import cliProgress from 'cli-progress';
import type { IterationInfo } from '../options.ts';
import type { BatchInfo } from './online.ts';

export type ErrStream = NodeJS.WritableStream & { isTTY?: boolean };

/** "cpu (2 threads): no WebGPU adapter (...)" -> "cpu (2 threads)". */
export function shortBackend(description: string): string {
  const at = description.indexOf('):');
  return at === -1 ? description : description.slice(0, at + 1);
}

const formatChange = (change: number): string => (Number.isFinite(change) ? change.toExponential(2) : '—');
const formatBound = (value: number): string => (Number.isFinite(value) ? value.toFixed(6) : String(value));

export class FitProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly mode: 'lines' | 'bar' | 'quiet';

  constructor(
    private readonly stderr: ErrStream,
    verbose: boolean,
    private readonly maxIter: number,
    private readonly nInit: number,
  ) {
    this.mode = verbose ? 'lines' : stderr.isTTY === true ? 'bar' : 'quiet';
  }

  /** Messages about work other than iterations (backend, initialisation); shown with --verbose. */
  readonly onProgress = (message: string): void => {
    if (this.mode === 'lines') this.stderr.write(`emgpu: ${message}\n`);
  };

  readonly onIteration = (info: IterationInfo): void => {
    const init = this.nInit > 1 ? `init ${info.init + 1}/${this.nInit}  ` : '';
    const backend = shortBackend(info.backend);
    if (this.mode === 'lines') {
      this.stderr.write(
        `emgpu: ${init}iter ${String(info.iteration).padStart(String(this.maxIter).length)}/${this.maxIter}  lower bound ${formatBound(info.lowerBound)}  change ${formatChange(info.change)}  ${info.iterationTime.toFixed(1)} ms/iter  ${backend}\n`,
      );
      return;
    }
    if (this.mode !== 'bar') return;
    const payload = {
      init,
      lowerBound: formatBound(info.lowerBound),
      change: formatChange(info.change),
      ms: info.iterationTime.toFixed(1),
      backend,
    };
    if (this.bar === null || info.iteration === 1) {
      this.bar?.stop();
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stderr,
          format:
            'EM {init}[{bar}] {value}/{total} | lower bound {lowerBound} | change {change} | {ms} ms/iter | {backend}',
          barsize: 20,
          hideCursor: true,
          clearOnComplete: false,
          fps: 10,
        },
        cliProgress.Presets.legacy,
      );
      this.bar.start(this.maxIter, 0, payload);
    }
    this.bar.update(info.iteration, payload);
  };

  /** Stops the bar (it stays on screen) before anything else is written to stderr. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** `fit --online` progress on stderr: one line per batch with --verbose, a bar over all batches when stderr is a terminal, nothing otherwise. */
export class OnlineProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly mode: 'lines' | 'bar' | 'quiet';

  constructor(
    private readonly stderr: ErrStream,
    verbose: boolean,
    private readonly batchSize: number,
  ) {
    this.mode = verbose ? 'lines' : stderr.isTTY === true ? 'bar' : 'quiet';
  }

  readonly onBatch = (info: BatchInfo): void => {
    if (this.mode === 'lines') {
      const where = `pass ${info.pass}/${info.passes}  batch ${info.batch}/${info.batches}`;
      if (info.skipped) {
        this.stderr.write(`emgpu: ${where}  skipped: every weight is 0\n`);
        return;
      }
      const step = info.stepSize === null ? 'burn-in' : `step ${info.stepSize.toPrecision(4)}`;
      this.stderr.write(
        `emgpu: ${where}  rows ${String(info.rows).padStart(String(this.batchSize).length)}  mean log-likelihood ${formatBound(info.meanLogLik ?? Number.NaN)}  ${step}  ${info.ms.toFixed(1)} ms\n`,
      );
      return;
    }
    if (this.mode !== 'bar') return;
    const total = info.passes * info.batches;
    const done = (info.pass - 1) * info.batches + info.batch;
    const payload = {
      pass: info.passes > 1 ? `pass ${info.pass}/${info.passes} ` : '',
      lowerBound: info.meanLogLik === null ? '—' : formatBound(info.meanLogLik),
      step: info.stepSize === null ? 'burn-in' : info.stepSize.toPrecision(4),
      ms: info.ms.toFixed(1),
      backend: shortBackend(info.backend),
    };
    if (this.bar === null) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stderr,
          format:
            'online EM {pass}[{bar}] {value}/{total} batches | mean log-likelihood {lowerBound} | step {step} | {ms} ms/batch | {backend}',
          barsize: 20,
          hideCursor: true,
          clearOnComplete: false,
          fps: 10,
        },
        cliProgress.Presets.legacy,
      );
      this.bar.start(total, 0, payload);
    }
    this.bar.update(done, payload);
  };

  /** Stops the bar (it stays on screen) before anything else is written to stderr. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
