// A fitted mixture's state and what is read off it without an engine: the warnings a fit gives,
// the fields of the model JSON that say how the fit went, the mean of its per-row scores, and
// samples drawn from the mixture.

import type { EmRunResult, FittedParams } from '../em.ts';
import type { Matrix } from '../matrix.ts';
import { sampleBlocks } from '../model/sample.ts';
import {
  EmgpuInputError,
  type CovarianceType,
  type InitMethod,
  type Nested,
  type ResolvedBaseOptions,
} from '../options.ts';
import { Random } from '../random.ts';

/** A fitted model's state: the best run, the engine that ran it, and the warnings it gave. */
export interface Fitted<P extends FittedParams> extends EmRunResult<P> {
  readonly backendName: string;
  readonly warnings: readonly string[];
}

/** The JSON fields every mixture model writes (sklearn's attribute names in camelCase and shapes). */
export interface MixtureJSONCommon {
  readonly version: 1;
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly weights: number[];
  readonly means: number[][];
  readonly covariances: Nested;
  readonly precisionsCholesky: Nested;
  readonly converged: boolean;
  readonly nIter: number;
  /** null stands for −Infinity (maxIter = 0). */
  readonly lowerBound: number | null;
  readonly lowerBounds: number[];
  readonly backend: string;
  readonly options: {
    readonly tol: number;
    readonly regCovar: number;
    readonly maxIter: number;
    readonly nInit: number;
    readonly initParams: InitMethod;
    readonly randomState: number | null;
  };
}

/** The fields of the model JSON that say how the fit went and with which options (both estimators write them). */
export type FitStateJSON = Pick<
  MixtureJSONCommon,
  'converged' | 'nIter' | 'lowerBound' | 'lowerBounds' | 'backend' | 'options'
>;

export function fitStateJSON(state: Fitted<FittedParams>, options: ResolvedBaseOptions): FitStateJSON {
  return {
    converged: state.converged,
    nIter: state.nIter,
    // null stands for −Infinity (maxIter = 0).
    lowerBound: Number.isFinite(state.lowerBound) ? state.lowerBound : null,
    lowerBounds: [...state.lowerBounds],
    backend: state.backendName,
    options: {
      tol: options.tol,
      // Written only when not sklearn's, so that files of sklearn-style fits keep their fields.
      ...(options.convergence === 'sklearn' ? {} : { convergence: options.convergence }),
      regCovar: options.regCovar,
      maxIter: options.maxIter,
      nInit: options.nInit,
      initParams: options.initParams,
      randomState: options.randomState,
    },
  };
}

/**
 * Warnings about a fitted model, as sklearn warns: components left with no weight (about
 * 10·eps of a row), most often because X has fewer distinct rows than nComponents.
 */
export function emptyComponents(params: FittedParams): number[] {
  const empty: number[] = [];
  params.weights.forEach((w, c) => {
    if (!(w > 1e-12)) empty.push(c);
  });
  return empty;
}

/** The warning a fit on `matrix` gives when components end with no weight (none for a clean fit). */
export function fitWarnings(params: FittedParams, matrix: Matrix): string[] {
  const empty = emptyComponents(params);
  if (empty.length === 0) return [];
  const k = params.nComponents;
  const d = matrix.cols;
  const distinct = new Set<string>();
  for (let i = 0; i < matrix.rows && distinct.size < k; i++)
    distinct.add(Array.prototype.join.call(matrix.data.subarray(i * d, (i + 1) * d), ','));
  const which = `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${k} ended with no weight`;
  return [
    distinct.size < k
      ? `${which}: X has fewer distinct rows (${distinct.size}) than nComponents; lower nComponents (sklearn warns the same).`
      : `${which}: no row is nearer to ${empty.length === 1 ? 'it' : 'them'} than to another component; lower nComponents or try another initialisation (initParams, randomState).`,
  ];
}

/** The (weighted) mean log-likelihood of rows and their (weighted) number; rows with no likelihood (NaN) are left out. */
export function meanLogLikelihood(logLik: Float64Array, weights: Float64Array | null): { score: number; n: number } {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < logLik.length; i++) {
    // A row with every value missing (missing: 'marginalize') has no likelihood: left out.
    if (Number.isNaN(logLik[i] as number)) continue;
    const w = weights === null ? 1 : (weights[i] as number);
    sum += w * (logLik[i] as number);
    total += w;
  }
  return { score: sum / total, n: total };
}

export interface SampleResult {
  /** n x D samples, grouped by component as sklearn returns them. */
  readonly X: Matrix & { data: Float64Array };
  /** The component of each sample. */
  readonly labels: Int32Array;
}

/** n samples from the fitted mixture (`fitted` throws when there is none), seeded by `seed` (an integer 0 … 2³² − 1; null: `fallbackSeed`). */
export function drawSamples(
  fitted: () => FittedParams,
  n: number,
  seed: number | null | undefined,
  fallbackSeed: () => number,
): SampleResult {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new EmgpuInputError(`sample(n) needs an integer n ≥ 1, got ${String(n)}.`);
  if (seed != null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    throw new EmgpuInputError(
      `sample(n, seed) needs a seed from 0 to 4294967295 (or undefined for randomState), got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}.`,
    );
  }
  const params = fitted();
  const d = params.nFeatures;
  let data: Float64Array;
  let labels: Int32Array;
  try {
    data = new Float64Array(n * d);
    labels = new Int32Array(n);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new EmgpuInputError(
      `sample(${n}) needs ${n} × ${d} numbers, more than can be allocated here; draw fewer samples per call.`,
    );
  }
  let row = 0;
  for (const block of sampleBlocks(params, n, new Random(seed ?? fallbackSeed()), 65536)) {
    if (block === null) continue;
    data.set(block.data.subarray(0, block.rows * d), row * d);
    labels.set(block.labels.subarray(0, block.rows), row);
    row += block.rows;
  }
  return { X: { data, rows: n, cols: d }, labels };
}
