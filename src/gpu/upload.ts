// Uploading a data set: conditioned (src/gpu/layout.ts) and converted to float32 on the host,
// split into chunks that each fit one storage binding, weights beside them. Nothing is left
// on the device when the upload fails.

import type { Dataset } from '../matrix.ts';
import { COPY_SRC, STORAGE, type GpuContext } from './context.ts';
import { conditioningOf, type Conditioning } from './layout.ts';
import type { Chunk } from './plans/plan.ts';

/** Rows per data chunk: one storage binding, capped by the option. */
export function chunkRows(ctx: GpuContext, cols: number): number {
  const { maxBinding, maxBuffer } = ctx.limits;
  let rows = Math.floor(Math.min(maxBinding, maxBuffer) / (cols * 4));
  if (ctx.options.maxRowsPerChunk !== undefined)
    rows = Math.min(rows, Math.max(1, Math.floor(ctx.options.maxRowsPerChunk)));
  return rows;
}

/** Largest |x'| accepted after conditioning: squares and sums stay far inside float32. */
const LARGEST_CONDITIONED = 1e15;

/**
 * Writes rows start..start+n−1 of `data`, conditioned ((x − shift)·scale) and rounded to
 * float32, into `view` from its first element; returns the largest |x'| written.
 */
export function writeConditioned(
  view: Float32Array,
  data: ArrayLike<number>,
  start: number,
  n: number,
  cols: number,
  conditioning: Conditioning,
): number {
  const { shift, scale } = conditioning;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const from = (start + i) * cols;
    const to = i * cols;
    for (let a = 0; a < cols; a++) {
      const v = ((data[from + a] as number) - (shift[a] as number)) * scale;
      view[to + a] = v;
      const m = Math.abs(v);
      if (m > largest) largest = m;
    }
  }
  return largest;
}

/** Refuses data whose conditioned values float32 sums cannot hold (a RangeError, which 'auto' answers with the CPU engine). */
export function checkConditioned(largest: number): void {
  if (!(largest <= LARGEST_CONDITIONED)) {
    throw new RangeError(
      `the data spans too many orders of magnitude for float32 (a value lies ${largest.toExponential(1)} standard deviations from its column mean); use backend 'cpu'`,
    );
  }
}

export async function uploadDataset(
  ctx: GpuContext,
  dataset: Dataset,
): Promise<{ chunks: Chunk[]; conditioning: Conditioning }> {
  const { data, rows, cols, weights } = dataset;
  const device = ctx.device;
  const perChunk = chunkRows(ctx, cols);
  const conditioning = conditioningOf(data, rows, cols);
  const chunks: Chunk[] = [];
  const created: GPUBuffer[] = [];
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let thrown: unknown = null;
  try {
    for (let start = 0; start < rows; start += perChunk) {
      const n = Math.min(perChunk, rows - start);
      const buffer = device.createBuffer({
        size: n * cols * 4,
        usage: STORAGE | COPY_SRC,
        mappedAtCreation: true,
        label: `data rows ${start}..${start + n - 1}`,
      });
      created.push(buffer);
      const largest = writeConditioned(new Float32Array(buffer.getMappedRange()), data, start, n, cols, conditioning);
      buffer.unmap();
      checkConditioned(largest);
      let weightBuffer: GPUBuffer | null = null;
      if (weights !== null) {
        weightBuffer = device.createBuffer({
          size: Math.max(16, n * 4),
          usage: STORAGE | COPY_SRC,
          mappedAtCreation: true,
          label: `weights rows ${start}..${start + n - 1}`,
        });
        created.push(weightBuffer);
        new Float32Array(weightBuffer.getMappedRange()).set(weights.subarray(start, start + n));
        weightBuffer.unmap();
      }
      chunks.push({ start, rows: n, data: buffer, weights: weightBuffer });
    }
  } catch (error) {
    thrown = error;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (thrown !== null || validation || oom) {
    for (const b of created) b.destroy();
    ctx.checkLost();
    if (thrown instanceof RangeError) throw thrown;
    const bytes = rows * cols * 4 + (weights ? rows * 4 : 0);
    const why = oom ? `out of memory: ${oom.message}` : validation ? validation.message : (thrown as Error).message;
    throw new Error(
      `webgpu engine: the data does not fit the device (${rows} × ${cols} float32 = ${(bytes / 2 ** 20).toFixed(1)} MiB in chunks of ≤ ${perChunk} rows; max buffer ${(ctx.limits.maxBuffer / 2 ** 20).toFixed(0)} MiB, max binding ${(ctx.limits.maxBinding / 2 ** 20).toFixed(0)} MiB): ${why}`,
    );
  }
  return { chunks, conditioning };
}
