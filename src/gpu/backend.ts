// The WebGPU engine: data uploaded once per fit as float32 (split into chunks that each fit
// one storage binding), parameters re-uploaded per pass, statistics reduced on the GPU in a
// fixed order (bit-identical run to run) and only the small result read back and turned into
// float64 SufficientStats. Kernel shapes: register ones for small K·D ('vector', 'fused':
// partials in registers, grid-stride loop), and for large K or D per-block responsibilities
// in a bounded scratch buffer followed by either one invocation per statistic summing the
// block ('chunked') or a tiled batched product Σ r·z·zᵀ with row tiles in workgroup memory
// and 4x4 register blocks per invocation ('tiled', the default for D > 4).
// With 'timestamp-query', each statistics pass records its GPU time (GpuData.lastTimings).

import type {
  AssignResult,
  Backend,
  EvaluateRequest,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  MomentKind,
  SufficientStats,
} from '../backend.ts';
import { unpackStats } from '../cpu/engine.ts';
import { toKernelParams } from '../model/params.ts';
import type { CovarianceType } from '../options.ts';
import { Random } from '../random.ts';
import type { AcquiredDevice } from './device.ts';
import { DeviceLostError } from './errors.ts';
import {
  evaluateModule,
  factorCount,
  fusedIterationsPerRow,
  fusedModule,
  vectorRowCap,
  vectorModule,
  vectorParamCount,
  vectorWidth,
  kmeansppModule,
  LOOP_BUDGET,
  reduceModule,
  respModule,
  statCount,
  tileModule,
  rowIterations,
  rowsTriModule,
  TRI_MAX_D,
  triBytesPerComponent,
  triIterations,
  tiledBlockCount,
  tiledModule,
  tiledRowVecs,
  type Job,
  type ModuleSpec,
  type MomentCode,
} from './shaders.ts';

// GPUBufferUsage / GPUMapMode values (Dawn in Node does not define the globals unless asked).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const QUERY_RESOLVE = 0x200;
const MODE_READ = 0x1;

/** Bytes between uniform entries (minUniformBufferOffsetAlignment is at most 256). */
const RUN_STRIDE = 256;
const RUN_U32 = RUN_STRIDE / 4;

/** Largest feature count accepted (private arrays of D floats per invocation). */
export const MAX_FEATURES = 256;
/** Largest component count accepted. */
export const MAX_COMPONENTS = 4096;
/**
 * Whether 'auto' takes the tiled shape (D > 4) on software adapters too; measured on Dawn's
 * GL backend on llvmpipe (bench/gpu/run.ts, 1e5-1e6 rows, D 8/32, K 4/16).
 */
const SOFTWARE_TILED = true;
/** Rows per k-means++ block. */
const KPP_BLOCK = 256;

export type KernelShape = 'auto' | 'vector' | 'fused' | 'chunked' | 'tiled';

/** GPU time of the last statistics pass (timestamp queries, when the adapter has them) and its wall time. */
export interface GpuTimings {
  /** Compute-pass time from timestamp queries, ms; null without the 'timestamp-query' feature. */
  readonly kernelMs: number | null;
  /** Submit to readback done, ms (host side, includes the parameter upload). */
  readonly wallMs: number;
  /** GPU ms per stage (option timeStages), else absent. */
  readonly stages?: Readonly<Record<string, number>>;
}

export interface WebGpuBackendOptions {
  /** Caps the rows per data chunk (each chunk is one storage binding); for tests. */
  readonly maxRowsPerChunk?: number;
  readonly onProgress?: (message: string) => void;
  /** Take a software adapter (llvmpipe / fallback) before a hardware one. */
  readonly preferSoftware?: boolean;
  /** Forces a kernel shape for the statistics passes (tests, benchmarks). */
  readonly kernelShape?: KernelShape;
  /** Fills partial and result buffers with NaN before every pass (tests: unwritten slots show). */
  readonly debugPoison?: boolean;
  /** Workgroup size (override constant WG); default 64. */
  readonly workgroupSize?: number;
  /** Rows per invocation of the fused kernel (override PPI); default by adapter. */
  readonly pointsPerInvocation?: number;
  /** Rows per workgroup tile of the tiled statistics pass (override TILE); default by adapter. */
  readonly tileRows?: number;
  /**
   * Tiled shape, pass A of the E-step with full/tied covariance: the register kernel with
   * staged factors (rows_tri_main; default) or the generic per-row kernel (rows_main).
   */
  readonly triSolve?: boolean;
  /** Components whose factors rows_tri_main stages in workgroup memory at once (override KC); default by adapter. */
  readonly triComponents?: number;
  /** Workgroup size of rows_tri_main; default: 128 on hardware, as pass B on software. */
  readonly triWorkgroupSize?: number;
  /** Tiled pass B: column blocks per invocation (override CB): 1 (4x4 register blocks) or 2 (4x8); default by D. */
  readonly tiledColumnBlocks?: number;
  /**
   * Tiled pass B: row blocks per invocation (override RB): 1, or 2 (8x8 register blocks; forces
   * CB 2; full/tied moments only, else 1). Default: 2 on hardware for D > 24, else 1.
   */
  readonly tiledRowBlocks?: number;
  /**
   * Tiled pass B: components per workgroup (override KB, 1-16, at most K): the row tile is read
   * once for KB components. Default: 4 on hardware, 1 on software adapters.
   */
  readonly tiledComponents?: number;
  /** rows_tri_main (rows outer, x in registers; hardware default) or rows_tri_kmain (component groups outer; software default). */
  readonly triRowsOuter?: boolean;
  /**
   * Rows per invocation per row step of rows_tri_main (rows outer only): 1, or 2
   * (rows_tri_pair_main: each staged factor vec4 read from workgroup memory feeds both rows;
   * per-row results bit-identical to 1). Default 1.
   */
  readonly triRowsPerInvocation?: 1 | 2;
  /**
   * With 'timestamp-query': one compute pass per dispatch, so lastTimings.stages splits the
   * GPU time by stage (A: per-row values, B: statistics, reduce, other). Benchmarks only.
   */
  readonly timeStages?: boolean;
}

interface Limits {
  readonly maxBinding: number;
  readonly maxBuffer: number;
  readonly maxDim: number;
  readonly wgMem: number;
  readonly wgInvocations: number;
}

const LOST = Symbol('lost');

/** What all data sets of one device share: pipelines, limits, loss state. */
class Context {
  readonly limits: Limits;
  readonly wg: number;
  readonly ppi: number;
  /** The device has 'timestamp-query' (requested at creation when the adapter offers it). */
  readonly timestamps: boolean;
  lost: GPUDeviceLostInfo | null = null;
  readonly lostSignal: Promise<typeof LOST>;
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
      maxDim: l.maxComputeWorkgroupsPerDimension,
      wgMem: l.maxComputeWorkgroupStorageSize,
      wgInvocations: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    };
    this.timestamps = device.features.has('timestamp-query');
    this.wg = Math.min(options.workgroupSize ?? 64, l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX);
    this.ppi = options.pointsPerInvocation ?? 64;
    this.lostSignal = device.lost.then((info) => {
      this.lost = info;
      return LOST;
    });
  }

  checkLost(): void {
    if (this.lost !== null) {
      throw new DeviceLostError(`the WebGPU device was lost (${this.lost.reason}): ${this.lost.message || 'no message'}`, this.lost.reason);
    }
  }

  pipeline(code: string, constants: Record<string, number>, entryPoint = 'main'): Promise<GPUComputePipeline> {
    const key = `${entryPoint}\n${JSON.stringify(constants)}\n${code}`;
    let p = this.pipelines.get(key);
    if (p === undefined) {
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint, constants } }).catch(async (error: unknown) => {
        this.pipelines.delete(key);
        let detail = '';
        try {
          const info = await module.getCompilationInfo();
          detail = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
        } catch {
          /* no compilation info */
        }
        throw new Error(`WebGPU pipeline creation failed: ${(error as Error).message}${detail ? ` (${detail})` : ''}`);
      });
      this.pipelines.set(key, p);
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
}

interface Chunk {
  readonly start: number;
  readonly rows: number;
  readonly data: GPUBuffer;
  readonly weights: GPUBuffer | null;
}

interface Pass {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly x: number;
  readonly y: number;
  /** For per-stage timings (option timeStages): 'A' (per-row values), 'B' (statistics), 'reduce'. */
  readonly stage?: string;
}

type Shape = 'vector' | 'fused' | 'chunked' | 'tiled';

interface StatsPlan {
  readonly shape: Shape;
  readonly s: number;
  readonly params: GPUBuffer;
  readonly paramsHost: Float32Array<ArrayBuffer>;
  readonly uniform: GPUBuffer;
  readonly uniformHost: Uint32Array<ArrayBuffer>;
  readonly entries: number;
  readonly part: GPUBuffer;
  readonly partFloats: number;
  readonly res: GPUBuffer;
  readonly staging: GPUBuffer;
  readonly passes: Pass[];
  readonly out: Float64Array;
}

interface EvalPlan {
  readonly rows: number;
  readonly params: GPUBuffer;
  readonly paramsHost: Float32Array<ArrayBuffer>;
  readonly uniform: GPUBuffer;
  readonly uniformHost: Uint32Array<ArrayBuffer>;
  readonly outp: GPUBuffer;
  readonly meta: GPUBuffer;
  readonly stagingOut: GPUBuffer;
  readonly stagingMeta: GPUBuffer;
  readonly value: GPUComputePipeline;
  readonly finish: GPUComputePipeline;
  readonly valueGroups: GPUBindGroup[];
  readonly finishGroup: GPUBindGroup;
}

const NEG_BIG = -1e30;

function momentCode(moments: MomentKind | null): MomentCode {
  return moments === 'full' ? 2 : moments === 'diag' ? 1 : 0;
}

class GpuData implements LoadedData {
  private disposed = false;
  private readonly owned = new Set<GPUBuffer>();
  private readonly plans = new Map<string, StatsPlan>();
  private readonly evalPlans = new Map<number, EvalPlan>();
  private tail: Promise<unknown> = Promise.resolve();
  private timer: { count: number; querySet: GPUQuerySet; resolve: GPUBuffer; staging: GPUBuffer } | null = null;
  /** GPU (timestamp-query) and wall time of the last statistics pass (eStep, assign, random init); null before the first. */
  lastTimings: GpuTimings | null = null;

  constructor(
    private readonly ctx: Context,
    readonly rows: number,
    readonly cols: number,
    readonly totalWeight: number,
    private readonly chunks: Chunk[],
    private readonly weighted: boolean,
    private readonly onDispose: (data: GpuData) => void,
  ) {
    for (const c of chunks) {
      this.owned.add(c.data);
      if (c.weights) this.owned.add(c.weights);
    }
  }

  // ---- plumbing -------------------------------------------------------------------------

  private get device(): GPUDevice {
    return this.ctx.device;
  }

  private buffer(size: number, usage: number, label: string): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage, label });
    this.owned.add(b);
    return b;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This data was released (dispose() was called); load it again.');
    this.ctx.checkLost();
  }

  /** Runs operations one at a time (they share staging buffers). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(
      () => {
        this.checkAlive();
        return fn();
      },
      () => {
        this.checkAlive();
        return fn();
      },
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Creation of buffers and pipelines inside validation / out-of-memory error scopes. */
  private async guarded<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
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
    this.ctx.checkLost();
    if (oom) throw new Error(`WebGPU out of memory in ${what}: ${oom.message}`);
    if (validation) throw new Error(`WebGPU validation error in ${what}: ${validation.message}`);
    if (thrown !== null) throw thrown;
    return value as T;
  }

  /** Encodes and submits; waits for the stagings to map, surfacing errors and device loss. */
  private async submit(what: string, encode: (encoder: GPUCommandEncoder) => void, stagings: Array<[GPUBuffer, number]>): Promise<void> {
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    encode(encoder);
    device.queue.submit([encoder.finish()]);
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const maps = stagings.map(([b, size]) => b.mapAsync(MODE_READ, 0, Math.max(16, Math.ceil(size / 4) * 4)));
    const all = Promise.allSettled([validation, oom, ...maps]);
    const outcome = await Promise.race([all, this.ctx.lostSignal]);
    if (outcome === LOST) this.ctx.checkLost();
    const settled = outcome as PromiseSettledResult<unknown>[];
    const fail = (message: string): never => {
      for (const [b] of stagings) if (b.mapState === 'mapped') b.unmap();
      this.ctx.checkLost();
      throw new Error(message);
    };
    const [v, o, ...m] = settled;
    if (o?.status === 'fulfilled' && o.value) fail(`WebGPU out of memory in ${what}: ${(o.value as GPUError).message}`);
    if (v?.status === 'fulfilled' && v.value) fail(`WebGPU validation error in ${what}: ${(v.value as GPUError).message}`);
    for (const r of m) if (r.status === 'rejected') fail(`WebGPU readback failed in ${what}: ${(r.reason as Error)?.message ?? String(r.reason)}`);
  }

  private bindGroup(pipeline: GPUComputePipeline, entries: Array<[number, GPUBuffer, number?, number?]>): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer, offset, size]) => ({
        binding,
        resource: { buffer, ...(offset !== undefined ? { offset } : {}), ...(size !== undefined ? { size } : {}) },
      })),
    });
  }

  private poison(buffer: GPUBuffer, floats: number): void {
    this.device.queue.writeBuffer(buffer, 0, new Float32Array(floats).fill(NaN));
  }

  // ---- statistics passes --------------------------------------------------------------

  private chooseShape(job: Job, cov: CovarianceType, mom: MomentCode, k: number, s: number, d: number): Shape {
    const forced = this.ctx.options.kernelShape ?? 'auto';
    const vectorOk = d <= 4 && vectorRowCap(k, d, mom) >= 1 && vectorParamCount(job, cov, k, d) * 4 <= this.device.limits.maxUniformBufferBindingSize;
    if (forced === 'vector' && vectorOk) return 'vector';
    if (forced === 'fused' && s <= 4096) return 'fused';
    if (forced === 'chunked') return 'chunked';
    // The tiled pass needs one padded row (plus its responsibility) in workgroup memory.
    const tiledOk = tiledRowVecs(d) * 16 + 4 <= this.ctx.limits.wgMem;
    if (forced === 'tiled' && tiledOk) return 'tiled';
    if (vectorOk) return 'vector';
    // Hardware: the tiled shape. Software adapters: whichever measured faster (see SOFTWARE_TILED).
    return tiledOk && (!this.ctx.software || SOFTWARE_TILED) ? 'tiled' : 'chunked';
  }

  private checkShape(k: number, d: number, s: number, paramFloats: number): void {
    if (!Number.isInteger(k) || k < 1 || k > MAX_COMPONENTS) throw new Error(`webgpu backend: nComponents must be 1..${MAX_COMPONENTS}, got ${k}`);
    if (d !== this.cols) throw new Error(`webgpu backend: parameters have ${d} features, the data ${this.cols}`);
    const { maxBinding, maxDim } = this.ctx.limits;
    if (s * 4 > maxBinding || paramFloats * 4 > maxBinding || Math.ceil(s / this.ctx.wg) > maxDim * maxDim) {
      throw new Error(
        `webgpu backend: K=${k}, D=${d} needs ${s} statistics and ${paramFloats} parameters (${((Math.max(s, paramFloats) * 4) / 2 ** 20).toFixed(1)} MiB), more than this adapter's ${(maxBinding / 2 ** 20).toFixed(0)} MiB storage binding`,
      );
    }
  }

  private async statsPlan(job: Job, k: number, cov: CovarianceType, mom: MomentCode): Promise<StatsPlan> {
    const d = this.cols;
    const key = `${job}|${k}|${cov}|${mom}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const s = statCount(k, d, mom);
    const shape = this.chooseShape(job, cov, mom, k, s, d);
    const paramFloats = shape === 'vector' ? vectorParamCount(job, cov, k, d) : k * d + (job === 'estep' ? factorCount(cov, k, d) + k : 0);
    this.checkShape(k, d, s, paramFloats);
    const spec: ModuleSpec = { k, d, cov: job === 'estep' ? cov : 'spherical', mom, weighted: this.weighted };
    const ctx = this.ctx;
    const wg = ctx.wg;
    const partCap = Math.min(ctx.limits.maxBinding, ctx.limits.maxBuffer, 256 * 2 ** 20);

    const plan = await this.guarded(`preparing the ${job} pass`, async () => {
      const paramsHost = new Float32Array(Math.max(4, Math.ceil(paramFloats / 4) * 4));
      const params = this.buffer(paramsHost.length * 4, (shape === 'vector' ? UNIFORM : STORAGE) | COPY_DST, 'params');
      const passes: Pass[] = [];
      const entriesInfo: number[][] = [];
      let slots: number;
      let part: GPUBuffer;
      let partFloats: number;
      const res = this.buffer(s * 4, STORAGE | COPY_SRC | COPY_DST, 'result');
      const staging = this.buffer(s * 4, MAP_READ | COPY_DST, 'staging');
      // Uniform entries: one per dispatch group, then the reduction levels.
      const uniformEntries = (n: number): GPUBuffer => this.buffer((n + 6) * RUN_STRIDE, UNIFORM | COPY_DST, 'run');
      let uniform: GPUBuffer;

      if (shape === 'vector') {
        const cap = vectorRowCap(k, d, mom);
        // 64 rows per invocation measured best on llvmpipe (1M x 2, K=16: 110 ms vs 500 ms at 256).
        const perFor = (rows: number): number => Math.max(1, Math.min(cap, ctx.ppi, Math.max(1, Math.ceil(rows / wg))));
        let per = this.chunks.map((c) => perFor(c.rows));
        let groups = this.chunks.map((c, i) => Math.ceil(c.rows / (wg * (per[i] as number))));
        if (groups.reduce((a, b) => a + b, 0) * wg * s * 4 > partCap) {
          per = this.chunks.map(() => cap);
          groups = this.chunks.map((c) => Math.ceil(c.rows / (wg * cap)));
        }
        slots = groups.reduce((a, b) => a + b, 0) * wg;
        partFloats = slots * s;
        if (partFloats * 4 > ctx.limits.maxBinding || groups.some((g) => g > ctx.limits.maxDim)) {
          throw new Error(`webgpu backend: ${this.rows} rows need ${slots} partial slots of ${s} statistics, more than one storage binding holds; use fewer rows per load`);
        }
        part = this.buffer(partFloats * 4, STORAGE | COPY_DST, 'partials');
        const maxChunk = Math.max(...this.chunks.map((c) => c.rows));
        const rowv = this.buffer(maxChunk * 4, STORAGE, 'row values');
        uniform = uniformEntries(this.chunks.length);
        const pipe = await ctx.pipeline(vectorModule(job, spec), { WG: wg, PPI: cap });
        let slot = 0;
        this.chunks.forEach((c, i) => {
          const t = (groups[i] as number) * wg;
          entriesInfo.push([c.rows, t, slot, slots, c.start, 0, per[i] as number, 0]);
          const entries: Array<[number, GPUBuffer, number?, number?]> = [[0, c.data], [6, params], [3, part], [5, rowv], [4, uniform, i * RUN_STRIDE, 32]];
          if (c.weights) entries.push([1, c.weights]);
          passes.push({ pipeline: pipe, bindGroup: this.bindGroup(pipe, entries), x: groups[i] as number, y: 1 });
          slot += t;
        });
      } else if (shape === 'fused') {
        const ppiCap = Math.max(1, Math.floor(LOOP_BUDGET / fusedIterationsPerRow(k, d, mom)));
        let ppi = Math.min(ctx.ppi, ppiCap);
        const threadsFor = (p: number): number[] => this.chunks.map((c) => Math.ceil(c.rows / p));
        let threads = threadsFor(ppi);
        // Bounded partials (and workgroup counts); on llvmpipe, ppiCap wins for correctness.
        while (ppi < ppiCap && (threads.reduce((a, b) => a + b, 0) * s * 4 > partCap || threads.some((t) => Math.ceil(t / wg) > ctx.limits.maxDim))) {
          ppi = Math.min(ppiCap, ppi * 2);
          threads = threadsFor(ppi);
        }
        slots = threads.reduce((a, b) => a + b, 0);
        partFloats = slots * s;
        if (partFloats * 4 > ctx.limits.maxBinding || threads.some((t) => Math.ceil(t / wg) > ctx.limits.maxDim)) {
          throw new Error(`webgpu backend: ${this.rows} rows need ${slots} partial slots of ${s} statistics, more than one storage binding holds; use fewer rows per load`);
        }
        part = this.buffer(partFloats * 4, STORAGE | COPY_DST, 'partials');
        uniform = uniformEntries(this.chunks.length);
        const fused = await ctx.pipeline(fusedModule(job, spec), { WG: wg, PPI: ppi });
        let slot = 0;
        this.chunks.forEach((c, i) => {
          const t = threads[i] as number;
          entriesInfo.push([c.rows, t, slot, slots, c.start, 0, 0, 0]);
          const entries: Array<[number, GPUBuffer, number?, number?]> = [
            [0, c.data],
            [2, params],
            [3, part],
            [4, uniform, i * RUN_STRIDE, 32],
          ];
          if (c.weights) entries.push([1, c.weights]);
          passes.push({ pipeline: fused, bindGroup: this.bindGroup(fused, entries), x: Math.ceil(t / wg), y: 1 });
          slot += t;
        });
      } else if (shape === 'tiled') {
        ({ slots, part, partFloats, uniform } = await this.tiledPasses(job, spec, s, passes, entriesInfo, params, partCap, uniformEntries));
      } else {
        const budget = Math.min(ctx.limits.maxBinding / 4, 8 * 2 ** 20);
        const maxChunk = Math.max(...this.chunks.map((c) => c.rows));
        // The tile pass loops over the block's rows: keep that under the loop budget.
        const block = Math.max(1, Math.min(maxChunk, 32768, Math.floor(budget / (k + 2))));
        const blocks: Array<{ chunk: number; start: number; rows: number }> = [];
        this.chunks.forEach((c, i) => {
          for (let b = 0; b < c.rows; b += block) blocks.push({ chunk: i, start: b, rows: Math.min(block, c.rows - b) });
        });
        // Row ranges per block summed by separate invocations (parallelism on GPUs).
        const tileTarget = ctx.software ? 2048 : 256;
        const sub = Math.max(1, Math.min(Math.ceil(block / tileTarget), Math.floor(partCap / (s * 4)), Math.floor((ctx.limits.maxDim * ctx.limits.maxDim * wg) / s)));
        const tileRows = Math.ceil(block / sub);
        const blockSlots = Math.max(1, Math.min(blocks.length, Math.floor(partCap / (s * 4 * sub))));
        slots = blockSlots * sub;
        partFloats = slots * s;
        part = this.buffer(partFloats * 4, STORAGE | COPY_DST, 'partials');
        const scratch = this.buffer(block * (k + 2) * 4, STORAGE, 'scratch');
        uniform = uniformEntries(blocks.length);
        const respCode = respModule(job, spec);
        const value = await ctx.pipeline(respCode, { WG: wg, BLOCK: block }, 'value_main');
        const finish = await ctx.pipeline(respCode, { WG: wg, BLOCK: block }, 'finish_main');
        const tile = await ctx.pipeline(tileModule(spec), { WG: wg, BLOCK: block, TILE: tileRows });
        const [tx, ty] = ctx.dims(Math.ceil((s * sub) / wg));
        blocks.forEach((b, j) => {
          const c = this.chunks[b.chunk] as Chunk;
          entriesInfo.push([b.rows, sub, j % blockSlots, slots, c.start + b.start, 0, j >= blockSlots ? 1 : 0, b.start]);
          const u: [number, GPUBuffer, number, number] = [4, uniform, j * RUN_STRIDE, 32];
          const ve: Array<[number, GPUBuffer, number?, number?]> = [[0, c.data], [3, scratch], u];
          if (job !== 'random') ve.push([2, params]);
          const fe: Array<[number, GPUBuffer, number?, number?]> = [[3, scratch], u];
          if (c.weights) fe.push([1, c.weights]);
          const [vx, vy] = ctx.dims(Math.ceil((b.rows * k) / wg));
          const [fx, fy] = ctx.dims(Math.ceil(b.rows / wg));
          passes.push({ pipeline: value, bindGroup: this.bindGroup(value, ve), x: vx, y: vy, stage: 'A' });
          passes.push({ pipeline: finish, bindGroup: this.bindGroup(finish, fe), x: fx, y: fy, stage: 'A' });
          passes.push({ pipeline: tile, bindGroup: this.bindGroup(tile, [[0, c.data], [2, params], [3, scratch], [5, part], u]), x: tx, y: ty, stage: 'B' });
        });
      }
      // Fixed-order reduction of the slots, level by level (GROUP slots per invocation) until
      // one is left; intermediate levels alternate between two buffers.
      const group = ctx.software ? 4096 : 256;
      const reduce = await ctx.pipeline(reduceModule(s), { WG: wg, GROUP: group });
      const levels: number[] = [];
      for (let n = slots; n > 1 || levels.length === 0; n = Math.ceil(n / group)) levels.push(n);
      const inter: GPUBuffer[] = [];
      let src = part;
      levels.forEach((n, li) => {
        const outSlots = Math.ceil(n / group);
        const last = li === levels.length - 1;
        let dst = res;
        if (!last) {
          if (inter.length < 2) inter.push(this.buffer(s * outSlots * 4, STORAGE, 'reduce level'));
          dst = inter[li % 2] as GPUBuffer;
        }
        const r = entriesInfo.length;
        entriesInfo.push([0, outSlots, 0, n, 0, 0, 0, 0]);
        const [rx, ry] = ctx.dims(Math.ceil((s * outSlots) / wg));
        passes.push({ pipeline: reduce, bindGroup: this.bindGroup(reduce, [[0, src], [1, dst], [4, uniform, r * RUN_STRIDE, 32]]), x: rx, y: ry, stage: 'reduce' });
        src = dst;
      });
      const uniformHost = new Uint32Array(entriesInfo.length * RUN_U32);
      entriesInfo.forEach((e, i) => uniformHost.set(e, i * RUN_U32));
      this.device.queue.writeBuffer(uniform, 0, uniformHost);
      return { shape, s, params, paramsHost, uniform, uniformHost, entries: entriesInfo.length, part, partFloats, res, staging, passes, out: new Float64Array(s) } satisfies StatsPlan;
    });
    this.plans.set(key, plan);
    return plan;
  }

  /**
   * The tiled shape's passes, per block of rows sharing one scratch buffer: pass A (rows_main,
   * one invocation per row: weighted responsibilities and row values; or value_main +
   * finish_main when one row's K components exceed the loop budget), then pass B
   * (stats_tiled.wgsl: per group of KB components and row group, (4·RB)x(4·CB) register blocks
   * of Σ r·z·zᵀ over tiles of rows in workgroup memory) storing into (first block) or adding to
   * the slots.
   */
  private async tiledPasses(
    job: Job,
    spec: ModuleSpec,
    s: number,
    passes: Pass[],
    entriesInfo: number[][],
    params: GPUBuffer,
    partCap: number,
    uniformEntries: (n: number) => GPUBuffer,
  ): Promise<{ slots: number; part: GPUBuffer; partFloats: number; uniform: GPUBuffer }> {
    const ctx = this.ctx;
    const { k, d, mom } = spec;
    const lim = ctx.limits;
    const nb = tiledRowVecs(d);
    // Pass B register blocks. Measured on an H200 (10M rows, K = 16, pass B GPU ms), with KB = 4:
    // D = 8: 4x4 6.0, 8x8 5.7; D = 32: 4x8 20.0, 8x8 19.3 — and without KB, 4x8 cost more than
    // 4x4 at D = 8 (16.5 against 9.6). So on hardware: 8x8 blocks (RB 2, CB 2) for full/tied;
    // software adapters keep 4x4 below D = 13 and 4x8 above. Full/tied only.
    const rb = mom === 2 ? Math.max(1, Math.min(2, ctx.options.tiledRowBlocks ?? (ctx.software ? 1 : 2))) : 1;
    const cb = rb === 2 ? 2 : Math.max(1, Math.min(2, ctx.options.tiledColumnBlocks ?? (d > 12 ? 2 : 1)));
    const nblk = tiledBlockCount(d, mom, cb, rb);
    // Components per workgroup: X (and the r of KB components side by side) read once per KB.
    const kb = Math.max(1, Math.min(k, 16, Math.floor((lim.wgMem - nb * 16) / 4), Math.floor(ctx.options.tiledComponents ?? (ctx.software ? 1 : 4))));
    const kgs = Math.ceil(k / kb);
    // Hardware: 256 invocations. llvmpipe (1e5 rows, K 4/16): 256 for many blocks (D=32, K=16:
    // 1.55 s vs 3.0 s at 64), 64 for few (D=8, K=16: 0.24 s vs 0.36 s at 256).
    const wgT = Math.min(ctx.options.workgroupSize ?? (ctx.software && tiledBlockCount(d, mom) < 32 ? 64 : 256), lim.wgInvocations);
    const per = Math.min(kb * nblk, wgT);
    const blockGroups = Math.ceil((kb * nblk) / per);
    const memRows = Math.floor(lim.wgMem / (nb * 16 + 4 * kb));
    const r = Math.max(1, Math.min(Math.floor(wgT / per), memRows));
    // Rows per tile: at least 8 per row subset on hardware (fewer barriers per row at small D).
    const tileTarget = Math.max(1, ctx.options.tileRows ?? (ctx.software ? 64 : Math.max(128, 8 * r)));
    const tile = Math.max(1, Math.min(memRows, Math.max(r, Math.floor(Math.max(tileTarget, r) / r) * r)));
    // Rows per block: the scratch holds block·(K + 2) floats.
    const scratchFloats = Math.min(lim.maxBinding / 4, ctx.software ? 2 ** 21 : 32 * 2 ** 20);
    const maxChunk = Math.max(...this.chunks.map((c) => c.rows));
    const block = Math.max(1, Math.min(maxChunk, Math.floor(scratchFloats / (k + 2))));
    const blocks: Array<{ chunk: number; start: number; rows: number }> = [];
    this.chunks.forEach((c, i) => {
      for (let b = 0; b < c.rows; b += block) blocks.push({ chunk: i, start: b, rows: Math.min(block, c.rows - b) });
    });
    // Pass B: row groups per block, each walking ceil(tiles / groups) tiles within the loop budget.
    const itersPerTile = Math.ceil((tile * nb) / wgT) * 6 + Math.ceil((tile * kb) / wgT) + 2 * Math.ceil(tile / r) + 4;
    const maxTiles = Math.max(1, Math.floor((LOOP_BUDGET - 2 * nb - 128) / itersPerTile));
    const tiles = Math.ceil(block / tile);
    const minGroups = Math.ceil(tiles / maxTiles);
    // Hardware: ~2048 workgroups in all (fills ~132 SMs several times); software: a few per core.
    const target = ctx.software ? 8 : 2048;
    let groups = Math.min(tiles, Math.max(minGroups, Math.ceil(target / (kgs * blockGroups))));
    groups = Math.max(minGroups, Math.min(groups, Math.floor(partCap / (s * 4 * r))));
    const slots = groups * r;
    const partFloats = slots * s;
    if (partFloats * 4 > Math.min(lim.maxBinding, lim.maxBuffer) || groups > lim.maxDim || kgs * blockGroups > lim.maxDim) {
      throw new Error(`webgpu backend: K=${k}, D=${d} needs ${slots} partial slots of ${s} statistics (tiled shape), more than this adapter allows; use fewer rows per load`);
    }
    const part = this.buffer(partFloats * 4, STORAGE | COPY_DST, 'partials');
    const scratch = this.buffer(block * (k + 2) * 4, STORAGE, 'scratch');
    const uniform = uniformEntries(2 * blocks.length);
    // Pass A: rows per invocation (software: many, as the fused kernels; hardware: one).
    // E-step, full/tied: rows_tri_main (register solve, factors staged KC components at a time).
    const triBytes = triBytesPerComponent(d);
    const triBudget = Math.min(lim.wgMem, ctx.software ? lim.wgMem : 16384);
    let triOk = job === 'estep' && (spec.cov === 'full' || spec.cov === 'tied') && d <= TRI_MAX_D && triBytes <= lim.wgMem && ctx.options.triSolve !== false;
    const wgA = triOk ? Math.min(ctx.options.triWorkgroupSize ?? (ctx.software ? wgT : 128), lim.wgInvocations) : wgT;
    const kc = Math.max(1, Math.min(k, ctx.options.triComponents ?? Math.max(1, Math.floor(triBudget / triBytes)), Math.floor(lim.wgMem / triBytes)));
    // Hardware: one row per invocation, rows outer (x stays in registers); software: many rows
    // per invocation, component groups outer (each group staged once).
    const triRowsOuter = ctx.options.triRowsOuter ?? !ctx.software;
    // Rows per row step of rows_tri_main: 1, or 2 (rows_tri_pair_main); rpi counts row steps.
    let pair = triRowsOuter && ctx.options.triRowsPerInvocation === 2 ? 2 : 1;
    let rpi = 1;
    if (triOk) {
      rpi = ctx.software ? Math.max(1, Math.floor(ctx.ppi / pair)) : 1;
      while (rpi > 1 && triIterations(k, d, kc, wgA, rpi, triRowsOuter, pair) > LOOP_BUDGET) rpi = Math.max(1, Math.floor(rpi / 2));
      if (pair === 2 && triIterations(k, d, kc, wgA, rpi, triRowsOuter, pair) > LOOP_BUDGET) pair = 1;
      if (triIterations(k, d, kc, wgA, rpi, triRowsOuter, pair) > LOOP_BUDGET) triOk = false;
    }
    if (!triOk) pair = 1;
    const rowCost = rowIterations(job, spec.cov, k, d);
    const perRow = triOk || rowCost <= LOOP_BUDGET;
    if (!triOk) rpi = Math.max(1, Math.min(ctx.software ? ctx.ppi : 1, Math.floor(LOOP_BUDGET / rowCost)));
    const respCode = respModule(job, spec);
    const rowsPipe = triOk
      ? await ctx.pipeline(rowsTriModule(spec, pair === 2), { WG: wgA, BLOCK: block, KC: kc }, pair === 2 ? 'rows_tri_pair_main' : triRowsOuter ? 'rows_tri_main' : 'rows_tri_kmain')
      : perRow
        ? await ctx.pipeline(respCode, { WG: wgT, BLOCK: block }, 'rows_main')
        : null;
    const value = perRow ? null : await ctx.pipeline(respCode, { WG: wgT, BLOCK: block }, 'value_main');
    const finish = perRow ? null : await ctx.pipeline(respCode, { WG: wgT, BLOCK: block }, 'finish_main');
    const tiled = await ctx.pipeline(tiledModule(spec, cb, rb), { WG: wgT, BLOCK: block, TILE: tile, PER: per, R: r, CB: cb, RB: rb, KB: kb });
    const base = entriesInfo.length;
    blocks.forEach((b, j) => {
      const c = this.chunks[b.chunk] as Chunk;
      const threads = Math.ceil(b.rows / (rpi * pair));
      const ua: [number, GPUBuffer, number, number] = [4, uniform, (base + 2 * j) * RUN_STRIDE, 32];
      const ub: [number, GPUBuffer, number, number] = [4, uniform, (base + 2 * j + 1) * RUN_STRIDE, 32];
      entriesInfo.push([b.rows, threads, 0, 0, c.start + b.start, 0, 0, b.start]);
      entriesInfo.push([b.rows, groups, 0, slots, c.start + b.start, 0, j > 0 ? 1 : 0, b.start]);
      if (rowsPipe) {
        const re: Array<[number, GPUBuffer, number?, number?]> = [[0, c.data], [3, scratch], ua];
        if (job !== 'random') re.push([2, params]);
        if (c.weights) re.push([1, c.weights]);
        const [x, y] = ctx.dims(Math.ceil(threads / (triOk ? wgA : wgT)));
        passes.push({ pipeline: rowsPipe, bindGroup: this.bindGroup(rowsPipe, re), x, y, stage: 'A' });
      } else {
        const ve: Array<[number, GPUBuffer, number?, number?]> = [[0, c.data], [3, scratch], ua];
        if (job !== 'random') ve.push([2, params]);
        const fe: Array<[number, GPUBuffer, number?, number?]> = [[3, scratch], ua];
        if (c.weights) fe.push([1, c.weights]);
        const [vx, vy] = ctx.dims(Math.ceil((b.rows * k) / wgT));
        const [fx, fy] = ctx.dims(Math.ceil(b.rows / wgT));
        passes.push({ pipeline: value as GPUComputePipeline, bindGroup: this.bindGroup(value as GPUComputePipeline, ve), x: vx, y: vy, stage: 'A' });
        passes.push({ pipeline: finish as GPUComputePipeline, bindGroup: this.bindGroup(finish as GPUComputePipeline, fe), x: fx, y: fy, stage: 'A' });
      }
      passes.push({ pipeline: tiled, bindGroup: this.bindGroup(tiled, [[0, c.data], [2, params], [3, scratch], [5, part], ub]), x: kgs * blockGroups, y: groups, stage: 'B' });
    });
    return { slots, part, partFloats, uniform };
  }

  /** Runs a statistics plan (params already in plan.paramsHost) and returns the float64 flat sums. */
  private async runStats(plan: StatsPlan, what: string, seed: number | null): Promise<Float64Array> {
    const started = performance.now();
    const queue = this.device.queue;
    const split = this.ctx.options.timeStages === true;
    const queries = split ? 2 * plan.passes.length : 2;
    if (this.ctx.timestamps && (this.timer === null || this.timer.count < queries)) {
      this.timer?.querySet.destroy();
      this.timer = {
        count: queries,
        querySet: this.device.createQuerySet({ type: 'timestamp', count: queries }),
        resolve: this.buffer(queries * 8, QUERY_RESOLVE | COPY_SRC, 'timestamps'),
        staging: this.buffer(queries * 8, MAP_READ | COPY_DST, 'timestamps staging'),
      };
    }
    const timer = this.timer;
    queue.writeBuffer(plan.params, 0, plan.paramsHost);
    if (seed !== null) {
      for (let e = 0; e < plan.entries; e++) plan.uniformHost[e * RUN_U32 + 5] = seed >>> 0;
      queue.writeBuffer(plan.uniform, 0, plan.uniformHost);
    }
    if (this.ctx.options.debugPoison) {
      this.poison(plan.part, plan.partFloats);
      this.poison(plan.res, plan.s);
    }
    await this.submit(
      what,
      (encoder) => {
        if (timer && split) {
          plan.passes.forEach((p, i) => {
            const pass = encoder.beginComputePass({ timestampWrites: { querySet: timer.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
            pass.setPipeline(p.pipeline);
            pass.setBindGroup(0, p.bindGroup);
            pass.dispatchWorkgroups(p.x, p.y);
            pass.end();
          });
        } else {
          const pass = encoder.beginComputePass(timer ? { timestampWrites: { querySet: timer.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
          for (const p of plan.passes) {
            pass.setPipeline(p.pipeline);
            pass.setBindGroup(0, p.bindGroup);
            pass.dispatchWorkgroups(p.x, p.y);
          }
          pass.end();
        }
        encoder.copyBufferToBuffer(plan.res, 0, plan.staging, 0, plan.s * 4);
        if (timer) {
          encoder.resolveQuerySet(timer.querySet, 0, queries, timer.resolve, 0);
          encoder.copyBufferToBuffer(timer.resolve, 0, timer.staging, 0, queries * 8);
        }
      },
      timer ? [[plan.staging, plan.s * 4], [timer.staging, queries * 8]] : [[plan.staging, plan.s * 4]],
    );
    let kernelMs: number | null = null;
    let stages: Record<string, number> | undefined;
    if (timer) {
      const t = new BigUint64Array(timer.staging.getMappedRange(0, queries * 8), 0, queries);
      const span = (i: number): number | null => {
        const a = t[2 * i];
        const b = t[2 * i + 1];
        return a !== undefined && b !== undefined && b >= a ? Number(b - a) / 1e6 : null;
      };
      if (split) {
        stages = {};
        let total = 0;
        plan.passes.forEach((p, i) => {
          const ms = span(i) ?? 0;
          const key = p.stage ?? 'other';
          stages![key] = (stages![key] ?? 0) + ms;
          total += ms;
        });
        kernelMs = total;
      } else {
        kernelMs = span(0);
      }
      timer.staging.unmap();
    }
    const view = new Float32Array(plan.staging.getMappedRange(0, Math.max(16, plan.s * 4)), 0, plan.s);
    const out = plan.out;
    for (let i = 0; i < plan.s; i++) out[i] = view[i] as number;
    plan.staging.unmap();
    // Σ w is known exactly on the host.
    out[plan.s - 1] = this.totalWeight;
    this.lastTimings = { kernelMs, wallMs: performance.now() - started, ...(stages ? { stages } : {}) };
    return out;
  }

  /** Centres into host: K x D, or K x DV zero-padded for the register (vector) kernel. */
  private writeCentres(host: Float32Array, centres: Float64Array, k: number, vector: boolean): void {
    const d = this.cols;
    const n = k * d;
    if (centres.length < n) throw new Error(`webgpu backend: expected ${n} centre values (K=${k} x D=${d}), got ${centres.length}`);
    if (!vector) {
      for (let i = 0; i < n; i++) host[i] = centres[i] as number;
      return;
    }
    const dv = vectorWidth(d);
    for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) host[c * dv + a] = centres[c * d + a] as number;
  }

  private writeKernelParams(host: Float32Array, params: MixtureParams, vector: boolean): void {
    const kp = toKernelParams(params);
    const { nComponents: k, covarianceType: cov } = params;
    const d = this.cols;
    this.writeCentres(host, kp.means, k, vector);
    const f = kp.factors;
    let o: number;
    if (vector) {
      const dv = vectorWidth(d);
      o = k * dv;
      if (cov === 'full' || cov === 'tied') {
        // Column-major DV x DV: column j holds U[·, j].
        const count = cov === 'full' ? k : 1;
        for (let c = 0; c < count; c++) for (let j = 0; j < d; j++) for (let a = 0; a < d; a++) host[o + c * dv * dv + j * dv + a] = f[c * d * d + a * d + j] as number;
        o += count * dv * dv;
      } else if (cov === 'diag') {
        for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) host[o + c * dv + a] = f[c * d + a] as number;
        o += k * dv;
      } else {
        for (let c = 0; c < k; c++) host[o + c] = f[c] as number;
        o += k;
      }
    } else {
      o = k * d;
      const nf = factorCount(cov, k, d);
      for (let i = 0; i < nf; i++) host[o + i] = f[i] as number;
      o += nf;
    }
    for (let c = 0; c < k; c++) {
      const v = kp.logConstants[c] as number;
      host[o + c] = Number.isFinite(v) ? v : v > 0 ? 3e38 : NEG_BIG;
    }
  }

  eStep(params: MixtureParams, moments: MomentKind): Promise<SufficientStats> {
    return this.serial(async () => {
      const k = params.nComponents;
      if (params.nFeatures !== this.cols) throw new Error(`webgpu backend: parameters have ${params.nFeatures} features, the data ${this.cols}`);
      const plan = await this.statsPlan('estep', k, params.covarianceType, momentCode(moments));
      this.writeKernelParams(plan.paramsHost, params, plan.shape === 'vector');
      const flat = await this.runStats(plan, 'eStep', null);
      return unpackStats(flat, k, this.cols, moments, params.means);
    });
  }

  assign(centers: Float64Array, nComponents: number, moments: MomentKind | null): Promise<AssignResult> {
    return this.serial(async () => {
      const plan = await this.statsPlan('assign', nComponents, 'spherical', momentCode(moments));
      this.writeCentres(plan.paramsHost, centers, nComponents, plan.shape === 'vector');
      const flat = await this.runStats(plan, 'assign', null);
      const stats = unpackStats(flat, nComponents, this.cols, moments, centers.subarray(0, nComponents * this.cols));
      return { stats: { ...stats, sumLogLik: 0 }, inertia: flat[flat.length - 2] as number };
    });
  }

  randomResponsibilities(seed: number, nComponents: number, shifts: Float64Array, moments: MomentKind): Promise<SufficientStats> {
    return this.serial(async () => {
      const plan = await this.statsPlan('random', nComponents, 'spherical', momentCode(moments));
      this.writeCentres(plan.paramsHost, shifts, nComponents, plan.shape === 'vector');
      const flat = await this.runStats(plan, 'randomResponsibilities', seed);
      const stats = unpackStats(flat, nComponents, this.cols, moments, shifts.subarray(0, nComponents * this.cols));
      return { ...stats, sumLogLik: 0 };
    });
  }

  // ---- evaluate ----------------------------------------------------------------------

  private async evalPlan(params: MixtureParams): Promise<EvalPlan> {
    const k = params.nComponents;
    const d = this.cols;
    const cov = params.covarianceType;
    const key = k * 4 + ['full', 'tied', 'diag', 'spherical'].indexOf(cov);
    const cached = this.evalPlans.get(key);
    if (cached) return cached;
    const paramFloats = k * d + factorCount(cov, k, d) + k;
    this.checkShape(k, d, 0, paramFloats);
    const ctx = this.ctx;
    const maxChunk = Math.max(...this.chunks.map((c) => c.rows));
    const rows = Math.max(1, Math.min(maxChunk, 1 << 18, Math.floor(Math.min(32 * 2 ** 20, ctx.limits.maxBinding) / (4 * k))));
    const plan = await this.guarded('preparing evaluate', async () => {
      const code = evaluateModule({ k, d, cov, mom: 0, weighted: false });
      const value = await ctx.pipeline(code, { WG: ctx.wg, BLOCK: rows }, 'value_main');
      const finish = await ctx.pipeline(code, { WG: ctx.wg, BLOCK: rows }, 'eval_main');
      const params = this.buffer(paramFloats * 4, STORAGE | COPY_DST, 'eval params');
      const uniform = this.buffer(RUN_STRIDE, UNIFORM | COPY_DST, 'eval run');
      const outp = this.buffer(rows * k * 4, STORAGE | COPY_SRC | COPY_DST, 'eval proba');
      const meta = this.buffer(rows * 2 * 4, STORAGE | COPY_SRC | COPY_DST, 'eval meta');
      const stagingOut = this.buffer(rows * k * 4, MAP_READ | COPY_DST, 'eval staging proba');
      const stagingMeta = this.buffer(rows * 2 * 4, MAP_READ | COPY_DST, 'eval staging meta');
      const u: [number, GPUBuffer, number, number] = [4, uniform, 0, 32];
      const valueGroups = this.chunks.map((c) => this.bindGroup(value, [[0, c.data], [2, params], [3, outp], u]));
      const finishGroup = this.bindGroup(finish, [[3, outp], [5, meta], u]);
      return { rows, params, paramsHost: new Float32Array(paramFloats), uniform, uniformHost: new Uint32Array(RUN_U32), outp, meta, stagingOut, stagingMeta, value, finish, valueGroups, finishGroup };
    });
    this.evalPlans.set(key, plan);
    return plan;
  }

  evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult> {
    return this.serial(async () => {
      const k = params.nComponents;
      if (params.nFeatures !== this.cols) throw new Error(`webgpu backend: parameters have ${params.nFeatures} features, the data ${this.cols}`);
      const plan = await this.evalPlan(params);
      this.writeKernelParams(plan.paramsHost, params, false);
      this.device.queue.writeBuffer(plan.params, 0, plan.paramsHost);
      const labels = request.labels ? new Int32Array(this.rows) : null;
      const logLik = request.logLik ? new Float64Array(this.rows) : null;
      const proba = request.proba ? new Float64Array(this.rows * k) : null;
      if (!labels && !logLik && !proba) return {};
      const progress = this.ctx.options.onProgress;
      let done = 0;
      for (let ci = 0; ci < this.chunks.length; ci++) {
        const c = this.chunks[ci] as Chunk;
        for (let off = 0; off < c.rows; off += plan.rows) {
          const n = Math.min(plan.rows, c.rows - off);
          plan.uniformHost.set([n, n, 0, 0, c.start + off, 0, proba ? 1 : 0, off]);
          this.device.queue.writeBuffer(plan.uniform, 0, plan.uniformHost);
          if (this.ctx.options.debugPoison) {
            this.poison(plan.meta, n * 2);
            if (proba) this.poison(plan.outp, n * k);
          }
          const [vx, vy] = this.ctx.dims(Math.ceil((n * k) / this.ctx.wg));
          const [x, y] = this.ctx.dims(Math.ceil(n / this.ctx.wg));
          const stagings: Array<[GPUBuffer, number]> = [[plan.stagingMeta, n * 8]];
          if (proba) stagings.push([plan.stagingOut, n * k * 4]);
          await this.submit(
            'evaluate',
            (encoder) => {
              const pass = encoder.beginComputePass();
              pass.setPipeline(plan.value);
              pass.setBindGroup(0, plan.valueGroups[ci] as GPUBindGroup);
              pass.dispatchWorkgroups(vx, vy);
              pass.setPipeline(plan.finish);
              pass.setBindGroup(0, plan.finishGroup);
              pass.dispatchWorkgroups(x, y);
              pass.end();
              encoder.copyBufferToBuffer(plan.meta, 0, plan.stagingMeta, 0, n * 8);
              if (proba) encoder.copyBufferToBuffer(plan.outp, 0, plan.stagingOut, 0, n * k * 4);
            },
            stagings,
          );
          const meta = new Float32Array(plan.stagingMeta.getMappedRange(0, n * 8), 0, n * 2);
          const base = c.start + off;
          for (let i = 0; i < n; i++) {
            if (labels) labels[base + i] = meta[2 * i] as number;
            if (logLik) logLik[base + i] = meta[2 * i + 1] as number;
          }
          plan.stagingMeta.unmap();
          if (proba) {
            const pv = new Float32Array(plan.stagingOut.getMappedRange(0, n * k * 4), 0, n * k);
            for (let i = 0; i < n * k; i++) proba[base * k + i] = pv[i] as number;
            plan.stagingOut.unmap();
          }
          done += n;
          if (progress && this.rows > plan.rows) progress(`evaluate: ${done}/${this.rows} rows`);
        }
      }
      return { ...(labels ? { labels } : {}), ...(logLik ? { logLik } : {}), ...(proba ? { proba } : {}) };
    });
  }

  // ---- rows and k-means++ ------------------------------------------------------------

  private chunkOf(row: number): Chunk {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new Error(`webgpu backend: row index ${row} out of range 0..${this.rows - 1}`);
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.chunks[mid] as Chunk).start <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo] as Chunk;
  }

  private copyRow(encoder: GPUCommandEncoder, row: number, dest: GPUBuffer, destOffset: number): void {
    const c = this.chunkOf(row);
    const bytes = this.cols * 4;
    encoder.copyBufferToBuffer(c.data, (row - c.start) * bytes, dest, destOffset, bytes);
  }

  rowsAt(indices: Int32Array): Promise<Float64Array> {
    return this.serial(async () => {
      const d = this.cols;
      const out = new Float64Array(indices.length * d);
      if (indices.length === 0) return out;
      for (const row of indices) this.chunkOf(row);
      const batch = Math.min(indices.length, 65536);
      const staging = this.device.createBuffer({ size: batch * d * 4, usage: MAP_READ | COPY_DST });
      try {
        for (let s = 0; s < indices.length; s += batch) {
          const n = Math.min(batch, indices.length - s);
          await this.submit(
            'rowsAt',
            (encoder) => {
              for (let i = 0; i < n; i++) this.copyRow(encoder, indices[s + i] as number, staging, i * d * 4);
            },
            [[staging, n * d * 4]],
          );
          const view = new Float32Array(staging.getMappedRange(0, n * d * 4));
          for (let i = 0; i < n * d; i++) out[s * d + i] = view[i] as number;
          staging.unmap();
        }
      } finally {
        staging.destroy();
      }
      return out;
    });
  }

  kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array> {
    return this.serial(() => this.kmeansPlusPlusImpl(nComponents, seed));
  }

  private async kmeansPlusPlusImpl(k: number, seed: number): Promise<Int32Array> {
    if (!Number.isInteger(k) || k < 1 || k > this.rows) throw new Error(`webgpu backend: k-means++ needs 1 <= nComponents <= rows (${this.rows}), got ${k}`);
    const ctx = this.ctx;
    const d = this.cols;
    const random = new Random(seed);
    const trials = 2 + Math.floor(Math.log(k));
    const blockOff: number[] = [];
    let totalBlocks = 0;
    for (const c of this.chunks) {
      blockOff.push(totalBlocks);
      totalBlocks += Math.ceil(c.rows / KPP_BLOCK);
    }
    const temp: GPUBuffer[] = [];
    const make = (size: number, usage: number): GPUBuffer => {
      const b = this.device.createBuffer({ size: Math.max(16, size), usage });
      temp.push(b);
      return b;
    };
    try {
      const { pipeline, closest, cand, sums, sumsStaging, valStaging, uniform, groups } = await this.guarded('preparing k-means++', async () => {
        const pipeline = await ctx.pipeline(kmeansppModule(d, this.weighted), { WG: ctx.wg, BS: KPP_BLOCK });
        const closest = this.chunks.map((c) => make(c.rows * 4, STORAGE | COPY_SRC));
        const cand = make(trials * d * 4, STORAGE | COPY_DST);
        const sums = make(trials * totalBlocks * 4, STORAGE | COPY_SRC);
        const sumsStaging = make(trials * totalBlocks * 4, MAP_READ | COPY_DST);
        const valStaging = make(trials * KPP_BLOCK * 2 * 4, MAP_READ | COPY_DST);
        const uniform = make(this.chunks.length * RUN_STRIDE, UNIFORM | COPY_DST);
        const groups = this.chunks.map((c, i) => {
          const entries: Array<[number, GPUBuffer, number?, number?]> = [
            [0, c.data],
            [2, cand],
            [3, closest[i] as GPUBuffer],
            [5, sums],
            [4, uniform, i * RUN_STRIDE, 32],
          ];
          if (c.weights) entries.push([1, c.weights]);
          return this.bindGroup(pipeline, entries);
        });
        return { pipeline, closest, cand, sums, sumsStaging, valStaging, uniform, groups };
      });
      const uniformHost = new Uint32Array(this.chunks.length * RUN_U32);
      const blockSums = new Float64Array(trials * totalBlocks);

      /** Runs one mode over all chunks (candidates already in cand) and reads `count`·blocks sums. */
      const runMode = async (mode: number, count: number, before?: (encoder: GPUCommandEncoder) => void): Promise<void> => {
        this.chunks.forEach((c, i) => {
          uniformHost.set([c.rows, Math.ceil(c.rows / KPP_BLOCK), blockOff[i] as number, totalBlocks, c.start, count, mode, 0], i * RUN_U32);
        });
        this.device.queue.writeBuffer(uniform, 0, uniformHost);
        const n = count * totalBlocks;
        await this.submit(
          'kmeansPlusPlus',
          (encoder) => {
            before?.(encoder);
            const pass = encoder.beginComputePass();
            pass.setPipeline(pipeline);
            this.chunks.forEach((c, i) => {
              pass.setBindGroup(0, groups[i] as GPUBindGroup);
              pass.dispatchWorkgroups(Math.ceil(Math.ceil(c.rows / KPP_BLOCK) / ctx.wg));
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
        while (ci + 1 < this.chunks.length && (blockOff[ci + 1] as number) <= b) ci++;
        const c = this.chunks[ci] as Chunk;
        const local = (b - (blockOff[ci] as number)) * KPP_BLOCK;
        return { chunk: ci, row: local, rows: Math.min(KPP_BLOCK, c.rows - local) };
      };

      /** Draws rows with probability ∝ w·closest (useClosest) or ∝ w, for each target. */
      const draw = async (targets: number[], useClosest: boolean): Promise<number[]> => {
        const picks: Array<{ block: number; before: number; target: number }> = targets.map((target) => {
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
        await this.submit(
          'kmeansPlusPlus',
          (encoder) => {
            picks.forEach((p, l) => {
              const { chunk, row, rows } = blockStart(p.block);
              const c = this.chunks[chunk] as Chunk;
              const base = l * KPP_BLOCK * 2 * 4;
              if (useClosest) encoder.copyBufferToBuffer(closest[chunk] as GPUBuffer, row * 4, valStaging, base, rows * 4);
              if (c.weights) encoder.copyBufferToBuffer(c.weights, row * 4, valStaging, base + KPP_BLOCK * 4, rows * 4);
            });
          },
          [[valStaging, picks.length * KPP_BLOCK * 2 * 4]],
        );
        const vals = new Float32Array(valStaging.getMappedRange(0, picks.length * KPP_BLOCK * 2 * 4));
        const result = picks.map((p, l) => {
          const { chunk, row, rows } = blockStart(p.block);
          const c = this.chunks[chunk] as Chunk;
          let cum = p.before;
          let lastPositive = -1;
          for (let i = 0; i < rows; i++) {
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

      const chosen = new Int32Array(k);
      const progress = ctx.options.onProgress;
      await runMode(0, 1);
      let total = 0;
      for (let b = 0; b < totalBlocks; b++) total += blockSums[b] as number;
      const first = (await draw([random.nextFloat() * total], false))[0] as number;
      chosen[0] = first;
      await runMode(1, 1, (encoder) => this.copyRow(encoder, first, cand, 0));
      let potential = 0;
      for (let b = 0; b < totalBlocks; b++) potential += blockSums[b] as number;
      for (let c = 1; c < k; c++) {
        const targets = Array.from({ length: trials }, () => random.nextFloat() * potential);
        const candidates = await draw(targets, true);
        await runMode(3, trials, (encoder) => candidates.forEach((row, l) => this.copyRow(encoder, row, cand, l * d * 4)));
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
        await runMode(2, 1, (encoder) => this.copyRow(encoder, best, cand, 0));
        potential = 0;
        for (let b = 0; b < totalBlocks; b++) potential += blockSums[b] as number;
        if (progress && k > 16 && c % 16 === 0) progress(`k-means++: ${c}/${k} centres`);
      }
      return chosen;
    } finally {
      for (const b of temp) b.destroy();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.timer?.querySet.destroy();
    this.timer = null;
    this.plans.clear();
    this.evalPlans.clear();
    this.onDispose(this);
  }
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly description: string;
  private readonly ctx: Context;
  private readonly live = new Set<GpuData>();
  private disposed = false;

  constructor(acquired: AcquiredDevice, options: WebGpuBackendOptions) {
    this.ctx = new Context(acquired.device, acquired.software, options);
    this.description = acquired.description;
  }

  /** Rows per data chunk: one storage binding, capped by the option. */
  chunkRows(cols: number): number {
    const { maxBinding, maxBuffer } = this.ctx.limits;
    let rows = Math.floor(Math.min(maxBinding, maxBuffer) / (cols * 4));
    if (this.ctx.options.maxRowsPerChunk !== undefined) rows = Math.min(rows, Math.max(1, Math.floor(this.ctx.options.maxRowsPerChunk)));
    return rows;
  }

  async load(data: Float64Array | Float32Array, rows: number, cols: number, sampleWeight: Float64Array | null): Promise<LoadedData> {
    if (this.disposed) throw new Error('This webgpu backend was disposed; create a new one.');
    this.ctx.checkLost();
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) throw new Error(`webgpu backend: need rows >= 1 and cols >= 1, got ${rows} x ${cols}`);
    if (data.length < rows * cols) throw new Error(`webgpu backend: data has ${data.length} values, ${rows} x ${cols} needs ${rows * cols}`);
    if (sampleWeight !== null && sampleWeight.length < rows) throw new Error(`webgpu backend: sampleWeight has ${sampleWeight.length} values for ${rows} rows`);
    if (cols > MAX_FEATURES) throw new Error(`webgpu backend: at most ${MAX_FEATURES} features are supported, got ${cols}`);
    if (rows >= 2 ** 32) throw new Error(`webgpu backend: at most 2^32 - 1 rows, got ${rows}`);
    const { maxBinding, maxBuffer } = this.ctx.limits;
    const perChunk = this.chunkRows(cols);
    if (perChunk < 1) throw new Error(`webgpu backend: one row of ${cols} float32 values (${cols * 4} bytes) exceeds the adapter's storage binding (${maxBinding} bytes)`);
    const bytes = rows * cols * 4 + (sampleWeight ? rows * 4 : 0);
    const nChunks = Math.ceil(rows / perChunk);
    const describeSize = `${rows} x ${cols} float32 = ${(bytes / 2 ** 20).toFixed(1)} MiB in ${nChunks} chunk(s) of <= ${perChunk} rows (max buffer ${(maxBuffer / 2 ** 20).toFixed(0)} MiB, max binding ${(maxBinding / 2 ** 20).toFixed(0)} MiB)`;
    let totalWeight = rows;
    if (sampleWeight !== null) {
      totalWeight = 0;
      for (let i = 0; i < rows; i++) totalWeight += sampleWeight[i] as number;
    }
    const device = this.ctx.device;
    const chunks: Chunk[] = [];
    const created: GPUBuffer[] = [];
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let thrown: unknown = null;
    try {
      for (let start = 0; start < rows; start += perChunk) {
        const n = Math.min(perChunk, rows - start);
        const buf = device.createBuffer({ size: n * cols * 4, usage: STORAGE | COPY_SRC, mappedAtCreation: true, label: 'data' });
        created.push(buf);
        const view = new Float32Array(buf.getMappedRange());
        const step = 1 << 20;
        for (let o = 0; o < n * cols; o += step) view.set(data.subarray(start * cols + o, start * cols + Math.min(n * cols, o + step)), o);
        buf.unmap();
        let wbuf: GPUBuffer | null = null;
        if (sampleWeight !== null) {
          wbuf = device.createBuffer({ size: Math.max(16, n * 4), usage: STORAGE | COPY_SRC, mappedAtCreation: true, label: 'weights' });
          created.push(wbuf);
          new Float32Array(wbuf.getMappedRange()).set(sampleWeight.subarray(start, start + n));
          wbuf.unmap();
        }
        chunks.push({ start, rows: n, data: buf, weights: wbuf });
      }
    } catch (error) {
      thrown = error;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (thrown !== null || validation || oom) {
      for (const b of created) b.destroy();
      this.ctx.checkLost();
      const why = oom ? `out of memory: ${oom.message}` : validation ? validation.message : (thrown as Error).message;
      throw new Error(`webgpu backend: the data does not fit the device (${describeSize}): ${why}`);
    }
    const loaded = new GpuData(this.ctx, rows, cols, totalWeight, chunks, sampleWeight !== null, (d) => this.live.delete(d));
    this.live.add(loaded);
    return loaded;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of [...this.live]) d.dispose();
    this.ctx.device.destroy();
  }
}
