// Every tunable of the WebGPU engine, with its default for hardware and for software
// (CPU-emulated) adapters, in one place. Measurements behind the defaults are in
// BENCHMARKS.md and bench/results/ (H200 runs: h200-run*; llvmpipe: the bench grid).

/** Kernel shapes of the statistics passes ('auto': vector for D ≤ 4, else tiled). */
export type KernelShape = 'auto' | 'vector' | 'tiled';

export interface Tuning {
  /** Workgroup size of the per-row, reduce, evaluate and k-means++ kernels (override WG). */
  readonly workgroupSize: number;
  /** Rows per invocation: the vector kernel's cap, and pass A's on software adapters (override PPI). */
  readonly pointsPerInvocation: number;
  /** Pass B rows per workgroup tile (override TILE); null: 64 on software, max(128, 8·R) on hardware. */
  readonly tileRows: number | null;
  /** Pass B workgroup size; null: 256, or 64 on software when a component has fewer than 32 blocks. */
  readonly tiledWorkgroupSize: number | null;
  /** Pass B row blocks per invocation (override RB): 2 gives 8×8 register blocks (full moments). */
  readonly tiledRowBlocks: 1 | 2;
  /** Pass B column blocks per invocation (override CB); null: 2 above D = 12, else 1. */
  readonly tiledColumnBlocks: 1 | 2 | null;
  /** Pass B components per workgroup (override KB, 1-16): the row tile is read once for KB. */
  readonly tiledComponents: number;
  /** Pass A of full/tied E-steps: the generated triangular solve with staged factors (else the per-row loop). */
  readonly triSolve: boolean;
  /** Components whose factors the solve stages at once (override KC); null: by workgroup memory. */
  readonly triComponents: number | null;
  /** Workgroup size of the staged solve; null: 128 on hardware, the pass B size on software. */
  readonly triWorkgroupSize: number | null;
  /** Staged solve: rows outer (x in registers; hardware) or component groups outer (software). */
  readonly triRowsOuter: boolean;
  /** Partials per invocation of each reduction level (override GROUP). */
  readonly reduceGroup: number;
  /** Workgroups pass B aims for per block of rows (row groups × component groups). */
  readonly passBWorkgroups: number;
  /** Floats of the per-block responsibility scratch (block rows × (K + 3)). */
  readonly scratchFloats: number;
  /** Floats of the per-block whitened-coordinates scratch (block rows × K × D, full/tied E-steps). */
  readonly whitenedFloats: number;
}

/**
 * Pass B register blocks, measured on an H200 (10M rows, K = 16, pass B GPU ms) with KB = 4:
 * D = 8: 4×4 6.0, 8×8 5.7; D = 32: 4×8 20.0, 8×8 19.3. Software adapters keep 4×4 below
 * D = 13 and 4×8 above. 64 rows per invocation measured best on llvmpipe for the vector kernel
 * (1M × 2, K = 16: 110 ms against 500 ms at 256).
 */
const HARDWARE: Tuning = {
  workgroupSize: 64,
  pointsPerInvocation: 64,
  tileRows: null,
  tiledWorkgroupSize: null,
  tiledRowBlocks: 2,
  tiledColumnBlocks: null,
  tiledComponents: 4,
  triSolve: true,
  triComponents: null,
  triWorkgroupSize: null,
  triRowsOuter: true,
  reduceGroup: 256,
  passBWorkgroups: 2048,
  scratchFloats: 32 * 2 ** 20,
  whitenedFloats: 64 * 2 ** 20,
};

const SOFTWARE: Tuning = {
  ...HARDWARE,
  tileRows: 64,
  tiledRowBlocks: 1,
  tiledComponents: 1,
  triRowsOuter: false,
  reduceGroup: 4096,
  passBWorkgroups: 8,
  scratchFloats: 2 ** 21,
  whitenedFloats: 2 ** 24,
};

export function defaultTuning(software: boolean): Tuning {
  return software ? SOFTWARE : HARDWARE;
}

/**
 * Loop-iteration budget per invocation: Mesa's llvmpipe ends an invocation after 65535 loop
 * iterations in total, so every kernel's host bounds its per-invocation work under this.
 */
export const LOOP_BUDGET = 50000;

/** Bytes between entries of a uniform table (minUniformBufferOffsetAlignment is at most 256). */
export const UNIFORM_STRIDE = 256;

/** Largest feature count accepted (private arrays of D floats per invocation). */
export const MAX_FEATURES = 256;
/** Largest component count accepted. */
export const MAX_COMPONENTS = 4096;
