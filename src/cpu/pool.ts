// Worker threads for the CPU engine. Rows are split into the engine's fixed blocks; each
// worker computes whole blocks and writes each block's partial statistics into a shared
// array, which the engine then sums in block order (bit-identical for any thread count).

import type { MomentKind } from '../backend.ts';
import type { KernelParams } from '../model/params.ts';
import type { Moments } from './kernels.ts';

export type BlockTask =
  | { readonly kind: 'estep'; readonly params: KernelParams; readonly moments: MomentKind }
  | { readonly kind: 'assign'; readonly centers: Float64Array; readonly k: number; readonly moments: Moments }
  | { readonly kind: 'random'; readonly seed: number; readonly k: number; readonly shifts: Float64Array; readonly moments: MomentKind };

export interface SharedRows {
  readonly data: Float64Array | Float32Array;
  readonly weights: Float64Array | null;
}

export interface WorkerPool {
  readonly threads: number;
  /** Makes the data visible to every worker (SharedArrayBuffer; one copy unless already shared). */
  share(data: Float64Array | Float32Array, weights: Float64Array | null, cols: number): Promise<SharedRows>;
  /** Runs the task over blocks [0, blocks); returns blocks × size partials. */
  run(task: BlockTask, blocks: number, size: number): Promise<Float64Array>;
  dispose(): void;
}

export async function createWorkerPool(threads: number): Promise<WorkerPool | null> {
  void threads;
  return null;
}
