// Streamed EM on WebGPU: an E-step pass over a chunk source with the engine's chunk slot (device
// buffers allocated once, written again per chunk; src/gpu/slot.ts) against the same pass with a
// fresh upload per chunk (buffers, plans and bind groups made and released per chunk, as before
// the slot). In process, on whatever adapter 'webgpu' finds (Dawn in Node); null without one.

import type { Backend, MixtureParams } from '../src/backend.ts';
import { Random } from '../src/random.ts';
import { releaseBackends, selectBackend } from '../src/select-backend.ts';
import { scanStream, StreamedData, type ChunkSource } from '../src/stream.ts';

export interface SlotRow {
  readonly chunkRows: number;
  readonly slotPassMs: number;
  readonly uploadPassMs: number;
}

export interface SlotResult {
  readonly adapter: string;
  readonly rows: number;
  readonly cols: number;
  readonly components: number;
  readonly passes: number;
  readonly chunks: SlotRow[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The engine as it is, or without its chunk slot (each chunk loaded and released). */
function withoutSlot(backend: Backend): Backend {
  return {
    kind: backend.kind,
    description: backend.description,
    refuse: (job) => backend.refuse(job),
    load: (dataset) => backend.load(dataset),
    dispose: () => undefined,
  };
}

export async function measureSlot(
  rows = 1_000_000,
  cols = 4,
  k = 8,
  chunkSizes = [10_000, 100_000],
  passes = 5,
): Promise<SlotResult | null> {
  let backend: Backend;
  try {
    backend = await selectBackend('webgpu', null);
  } catch (error) {
    console.log(`WebGPU chunk slot: skipped (${(error as Error).message})`);
    return null;
  }
  const random = new Random(7);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let a = 0; a < cols; a++) data[i * cols + a] = 100 + 3 * (i % k) + (a + 1) * random.nextGaussian();
  // Parameters near the data: means at the cluster centres, unit precisions.
  const means = new Float64Array(k * cols);
  for (let c = 0; c < k; c++) for (let a = 0; a < cols; a++) means[c * cols + a] = 100 + 3 * c;
  const precisionsCholesky = new Float64Array(k * cols * cols);
  for (let c = 0; c < k; c++) for (let a = 0; a < cols; a++) precisionsCholesky[c * cols * cols + a * cols + a] = 1;
  const params: MixtureParams = {
    covarianceType: 'full',
    nComponents: k,
    nFeatures: cols,
    weights: new Float64Array(k).fill(1 / k),
    means,
    precisionsCholesky,
  };
  const settings = { throwIfAborted: () => undefined, onChunk: null };
  const result: SlotRow[] = [];
  for (const chunkRows of chunkSizes) {
    const source: ChunkSource = async function* () {
      for (let start = 0; start < rows; start += chunkRows) {
        const end = Math.min(rows, start + chunkRows);
        yield { data: data.subarray(start * cols, end * cols), rows: end - start, cols };
      }
    };
    const scan = await scanStream(source, 1000, 0, settings);
    const times: Record<'slot' | 'upload', number[]> = { slot: [], upload: [] };
    for (const mode of ['slot', 'upload'] as const) {
      const streamed = new StreamedData(source, mode === 'slot' ? backend : withoutSlot(backend), scan, settings);
      await streamed.eStep(params, 'full'); // compiles the pipelines
      for (let p = 0; p < passes; p++) {
        const started = performance.now();
        await streamed.eStep(params, 'full');
        times[mode].push(performance.now() - started);
      }
      streamed.dispose();
    }
    const row = { chunkRows, slotPassMs: median(times.slot), uploadPassMs: median(times.upload) };
    console.log(
      `WebGPU chunk slot, chunks of ${chunkRows}: ${row.slotPassMs.toFixed(0)} ms a pass with the slot, ${row.uploadPassMs.toFixed(0)} ms uploading each chunk`,
    );
    result.push(row);
  }
  const adapter = backend.description;
  await releaseBackends();
  return { adapter, rows, cols, components: k, passes, chunks: result };
}
