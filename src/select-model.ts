// Choosing the model: a Gaussian mixture fitted for every K × covariance type of a grid (mclust's
// table; scikit-learn users loop over GaussianMixture by hand), each scored by BIC, AIC and ICL,
// and the best by the chosen criterion returned fitted. X is loaded onto the engine once for the
// whole grid (every fit and every score reuses it), and fits run a few at a time so the host's
// M-steps overlap the engine's passes; on small data on the CPU engine, in Node, whole cells run
// on worker threads too (src/select-pool.ts), with results identical to one thread.

import type { GaussianMixture } from './gaussian-mixture.ts';
import { DEFAULT_OPTIONS, type GaussianMixtureOptions } from './options.ts';
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
import { abortErrorOf, isAbortError } from './errors.ts';
import { better, cellFitter, type Cell, type CellSettings, type Fit, type Scores } from './select-cell.ts';
import { drain, SelectWorkerError, startSelectPool, workerPlan, yielding, type CellRunner } from './select-pool.ts';

export const CRITERIA = ['bic', 'aic', 'icl'] as const;
export type Criterion = (typeof CRITERIA)[number];

/**
 * How each cell of the grid is started:
 * - 'init': one fit from initParams (nInit of them), as GaussianMixture fits (tol absolute, as there);
 * - 'hc': from mclust's model-based hierarchical clustering (initParams 'hc');
 * - 'emEM': shortRuns short runs (shortIter iterations each) from k-means++ seeds, the best
 *   continued to convergence (Biernacki, Celeux & Govaert 2003);
 * - 'hc+emEM': both, each run to convergence, the one with the higher log-likelihood kept;
 * - 'emEM+hc': hc's start joins the short runs as one more candidate, and only the best of
 *   them all is continued (one run to convergence per cell instead of two);
 * - 'hc+best': hc on every cell (on data of at most hcSubset rows, mclust's own start: the same
 *   tree, so the same fits as mclustBIC's), then emEM as well on the REFINED best rows by the
 *   criterion, the better of the two kept. Where the tree is built on a subset (more rows than
 *   hcSubset) the start depends on the subset drawn, so every cell gets emEM too, as 'hc+emEM'.
 * Except for 'init', a start's fit stops by mclust's rule (convergence 'mclust'),
 * |ΔL| / (1 + |L|) < tol on the total log-likelihood L (emEM's after its short runs), and the
 * three best rows are then continued to a 100 times smaller change (see selectModel).
 */
export const SELECT_STRATEGIES = ['init', 'hc', 'emEM', 'hc+emEM', 'emEM+hc', 'hc+best'] as const;
export type SelectStrategy = (typeof SELECT_STRATEGIES)[number];

/** 'hc+best': rows, best first by the criterion after hc, that emEM also fits. */
const REFINED = 5;

/** Rows, best first by the criterion, continued to a tighter convergence at the end. */
const POLISHED = 3;
/** How much smaller the relative change the polished rows stop at is. */
const POLISH_FACTOR = 100;

/**
 * selectModel's defaults where they differ from GaussianMixture's, chosen by bench/mclust.ts
 * against mclust's mclustBIC (docs/model-selection.md): hc+best, whose hc fits are mclust's own
 * (the same tree) and whose emEM finds better maxima where they decide the answer, at a third
 * of hc+emEM's time; tol 1e-5 relative, mclust's rule and value (its EM's
 * `tol[1]`); 5 short runs of 10 iterations, which kept the cells and best models of 10 × 10 at
 * 0.6 times its E-step passes.
 */
export const SELECT_DEFAULTS = {
  strategy: 'hc+best',
  tol: 1e-5,
  maxIter: 1000,
  shortRuns: 5,
  shortIter: 10,
} as const satisfies {
  strategy: SelectStrategy;
  tol: number;
  maxIter: number;
  shortRuns: number;
  shortIter: number;
};

export interface SelectModelOptions {
  /** The K to try (default 1 to 10). */
  nComponents?: readonly number[];
  /** The covariance types to try (default sklearn's four; MCLUST_MODELS for mclust's 14). */
  covarianceTypes?: readonly CovarianceType[];
  /** Which criterion picks the best (smaller is better); default 'bic'. */
  criterion?: Criterion;
  /** How each cell is started (see SELECT_STRATEGIES); default SELECT_DEFAULTS.strategy. */
  strategy?: SelectStrategy;
  /** emEM: short runs per cell (default 5). */
  shortRuns?: number;
  /** emEM: EM iterations of each short run (default 10). */
  shortIter?: number;
  /** initParams 'hc' and strategy 'hc': the most rows the tree is built on (default 2000). */
  hcSubset?: number;
  nInit?: number;
  randomState?: number | null;
  /**
   * Default 1e-5. Except for strategy 'init', relative as mclust's: a fit stops when the total
   * log-likelihood L changes by less than tol·(1 + |L|) (GaussianMixture's absolute 1e-3 on the
   * mean log-likelihood stops many cells on a plateau).
   */
  tol?: number;
  regCovar?: number;
  /** Default 1000. */
  maxIter?: number;
  initParams?: InitMethod;
  backend?: BackendChoice;
  /**
   * CPU engine threads (default: all cores). In Node, on the CPU engine and data of at most 8192
   * rows, this many threads fit cells at once (the calling thread and worker threads; results
   * identical to one thread; docs/model-selection.md); 1: every cell on the calling thread.
   */
  cpuThreads?: number;
  /** Fits run at once on the calling thread when it fits every cell (default 2): their host work overlaps the engine's. */
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
  /**
   * A component's covariance is singular but for regCovar (src/model/degenerate.ts): a spurious
   * maximum whose BIC means nothing (mclust reports NA). Never the best row unless all are.
   */
  readonly degenerate: boolean;
  /** Seconds the fit and its scoring took. */
  readonly seconds: number;
}

export interface SelectionResult {
  readonly criterion: Criterion;
  /** Rows in grid order: covariance types outer, K inner. */
  readonly table: SelectionRow[];
  /** The row with the smallest criterion among those not degenerate (the first on ties: smaller K, earlier type). */
  readonly bestRow: SelectionRow;
  /** That model, fitted. */
  readonly best: GaussianMixture;
}

function checkOptions(options: SelectModelOptions): {
  ks: number[];
  types: CovarianceType[];
  criterion: Criterion;
  concurrency: number;
  strategy: SelectStrategy;
  shortRuns: number;
  shortIter: number;
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
  const strategy = oneOf('strategy', options.strategy ?? SELECT_DEFAULTS.strategy, SELECT_STRATEGIES);
  const shortRuns = integerAtLeast('shortRuns', options.shortRuns ?? SELECT_DEFAULTS.shortRuns, 1);
  const shortIter = integerAtLeast('shortIter', options.shortIter ?? SELECT_DEFAULTS.shortIter, 1);
  return {
    ks: [...new Set(ks)],
    types: [...new Set(types)],
    criterion,
    concurrency,
    strategy,
    shortRuns,
    shortIter,
  };
}

/** Fits every K × covariance type of the grid to X and returns the table and the best model. */
export async function selectModel(X: MatrixInput, options: SelectModelOptions = {}): Promise<SelectionResult> {
  const { ks, types, criterion, concurrency, strategy, shortRuns, shortIter } = checkOptions(options);
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
  const common: GaussianMixtureOptions = {
    tol: options.tol ?? SELECT_DEFAULTS.tol,
    maxIter: options.maxIter ?? SELECT_DEFAULTS.maxIter,
    ...(options.randomState !== undefined ? { randomState: options.randomState } : {}),
    ...(options.regCovar !== undefined ? { regCovar: options.regCovar } : {}),
    ...(options.hcSubset !== undefined ? { hcSubset: options.hcSubset } : {}),
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.cpuThreads !== undefined ? { cpuThreads: options.cpuThreads } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const relativeTol = common.tol ?? SELECT_DEFAULTS.tol;
  const settings: CellSettings = {
    strategy,
    shortRuns,
    shortIter,
    nInit: options.nInit,
    initParams: options.initParams,
    randomState: options.randomState,
    regCovar: options.regCovar ?? DEFAULT_OPTIONS.regCovar,
    subsetTree: matrix.rows > (options.hcSubset ?? DEFAULT_OPTIONS.hcSubset),
    hcSubset: options.hcSubset ?? DEFAULT_OPTIONS.hcSubset,
    tol: relativeTol,
    maxIter: common.maxIter ?? SELECT_DEFAULTS.maxIter,
    common,
  };
  const fitter = cellFitter(matrix, weights, settings);
  const local: CellRunner = {
    grid: (cell) => fitter.fitCell(cell),
    refine: (cell) => fitter.fitFrom(cell, 'emEM'),
    polish: (_cell, gm, tol) => fitter.continued(gm, tol),
  };
  const plan = await workerPlan(options, matrix.rows, cells.length);
  const pool =
    plan === null
      ? null
      : await startSelectPool(
          plan.workers,
          matrix,
          weights,
          settings,
          common,
          plan.backendName,
          options.signal ?? null,
        );
  const aborted = (): boolean => options.signal?.aborted === true;
  /** Errors no phase passes over: an abort, a worker thread's failure. */
  const fatal = (error: unknown): boolean => isAbortError(error) || error instanceof SelectWorkerError;
  try {
    // On workers, the calling thread fits cells too, one at a time, and lets the workers' replies
    // in between (its fits on the CPU engine never leave the microtask queue); each worker holds
    // two jobs, so that it starts the next while its reply waits for the calling thread. Without
    // workers, `concurrency` at once.
    const lanes = (n: number): CellRunner[] =>
      pool === null ? Array.from({ length: n }, () => local) : [yielding(local), ...pool.runners, ...pool.runners];
    // On workers the cells go largest K first (the longest fits), so that none is left to run
    // alone at the end; the table keeps the grid's order.
    const order = [...cells.keys()];
    if (pool !== null) order.sort((a, b) => (cells[b] as Cell).nComponents - (cells[a] as Cell).nComponents || a - b);
    let done = 0;
    await drain(
      cells.length,
      lanes(Math.min(concurrency, cells.length)),
      async (runner, i) => {
        const index = order[i] as number;
        const cell = cells[index] as Cell;
        const started = performance.now();
        const { gm, scores, seconds } = await runner.grid(cell);
        const row = rowOf(cell, gm, scores, gm.nIter, seconds ?? (performance.now() - started) / 1000);
        rows[index] = row;
        models[index] = gm;
        done++;
        options.onProgress?.({ done, total: cells.length, row });
      },
      aborted,
    );
    if (aborted()) throw abortErrorOf(options.signal, 'The model selection was aborted.');
    const table = rows as SelectionRow[];
    /** The rows best first by the criterion, those not degenerate only (unless all are). */
    const ranked = (): SelectionRow[] => {
      const eligible = table.some((row) => !row.degenerate) ? table.filter((row) => !row.degenerate) : table;
      return [...eligible].sort((a, b) => a[criterion] - b[criterion]);
    };
    if (strategy === 'hc+best' && !settings.subsetTree) {
      // emEM on the leading rows too (their hc fits are mclust's): the better fit of each kept.
      const refined = ranked().slice(0, REFINED);
      await drain(
        refined.length,
        lanes(refined.length),
        async (runner, i) => {
          const row = refined[i] as SelectionRow;
          const index = table.indexOf(row);
          const started = performance.now();
          let again: Fit;
          try {
            again = await runner.refine({ nComponents: row.nComponents, covarianceType: row.covarianceType });
          } catch (error) {
            // A fit that fails (a singular group at regCovar 0) leaves the row as it was.
            if (fatal(error) || error instanceof EmgpuInputError) throw error;
            return;
          }
          if (!better(again.scores, row)) return;
          models[index] = again.gm;
          const seconds = row.seconds + (again.seconds ?? (performance.now() - started) / 1000);
          table[index] = rowOf(row, again.gm, again.scores, again.gm.nIter, seconds);
        },
        () => false,
      );
    }
    if (aborted()) throw abortErrorOf(options.signal, 'The model selection was aborted.');
    // The leading rows polished: continued to a POLISH_FACTOR times smaller relative change, so
    // that the one returned is not a few hundredths of a unit of log-likelihood short of its
    // maximum (where rows are near ties, that decides the order too).
    // (Strategy 'init' is GaussianMixture's fit, its tol absolute as there: not polished.)
    const leading = strategy === 'init' ? [] : ranked().slice(0, POLISHED);
    await drain(
      leading.length,
      lanes(1),
      async (runner, i) => {
        const row = leading[i] as SelectionRow;
        const index = table.indexOf(row);
        const started = performance.now();
        let polished: Fit;
        try {
          polished = await runner.polish(row, models[index] as GaussianMixture, relativeTol / POLISH_FACTOR);
        } catch (error) {
          if (fatal(error)) throw error;
          return; // the row as it was
        }
        const { gm, scores } = polished;
        if (scores.degenerate && !row.degenerate) return;
        models[index] = gm;
        const seconds = row.seconds + (polished.seconds ?? (performance.now() - started) / 1000);
        table[index] = rowOf(row, gm, scores, row.nIter + gm.nIter, seconds);
      },
      aborted,
    );
    if (aborted()) throw abortErrorOf(options.signal, 'The model selection was aborted.');
    const finalEligible = table.some((row) => !row.degenerate) ? table.filter((row) => !row.degenerate) : table;
    let bestIndex = table.indexOf(finalEligible[0] as SelectionRow);
    table.forEach((row, i) => {
      if (finalEligible.includes(row) && row[criterion] < (table[bestIndex] as SelectionRow)[criterion]) bestIndex = i;
    });
    return { criterion, table, bestRow: table[bestIndex] as SelectionRow, best: models[bestIndex] as GaussianMixture };
  } finally {
    pool?.close();
  }
}

function rowOf(cell: Cell, gm: GaussianMixture, scores: Scores, nIter: number, seconds: number): SelectionRow {
  return {
    nComponents: cell.nComponents,
    covarianceType: cell.covarianceType,
    bic: scores.bic,
    aic: scores.aic,
    icl: scores.icl,
    score: scores.score,
    lowerBound: gm.lowerBound,
    converged: gm.converged,
    nIter,
    degenerate: scores.degenerate,
    seconds,
  };
}
