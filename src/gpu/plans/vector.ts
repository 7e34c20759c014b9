// The vector shape (shaders/stats_vec.wgsl), for D ≤ 4: one pass whose invocations keep
// everything in vector/matrix registers (CPU adapters run dynamically indexed private arrays
// about 10× slower) and write their partial statistics to their own slot; then the reduction.
// Its cost model bounds the rows per invocation under the loop budget.

import { statsLayout } from '../../sufficient-stats.ts';
import {
  COPY_DST,
  MAP_READ,
  STORAGE,
  UNIFORM,
  COPY_SRC,
  type BufferSet,
  type Dispatch,
  type GpuContext,
} from '../context.ts';
import { vectorParamCount } from '../layout.ts';
import { vectorModule, type Job, type ModuleSpec } from '../shaders.ts';
import { LOOP_BUDGET } from '../tuning.ts';
import { RunTable } from '../uniforms.ts';
import type { Chunk, StatsPlan } from './plan.ts';
import { reduceDispatches, reduceLevels } from './reduce.ts';
import type { Bindings } from '../bindings.ts';

/**
 * Most rows per invocation within the loop budget (the kernel walks its rows K + 1 times);
 * 0 when even one row is too many.
 */
export function vectorRowCap(k: number, d: number, packed: number): number {
  const fixed = k * (d + packed + 6) + 8;
  return Math.max(0, Math.floor((LOOP_BUDGET - fixed) / (2 * k + d + 6)));
}

/**
 * Whether the vector shape can run this job on this device: D ≤ 4, at least one row per
 * invocation within the loop budget, the parameters in one uniform binding, and the partial
 * slots (one per invocation, at the most rows per invocation) in one storage binding. Large K
 * fails the last two, and takes the tiled shape.
 */
export function vectorFits(ctx: GpuContext, job: Job, spec: ModuleSpec, chunks: readonly Chunk[]): boolean {
  const layout = statsLayout(spec.k, spec.d, spec.moments);
  const cap = vectorRowCap(spec.k, spec.d, layout.packed);
  if (spec.d > 4 || cap < 1 || vectorParamCount(job === 'estep', spec.cov, spec.k, spec.d) * 4 > ctx.limits.maxUniform)
    return false;
  const wg = ctx.tuning.workgroupSize;
  const groups = chunks.map((c) => Math.ceil(c.rows / (wg * cap)));
  const slots = groups.reduce((a, b) => a + b, 0) * wg;
  return (
    slots * layout.size * 4 <= Math.min(ctx.limits.maxBinding, ctx.limits.maxBuffer) &&
    groups.every((g) => g <= ctx.limits.maxDim)
  );
}

export async function vectorPlan(
  ctx: GpuContext,
  buffers: BufferSet,
  chunks: readonly Chunk[],
  job: Job,
  spec: ModuleSpec,
): Promise<StatsPlan> {
  const { k, d } = spec;
  const layout = statsLayout(k, d, spec.moments);
  const s = layout.size;
  const wg = ctx.tuning.workgroupSize;
  const partCap = Math.min(ctx.limits.maxBinding, ctx.limits.maxBuffer, 256 * 2 ** 20);
  const cap = vectorRowCap(k, d, layout.packed);
  // Rows per invocation: the tuning's (64 measured best on llvmpipe), fewer for small chunks;
  // the cap when the partials would not fit otherwise.
  let per = chunks.map((c) => Math.max(1, Math.min(cap, ctx.tuning.pointsPerInvocation, Math.ceil(c.rows / wg))));
  let groups = chunks.map((c, i) => Math.ceil(c.rows / (wg * (per[i] as number))));
  if (groups.reduce((a, b) => a + b, 0) * wg * s * 4 > partCap) {
    per = chunks.map(() => cap);
    groups = chunks.map((c) => Math.ceil(c.rows / (wg * cap)));
  }
  const slots = groups.reduce((a, b) => a + b, 0) * wg;
  const partFloats = slots * s;
  if (partFloats * 4 > ctx.limits.maxBinding || groups.some((g) => g > ctx.limits.maxDim)) {
    throw new Error(
      `webgpu engine: ${chunks.reduce((a, c) => a + c.rows, 0)} rows need ${slots} partial slots of ${s} statistics, more than one storage binding holds`,
    );
  }
  const paramFloats = vectorParamCount(job === 'estep', spec.cov, k, d);
  const paramsHost = new Float32Array(Math.max(4, Math.ceil(paramFloats / 4) * 4));
  const params = buffers.create(paramsHost.byteLength, UNIFORM | COPY_DST, `${job} parameters (vector layout)`);
  const part = buffers.create(partFloats * 4, STORAGE | COPY_DST, `${job} partials`);
  const result = buffers.create(s * 4, STORAGE | COPY_SRC | COPY_DST, `${job} statistics`);
  const staging = buffers.create(s * 4, MAP_READ | COPY_DST, `${job} statistics staging`);
  const rowValues = buffers.create(Math.max(...chunks.map((c) => c.rows)) * 4, STORAGE, `${job} row values`);
  const levels = reduceLevels(slots, ctx.tuning.reduceGroup).length;
  const runs = new RunTable(buffers, chunks.length + levels, `${job} runs`);
  const pipeline = await ctx.pipeline(`${job} vector shape, K=${k} D=${d}`, vectorModule(job, spec, paramFloats), {
    WG: wg,
    PPI: cap,
  });
  const dispatches: Dispatch[] = [];
  let slot = 0;
  chunks.forEach((c, i) => {
    const threads = (groups[i] as number) * wg;
    runs.set(i, { rows: c.rows, nthreads: threads, slot, slots, rowBase: c.start, flag: per[i] as number });
    const entries: Bindings = {
      data: c.data,
      prmu: params,
      part,
      rowv: rowValues,
      run: runs.binding(i),
      ...(c.weights ? { wts: c.weights } : {}),
    };
    dispatches.push({
      pipeline,
      bindGroup: ctx.bindGroup(pipeline, entries, `${job} vector chunk ${i}`),
      x: groups[i] as number,
      y: 1,
      stage: 'A',
    });
    slot += threads;
  });
  dispatches.push(...(await reduceDispatches(ctx, buffers, s, part, slots, result, runs, chunks.length)));
  runs.upload(ctx.device.queue);
  return {
    shape: 'vector',
    job,
    layout,
    paramLayout: 'vector',
    whiten: spec.whiten,
    paramsHost,
    params,
    runs,
    dispatches,
    part,
    partFloats,
    result,
    staging,
  };
}
