// The CPU engine's unit of work: a task run over fixed-size blocks of rows, each block adding
// into its own packed partial (src/sufficient-stats.ts layout). The engine (or the worker threads) runs
// the blocks; the partials are summed in block order, so results do not depend on threads.

import type { KernelParams } from '../model/params.ts';
import { statsLayout, type Moments, type StatsLayout, type SecondMoments } from '../sufficient-stats.ts';
import { Scratch, type RowSource } from './accumulate.ts';
import { assignBlock, eStepBlock, randomBlock } from './kernels.ts';

/** Rows per block: fixed, so the summation order never depends on the thread count. */
export const BLOCK_ROWS = 4096;

/** Scratches kept for this thread's next callers, by K and D (the most recently used last). */
const keptScratches = new Map<string, Scratch>();
/** Shapes kept at once: selectModel runs fits of several K side by side. */
const KEPT_SHAPES = 8;

/**
 * A scratch for blocks of up to `rows` rows (at most BLOCK_ROWS), K components and D features,
 * kept for this thread's next caller of the same shape. A new scratch on every pass (K·32 KiB
 * and more) cost more than a small data set's E-step, and left the C allocator holding tens of
 * MiB of fragments between garbage collections; one kept shape was not enough when fits of
 * different K alternate (selectModel runs two at a time). Use it synchronously (no await while
 * it is in use).
 */
export function blockScratch(k: number, d: number, rows: number = BLOCK_ROWS): Scratch {
  const key = `${k}:${d}`;
  const needed = Math.max(1, Math.min(rows, BLOCK_ROWS));
  let scratch = keptScratches.get(key);
  if (scratch !== undefined) keptScratches.delete(key);
  if (scratch === undefined || scratch.blockRows < needed) scratch = new Scratch(needed, k, d);
  keptScratches.set(key, scratch);
  if (keptScratches.size > KEPT_SHAPES) keptScratches.delete(keptScratches.keys().next().value as string);
  return scratch;
}

export type BlockTask =
  | { readonly kind: 'estep'; readonly params: KernelParams; readonly moments: SecondMoments }
  | { readonly kind: 'assign'; readonly centers: Float64Array; readonly k: number; readonly moments: Moments }
  | {
      readonly kind: 'random';
      readonly seed: number;
      readonly k: number;
      readonly shifts: Float64Array;
      readonly moments: SecondMoments;
    };

/** Components of a task. */
export function taskComponents(task: BlockTask): number {
  return task.kind === 'estep' ? task.params.nComponents : task.k;
}

/** The packed layout a task's partials use. */
export function taskLayout(task: BlockTask, d: number): StatsLayout {
  return statsLayout(taskComponents(task), d, task.moments);
}

/** Runs one block task on rows [start, end) of the source, adding into out. */
export function runBlockTask(
  task: BlockTask,
  source: RowSource,
  start: number,
  end: number,
  scratch: Scratch,
  out: Float64Array,
): void {
  switch (task.kind) {
    case 'estep':
      eStepBlock(source, start, end, task.params, task.moments, scratch, out);
      break;
    case 'assign':
      assignBlock(source, start, end, task.centers, task.k, task.moments, scratch, out);
      break;
    case 'random':
      randomBlock(source, start, end, task.seed, task.k, task.shifts, task.moments, scratch, out);
      break;
  }
}
