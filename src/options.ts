// Options of the mixture estimators (GaussianMixture; BayesianGaussianMixture adds its priors
// in src/bayesian-options.ts): defaults (scikit-learn's), and validation whose messages name
// the option and suggest a fix.

import { HC_MAX_ROWS } from './init/hc.ts';
import { MCLUST_MODELS } from './model/names.ts';

/** scikit-learn's four covariance types (their storage layouts are sklearn's). */
export const SKLEARN_COVARIANCE_TYPES = ['full', 'tied', 'diag', 'spherical'] as const;
/**
 * Every covariance type: sklearn's four and mclust's 14 models by name (EII … VVV; see
 * docs/models.md). An mclust-named model stores K full D × D covariances.
 */
export const COVARIANCE_TYPES = [...SKLEARN_COVARIANCE_TYPES, ...MCLUST_MODELS] as const;
export type CovarianceType = (typeof COVARIANCE_TYPES)[number];

export const INIT_METHODS = ['kmeans', 'k-means++', 'random', 'random_from_data', 'hc'] as const;
export type InitMethod = (typeof INIT_METHODS)[number];

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Numbers per component in sklearn's nested shapes, or flat row-major typed arrays. */
export type NumericArray = Float64Array | Float32Array | readonly number[];
export type Nested = number | readonly Nested[];

export interface IterationInfo {
  /** 1-based EM iteration within the current initialisation. */
  readonly iteration: number;
  /** 0-based index of the initialisation (nInit). */
  readonly init: number;
  /** Mean log-likelihood from this iteration's E-step. */
  readonly lowerBound: number;
  /** lowerBound minus the previous one (Infinity on the first iteration). */
  readonly change: number;
  /** Milliseconds since the fit started. */
  readonly elapsed: number;
  /** Milliseconds this iteration took. */
  readonly iterationTime: number;
  /** The backend in use, e.g. "webgpu (nvidia ...)" or "cpu (2 threads)". */
  readonly backend: string;
  /** Current parameters (copies), for animating a fit. */
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

/** How a fit's tol is read (BaseMixtureOptions.convergence). */
export type ConvergenceRule = 'sklearn' | 'mclust';
export const CONVERGENCE_RULES: readonly ConvergenceRule[] = ['sklearn', 'mclust'];

/** Options every mixture estimator takes. */
export interface BaseMixtureOptions {
  nComponents?: number;
  covarianceType?: CovarianceType;
  tol?: number;
  /**
   * How tol is read: 'sklearn' (default), |Δℓ| < tol on the mean log-likelihood ℓ (the lower
   * bound), as scikit-learn; 'mclust', mclust's EM rule |ΔL| / (1 + |L|) < tol on the total
   * log-likelihood L = W·ℓ (W the total sample weight), a relative change.
   */
  convergence?: ConvergenceRule;
  regCovar?: number;
  maxIter?: number;
  nInit?: number;
  initParams?: InitMethod;
  /**
   * initParams 'hc' (mclust's model-based hierarchical clustering): the most rows its tree is
   * built on; larger data sets use that many rows drawn at random. O(m²) memory: at most 5000.
   * Default 2000 (mclust's).
   */
  hcSubset?: number;
  /** A 32-bit seed; the same seed gives a bit-identical result on the same backend. */
  randomState?: number | null;
  warmStart?: boolean;
  backend?: BackendChoice;
  /** CPU engine threads (Node worker_threads / browser Web Workers); default: all cores. */
  cpuThreads?: number;
  onIteration?: ((info: IterationInfo) => void) | null;
  /** Progress of work other than EM iterations (initialisation, device set-up). */
  onProgress?: ((message: string) => void) | null;
  /** Warnings about a fit (as sklearn's warnings): also collected in gm.warnings. */
  onWarning?: ((message: string) => void) | null;
  signal?: AbortSignal | null;
}

export interface GaussianMixtureOptions extends BaseMixtureOptions {
  /** K weights summing to 1. */
  weightsInit?: Nested | NumericArray | null;
  /** K x D. */
  meansInit?: Nested | NumericArray | null;
  /** full K x D x D, tied D x D, diag K x D, spherical K. */
  precisionsInit?: Nested | NumericArray | null;
  /**
   * Online EM (partialFit): the exponent a of the step sizes γ_t = (t + 2)^(−a) with which each
   * batch's statistics enter the running ones; a in (0.5, 1]. Default 0.6.
   */
  stepDecay?: number;
  /**
   * Online EM (partialFit): how many batches are summed, under the starting parameters, before
   * the first M-step; an integer ≥ 1. Default 1.
   */
  burnIn?: number;
  /**
   * What a NaN in X (a missing value) does: 'error' (default) refuses X naming the value;
   * 'marginalize' fits by marginalising over missing values (Ghahramani & Jordan 1994), and
   * predict, score and the statistics API accept rows with holes too.
   */
  missing?: MissingMode;
}

/** How an estimator treats missing values (NaN) in X. */
export type MissingMode = 'error' | 'marginalize';
export const MISSING_MODES: readonly MissingMode[] = ['error', 'marginalize'];

export interface ResolvedBaseOptions {
  nComponents: number;
  covarianceType: CovarianceType;
  tol: number;
  convergence: ConvergenceRule;
  regCovar: number;
  maxIter: number;
  nInit: number;
  initParams: InitMethod;
  hcSubset: number;
  randomState: number | null;
  warmStart: boolean;
  backend: BackendChoice;
  cpuThreads: number | null;
  onIteration: ((info: IterationInfo) => void) | null;
  onProgress: ((message: string) => void) | null;
  onWarning: ((message: string) => void) | null;
  signal: AbortSignal | null;
}

export interface ResolvedOptions extends ResolvedBaseOptions {
  weightsInit: Nested | NumericArray | null;
  meansInit: Nested | NumericArray | null;
  precisionsInit: Nested | NumericArray | null;
  stepDecay: number;
  burnIn: number;
  missing: MissingMode;
}

export const DEFAULT_OPTIONS = {
  nComponents: 1,
  covarianceType: 'full',
  tol: 1e-3,
  convergence: 'sklearn',
  regCovar: 1e-6,
  maxIter: 100,
  nInit: 1,
  initParams: 'kmeans',
  hcSubset: 2000,
  warmStart: false,
  backend: 'auto',
  stepDecay: 0.6,
  burnIn: 1,
  missing: 'error',
} as const;

import { EmgpuInputError } from './errors.ts';
export { EmgpuInputError };

export function integerAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new EmgpuInputError(`Option ${name} must be an integer ≥ ${min}, got ${describe(value)}.`);
  }
  return value;
}

function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EmgpuInputError(`Option ${name} must be a finite number ≥ 0, got ${describe(value)}.`);
  }
  return value;
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new EmgpuInputError(
      `Option ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value as T;
}

const BASE_OPTIONS = [
  'nComponents',
  'covarianceType',
  'tol',
  'convergence',
  'regCovar',
  'maxIter',
  'nInit',
  'initParams',
  'hcSubset',
  'randomState',
  'warmStart',
  'backend',
  'cpuThreads',
  'onIteration',
  'onProgress',
  'onWarning',
  'signal',
] as const;

function functionOrNull<T>(name: string, value: T | null | undefined): T | null {
  if (value != null && typeof value !== 'function') {
    throw new EmgpuInputError(`Option ${name} must be a function (or null), got ${describe(value)}.`);
  }
  return value ?? null;
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new EmgpuInputError(`Option ${name} must be true or false, got ${describe(value)}.`);
  return value;
}

/** An AbortSignal, recognised by shape so that one from another realm (a frame, a worker) passes too. */
function signalOrNull(value: unknown): AbortSignal | null {
  if (value == null) return null;
  const candidate = value as Partial<AbortSignal>;
  if (
    typeof value !== 'object' ||
    typeof candidate.aborted !== 'boolean' ||
    typeof candidate.addEventListener !== 'function'
  ) {
    throw new EmgpuInputError(
      `Option signal must be an AbortSignal (e.g. new AbortController().signal), got ${describe(value)}.`,
    );
  }
  return value as AbortSignal;
}

/** Initial parameters: nested number arrays or flat typed arrays; the values are checked at fit time. */
function initOrNull(name: string, value: Nested | NumericArray | null | undefined): Nested | NumericArray | null {
  if (value == null) return null;
  if (!Array.isArray(value) && !(value instanceof Float64Array) && !(value instanceof Float32Array)) {
    throw new EmgpuInputError(
      `Option ${name} must be an array (sklearn's nested shape) or a Float64Array / Float32Array, got ${describe(value)}.`,
    );
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object')
    return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return String(value);
}

/**
 * The options every estimator shares, checked and given their defaults; `own` names the
 * estimator's other options (anything else is refused as unknown).
 */
export function resolveBaseOptions(options: BaseMixtureOptions, own: readonly string[]): ResolvedBaseOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new EmgpuInputError(`The options must be an object such as { nComponents: 3 }, got ${describe(options)}.`);
  }
  const known = new Set<string>([...BASE_OPTIONS, ...own]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new EmgpuInputError(`Unknown option '${key}'; the options are ${[...known].join(', ')}.`);
    }
  }
  const randomState = options.randomState ?? null;
  if (randomState !== null && (!Number.isInteger(randomState) || randomState < 0 || randomState > 0xffffffff)) {
    throw new EmgpuInputError(
      `Option randomState must be an integer from 0 to 4294967295, got ${describe(randomState)}.`,
    );
  }
  const cpuThreads = options.cpuThreads ?? null;
  if (cpuThreads !== null) integerAtLeast('cpuThreads', cpuThreads, 1);
  return {
    nComponents: integerAtLeast('nComponents', options.nComponents ?? DEFAULT_OPTIONS.nComponents, 1),
    covarianceType: oneOf('covarianceType', options.covarianceType ?? DEFAULT_OPTIONS.covarianceType, COVARIANCE_TYPES),
    tol: nonNegativeNumber('tol', options.tol ?? DEFAULT_OPTIONS.tol),
    convergence: oneOf('convergence', options.convergence ?? DEFAULT_OPTIONS.convergence, CONVERGENCE_RULES),
    regCovar: nonNegativeNumber('regCovar', options.regCovar ?? DEFAULT_OPTIONS.regCovar),
    maxIter: integerAtLeast('maxIter', options.maxIter ?? DEFAULT_OPTIONS.maxIter, 0),
    nInit: integerAtLeast('nInit', options.nInit ?? DEFAULT_OPTIONS.nInit, 1),
    initParams: oneOf('initParams', options.initParams ?? DEFAULT_OPTIONS.initParams, INIT_METHODS),
    hcSubset: hcSubsetOption(options.hcSubset ?? DEFAULT_OPTIONS.hcSubset),
    randomState,
    warmStart: booleanOption('warmStart', options.warmStart, DEFAULT_OPTIONS.warmStart),
    backend: oneOf('backend', options.backend ?? DEFAULT_OPTIONS.backend, BACKEND_CHOICES),
    cpuThreads,
    onIteration: functionOrNull('onIteration', options.onIteration),
    onProgress: functionOrNull('onProgress', options.onProgress),
    onWarning: functionOrNull('onWarning', options.onWarning),
    signal: signalOrNull(options.signal),
  };
}

/** hc's subset size: its pair table is m(m − 1)/2 float64s, so it is capped. */
function hcSubsetOption(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > HC_MAX_ROWS) {
    throw new EmgpuInputError(
      `Option hcSubset must be an integer from 2 to ${HC_MAX_ROWS} (hc needs memory for every pair of rows; 2000 is the default), got ${describe(value)}.`,
    );
  }
  return value;
}

/** The exponent of online EM's step sizes: a number in (0.5, 1] (Cappé & Moulines' condition for convergence). */
export function stepDecayOption(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0.5) || value > 1) {
    throw new EmgpuInputError(
      `Option stepDecay must be a number in (0.5, 1] (step sizes (t + 2)^-stepDecay; 0.6 is the default), got ${describe(value)}.`,
    );
  }
  return value;
}

export function resolveOptions(options: GaussianMixtureOptions = {}): ResolvedOptions {
  const base = resolveBaseOptions(options, [
    'weightsInit',
    'meansInit',
    'precisionsInit',
    'stepDecay',
    'burnIn',
    'missing',
  ]);
  return {
    ...base,
    weightsInit: initOrNull('weightsInit', options.weightsInit),
    meansInit: initOrNull('meansInit', options.meansInit),
    precisionsInit: initOrNull('precisionsInit', options.precisionsInit),
    stepDecay: stepDecayOption(options.stepDecay ?? DEFAULT_OPTIONS.stepDecay),
    burnIn: integerAtLeast('burnIn', options.burnIn ?? DEFAULT_OPTIONS.burnIn, 1),
    missing: oneOf('missing', options.missing ?? DEFAULT_OPTIONS.missing, MISSING_MODES),
  };
}
