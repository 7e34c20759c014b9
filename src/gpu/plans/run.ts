// Running a statistics plan: upload its parameters, submit its dispatches (with timestamp
// queries where the device has them), read back the reduced statistics as float64.

import type { PassTimings } from '../../backend.ts';
import { COPY_DST, COPY_SRC, MAP_READ, QUERY_RESOLVE, type BufferSet, type GpuContext } from '../context.ts';
import type { StatsPlan } from './plan.ts';

/** Timestamp query set and its buffers, grown as plans need more queries. */
export class PassTimer {
  private count = 0;
  private querySet: GPUQuerySet | null = null;
  private resolve: GPUBuffer | null = null;
  private staging: GPUBuffer | null = null;

  constructor(
    private readonly ctx: GpuContext,
    private readonly buffers: BufferSet,
  ) {}

  /** A query set with at least `queries` entries, or null without 'timestamp-query'. */
  prepare(queries: number): { querySet: GPUQuerySet; resolve: GPUBuffer; staging: GPUBuffer } | null {
    if (!this.ctx.timestamps) return null;
    if (this.querySet === null || this.count < queries) {
      this.querySet?.destroy();
      this.count = queries;
      this.querySet = this.ctx.device.createQuerySet({ type: 'timestamp', count: queries, label: 'pass timestamps' });
      this.resolve = this.buffers.create(queries * 8, QUERY_RESOLVE | COPY_SRC, 'timestamps');
      this.staging = this.buffers.create(queries * 8, MAP_READ | COPY_DST, 'timestamps staging');
    }
    return { querySet: this.querySet, resolve: this.resolve as GPUBuffer, staging: this.staging as GPUBuffer };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.querySet = null;
  }
}

function poison(ctx: GpuContext, buffer: GPUBuffer, floats: number): void {
  ctx.device.queue.writeBuffer(buffer, 0, new Float32Array(floats).fill(NaN));
}

/** Runs the plan (parameters already in plan.paramsHost); returns the flat sums and the pass timings. */
export async function runStatsPlan(
  ctx: GpuContext,
  plan: StatsPlan,
  timer: PassTimer,
  what: string,
): Promise<{ flat: Float64Array; timings: PassTimings }> {
  const started = performance.now();
  const queue = ctx.device.queue;
  const split = ctx.options.timeStages === true;
  const queries = split ? 2 * plan.dispatches.length : 2;
  const time = timer.prepare(queries);
  queue.writeBuffer(plan.params, 0, plan.paramsHost);
  if (ctx.options.debugPoison) {
    poison(ctx, plan.part, plan.partFloats);
    poison(ctx, plan.result, plan.layout.size);
  }
  const s = plan.layout.size;
  await ctx.submit(
    what,
    (encoder) => {
      ctx.encodeDispatches(encoder, plan.dispatches, time === null ? null : { querySet: time.querySet, split });
      encoder.copyBufferToBuffer(plan.result, 0, plan.staging, 0, s * 4);
      if (time !== null) {
        encoder.resolveQuerySet(time.querySet, 0, queries, time.resolve, 0);
        encoder.copyBufferToBuffer(time.resolve, 0, time.staging, 0, queries * 8);
      }
    },
    time === null
      ? [[plan.staging, s * 4]]
      : [
          [plan.staging, s * 4],
          [time.staging, queries * 8],
        ],
  );
  let kernelMs: number | null = null;
  let stages: Record<string, number> | undefined;
  if (time !== null) {
    const t = new BigUint64Array(time.staging.getMappedRange(0, queries * 8), 0, queries);
    const span = (i: number): number | null => {
      const a = t[2 * i];
      const b = t[2 * i + 1];
      return a !== undefined && b !== undefined && b >= a ? Number(b - a) / 1e6 : null;
    };
    if (split) {
      const byStage: Record<string, number> = {};
      let total = 0;
      plan.dispatches.forEach((p, i) => {
        const ms = span(i) ?? 0;
        byStage[p.stage] = (byStage[p.stage] ?? 0) + ms;
        total += ms;
      });
      stages = byStage;
      kernelMs = total;
    } else {
      kernelMs = span(0);
    }
    time.staging.unmap();
  }
  const view = new Float32Array(plan.staging.getMappedRange(0, Math.max(16, s * 4)), 0, s);
  const flat = Float64Array.from(view);
  plan.staging.unmap();
  return { flat, timings: { kernelMs, wallMs: performance.now() - started, ...(stages ? { stages } : {}) } };
}
