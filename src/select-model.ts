// Choosing the model: a Gaussian mixture fitted for every K × covariance type of a grid (mclust's
// table; scikit-learn users loop over GaussianMixture by hand), each scored by BIC, AIC and ICL,
// and the best by the chosen criterion returned fitted. X is loaded onto the engine once for the
// whole grid (every fit and every score reuses it), and fits run a few at a time so the host's
// M-steps overlap the engine's passes.

import { GaussianMixture } from './gaussian-mixture.ts';
import { toMatrix, toSampleWeight, type Matrix, type MatrixInput } from './matrix.ts';
import {
  COVARIANCE_TYPES,
  SKLEARN_COVARIANCE_TYPES,
  describe,
  EmgpuInputError,
  integerAtLeast,
  oneOf,
  type BackendChoice,
  type CovarianceType,
  type InitMethod,
} from './options.ts';
import { abortErrorOf } from './errors.ts';

export const CRITERIA = ['bic', 'aic', 'icl'] as const;
export type Criterion = (typeof CRITERIA)[number];

export interface SelectModelOptions {
  /** The K to try (default 1 to 10). */
  nComponents?: readonly number[];
  /** The covariance types to try (default sklearn's four; MCLUST_MODELS for mclust's 14). */
  covarianceTypes?: readonly CovarianceType[];
  /** Which criterion picks the best (smaller is better); default 'bic'. */
  criterion?: Criterion;
  nInit?: number;
  randomState?: number | null;
  tol?: number;
  regCovar?: number;
  maxIter?: number;
  initParams?: InitMethod;
  backend?: BackendChoice;
  cpuThreads?: number;
  /** Fits run at once (default 2): their host work overlaps the engine's. */
  concurrency?: number;
  sampleWeight?: ArrayLike<number> | null;
  /** After each fit: how many are done, of how many, and its row of the table. */
  onProgress?: ((progress: { done: number; total: number; row: SelectionRow }) => void) | null;
  signal?: AbortSignal | null;
}

/** One cell of the grid. */
export interface SelectionRow {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly bic: number;
  readonly aic: number;
  readonly icl: number;
  /** Mean log-likelihood of X at the fitted parameters. */
  readonly score: number;
  readonly lowerBound: number;
  readonly converged: boolean;
  readonly nIter: number;
  /** Seconds the fit and its scoring took. */
  readonly seconds: number;
}

export interface SelectionResult {
  readonly criterion: Criterion;
  /** Rows in grid order: covariance types outer, K inner. */
  readonly table: SelectionRow[];
  /** The row with the smallest criterion (the first on ties: smaller K, earlier type). */
  readonly bestRow: SelectionRow;
  /** That model, fitted. */
  readonly best: GaussianMixture;
}

function checkOptions(options: SelectModelOptions): {
  ks: number[];
  types: CovarianceType[];
  criterion: Criterion;
  concurrency: number;
} {
  if (options === null || typeof options !== 'object')
    throw new EmgpuInputError(`selectModel's options must be an object, got ${describe(options)}.`);
  const ks = [...(options.nComponents ?? Array.from({ length: 10 }, (_, i) => i + 1))];
  if (ks.length === 0) throw new EmgpuInputError('selectModel needs at least one value in nComponents.');
  ks.forEach((k) => integerAtLeast('nComponents (each)', k, 1));
  const types = [...(options.covarianceTypes ?? SKLEARN_COVARIANCE_TYPES)];
  if (types.length === 0)
    throw new EmgpuInputError('selectModel needs at least one covariance type in covarianceTypes.');
  types.forEach((t) => oneOf('covarianceTypes (each)', t, COVARIANCE_TYPES));
  const criterion = oneOf('criterion', options.criterion ?? 'bic', CRITERIA);
  const concurrency = integerAtLeast('concurrency', options.concurrency ?? 2, 1);
  return { ks: [...new Set(ks)], types: [...new Set(types)], criterion, concurrency };
}

/** Fits every K × covariance type of the grid to X and returns the table and the best model. */
export async function selectModel(X: MatrixInput, options: SelectModelOptions = {}): Promise<SelectionResult> {
  const { ks, types, criterion, concurrency } = checkOptions(options);
  // One typed copy of X, so that every fit and every score finds it loaded.
  const checked = toMatrix(X);
  const matrix: Matrix = Array.isArray(X) ? checked : { data: checked.data, rows: checked.rows, cols: checked.cols };
  const weights = toSampleWeight(options.sampleWeight, matrix.rows);
  const tooMany = ks.filter((k) => k > matrix.rows);
  if (tooMany.length > 0)
    throw new EmgpuInputError(
      `X has ${matrix.rows} rows but nComponents includes ${tooMany.join(', ')}; try at most ${matrix.rows} components.`,
    );
  const cells = types.flatMap((covarianceType) => ks.map((nComponents) => ({ nComponents, covarianceType })));
  const rows: Array<SelectionRow | undefined> = new Array(cells.length);
  const models: Array<GaussianMixture | undefined> = new Array(cells.length);
  const fitOptions = weights === null ? {} : { sampleWeight: weights };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= cells.length) return;
      if (options.signal?.aborted) return;
      const cell = cells[index] as { nComponents: number; covarianceType: CovarianceType };
      const started = performance.now();
      const gm = new GaussianMixture({
        ...cell,
        ...(options.nInit !== undefined ? { nInit: options.nInit } : {}),
        ...(options.randomState !== undefined ? { randomState: options.randomState } : {}),
        ...(options.tol !== undefined ? { tol: options.tol } : {}),
        ...(options.regCovar !== undefined ? { regCovar: options.regCovar } : {}),
        ...(options.maxIter !== undefined ? { maxIter: options.maxIter } : {}),
        ...(options.initParams !== undefined ? { initParams: options.initParams } : {}),
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        ...(options.cpuThreads !== undefined ? { cpuThreads: options.cpuThreads } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await gm.fit(matrix, fitOptions);
      const scores = await gm.criteria(matrix, fitOptions);
      const row: SelectionRow = {
        ...cell,
        bic: scores.bic,
        aic: scores.aic,
        icl: scores.icl,
        score: scores.score,
        lowerBound: gm.lowerBound,
        converged: gm.converged,
        nIter: gm.nIter,
        seconds: (performance.now() - started) / 1000,
      };
      rows[index] = row;
      models[index] = gm;
      done++;
      options.onProgress?.({ done, total: cells.length, row });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cells.length) }, () => worker()));
  if (options.signal?.aborted) throw abortErrorOf(options.signal, 'The model selection was aborted.');
  const table = rows as SelectionRow[];
  let bestIndex = 0;
  table.forEach((row, i) => {
    if (row[criterion] < (table[bestIndex] as SelectionRow)[criterion]) bestIndex = i;
  });
  return { criterion, table, bestRow: table[bestIndex] as SelectionRow, best: models[bestIndex] as GaussianMixture };
}
