// What a statistics plan is: the dispatches of one pass over every row (per-row work writing
// partial statistics into slots, then the fixed-order reduction of the slots), its buffers,
// and how parameters are written for it. Plans are built once per (job, K, covariance type,
// moments) for a loaded data set and reused every iteration.

import type { StatsLayout } from '../../sufficient-stats.ts';
import type { Dispatch } from '../context.ts';
import type { Job } from '../shaders.ts';
import type { RunTable } from '../uniforms.ts';

/** A chunk of the uploaded data: rows [start, start + rows), one storage binding. */
export interface Chunk {
  readonly start: number;
  readonly rows: number;
  readonly data: GPUBuffer;
  readonly weights: GPUBuffer | null;
}

export interface StatsPlan {
  readonly shape: 'vector' | 'tiled';
  readonly job: Job;
  /** Layout of the statistics the plan produces. */
  readonly layout: StatsLayout;
  /** Parameters in the layout the plan's kernels read (vector or generic). */
  readonly paramLayout: 'vector' | 'generic';
  /** Second moments in whitened coordinates (full/tied E-steps). */
  readonly whiten: boolean;
  readonly paramsHost: Float32Array<ArrayBuffer>;
  readonly params: GPUBuffer;
  readonly runs: RunTable;
  readonly dispatches: readonly Dispatch[];
  /** Partial slots (statistic-major) and their float count, for poisoning in tests. */
  readonly part: GPUBuffer;
  readonly partFloats: number;
  /** The reduced statistics and the staging buffer they are read through. */
  readonly result: GPUBuffer;
  readonly staging: GPUBuffer;
}
