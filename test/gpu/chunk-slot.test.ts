// The WebGPU chunk slot (streamed EM): device buffers allocated once for the largest chunk and
// written again for each chunk. Its statistics are those of a fresh upload of the same chunk, bit
// for bit (same conditioning, same float32 rows, same plans); a second pass over the chunks
// creates no buffer; shapes beyond the cache are released; dispose releases everything.
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../../src/gpu/index.ts';
import { toDataset, type Dataset } from '../../src/matrix.ts';
import { useGpu } from '../helpers/gpu.ts';
import { blobs, makeParams, sameBits, weightsFor } from './helpers.ts';
import type { SufficientStats } from '../../src/sufficient-stats.ts';

// Two bindings per chunk at most 1,500 rows: the slot splits rows across regions as an upload does.
const gpuOf = useGpu({ maxRowsPerChunk: 1500 });

const D = 3;
const K = 4;
const N = 12_000;

function sameStats(a: SufficientStats, b: SufficientStats): boolean {
  return (
    sameBits(a.sumResp, b.sumResp) &&
    sameBits(a.sumDiff, b.sumDiff) &&
    sameBits(a.sumOuter, b.sumOuter) &&
    Object.is(a.sumLogLik, b.sumLogLik) &&
    Object.is(a.sumRespLogResp, b.sumRespLogResp) &&
    sameBits(a.shifts, b.shifts)
  );
}

/** Rows [start, end) as a dataset of their own, with their weights when given. */
function part(data: Float64Array, w: Float64Array | null, start: number, end: number): Dataset {
  return toDataset(
    { data: data.subarray(start * D, end * D), rows: end - start, cols: D },
    w === null ? null : w.subarray(start, end),
  );
}

describe('WebGPU chunk slot', () => {
  for (const weighted of [false, true]) {
    it(`gives a fresh upload's statistics bit for bit, over chunks of several sizes${weighted ? ', with sample weights' : ''}; a second pass creates no buffer`, async (ctx) => {
      const gpu = gpuOf(ctx);
      const { data } = blobs(91, N, D, K);
      const w = weighted ? weightsFor(92, N) : null;
      // Sizes: full chunks, shorter ones, a return to an earlier size, and more sizes than the slot keeps plans for.
      const sizes = [3000, 3000, 1200, 3000, 700, 999, 2, 1101];
      const bounds: [number, number][] = [];
      let at = 0;
      for (const size of sizes) {
        bounds.push([at, at + size]);
        at += size;
      }
      const params = makeParams(93, 'full', K, D);
      const liveBefore = gpu.liveDataCount;
      const slot = gpu.openChunkSlot(D, 3000, weighted);
      const device = gpu.device;
      const create = device.createBuffer.bind(device);
      let created = 0;
      device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
        created++;
        return create(descriptor);
      };
      try {
        for (let pass = 0; pass < 2; pass++) {
          const before = created;
          for (const [start, end] of bounds) {
            const dataset = part(data, w, start, end);
            const fromSlot = await (await slot.load(dataset)).eStep(params, 'full');
            const fresh = await gpu.load(dataset);
            const expected = await fresh.eStep(params, 'full');
            fresh.dispose();
            expect(sameStats(fromSlot, expected), `pass ${pass}, rows ${start}..${end}`).toBe(true);
          }
          // The fresh uploads create buffers; compare the slot's own count on the second pass.
          if (pass === 1) expect(slot.bufferCount).toBe(weighted ? 4 : 2);
          expect(created - before).toBeGreaterThan(0); // the fresh uploads
        }
        // The slot alone, a third pass: no buffer created, whatever the chunk.
        const before = created;
        for (const [start, end] of bounds.slice(-4))
          await (await slot.load(part(data, w, start, end))).eStep(params, 'full');
        expect(created - before).toBe(0);
        // At most four row counts keep their plans.
        expect(gpu.liveDataCount - liveBefore).toBeLessThanOrEqual(4);
      } finally {
        device.createBuffer = create;
        slot.dispose();
      }
      expect(gpu.liveDataCount).toBe(liveBefore);
      expect(slot.bufferCount).toBe(0);
    });
  }

  it('the engine released under it: the next load and the loaded chunk reject with an AbortError, and its buffers are gone', async (ctx) => {
    gpuOf(ctx);
    const made = await createWebGpuBackend();
    if (!made.ok) throw new Error(made.reason);
    const own = made.backend;
    const { data } = blobs(95, 2000, D, K);
    const slot = own.openChunkSlot(D, 1000, false);
    const loaded = await slot.load(part(data, null, 0, 1000));
    const params = makeParams(96, 'full', K, D);
    await loaded.eStep(params, 'full');
    own.dispose();
    await expect(slot.load(part(data, null, 1000, 2000))).rejects.toMatchObject({ name: 'AbortError' });
    await expect(loaded.eStep(params, 'full')).rejects.toThrow(/released/);
    expect(slot.bufferCount).toBe(0);
    expect(own.liveDataCount).toBe(0);
  });

  it('refuses a chunk of another shape or above its rows, and loads after dispose', async (ctx) => {
    const gpu = gpuOf(ctx);
    const { data } = blobs(94, 400, D, K);
    const slot = gpu.openChunkSlot(D, 300, false);
    await expect(slot.load(part(data, null, 0, 301))).rejects.toThrow(/does not fit a slot of 300 × 3/);
    await expect(slot.load(toDataset({ data: data.subarray(0, 200), rows: 100, cols: 2 }, null))).rejects.toThrow(
      /does not fit/,
    );
    await expect(slot.load(part(data, new Float64Array(400).fill(1), 0, 100))).rejects.toThrow(/weighted does not fit/);
    await slot.load(part(data, null, 0, 300));
    slot.dispose();
    slot.dispose();
    await expect(slot.load(part(data, null, 0, 100))).rejects.toThrow(/released/);
  });
});
