// A chunk slot: device buffers for a stream of chunks (streamed EM, src/stream.ts), allocated once
// for the largest chunk and written again for every chunk, instead of a new upload (buffers,
// plans, bind groups) per chunk. Each chunk is conditioned on its own (its column means and
// scale), as an upload conditions a whole data set, and the statistics come back in its own space.
//
// The statistics plans depend on the row count of the data, not on its values, so one GpuData is
// kept per row count a stream uses (a full chunk, the shorter last one, a row group's remainder),
// at most MAX_SHAPES of them, the least recently used released first.

import type { ChunkSlot, LoadedData } from '../backend.ts';
import type { Dataset } from '../matrix.ts';
import { BufferSet, COPY_DST, COPY_SRC, STORAGE, type GpuContext } from './context.ts';
import { GpuData } from './data.ts';
import { conditioningOf } from './layout.ts';
import type { Chunk } from './plans/plan.ts';
import { checkConditioned, chunkRows, writeConditioned } from './upload.ts';

/** Row counts whose plans a slot keeps at once. */
const MAX_SHAPES = 4;

interface Region {
  readonly start: number;
  readonly capacity: number;
  readonly data: GPUBuffer;
  readonly weights: GPUBuffer | null;
}

export class GpuChunkSlot implements ChunkSlot {
  private readonly buffers: BufferSet;
  private regions: Region[] | null = null;
  private readonly staging: Float32Array<ArrayBuffer>;
  private readonly stagingWeights: Float32Array<ArrayBuffer> | null;
  /** One GpuData per row count, most recently used last. */
  private readonly shapes = new Map<number, GpuData>();
  private last: GpuData | null = null;
  private disposed = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly cols: number,
    private readonly maxRows: number,
    private readonly weighted: boolean,
    /** The backend's live data sets: each row count's GpuData joins it, and leaves it on dispose. */
    private readonly live: Set<GpuData>,
    private readonly onDispose: (slot: GpuChunkSlot) => void,
  ) {
    this.buffers = new BufferSet(ctx.device);
    const per = Math.min(chunkRows(ctx, cols), maxRows);
    this.staging = new Float32Array(per * cols);
    this.stagingWeights = weighted ? new Float32Array(per) : null;
  }

  /** Buffers this slot holds for its chunks (tests: allocated once). */
  get bufferCount(): number {
    return this.buffers.count;
  }

  /** The device buffers, created on the first load: rows split across bindings as an upload splits them. */
  private async allocate(): Promise<Region[]> {
    if (this.regions !== null) return this.regions;
    const per = this.staging.length / this.cols;
    const regions = await this.ctx.guarded('allocating the buffers for streamed chunks', () => {
      const made: Region[] = [];
      for (let start = 0; start < this.maxRows; start += per) {
        const n = Math.min(per, this.maxRows - start);
        const data = this.buffers.create(
          n * this.cols * 4,
          STORAGE | COPY_DST | COPY_SRC,
          `stream rows ${start}..${start + n - 1}`,
        );
        const weights = this.weighted
          ? this.buffers.create(n * 4, STORAGE | COPY_DST | COPY_SRC, `stream weights ${start}..${start + n - 1}`)
          : null;
        made.push({ start, capacity: n, data, weights });
      }
      return made;
    });
    this.regions = regions;
    return regions;
  }

  async load(dataset: Dataset): Promise<LoadedData> {
    this.ctx.checkLost(); // released with the engine (an AbortError), or the device lost
    if (this.disposed) throw new Error('This chunk slot was released; open another.');
    const { data, rows, cols, weights } = dataset;
    if (cols !== this.cols || rows > this.maxRows || rows < 1 || (weights !== null) !== this.weighted) {
      throw new Error(
        `webgpu engine: a chunk of ${rows} × ${cols}${weights !== null ? ' weighted' : ''} does not fit a slot of ${this.maxRows} × ${this.cols}${this.weighted ? ' weighted' : ''}`,
      );
    }
    // The previous chunk's operations read these buffers and its conditioning: let them end.
    if (this.last !== null) await this.last.settled();
    const regions = await this.allocate();
    const conditioning = conditioningOf(data, rows, cols);
    const queue = this.ctx.device.queue;
    const chunks: Chunk[] = [];
    for (const region of regions) {
      if (region.start >= rows) break;
      const n = Math.min(region.capacity, rows - region.start);
      checkConditioned(writeConditioned(this.staging, data, region.start, n, cols, conditioning));
      queue.writeBuffer(region.data, 0, this.staging, 0, n * cols);
      if (region.weights !== null && weights !== null && this.stagingWeights !== null) {
        this.stagingWeights.set(weights.subarray(region.start, region.start + n));
        queue.writeBuffer(region.weights, 0, this.stagingWeights, 0, n);
      }
      chunks.push({ start: region.start, rows: n, data: region.data, weights: region.weights });
    }
    let shape = this.shapes.get(rows);
    if (shape === undefined) {
      shape = new GpuData(this.ctx, dataset, chunks, conditioning, (d) => this.live.delete(d), false);
      this.live.add(shape);
      this.remember(rows, shape);
    } else {
      this.shapes.delete(rows);
      this.shapes.set(rows, shape);
      await shape.rebind(dataset, conditioning);
    }
    this.last = shape;
    return shape;
  }

  private remember(rows: number, shape: GpuData): void {
    this.shapes.set(rows, shape);
    while (this.shapes.size > MAX_SHAPES) {
      const [oldest, data] = this.shapes.entries().next().value as [number, GpuData];
      this.shapes.delete(oldest);
      data.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const data of this.shapes.values()) data.dispose();
    this.shapes.clear();
    this.last = null;
    this.buffers.destroy();
    this.onDispose(this);
  }
}
