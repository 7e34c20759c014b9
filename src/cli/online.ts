// `emgpu fit DATA --online`: online EM (GaussianMixture.partialFit) over the rows in batches, in
// file order (or shuffled with --shuffle), for --passes passes.

import { InvalidArgumentError, Option } from 'commander';
import type { GaussianMixture } from '../gaussian-mixture.ts';
import { permutation, Random } from '../random.ts';
import { abortable, pause } from './abort.ts';
import type { Table } from './data.ts';
import { CliError } from './errors.ts';
import { integerAtLeast, UNSIGNED_NUMBER } from './option-sets.ts';

export interface OnlineOpts {
  online?: boolean;
  batchSize?: number;
  stepDecay?: number;
  burnIn?: number;
  passes?: number;
  shuffle?: boolean;
}

export const DEFAULT_BATCH_SIZE = 10_000;

function stepDecay(value: string): number {
  const n = Number(value);
  if (!UNSIGNED_NUMBER.test(value.trim()) || !(n > 0.5) || n > 1)
    throw new InvalidArgumentError('It must be a number in (0.5, 1], e.g. 0.6.');
  return n;
}

/** The options `emgpu fit` takes for online EM. */
export function onlineOptions(): Option[] {
  return [
    new Option(
      '--online',
      'fit by online (stepwise) EM: the rows in batches, one M-step per batch (a GaussianMixture)',
    ),
    new Option(
      '--batch-size <B>',
      `with --online: rows per batch, at most (batches as equal as possible; default: ${DEFAULT_BATCH_SIZE})`,
    ).argParser(integerAtLeast(1)),
    new Option('--step-decay <a>', 'with --online: step sizes (t + 2)^-a, a in (0.5, 1] (default: 0.6)').argParser(
      stepDecay,
    ),
    new Option('--burn-in <N>', 'with --online: batches summed before the first M-step (default: 1)').argParser(
      integerAtLeast(1),
    ),
    new Option('--passes <P>', 'with --online: passes over the data (default: 1)').argParser(integerAtLeast(1)),
    new Option(
      '--shuffle',
      'with --online: visit the rows in a new random order (from --seed) on every pass instead of file order',
    ),
  ];
}

// Which flags need --online, and which it refuses, is in src/cli/flag-rules.ts.

/** [start, end) of each batch: ⌈N / B⌉ batches of at most B rows, sizes differing by at most one (the larger first). */
export function batchBounds(rows: number, batchSize: number): Array<[number, number]> {
  const count = Math.ceil(rows / batchSize);
  const small = Math.floor(rows / count);
  const large = rows - small * count;
  const bounds: Array<[number, number]> = [];
  let start = 0;
  for (let b = 0; b < count; b++) {
    const end = start + small + (b < large ? 1 : 0);
    bounds.push([start, end]);
    start = end;
  }
  return bounds;
}

export interface OnlineRun {
  readonly batches: number;
  readonly passes: number;
  readonly skipped: number;
  readonly ms: number;
}

/** What one batch did, for progress (a line per batch with --verbose, or a bar). */
export interface BatchInfo {
  /** 1-based pass and batch numbers, and their totals. */
  readonly pass: number;
  readonly passes: number;
  readonly batch: number;
  readonly batches: number;
  readonly rows: number;
  /** The batch's mean log-likelihood (partialFit's lowerBound); null when skipped. */
  readonly meanLogLik: number | null;
  /** γ of the batch; null in the burn-in or when skipped. */
  readonly stepSize: number | null;
  readonly skipped: boolean;
  readonly ms: number;
  readonly backend: string;
}

/**
 * Feeds the table to gm.partialFit in batches; `onBatch` hears of each one (progress). Batches
 * whose weights are all zero carry nothing and are skipped. `shuffleSeed` orders the rows of
 * each pass when --shuffle is given. Stops at the signal between batches and while waiting for one.
 */
export async function runOnline(
  gm: GaussianMixture,
  table: Table,
  sampleWeight: Float64Array | null,
  opts: OnlineOpts,
  shuffleSeed: number,
  signal: AbortSignal,
  onBatch: (info: BatchInfo) => void,
): Promise<OnlineRun> {
  const d = table.cols;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const passes = opts.passes ?? 1;
  const bounds = batchBounds(table.rows, batchSize);
  const first = bounds[0] as [number, number];
  if (first[1] - first[0] < gm.nComponents) {
    throw new CliError(
      `the first batch has ${first[1] - first[0]} rows but --components is ${gm.nComponents}; online EM initialises on the first batch, so raise --batch-size to at least ${gm.nComponents}.`,
    );
  }
  // A burn-in longer than all the batches would end the fit before its first M-step (taken after
  // batch burnIn), leaving the k-means start as the model.
  const burnIn = opts.burnIn ?? 1;
  if (burnIn > bounds.length * passes) {
    throw new CliError(
      `--burn-in ${burnIn} is longer than the fit: ${table.label} makes ${bounds.length} batch${bounds.length === 1 ? '' : 'es'} of at most ${batchSize} rows${passes === 1 ? '' : ` on each of ${passes} passes`}, so the fit would end before its first M-step; lower --burn-in to at most ${bounds.length * passes}, or raise --passes.`,
    );
  }
  const random = opts.shuffle === true ? new Random(shuffleSeed) : null;
  const started = performance.now();
  let skipped = 0;
  for (let pass = 1; pass <= passes; pass++) {
    const order = random === null ? null : permutation(table.rows, random);
    for (const [b, [start, end]] of bounds.entries()) {
      await pause(signal);
      const rows = end - start;
      let data: Float64Array;
      let weights: Float64Array | null = null;
      if (order === null) {
        data = table.data.subarray(start * d, end * d);
        weights = sampleWeight === null ? null : sampleWeight.subarray(start, end);
      } else {
        data = new Float64Array(rows * d);
        weights = sampleWeight === null ? null : new Float64Array(rows);
        for (let i = 0; i < rows; i++) {
          const row = order[start + i] as number;
          data.set(table.data.subarray(row * d, (row + 1) * d), i * d);
          if (weights !== null && sampleWeight !== null) weights[i] = sampleWeight[row] as number;
        }
      }
      const info = { pass, passes, batch: b + 1, batches: bounds.length, rows };
      if (weights !== null && !weights.some((w) => w > 0)) {
        skipped++;
        onBatch({
          ...info,
          meanLogLik: null,
          stepSize: null,
          skipped: true,
          ms: 0,
          backend: gm.isFitted ? gm.backend : '',
        });
        continue;
      }
      const began = performance.now();
      await abortable(gm.partialFit({ data, rows, cols: d }, { sampleWeight: weights }), signal);
      onBatch({
        ...info,
        meanLogLik: gm.lowerBound,
        stepSize: gm.stepSize,
        skipped: false,
        ms: performance.now() - began,
        backend: gm.backend,
      });
    }
  }
  return { batches: bounds.length, passes, skipped, ms: performance.now() - started };
}
