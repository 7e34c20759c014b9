// The WebGPU engine's Backend: one device, its limits checked before any work (so 'auto' can
// choose the CPU engine instead), data sets uploaded and released.

import type { Backend, JobShape, LoadedData } from '../backend.ts';
import type { Dataset } from '../matrix.ts';
import { formOf } from '../model/covariance.ts';
import { statsLayout, momentsFor } from '../sufficient-stats.ts';
import { GpuContext, type WebGpuBackendOptions } from './context.ts';
import { GpuData } from './data.ts';
import { GpuChunkSlot } from './slot.ts';
import type { AcquiredDevice } from './device.ts';
import { factorCount } from './layout.ts';
import { tiledFits } from './plans/tiled.ts';
import { MAX_COMPONENTS, MAX_FEATURES } from './tuning.ts';
import { uploadDataset } from './upload.ts';
import { engineReleased } from '../errors.ts';

const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly description: string;
  private readonly ctx: GpuContext;
  private readonly live = new Set<GpuData>();
  private readonly slots = new Set<GpuChunkSlot>();
  private disposed = false;

  constructor(acquired: AcquiredDevice, options: WebGpuBackendOptions) {
    this.ctx = new GpuContext(acquired.device, acquired.software, options);
    this.description = acquired.description;
  }

  /** The device (for interop, and for tests that simulate its loss). */
  get device(): GPUDevice {
    return this.ctx.device;
  }

  /** Whether this is a software (CPU-emulated) adapter. */
  get software(): boolean {
    return this.ctx.software;
  }

  /** Data sets currently loaded (tests: nothing leaks). */
  get liveDataCount(): number {
    return this.live.size;
  }

  refuse(job: JobShape): string | null {
    const { rows, cols: d, nComponents: k, covarianceType } = job;
    const { maxBinding } = this.ctx.limits;
    if (d > MAX_FEATURES) return `the WebGPU engine takes at most ${MAX_FEATURES} features, and X has ${d}`;
    if (k > MAX_COMPONENTS)
      return `the WebGPU engine takes at most ${MAX_COMPONENTS} components, and nComponents is ${k}`;
    if (rows >= 2 ** 32) return `the WebGPU engine takes at most 2^32 − 1 rows, and X has ${rows}`;
    if (!tiledFits(this.ctx, d))
      return `one row of ${d} features does not fit this adapter's workgroup memory (${this.ctx.limits.wgMem} bytes)`;
    const stats = statsLayout(k, d, momentsFor(covarianceType)).size * 4;
    const params = (k * d + factorCount(formOf(covarianceType), k, d) + k) * 4;
    if (Math.max(stats, params) > maxBinding) {
      return `K = ${k} components of ${d} features (${covarianceType}) need ${MiB(Math.max(stats, params))} of statistics or parameters per pass, more than this adapter's ${MiB(maxBinding)} storage binding`;
    }
    return null;
  }

  async load(dataset: Dataset): Promise<LoadedData> {
    if (this.disposed) throw engineReleased('WebGPU', 'before');
    this.ctx.checkLost();
    const { chunks, conditioning } = await uploadDataset(this.ctx, dataset);
    const loaded = new GpuData(this.ctx, dataset, chunks, conditioning, (d) => this.live.delete(d));
    this.live.add(loaded);
    return loaded;
  }

  /** Device buffers for a stream of chunks of ≤ maxRows rows, written again for each chunk (streamed EM). */
  openChunkSlot(cols: number, maxRows: number, weighted: boolean): GpuChunkSlot {
    if (this.disposed) throw engineReleased('WebGPU', 'before');
    const slot = new GpuChunkSlot(this.ctx, cols, maxRows, weighted, this.live, (s) => this.slots.delete(s));
    this.slots.add(slot);
    return slot;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ctx.released = true;
    for (const s of [...this.slots]) s.dispose();
    for (const d of [...this.live]) d.dispose();
    this.ctx.device.destroy();
  }
}
