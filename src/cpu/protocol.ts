// Messages between the CPU engine's pool (src/cpu/pool.ts) and its workers (src/cpu/worker.ts).

import type { BlockTask } from './blocks.ts';

/** 'run': blocks [firstBlock, endBlock) write their partials at (block − outBlock)·size in out. */
export type WorkerRequest =
  | {
      readonly type: 'load';
      readonly id: number;
      readonly data: Float64Array | Float32Array;
      readonly weights: Float64Array | null;
      readonly cols: number;
      readonly rows: number;
    }
  | { readonly type: 'unload'; readonly id: number }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly job: number;
      readonly task: BlockTask;
      readonly firstBlock: number;
      readonly endBlock: number;
      readonly outBlock: number;
      readonly size: number;
      readonly out: Float64Array;
    };

export type WorkerReply = { readonly job: number; readonly error?: string };
