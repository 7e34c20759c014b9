// The CPU engine's unit of work: a task run over fixed-size blocks of rows, each block adding
// into its own packed partial (src/sufficient-stats.ts layout). The engine (or the worker threads) runs
// the blocks; the partials are summed in block order, so results do not depend on threads.

import type { KernelParams } from '../model/params.ts';
import { statsLayout, type Moments, type StatsLayout } from '../sufficient-stats.ts';
import { assignBlock, eStepBlock, randomBlock, Scratch, type RowSource } from './kernels.ts';

/** Rows per block: fixed, so the summation order never depends on the thread count. */
export const BLOCK_ROWS = 4096;

let keptScratch: { readonly k: number; readonly d: number; readonly scratch: Scratch } | null = null;

/**
 * A scratch of BLOCK_ROWS rows for K components and D features, kept for this thread's next
 * caller of the same shape: a streamed fit runs once per chunk, and a new scratch each time
 * (K·32 KiB and more) left the C allocator holding tens of MiB of fragments between garbage
 * collections. Use it synchronously (no await while it is in use).
 */
export function blockScratch(k: number, d: number): Scratch {
  if (keptScratch === null || keptScratch.k !== k || keptScratch.d !== d)
    keptScratch = { k, d, scratch: new Scratch(BLOCK_ROWS, k, d) };
  return keptScratch.scratch;
}

export type BlockTask =
  | { readonly kind: 'estep'; readonly params: KernelParams; readonly moments: 'full' | 'diag' }
  | { readonly kind: 'assign'; readonly centers: Float64Array; readonly k: number; readonly moments: Moments }
  | {
      readonly kind: 'random';
      readonly seed: number;
      readonly k: number;
      readonly shifts: Float64Array;
      readonly moments: 'full' | 'diag';
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
