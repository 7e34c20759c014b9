// k-means++ seeding on the GPU (sklearn's greedy variant, the same draws as the CPU engine's
// src/cpu/kmeanspp.ts): per block of KPP_BLOCK rows the kernel (shaders/kmeanspp.wgsl) keeps
// each row's squared distance to the nearest chosen centre and sums w·D² per block; the host
// draws a block from the block sums, then a row within it from that block's values.
// Distances are taken in the conditioned space (uniformly scaled), which leaves the draws'
// probabilities unchanged.

import { Random } from '../random.ts';
import { BufferSet, COPY_DST, MAP_READ, STORAGE, COPY_SRC, type GpuContext } from './context.ts';
import type { Chunk } from './plans/plan.ts';
import { kmeansppModule } from './shaders.ts';
import { RunTable } from './uniforms.ts';
import { InternalError } from '../errors.ts';
import type { Bindings } from './bindings.ts';

/** Rows per k-means++ block. */
const KPP_BLOCK = 256;

export async function gpuKmeansPlusPlus(
  ctx: GpuContext,
  chunks: readonly Chunk[],
  rows: number,
  cols: number,
  weighted: boolean,
  k: number,
  seed: number,
): Promise<Int32Array> {
  if (!Number.isInteger(k) || k < 1 || k > rows)
    throw new InternalError(`webgpu engine: k-means++ needs 1 <= nComponents <= rows (${rows}), got ${k}`);
  const device = ctx.device;
  const d = cols;
  const wg = ctx.tuning.workgroupSize;
  const random = new Random(seed);
  const trials = 2 + Math.floor(Math.log(k));
  const blockOffset: number[] = [];
  let totalBlocks = 0;
  for (const c of chunks) {
    blockOffset.push(totalBlocks);
    totalBlocks += Math.ceil(c.rows / KPP_BLOCK);
  }
  const buffers = new BufferSet(device);
  try {
    const { pipeline, closest, cand, sums, sumsStaging, valStaging, runs, groups } = await ctx.guarded(
      'preparing k-means++',
      async () => {
        const pipeline = await ctx.pipeline(`k-means++ D=${d}`, kmeansppModule(d, weighted), { WG: wg, BS: KPP_BLOCK });
        const closest = chunks.map((c) =>
          buffers.create(c.rows * 4, STORAGE | COPY_SRC, 'k-means++ closest distances'),
        );
        const cand = buffers.create(trials * d * 4, STORAGE | COPY_DST, 'k-means++ candidates');
        const sums = buffers.create(trials * totalBlocks * 4, STORAGE | COPY_SRC, 'k-means++ block sums');
        const sumsStaging = buffers.create(
          trials * totalBlocks * 4,
          MAP_READ | COPY_DST,
          'k-means++ block sums staging',
        );
        const valStaging = buffers.create(
          trials * KPP_BLOCK * 2 * 4,
          MAP_READ | COPY_DST,
          'k-means++ block values staging',
        );
        const runs = new RunTable(buffers, chunks.length, 'k-means++ runs');
        const groups = chunks.map((c, i) => {
          const entries: Bindings = {
            data: c.data,
            cand,
            closest: closest[i] as GPUBuffer,
            sums,
            run: runs.binding(i),
            ...(c.weights ? { wts: c.weights } : {}),
          };
          return ctx.bindGroup(pipeline, entries, `k-means++ chunk ${i}`);
        });
        return { pipeline, closest, cand, sums, sumsStaging, valStaging, runs, groups };
      },
    );
    const blockSums = new Float64Array(trials * totalBlocks);

    const copyRow = (encoder: GPUCommandEncoder, row: number, dest: GPUBuffer, destOffset: number): void => {
      let ci = chunks.length - 1;
      while (ci > 0 && (chunks[ci] as Chunk).start > row) ci--;
      const c = chunks[ci] as Chunk;
      encoder.copyBufferToBuffer(c.data, (row - c.start) * d * 4, dest, destOffset, d * 4);
    };

    /** Runs one mode over all chunks (candidates already in cand) and reads `count`·blocks sums. */
    const runMode = async (
      mode: number,
      count: number,
      before?: (encoder: GPUCommandEncoder) => void,
    ): Promise<void> => {
      chunks.forEach((c, i) =>
        runs.set(i, {
          rows: c.rows,
          nthreads: Math.ceil(c.rows / KPP_BLOCK),
          slot: blockOffset[i] as number,
          slots: totalBlocks,
          rowBase: c.start,
          seed: count,
          flag: mode,
        }),
      );
      runs.upload(device.queue);
      const n = count * totalBlocks;
      await ctx.submit(
        'k-means++',
        (encoder) => {
          before?.(encoder);
          const pass = encoder.beginComputePass({ label: 'k-means++' });
          pass.setPipeline(pipeline);
          chunks.forEach((c, i) => {
            pass.setBindGroup(0, groups[i] as GPUBindGroup);
            pass.dispatchWorkgroups(Math.ceil(Math.ceil(c.rows / KPP_BLOCK) / wg));
          });
          pass.end();
          encoder.copyBufferToBuffer(sums, 0, sumsStaging, 0, n * 4);
        },
        [[sumsStaging, n * 4]],
      );
      const view = new Float32Array(sumsStaging.getMappedRange(0, n * 4), 0, n);
      for (let i = 0; i < n; i++) blockSums[i] = view[i] as number;
      sumsStaging.unmap();
    };

    const blockStart = (b: number): { chunk: number; row: number; rows: number } => {
      let ci = 0;
      while (ci + 1 < chunks.length && (blockOffset[ci + 1] as number) <= b) ci++;
      const c = chunks[ci] as Chunk;
      const local = (b - (blockOffset[ci] as number)) * KPP_BLOCK;
      return { chunk: ci, row: local, rows: Math.min(KPP_BLOCK, c.rows - local) };
    };

    /** Draws rows with probability ∝ w·closest (useClosest) or ∝ w, for each target. */
    const draw = async (targets: number[], useClosest: boolean): Promise<number[]> => {
      const picks = targets.map((target) => {
        let cum = 0;
        let lastPositive = -1;
        for (let b = 0; b < totalBlocks; b++) {
          const v = blockSums[b] as number;
          if (v > 0) lastPositive = b;
          if (v > 0 && cum + v > target) return { block: b, before: cum, target };
          cum += v;
        }
        const b = Math.max(0, lastPositive);
        return { block: b, before: cum - (blockSums[b] as number), target: Infinity };
      });
      await ctx.submit(
        'k-means++',
        (encoder) => {
          picks.forEach((p, l) => {
            const { chunk, row, rows: n } = blockStart(p.block);
            const c = chunks[chunk] as Chunk;
            const base = l * KPP_BLOCK * 2 * 4;
            if (useClosest) encoder.copyBufferToBuffer(closest[chunk] as GPUBuffer, row * 4, valStaging, base, n * 4);
            if (c.weights) encoder.copyBufferToBuffer(c.weights, row * 4, valStaging, base + KPP_BLOCK * 4, n * 4);
          });
        },
        [[valStaging, picks.length * KPP_BLOCK * 2 * 4]],
      );
      const vals = new Float32Array(valStaging.getMappedRange(0, picks.length * KPP_BLOCK * 2 * 4));
      const result = picks.map((p, l) => {
        const { chunk, row, rows: n } = blockStart(p.block);
        const c = chunks[chunk] as Chunk;
        let cum = p.before;
        let lastPositive = -1;
        for (let i = 0; i < n; i++) {
          const w = c.weights ? (vals[l * KPP_BLOCK * 2 + KPP_BLOCK + i] as number) : 1;
          const v = useClosest ? w * (vals[l * KPP_BLOCK * 2 + i] as number) : w;
          if (v > 0) {
            lastPositive = i;
            cum += v;
            if (cum > p.target) return c.start + row + i;
          }
        }
        return c.start + row + Math.max(0, lastPositive);
      });
      valStaging.unmap();
      return result;
    };

    const total = (): number => {
      let sum = 0;
      for (let b = 0; b < totalBlocks; b++) sum += blockSums[b] as number;
      return sum;
    };

    const chosen = new Int32Array(k);
    await runMode(0, 1);
    const first = (await draw([random.nextFloat() * total()], false))[0] as number;
    chosen[0] = first;
    await runMode(1, 1, (encoder) => copyRow(encoder, first, cand, 0));
    let potential = total();
    for (let c = 1; c < k; c++) {
      const targets = Array.from({ length: trials }, () => random.nextFloat() * potential);
      const candidates = await draw(targets, true);
      await runMode(3, trials, (encoder) => candidates.forEach((row, l) => copyRow(encoder, row, cand, l * d * 4)));
      let best = candidates[0] as number;
      let bestPotential = Infinity;
      candidates.forEach((row, l) => {
        let pot = 0;
        for (let b = 0; b < totalBlocks; b++) pot += blockSums[l * totalBlocks + b] as number;
        if (pot < bestPotential) {
          bestPotential = pot;
          best = row;
        }
      });
      chosen[c] = best;
      await runMode(2, 1, (encoder) => copyRow(encoder, best, cand, 0));
      potential = total();
      if (ctx.options.onProgress && k > 16 && c % 16 === 0) ctx.options.onProgress(`k-means++: ${c}/${k} centres`);
    }
    return chosen;
  } finally {
    buffers.destroy();
  }
}
