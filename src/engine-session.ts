// One engine session for every call that runs rows on an engine — fit, fitPredict, partialFit,
// a streamed fit, and predict / score / statistics on a fitted model: the input prepared once
// (validated, rows with holes set apart, weights), the engine chosen for the job, the rows
// loaded (the cached copy of typed X, the complete rows plus the holes' patterns, or a plain
// copy) and released, and a lost GPU device forgotten, with 'auto' restarting on the CPU engine.

import type { Backend, JobShape, LoadedData, MixtureParams } from './backend.ts';
import { isDeviceLost } from './errors.ts';
import { withLoaded } from './loaded-cache.ts';
import {
  checkFinite,
  toDataset,
  toMatrix,
  toSampleWeight,
  type Dataset,
  type Matrix,
  type MatrixInput,
} from './matrix.ts';
import { checkNoInfinity, hasMissing, keptRows, loadMarginal, missingLayout, type MissingLayout } from './missing.ts';
import { EmgpuInputError, type BackendChoice, type CovarianceType, type MissingMode } from './options.ts';
import { cpuBackend, forgetBackend, selectBackend } from './select-backend.ts';

/** A call's rows, ready for an engine. */
export interface PreparedInput {
  /** X as given (with missing values: every row, holes as NaN). */
  readonly matrix: Matrix;
  /** The caller's sample weights for the rows of `matrix`, or null. */
  readonly weights: Float64Array | null;
  /** Rows with holes grouped by pattern, or null when X has none (the plain path). */
  readonly layout: MissingLayout | null;
  /** What the engine loads: the rows of `matrix` with at least one value, and their weights. */
  readonly dataset: Dataset;
  /** `dataset`'s matrix and weights (the kept rows). */
  readonly kept: { readonly matrix: Matrix; readonly weights: Float64Array | null };
  /** Typed X without holes stays loaded for the next call on the same array (src/loaded-cache.ts). */
  readonly cacheable: boolean;
  /** Checks deferred until the rows are loaded afresh (typed X is not rescanned when cached). */
  readonly validate: () => void;
}

export interface PrepareOptions {
  readonly missing: MissingMode;
  readonly sampleWeight?: ArrayLike<number> | null | undefined;
  /** Check every value now (a fit), or only when the rows are loaded afresh (typed X for evaluation). */
  readonly checkValues: boolean;
  /** Keep typed X loaded for the next call on it (default true; online EM's batches are not kept). */
  readonly cache?: boolean;
}

/**
 * X as a matrix with its weights and, with missing values allowed, its rows grouped by their
 * holes (NaNs pass, ±Infinity does not); `layout` is null when X has none.
 */
export function prepareInput(X: MatrixInput, options: PrepareOptions): PreparedInput {
  const typed = !Array.isArray(X);
  // Nested arrays are checked as they are copied; typed X now (a fit) or when loaded afresh.
  const checkNow = options.checkValues || !typed;
  let matrix: Matrix;
  let layout: MissingLayout | null = null;
  if (options.missing === 'marginalize') {
    matrix = toMatrix(X, 'X', false, true);
    checkNoInfinity(matrix);
    layout = hasMissing(matrix) ? missingLayout(matrix) : null;
  } else {
    matrix = toMatrix(X, 'X', checkNow);
  }
  const weights = toSampleWeight(options.sampleWeight, matrix.rows);
  const kept = layout === null ? { matrix, weights } : keptRows(matrix, weights, layout);
  const deferred = typed && !checkNow && layout === null && options.missing !== 'marginalize';
  return {
    matrix,
    weights,
    layout,
    dataset: toDataset(kept.matrix, kept.weights),
    kept,
    cacheable: typed && layout === null && options.cache !== false,
    validate: deferred ? () => checkFinite(matrix.data, matrix.cols) : () => undefined,
  };
}

/** The shape of a job on `input`'s loaded rows. */
export function jobOf(
  input: PreparedInput,
  nComponents: number,
  covarianceType: CovarianceType,
  weighted = input.weights !== null,
): JobShape {
  return { rows: input.kept.matrix.rows, cols: input.kept.matrix.cols, nComponents, covarianceType, weighted };
}

/**
 * How a call uses the loaded rows: 'fit' needs a copy loaded with exactly these weights (and,
 * with holes, the mean-imputed copy the initialisations start from); 'statistics' a copy with
 * these weights; 'evaluate' any copy of X.
 */
export type LoadUse = 'fit' | 'statistics' | 'evaluate';

/** Loads `input` onto `backend` for fn, and releases what is not kept for the next call. */
export async function withInput<T>(
  backend: Backend,
  input: PreparedInput,
  use: LoadUse,
  fn: (data: LoadedData) => Promise<T>,
): Promise<T> {
  const load = (): Promise<LoadedData> => {
    input.validate();
    return backend.load(input.dataset);
  };
  if (input.cacheable) {
    const cacheUse = use === 'evaluate' ? 'evaluate' : 'fit';
    return withLoaded({ matrix: input.matrix, backend, use: cacheUse, weights: input.weights }, load, fn);
  }
  const data =
    input.layout === null
      ? await load()
      : await loadMarginal((ds) => backend.load(ds), input.matrix.rows, input.dataset, input.layout, use === 'fit');
  try {
    return await fn(data);
  } finally {
    data.dispose();
  }
}

export interface EngineChoice {
  readonly backend: BackendChoice;
  readonly cpuThreads: number | null;
  /** Progress lines (the restart after a lost device). */
  readonly onProgress?: ((message: string) => void) | undefined;
}

/**
 * Runs fn on the engine chosen for `job`. When the GPU device is lost, the engine is forgotten
 * (the next call gets a fresh device); under 'auto' fn runs again, from the start, on the CPU
 * engine, and otherwise the DeviceLostError is rethrown. Any other error is rethrown as is.
 */
export async function onEngine<T>(
  job: JobShape,
  choice: EngineChoice,
  fn: (backend: Backend) => Promise<T>,
): Promise<T> {
  let backend = await selectBackend(choice.backend, choice.cpuThreads, job);
  for (;;) {
    try {
      return await fn(backend);
    } catch (error) {
      if (!isDeviceLost(error)) throw error;
      await forgetBackend(backend);
      if (choice.backend !== 'auto' || backend.kind !== 'webgpu') throw error;
      backend = await cpuBackend(
        choice.cpuThreads,
        `the WebGPU device was lost (${error.message}); the call restarted on the CPU`,
      );
      choice.onProgress?.(`WebGPU device lost; restarting on ${backend.description}`);
    }
  }
}

/**
 * Runs fn on X loaded for a call on a fitted model (predict, score, statistics …): X checked
 * against the model's features (typed X for values only when it is not the data already
 * loaded; nested arrays as they are copied), then loaded for `use` on the engine chosen for it.
 * Rows with holes: the complete ones on the engine, the others on the host; not cached.
 */
export async function withFittedInput<T>(
  X: MatrixInput,
  params: MixtureParams,
  load: { readonly missing: MissingMode; readonly sampleWeight: Float64Array | null; readonly use: LoadUse },
  choice: EngineChoice,
  fn: (data: LoadedData, backend: Backend) => Promise<T>,
): Promise<T> {
  const input = prepareInput(X, { missing: load.missing, sampleWeight: load.sampleWeight, checkValues: false });
  const { matrix } = input;
  if (matrix.cols !== params.nFeatures) {
    throw new EmgpuInputError(
      `X has ${matrix.cols} columns but the model was fitted with ${params.nFeatures} features; pass data with ${params.nFeatures} columns.`,
    );
  }
  const job = jobOf(input, params.nComponents, params.covarianceType);
  return onEngine(job, choice, (backend) => withInput(backend, input, load.use, (data) => fn(data, backend)));
}
