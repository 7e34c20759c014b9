// The fixed-order reduction of partial slots (shaders/stats_reduce.wgsl): level by level,
// GROUP slots per invocation, until one slot is left; intermediate levels alternate between
// two buffers. The same order every run, so results are bit-identical run to run.

import { STORAGE, type BufferSet, type Dispatch, type GpuContext } from '../context.ts';
import { reduceModule } from '../shaders.ts';
import type { RunTable } from '../uniforms.ts';

/** Slots entering each level (one level at least). */
export function reduceLevels(slots: number, group: number): number[] {
  const levels: number[] = [];
  for (let n = slots; n > 1 || levels.length === 0; n = Math.ceil(n / group)) levels.push(n);
  return levels;
}

/** The reduction's dispatches, using run entries firstEntry.. of `runs`. */
export async function reduceDispatches(
  ctx: GpuContext,
  buffers: BufferSet,
  s: number,
  part: GPUBuffer,
  slots: number,
  result: GPUBuffer,
  runs: RunTable,
  firstEntry: number,
): Promise<Dispatch[]> {
  const group = ctx.tuning.reduceGroup;
  const wg = ctx.tuning.workgroupSize;
  const pipeline = await ctx.pipeline('reduce partials', reduceModule(s), { WG: wg, GROUP: group });
  const levels = reduceLevels(slots, group);
  const intermediate: GPUBuffer[] = [];
  const dispatches: Dispatch[] = [];
  let source = part;
  levels.forEach((n, level) => {
    const outSlots = Math.ceil(n / group);
    let target = result;
    if (level < levels.length - 1) {
      if (intermediate.length < 2) intermediate.push(buffers.create(s * outSlots * 4, STORAGE, 'reduce level'));
      target = intermediate[level % 2] as GPUBuffer;
    }
    const entry = firstEntry + level;
    runs.set(entry, { rows: 0, nthreads: outSlots, slots: n });
    const [x, y] = ctx.dims(Math.ceil((s * outSlots) / wg));
    dispatches.push({
      pipeline,
      bindGroup: ctx.bindGroup(
        pipeline,
        { part: source, res: target, run: runs.binding(entry) },
        `reduce level ${level}`,
      ),
      x,
      y,
      stage: 'reduce',
    });
    source = target;
  });
  return dispatches;
}
