// What every pass on one device shares: the device, its limits, the tuning, a pipeline cache
// keyed by the module and its constants, device-loss tracking, and submissions wrapped in
// error scopes so validation and out-of-memory errors surface as exceptions.

import { DeviceLostError, engineReleased } from '../errors.ts';
import { defaultTuning, type KernelShape, type Tuning } from './tuning.ts';
import { bindGroupEntries, type Bindings } from './bindings.ts';

// GPUBufferUsage / GPUMapMode values (Dawn in Node does not define the globals unless asked).
export const MAP_READ = 0x1;
export const COPY_SRC = 0x4;
export const COPY_DST = 0x8;
export const UNIFORM = 0x40;
export const STORAGE = 0x80;
export const QUERY_RESOLVE = 0x200;
const MODE_READ = 0x1;

export interface WebGpuBackendOptions {
  /** Caps the rows per data chunk (each chunk is one storage binding); for tests. */
  readonly maxRowsPerChunk?: number;
  readonly onProgress?: (message: string) => void;
  /** Take a software adapter (llvmpipe / fallback) before a hardware one. */
  readonly preferSoftware?: boolean;
  /** Look for hardware adapters only, where that can be known without asking Dawn (see acquireDevice). */
  readonly hardwareOnly?: boolean;
  /** Forces a kernel shape for the statistics passes (tests, benchmarks). */
  readonly kernelShape?: KernelShape;
  /** Fills partial and result buffers with NaN before every pass (tests: unwritten slots show). */
  readonly debugPoison?: boolean;
  /**
   * With 'timestamp-query': one compute pass per dispatch, so lastTimings.stages splits the
   * GPU time by stage (A: per-row values, B: statistics, reduce). Benchmarks only.
   */
  readonly timeStages?: boolean;
  /** Overrides of the tuning defaults (src/gpu/tuning.ts); benchmarks and tests. */
  readonly tuning?: Partial<Tuning>;
}

export interface Limits {
  readonly maxBinding: number;
  readonly maxBuffer: number;
  readonly maxUniform: number;
  readonly maxDim: number;
  readonly wgMem: number;
  readonly wgInvocations: number;
}

const LOST = Symbol('lost');

/** Compute pipelines a device keeps compiled (see GpuContext.pipeline). */
const PIPELINE_CACHE = 48;

/** A dispatch: pipeline, bind group and workgroup counts; `stage` labels it for timings. */
export interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly x: number;
  readonly y: number;
  readonly stage: 'A' | 'B' | 'reduce';
}

export class GpuContext {
  readonly limits: Limits;
  readonly tuning: Tuning;
  /** The device has 'timestamp-query' (requested at creation when the adapter offers it). */
  readonly timestamps: boolean;
  lost: GPUDeviceLostInfo | null = null;
  /** Set by the backend's dispose() before it destroys the device: calls then abort, not fail over. */
  released = false;
  private readonly lostSignal: Promise<typeof LOST>;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(
    readonly device: GPUDevice,
    readonly software: boolean,
    readonly options: WebGpuBackendOptions,
  ) {
    const l = device.limits;
    this.limits = {
      maxBinding: Number(l.maxStorageBufferBindingSize),
      maxBuffer: Number(l.maxBufferSize),
      maxUniform: Number(l.maxUniformBufferBindingSize),
      maxDim: l.maxComputeWorkgroupsPerDimension,
      wgMem: l.maxComputeWorkgroupStorageSize,
      wgInvocations: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    };
    const tuning = { ...defaultTuning(software), ...(options.tuning ?? {}) };
    this.tuning = { ...tuning, workgroupSize: Math.min(tuning.workgroupSize, this.limits.wgInvocations) };
    this.timestamps = device.features.has('timestamp-query');
    this.lostSignal = device.lost.then((info) => {
      this.lost = info;
      return LOST;
    });
  }

  checkLost(): void {
    if (this.released) {
      throw engineReleased('WebGPU', 'running');
    }
    if (this.lost !== null) {
      throw new DeviceLostError(
        `the WebGPU device was lost (${this.lost.reason}): ${this.lost.message || 'no message'}`,
        this.lost.reason,
      );
    }
  }

  /**
   * A compute pipeline for the module, cached by code, entry point and override constants. The
   * cache keeps the PIPELINE_CACHE most recently used (a pipeline compiled by a software adapter
   * holds a megabyte or so of machine code; a process fitting many shapes must not keep them all).
   */
  pipeline(
    label: string,
    code: string,
    constants: Record<string, number>,
    entryPoint = 'main',
  ): Promise<GPUComputePipeline> {
    const key = `${entryPoint}\n${JSON.stringify(constants)}\n${code}`;
    let p = this.pipelines.get(key);
    if (p !== undefined) {
      // Most recently used last.
      this.pipelines.delete(key);
      this.pipelines.set(key, p);
    } else {
      const module = this.device.createShaderModule({ code, label });
      p = this.device
        .createComputePipelineAsync({
          label: `${label} (${entryPoint})`,
          layout: 'auto',
          compute: { module, entryPoint, constants },
        })
        .catch(async (error: unknown) => {
          this.pipelines.delete(key);
          let detail = '';
          try {
            const info = await module.getCompilationInfo();
            detail = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
          } catch {
            /* no compilation info */
          }
          throw new Error(
            `WebGPU pipeline creation failed for ${label}: ${(error as Error).message}${detail ? ` (${detail})` : ''}`,
          );
        });
      this.pipelines.set(key, p);
      if (this.pipelines.size > PIPELINE_CACHE) this.pipelines.delete(this.pipelines.keys().next().value as string);
    }
    return p;
  }

  /** Workgroup counts for n workgroups: 2-D when n exceeds the per-dimension limit. */
  dims(n: number): [number, number] {
    const max = this.limits.maxDim;
    if (n <= max) return [Math.max(1, n), 1];
    const y = Math.ceil(n / max);
    return [Math.ceil(n / y), y];
  }

  /** A bind group of the pipeline's buffers, by name (src/gpu/bindings.ts). */
  bindGroup(pipeline: GPUComputePipeline, bindings: Bindings, label: string): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: bindGroupEntries(bindings),
    });
  }

  /** Runs fn (buffer and pipeline creation) inside validation / out-of-memory error scopes. */
  async guarded<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let value: T | undefined;
    let thrown: unknown = null;
    try {
      value = await fn();
    } catch (error) {
      thrown = error;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    this.checkLost();
    if (oom) throw new Error(`WebGPU out of memory in ${what}: ${oom.message}`);
    if (validation) throw new Error(`WebGPU validation error in ${what}: ${validation.message}`);
    if (thrown !== null) throw thrown;
    return value as T;
  }

  /**
   * Encodes and submits; waits until every staging buffer [buffer, bytes] is mapped, surfacing
   * validation errors, out-of-memory and device loss as exceptions.
   */
  async submit(
    what: string,
    encode: (encoder: GPUCommandEncoder) => void,
    stagings: ReadonlyArray<readonly [GPUBuffer, number]>,
  ): Promise<void> {
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: what });
    encode(encoder);
    device.queue.submit([encoder.finish()]);
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const maps = stagings.map(([b, bytes]) => b.mapAsync(MODE_READ, 0, alignedSize(bytes)));
    const all = Promise.allSettled([validation, oom, ...maps]);
    const outcome = await Promise.race([all, this.lostSignal]);
    if (outcome === LOST) this.checkLost();
    const settled = outcome as PromiseSettledResult<unknown>[];
    const fail = (message: string): never => {
      for (const [b] of stagings) if (b.mapState === 'mapped') b.unmap();
      this.checkLost();
      throw new Error(message);
    };
    const [v, o, ...m] = settled;
    if (o?.status === 'fulfilled' && o.value) fail(`WebGPU out of memory in ${what}: ${(o.value as GPUError).message}`);
    if (v?.status === 'fulfilled' && v.value)
      fail(`WebGPU validation error in ${what}: ${(v.value as GPUError).message}`);
    for (const r of m)
      if (r.status === 'rejected')
        fail(`WebGPU readback failed in ${what}: ${(r.reason as Error)?.message ?? String(r.reason)}`);
  }

  /** Records dispatches in one compute pass (or one pass each, with timestamp writes per pass). */
  encodeDispatches(
    encoder: GPUCommandEncoder,
    dispatches: readonly Dispatch[],
    timer: { querySet: GPUQuerySet; split: boolean } | null,
  ): void {
    if (timer !== null && timer.split) {
      dispatches.forEach((p, i) => {
        const pass = encoder.beginComputePass({
          timestampWrites: {
            querySet: timer.querySet,
            beginningOfPassWriteIndex: 2 * i,
            endOfPassWriteIndex: 2 * i + 1,
          },
        });
        pass.setPipeline(p.pipeline);
        pass.setBindGroup(0, p.bindGroup);
        pass.dispatchWorkgroups(p.x, p.y);
        pass.end();
      });
      return;
    }
    const pass = encoder.beginComputePass(
      timer !== null
        ? { timestampWrites: { querySet: timer.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }
        : {},
    );
    for (const p of dispatches) {
      pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, p.bindGroup);
      pass.dispatchWorkgroups(p.x, p.y);
    }
    pass.end();
  }
}

/** Buffer sizes: a multiple of 4 bytes and at least 16 (mapping ranges use the same rule). */
export function alignedSize(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 4) * 4);
}

let liveBuffers = 0;

/** GPU buffers the engine holds right now, over every device (diagnostics: nothing leaks). */
export function liveGpuBuffers(): number {
  return liveBuffers;
}

/** Buffers created for one owner (a loaded data set, a plan), destroyed together. */
export class BufferSet {
  private readonly buffers = new Set<GPUBuffer>();
  constructor(private readonly device: GPUDevice) {}

  create(bytes: number, usage: number, label: string): GPUBuffer {
    return this.adopt(this.device.createBuffer({ size: alignedSize(bytes), usage, label }));
  }

  adopt(buffer: GPUBuffer): GPUBuffer {
    if (!this.buffers.has(buffer)) liveBuffers++;
    this.buffers.add(buffer);
    return buffer;
  }

  get count(): number {
    return this.buffers.size;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    liveBuffers -= this.buffers.size;
    this.buffers.clear();
  }
}
