// The contract between the generic EM loop and the engines that do the O(N) work.
//
// A backend never returns per-point N × K matrices during a fit: it returns additive
// sufficient statistics (src/sufficient-stats.ts) per component, accumulated about a per-component shift
// (normally the current means). The shared float64 M-step (src/model/m-step.ts) turns them
// into parameters.

import type { Dataset } from './matrix.ts';
import type { CovarianceType } from './options.ts';
import type { Moments, SufficientStats, SecondMoments } from './sufficient-stats.ts';

export type { Moments, SufficientStats } from './sufficient-stats.ts';

/** Parameters an E-step needs, in sklearn's storage (see src/model/params.ts). */
export interface MixtureParams {
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  /** K, summing to 1. */
  readonly weights: Float64Array;
  /** K × D. */
  readonly means: Float64Array;
  /**
   * A factor U of each precision P = U·Uᵀ (sklearn's precisions_cholesky_):
   * full K × D × D, tied D × D, diag K × D, spherical K.
   * log N(x | μ, Σ) = −½(D·log 2π + ‖(x − μ)ᵀU‖²) + Σ log diag(U).
   */
  readonly precisionsCholesky: Float64Array;
  /**
   * Per-component terms the E-step uses in place of log(weights): the variational Bayesian
   * model's expected log weights with its per-component corrections. Absent: log(weights).
   */
  readonly logWeights?: Float64Array;
}

/** Result of one k-means (Lloyd) assignment pass. */
export interface AssignResult {
  /** Statistics of the hard assignment to the nearest centre, about shift = the centres. */
  readonly stats: SufficientStats;
  /** Σ w·min_k ‖x − centre_k‖². */
  readonly inertia: number;
}

/** What a per-point evaluation should return. */
export interface EvaluateRequest {
  readonly labels?: boolean;
  readonly logLik?: boolean;
  readonly proba?: boolean;
}

export interface EvaluateResult {
  /** argmax_k of the responsibilities (lowest k on ties), length N. */
  readonly labels?: Int32Array;
  /** log p(x) per row, length N. */
  readonly logLik?: Float64Array;
  /** Responsibilities, N × K. */
  readonly proba?: Float64Array;
}

/** Time of the last statistics pass: GPU time where the adapter measures it, and wall time. */
export interface PassTimings {
  /** Device time of the pass, ms (timestamp queries); null where the engine cannot measure it. */
  readonly kernelMs: number | null;
  /** Start of the pass to its result on the host, ms. */
  readonly wallMs: number;
  /** Device ms per stage, when the engine was asked to split them (benchmarks). */
  readonly stages?: Readonly<Record<string, number>>;
}

/** Data loaded into a backend once per fit; every pass reads it. */
export interface LoadedData {
  readonly rows: number;
  readonly cols: number;
  /** Σ w (N when unweighted). */
  readonly totalWeight: number;
  /** Timings of the last statistics pass (eStep, assign, random), or null before the first. */
  readonly lastTimings: PassTimings | null;
  /** True once dispose() ran (directly, or because the backend was released). */
  readonly disposed: boolean;

  /** E-step plus statistics about shift = params.means (moments: momentsFor(covarianceType)). */
  eStep(params: MixtureParams, moments: SecondMoments): Promise<SufficientStats>;

  /**
   * Hard assignment of every row to its nearest centre (squared Euclidean distance, lowest
   * index on ties), with statistics about shift = the centres (moments null: s0 and s1 only).
   */
  assign(centers: Float64Array, nComponents: number, moments: Moments): Promise<AssignResult>;

  /**
   * Statistics of sklearn's 'random' initialisation: r_ik = u_ik / Σ_k u_ik with
   * u_ik = uniformFromHash(seed, i, k) (src/random.ts), about the given shifts (K × D).
   */
  randomResponsibilities(
    seed: number,
    nComponents: number,
    shifts: Float64Array,
    moments: SecondMoments,
  ): Promise<SufficientStats>;

  /**
   * k-means++ seeding (sklearn's greedy variant: 2 + ⌊ln K⌋ candidates per step, sampled with
   * probability ∝ w·D², keeping the one that lowers the potential most). Returns K row indices.
   */
  kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array>;

  /** Per-row labels / log-likelihoods / responsibilities at the given parameters. */
  evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult>;

  /** Copies of the given rows (float64, row-major, exactly as given), for inits that pick rows. */
  rowsAt(indices: Int32Array): Promise<Float64Array>;

  /** Releases everything the data holds (GPU buffers, shared memory). Idempotent. */
  dispose(): void;
}

/** See Backend.openChunkSlot. */
export interface ChunkSlot {
  /**
   * Writes the chunk into the slot and returns it loaded; the data returned by the previous
   * load must not be used after this call (it may be the same object, now holding this chunk).
   * Not to be disposed: dispose() the slot.
   */
  load(dataset: Dataset): Promise<LoadedData>;
  /** Releases the slot's buffers. Idempotent. */
  dispose(): void;
}

/** The size of a job, for checking it against an engine's limits before any work. */
export interface JobShape {
  readonly rows: number;
  readonly cols: number;
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly weighted: boolean;
}

export interface Backend {
  /** 'cpu' or 'webgpu'. */
  readonly kind: 'cpu' | 'webgpu';
  /** Human-readable: adapter and driver, or the CPU thread count; says why it was chosen. */
  readonly description: string;
  /**
   * Why this engine cannot take the job (a sentence naming the limit it exceeds), or null
   * when it can. Checked before loading, so 'auto' can choose another engine.
   */
  refuse(job: JobShape): string | null;
  /** Uploads / shares the data once per fit. Never mutates the dataset's arrays. */
  load(dataset: Dataset): Promise<LoadedData>;
  /**
   * Optional: storage for a stream of chunks of at most `maxRows` rows (streamed EM), allocated
   * once and written again for each chunk. Engines without it load and release each chunk.
   */
  openChunkSlot?(cols: number, maxRows: number, weighted: boolean): ChunkSlot;
  /** Releases the device or worker pool; pending work rejects. Idempotent. */
  dispose(): void;
}
