// The per-dispatch uniform every kernel reads (struct Run in shaders/run_uniform.wgsl), written
// through named fields into a table of entries UNIFORM_STRIDE bytes apart; a dispatch binds
// its entry at offset index · UNIFORM_STRIDE.

import type { BoundBuffer } from './bindings.ts';
import { COPY_DST, UNIFORM, type BufferSet } from './context.ts';
import { UNIFORM_STRIDE } from './tuning.ts';

/** The fields of struct Run, in WGSL order (see shaders/run_uniform.wgsl for their uses). */
export interface RunFields {
  /** Rows in this dispatch. */
  readonly rows: number;
  /** Invocations that write a slot, row groups (pass B) or output slots (reduce). */
  readonly nthreads: number;
  /** First slot of this dispatch. */
  readonly slot?: number;
  /** Slots per statistic in the partials. */
  readonly slots?: number;
  /** Global index of the first row (the random initialisation hashes it). */
  readonly rowBase?: number;
  /** Random initialisation seed, or a count (k-means++). */
  readonly seed?: number;
  /** Job flag (pass B: 1 = add into the slots instead of storing; evaluate: 1 = write responsibilities). */
  readonly flag?: number;
  /** First row of this dispatch within the bound data chunk. */
  readonly dataOffset?: number;
}

const FIELDS = 8;
const WORDS = UNIFORM_STRIDE / 4;
/** Bytes of struct Run bound per dispatch. */
const RUN_BYTES = FIELDS * 4;

export class RunTable {
  readonly host: Uint32Array<ArrayBuffer>;
  readonly buffer: GPUBuffer;

  constructor(
    buffers: BufferSet,
    readonly entries: number,
    label: string,
  ) {
    this.host = new Uint32Array(Math.max(1, entries) * WORDS);
    this.buffer = buffers.create(this.host.byteLength, UNIFORM | COPY_DST, label);
  }

  set(index: number, run: RunFields): void {
    const o = index * WORDS;
    this.host[o] = run.rows;
    this.host[o + 1] = run.nthreads;
    this.host[o + 2] = run.slot ?? 0;
    this.host[o + 3] = run.slots ?? 0;
    this.host[o + 4] = run.rowBase ?? 0;
    this.host[o + 5] = (run.seed ?? 0) >>> 0;
    this.host[o + 6] = run.flag ?? 0;
    this.host[o + 7] = run.dataOffset ?? 0;
  }

  /** Sets the seed of every entry (the random initialisation's passes share one). */
  setSeed(seed: number): void {
    for (let e = 0; e < this.entries; e++) this.host[e * WORDS + 5] = seed >>> 0;
  }

  /** Entry `index` of the table, bound as a kernel's `run`. */
  binding(index: number): BoundBuffer {
    return { buffer: this.buffer, offset: index * UNIFORM_STRIDE, size: RUN_BYTES };
  }

  upload(queue: GPUQueue): void {
    queue.writeBuffer(this.buffer, 0, this.host);
  }
}
