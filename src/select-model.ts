// Choosing the model: a Gaussian mixture fitted for every K × covariance type of a grid (mclust's
// table; scikit-learn users loop over GaussianMixture by hand), each scored by BIC, AIC and ICL,
// and the best by the chosen criterion returned fitted. X is loaded onto the engine once for the
// whole grid (every fit and every score reuses it), and fits run a few at a time so the host's
// M-steps overlap the engine's passes.

import { GaussianMixture } from './gaussian-mixture.ts';
import { featureVariance, isDegenerate } from './model/degenerate.ts';
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
 * Except for 'init', a start's fit runs shortIter iterations and then to mclust's convergence
 * rule, |ΔL| / (1 + |L|) < tol on the total log-likelihood L, and the three best rows are then
 * continued to a 100 times smaller change (see selectModel).
 */
export const SELECT_STRATEGIES = ['init', 'hc', 'emEM', 'hc+emEM', 'emEM+hc', 'hc+best'] as const;
export type SelectStrategy = (typeof SELECT_STRATEGIES)[number];

/** 'hc+best': rows, best first by the criterion after hc, that emEM also fits. */
const REFINED = 5;

/** Rows, best first by the criterion, continued to a tighter convergence at the end. */
const POLISHED = 3;
/** How much smaller the relative change the polished rows stop at is. */
const POLISH_FACTOR = 100;

/** emEM rounds from other seeds when every start of a cell ended degenerate. */
const DEGENERATE_RETRIES = 2;

/**
 * selectModel's defaults where they differ from GaussianMixture's, chosen by bench/mclust.ts
 * against mclust's mclustBIC (docs/model-selection.md): hc+emEM, whose cells are no worse than
 * mclust's where hc or emEM alone are not; tol 1e-5 relative, mclust's rule and value (its EM's
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
  /** emEM and hc: EM iterations of each short run, and of a start before the relative rule applies (default 10). */
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

/** Whether fit a is better than fit b: not degenerate where b is, then a higher log-likelihood. */
function better(
  a: { readonly degenerate: boolean; readonly score: number },
  b: { readonly degenerate: boolean; readonly score: number },
): boolean {
  if (a.degenerate !== b.degenerate) return b.degenerate;
  const rank = (score: number): number => (Number.isFinite(score) ? -score : Infinity);
  return rank(a.score) < rank(b.score);
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
  const fitOptions = weights === null ? {} : { sampleWeight: weights };
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
  const regCovar = options.regCovar ?? DEFAULT_OPTIONS.regCovar;
  const variance = featureVariance(matrix);
  type Scores = Awaited<ReturnType<GaussianMixture['criteria']>> & { degenerate: boolean };
  const scored = async (gm: GaussianMixture): Promise<{ gm: GaussianMixture; scores: Scores }> => ({
    gm,
    scores: {
      ...(await gm.criteria(matrix, fitOptions)),
      degenerate: isDegenerate(gm.params, regCovar, variance),
    },
  });
  // Whether hc's tree is built on a subset of the rows (so its start is not mclust's).
  const subsetTree = matrix.rows > (options.hcSubset ?? DEFAULT_OPTIONS.hcSubset);
  const totalWeight = weights === null ? matrix.rows : weights.reduce((sum, w) => sum + w, 0);
  const relativeTol = common.tol ?? SELECT_DEFAULTS.tol;
  /**
   * A start's fit, continued to convergence by mclust's rule |ΔL| / (1 + |L|) < tol on the total
   * log-likelihood L = W·ℓ (W the total weight, ℓ the lower bound per unit of weight): a change of
   * ℓ below tol·(1/W + |ℓ|), with ℓ that of the start's shortIter-th iteration (it moves by a
   * small fraction of itself after that). mclust's EM stops there; a fixed 1e-5 on ℓ ran several
   * times its iterations on data whose |ℓ| is a few units, for the same BIC to a small fraction.
   */
  const continued = async (
    start: GaussianMixture,
    tol = relativeTol,
  ): Promise<{ gm: GaussianMixture; scores: Scores }> => {
    const { tol: _tol, maxIter: _maxIter, ...rest } = common;
    const bound = Number.isFinite(start.lowerBound) ? Math.abs(start.lowerBound) : 0;
    const gm = GaussianMixture.fromJSON(start.toJSON(), {
      ...rest,
      tol: tol * (1 / totalWeight + bound),
      maxIter: common.maxIter ?? SELECT_DEFAULTS.maxIter,
      warmStart: true,
    });
    return scored(await gm.fit(matrix, fitOptions));
  };
  const rowOf = (
    cell: { nComponents: number; covarianceType: CovarianceType },
    gm: GaussianMixture,
    scores: Scores,
    nIter: number,
    seconds: number,
  ): SelectionRow => ({
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
  });
  /** One start's fit of a cell. */
  const fitFrom = async (
    cell: { nComponents: number; covarianceType: CovarianceType },
    start: 'init' | 'hc' | 'emEM',
    withHc = false,
    round = 0,
  ): Promise<{ gm: GaussianMixture; scores: Scores }> => {
    if (start === 'init') {
      const gm = new GaussianMixture({
        ...common,
        ...cell,
        ...(options.nInit !== undefined ? { nInit: options.nInit } : {}),
        ...(options.initParams !== undefined ? { initParams: options.initParams } : {}),
      });
      return scored(await gm.fit(matrix, fitOptions));
    }
    if (start === 'hc') {
      // shortIter iterations from hc's start, then continued by the relative rule.
      const fromHc = new GaussianMixture({
        ...common,
        ...cell,
        initParams: 'hc',
        maxIter: Math.min(shortIter, common.maxIter ?? SELECT_DEFAULTS.maxIter),
        tol: 0,
      });
      await fromHc.fit(matrix, fitOptions);
      return continued(fromHc);
    }
    // emEM: the best of shortRuns short runs (tol 0: each runs shortIter iterations), continued.
    // A later round (after degenerate fits) draws other seeds.
    const reseeded =
      round > 0 && options.randomState != null ? { randomState: (options.randomState + 7919 * round) >>> 0 } : {};
    let short = new GaussianMixture({
      ...common,
      ...cell,
      ...reseeded,
      initParams: 'k-means++',
      nInit: shortRuns,
      maxIter: shortIter,
      tol: 0,
    });
    await short.fit(matrix, fitOptions);
    if (withHc) {
      const fromHc = new GaussianMixture({ ...common, ...cell, initParams: 'hc', maxIter: shortIter, tol: 0 });
      try {
        await fromHc.fit(matrix, fitOptions);
        if (fromHc.lowerBound > short.lowerBound) short = fromHc;
      } catch (error) {
        if (isAbortError(error)) throw error;
      }
    }
    return continued(short);
  };
  const fitCell = async (cell: {
    nComponents: number;
    covarianceType: CovarianceType;
  }): Promise<{ gm: GaussianMixture; scores: Scores }> => {
    if (strategy === 'emEM+hc') return fitFrom(cell, 'emEM', true);
    const starts: Array<'init' | 'hc' | 'emEM'> =
      strategy === 'hc+emEM' || (strategy === 'hc+best' && subsetTree)
        ? ['hc', 'emEM']
        : strategy === 'hc+best'
          ? ['hc']
          : [strategy];
    let best: { gm: GaussianMixture; scores: Scores } | null = null;
    let failure: unknown = null;
    for (const start of starts) {
      let fitted: { gm: GaussianMixture; scores: Scores };
      try {
        fitted = await fitFrom(cell, start);
      } catch (error) {
        // A start that fails (a singular group at regCovar 0) leaves the others to answer.
        if (starts.length === 1 || isAbortError(error)) throw error;
        failure = error;
        continue;
      }
      if (best === null || better(fitted.scores, best.scores)) best = fitted;
    }
    if (best === null) throw failure;
    // Every start degenerate: emEM again from other seeds, a few times, for a proper maximum.
    const retries = starts.includes('emEM') || strategy === 'hc+best' ? DEGENERATE_RETRIES : 0;
    for (let round = 1; round <= retries && best.scores.degenerate; round++) {
      const again = await fitFrom(cell, 'emEM', false, round);
      if (!again.scores.degenerate) best = again;
    }
    return best;
  };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= cells.length) return;
      if (options.signal?.aborted) return;
      const cell = cells[index] as { nComponents: number; covarianceType: CovarianceType };
      const started = performance.now();
      const { gm, scores } = await fitCell(cell);
      const row = rowOf(cell, gm, scores, gm.nIter, (performance.now() - started) / 1000);
      rows[index] = row;
      models[index] = gm;
      done++;
      options.onProgress?.({ done, total: cells.length, row });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cells.length) }, () => worker()));
  if (options.signal?.aborted) throw abortErrorOf(options.signal, 'The model selection was aborted.');
  const table = rows as SelectionRow[];
  /** The rows best first by the criterion, those not degenerate only (unless all are). */
  const ranked = (): SelectionRow[] => {
    const eligible = table.some((row) => !row.degenerate) ? table.filter((row) => !row.degenerate) : table;
    return [...eligible].sort((a, b) => a[criterion] - b[criterion]);
  };
  if (strategy === 'hc+best' && !subsetTree) {
    // emEM on the leading rows too (their hc fits are mclust's): the better fit of each kept.
    await Promise.all(
      ranked()
        .slice(0, REFINED)
        .map(async (row) => {
          const index = table.indexOf(row);
          const started = performance.now();
          let again: { gm: GaussianMixture; scores: Scores };
          try {
            again = await fitFrom({ nComponents: row.nComponents, covarianceType: row.covarianceType }, 'emEM');
          } catch (error) {
            // A fit that fails (a singular group at regCovar 0) leaves the row as it was.
            if (isAbortError(error) || error instanceof EmgpuInputError) throw error;
            return;
          }
          if (!better(again.scores, row)) return;
          models[index] = again.gm;
          table[index] = rowOf(
            row,
            again.gm,
            again.scores,
            again.gm.nIter,
            row.seconds + (performance.now() - started) / 1000,
          );
        }),
    );
  }
  if (options.signal?.aborted) throw abortErrorOf(options.signal, 'The model selection was aborted.');
  // The leading rows polished: continued to a POLISH_FACTOR times smaller relative change, so
  // that the one returned is not a few hundredths of a unit of log-likelihood short of its maximum
  // (where rows are near ties, that decides the order too).
  // (Strategy 'init' is GaussianMixture's fit, its tol absolute as there: not polished.)
  const leading = strategy === 'init' ? [] : ranked().slice(0, POLISHED);
  for (const row of leading) {
    if (options.signal?.aborted) break;
    const index = table.indexOf(row);
    const started = performance.now();
    let polished: { gm: GaussianMixture; scores: Scores };
    try {
      polished = await continued(models[index] as GaussianMixture, relativeTol / POLISH_FACTOR);
    } catch (error) {
      if (isAbortError(error)) throw error;
      continue; // the row as it was
    }
    const { gm, scores } = polished;
    if (scores.degenerate && !row.degenerate) continue;
    models[index] = gm;
    table[index] = rowOf(row, gm, scores, row.nIter + gm.nIter, row.seconds + (performance.now() - started) / 1000);
  }
  if (options.signal?.aborted) throw abortErrorOf(options.signal, 'The model selection was aborted.');
  const finalEligible = table.some((row) => !row.degenerate) ? table.filter((row) => !row.degenerate) : table;
  let bestIndex = table.indexOf(finalEligible[0] as SelectionRow);
  table.forEach((row, i) => {
    if (finalEligible.includes(row) && row[criterion] < (table[bestIndex] as SelectionRow)[criterion]) bestIndex = i;
  });
  return { criterion, table, bestRow: table[bestIndex] as SelectionRow, best: models[bestIndex] as GaussianMixture };
}
