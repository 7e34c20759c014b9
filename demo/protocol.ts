// Messages between the page (main.ts) and the fit worker (fit-worker.ts).
// The worker owns the dataset; the page holds only what it draws (two plotted columns).

import type { BackendChoice, CovarianceType, Criterion, InitMethod, SelectionRow } from '../src/index.ts';

export type GeneratorShape = 'blobs' | 'anisotropic' | 'unequal' | 'noise';

export interface GeneratorSpec {
  readonly kind: 'generator';
  readonly shape: GeneratorShape;
  readonly n: number;
  readonly k: number;
  readonly spread: number;
  readonly seed: number;
}

export interface CsvSpec {
  readonly kind: 'csv';
  readonly file: File;
}

export interface ImageSpec {
  readonly kind: 'image';
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** RGBA bytes (transferred). */
  readonly pixels: Uint8ClampedArray;
  /** Add x, y (scaled to [0, 1] × positionWeight) to the RGB features. */
  readonly withPosition: boolean;
}

export type DataSpec = GeneratorSpec | CsvSpec | ImageSpec;

export interface FitSettings {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly initParams: InitMethod;
  readonly maxIter: number;
  readonly tol: number;
  readonly randomState: number | null;
  readonly backend: BackendChoice;
  /** Indices into the dataset's columns that are fitted; the first two are plotted. */
  readonly columns: readonly number[];
  /** Fit rows with missing values by marginalising over them (GaussianMixture's missing: 'marginalize'). */
  readonly marginalize: boolean;
}

export interface IterationMessage {
  readonly iteration: number;
  readonly lowerBound: number;
  readonly change: number;
  readonly iterationTime: number;
  readonly elapsed: number;
  readonly backend: string;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

export interface FitResult {
  readonly backend: string;
  readonly lowerBounds: number[];
  readonly iterationTimes: number[];
  readonly nIter: number;
  readonly converged: boolean;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
  readonly covarianceType: CovarianceType;
  readonly nFeatures: number;
  readonly labels: Int32Array;
  readonly totalTime: number;
}

export interface CompareLeg {
  readonly backend: string;
  readonly iterationTimes: number[];
  readonly lowerBounds: number[];
  readonly totalTime: number;
}

export interface CompareResult {
  readonly cpu: CompareLeg;
  readonly gpu: CompareLeg | null;
  /** Why the WebGPU leg did not run (null when it did). */
  readonly gpuError: string | null;
}

/** The grid "Choose the model" fits: K = 1..maxK × these covariance types, ranked by the criterion. */
/**
 * How "Choose the model" starts each cell: 'page' from the page's init method, maxIter and tol,
 * as Run does (fast enough to watch); 'select' as `emgpu select` and selectModel's defaults
 * (SELECT_DEFAULTS: hc and emEM starts, tol 1e-5, maxIter 1000), the same answer as the CLI.
 */
export type SelectStarts = 'page' | 'select';
export const SELECT_STARTS: readonly SelectStarts[] = ['page', 'select'];

export interface SelectSettings {
  readonly maxK: number;
  readonly covarianceTypes: readonly CovarianceType[];
  readonly criterion: Criterion;
  readonly starts: SelectStarts;
}

export interface ModelSelection {
  readonly criterion: Criterion;
  /** Every cell of the grid, in the library's order (covariance types outer, K inner). */
  readonly table: readonly SelectionRow[];
  /** Index in `table` of the best cell by the criterion. */
  readonly bestIndex: number;
  /** The best model, fitted, with its labels: shown like a Run's result. */
  readonly best: FitResult;
  readonly totalTime: number;
}

export type ToWorker =
  | { readonly type: 'load'; readonly id: number; readonly spec: DataSpec }
  | { readonly type: 'fit'; readonly id: number; readonly settings: FitSettings }
  | { readonly type: 'compare'; readonly id: number; readonly settings: FitSettings }
  | {
      readonly type: 'select-model';
      readonly id: number;
      readonly settings: FitSettings;
      readonly select: SelectSettings;
    }
  /** Online EM: one pass over the rows in shuffled batches through partialFit, one 'iteration' message per batch. */
  | { readonly type: 'stream'; readonly id: number; readonly settings: FitSettings; readonly batchSize: number }
  /** The last fitted model as a file: its JSON (what `emgpu predict` reads), its labels and probabilities as CSV, or the data as CSV. */
  | { readonly type: 'export'; readonly id: number; readonly what: ExportKind }
  /** 1 − the largest membership probability of every row, under the last fitted model. */
  | { readonly type: 'uncertainty'; readonly id: number }
  /** A query beside the running job: one row's membership probabilities under the last fitted model. */
  | { readonly type: 'row-proba'; readonly id: number; readonly row: number }
  /** Optional: a shared Int32Array cell the page sets to 1 to stop the running job. */
  | { readonly type: 'stop-flag'; readonly flag: Int32Array }
  | { readonly type: 'stop'; readonly id: number };

export interface LoadedInfo {
  readonly rows: number;
  readonly columnNames: string[];
  /** Names of columns skipped because they are not numeric, with the first bad cell. */
  readonly skipped: string[];
  /** Ground-truth component per row (-1 = noise / none), for the accuracy readout. */
  readonly truth: Int32Array | null;
  /** Column-major copies of every column, float32, only for the columns the page may plot. */
  readonly columns: Float32Array[];
  /** Rows with at least one missing value (NaN). */
  readonly missingRows: number;
}

export type ExportKind = 'model' | 'labels' | 'data';

export type FromWorker =
  | { readonly type: 'loaded'; readonly id: number; readonly info: LoadedInfo; readonly millis: number }
  /** `fraction` (0–1), when the work's size is known: reading a table. */
  | { readonly type: 'progress'; readonly id: number; readonly message: string; readonly fraction?: number }
  | { readonly type: 'iteration'; readonly id: number; readonly info: IterationMessage; readonly phase: string }
  | { readonly type: 'fitted'; readonly id: number; readonly result: FitResult }
  | { readonly type: 'compared'; readonly id: number; readonly result: CompareResult }
  | { readonly type: 'selected'; readonly id: number; readonly result: ModelSelection }
  /** One cell of the grid fitted and scored: `done` of `total`. */
  | {
      readonly type: 'select-progress';
      readonly id: number;
      readonly done: number;
      readonly total: number;
      readonly row: SelectionRow;
    }
  | { readonly type: 'exported'; readonly id: number; readonly blob: Blob }
  | { readonly type: 'uncertain'; readonly id: number; readonly uncertainty: Float32Array }
  /** The answer to 'row-proba' (null: no fitted model, or the row has no probabilities). */
  | { readonly type: 'row-proba'; readonly id: number; readonly row: number; readonly probabilities: number[] | null }
  | { readonly type: 'error'; readonly id: number; readonly name: string; readonly message: string };

/** Requests that start a job (answered by streamed messages, then one final message or 'error'). */
export type JobRequest = Extract<
  ToWorker,
  { type: 'load' | 'fit' | 'compare' | 'select-model' | 'stream' | 'export' | 'uncertainty' }
>;

/** The error a stopped job ends with, on either side (its name is what the page checks). */
export function stoppedError(): Error {
  const error = new Error('Stopped by the user.');
  error.name = 'AbortError';
  return error;
}

export function isStopped(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
