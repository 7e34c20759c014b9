// The contract between the generic EM loop and the engines that do the O(N) work.
//
// A backend never returns per-point N x K matrices during a fit: it returns additive
// sufficient statistics per component, accumulated about a per-component shift c_k
// (normally the current means, so the sums are centred and float32 GPU sums stay accurate).
// The shared float64 M-step (src/model/m-step.ts) turns them into parameters.

import type { CovarianceType } from './options.ts';

/** Which second moments a pass accumulates: the full D x D matrix or only its diagonal. */
export type MomentKind = 'full' | 'diag';

/** The second moments each covariance type needs. */
export function momentKindFor(covarianceType: CovarianceType): MomentKind {
  return covarianceType === 'full' || covarianceType === 'tied' ? 'full' : 'diag';
}

/**
 * Additive sufficient statistics of one pass, in float64.
 * Row-major layouts; k indexes components, i/j features.
 */
export interface SufficientStats {
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly moments: MomentKind;
  /** c_k, K x D: the shift the sums are taken about. */
  readonly shifts: Float64Array;
  /** Σ w·r_k, length K. */
  readonly sumResp: Float64Array;
  /** Σ w·r_k·(x − c_k), K x D. */
  readonly sumDiff: Float64Array;
  /** Σ w·r_k·(x − c_k)(x − c_k)ᵀ: K x D x D (moments 'full', symmetric, both halves filled) or K x D ('diag'). */
  readonly sumOuter: Float64Array;
  /** Σ w·log p(x) under the parameters of the pass (E-step only; 0 for other passes). */
  readonly sumLogLik: number;
  /** Σ w over all rows. */
  readonly totalWeight: number;
}

/** Parameters an E-step needs, in sklearn's storage (see src/model/params.ts). */
export interface MixtureParams {
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  /** K, summing to 1. */
  readonly weights: Float64Array;
  /** K x D. */
  readonly means: Float64Array;
  /**
   * A factor U of each precision P = U·Uᵀ (sklearn's precisions_cholesky_):
   * full K x D x D, tied D x D, diag K x D, spherical K.
   * log N(x | μ, Σ) = −½(D·log 2π + ‖(x − μ)ᵀU‖²) + Σ log diag(U).
   */
  readonly precisionsCholesky: Float64Array;
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
  /** Responsibilities, N x K. */
  readonly proba?: Float64Array;
}

/** Progress of long backend work (k-means++ seeding, large evaluations). */
export type BackendProgress = (message: string) => void;

/** Data loaded into a backend once per fit; every pass reads it. */
export interface LoadedData {
  readonly rows: number;
  readonly cols: number;
  /** Σ w (N when unweighted). */
  readonly totalWeight: number;

  /** E-step plus statistics about shift = params.means. */
  eStep(params: MixtureParams, moments: MomentKind): Promise<SufficientStats>;

  /**
   * Hard assignment of every row to its nearest centre (squared Euclidean distance,
   * lowest index on ties), with statistics about shift = the centres.
   * With moments null only sumResp and sumDiff are filled (sumOuter is empty).
   */
  assign(centers: Float64Array, nComponents: number, moments: MomentKind | null): Promise<AssignResult>;

  /**
   * Statistics of sklearn's 'random' initialisation: r_ik = u_ik / Σ_k u_ik with
   * u_ik = uniformFromHash(seed, i, k) (src/random.ts), about the given shifts (K x D).
   */
  randomResponsibilities(seed: number, nComponents: number, shifts: Float64Array, moments: MomentKind): Promise<SufficientStats>;

  /**
   * k-means++ seeding (sklearn's greedy variant: 2 + ⌊ln K⌋ candidates per step, sampled with
   * probability ∝ w·D², keeping the one that lowers the potential most). Returns K row indices.
   */
  kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array>;

  /** Per-row labels / log-likelihoods / responsibilities at the given parameters. */
  evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult>;

  /** Copies of the given rows (float64, row-major), for inits that pick rows. */
  rowsAt(indices: Int32Array): Promise<Float64Array>;

  /** Releases everything the data holds (GPU buffers, workers). Idempotent. */
  dispose(): void;
}

export interface Backend {
  /** 'cpu' or 'webgpu'. */
  readonly kind: 'cpu' | 'webgpu';
  /** Human-readable: adapter and driver, or the CPU thread count; says why it was chosen. */
  readonly description: string;
  /**
   * Uploads / shares the data once per fit. `sampleWeight` is null when unweighted.
   * Never mutates the caller's arrays.
   */
  load(data: Float64Array | Float32Array, rows: number, cols: number, sampleWeight: Float64Array | null): Promise<LoadedData>;
  /** Releases the device or worker pool. Idempotent. */
  dispose(): void;
}
