// One cell of selectModel's grid (a K × covariance type), fitted from its starts: the code that
// selectModel runs on the calling thread and that its worker threads (src/select-worker.ts) run,
// so that a cell's fit is the same wherever it runs. Everything a fit depends on is in
// CellSettings (plain data a worker receives once) and the rows; the fit itself is deterministic.

import { GaussianMixture } from './gaussian-mixture.ts';
import { featureVariance, isDegenerate } from './model/degenerate.ts';
import type { GaussianMixtureOptions } from './options.ts';
import { rowsOf, type Matrix } from './matrix.ts';
import type { CovarianceType, InitMethod } from './options.ts';
import { isAbortError } from './errors.ts';
import { subsetOf } from './init/hc-start.ts';
import { Random } from './random.ts';
import type { SelectStrategy } from './select-model.ts';

/** emEM rounds from other seeds when every start of a cell ended degenerate. */
const DEGENERATE_RETRIES = 2;

export interface Cell {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
}

export type Scores = Awaited<ReturnType<GaussianMixture['criteria']>> & { degenerate: boolean };

export interface Fit {
  readonly gm: GaussianMixture;
  readonly scores: Scores;
  /** On a worker thread: the seconds the fit took there (not counting its wait for the thread). */
  readonly seconds?: number;
}

/** What a cell's fit depends on besides the rows: plain data, the same on every thread. */
export interface CellSettings {
  readonly strategy: SelectStrategy;
  readonly shortRuns: number;
  readonly shortIter: number;
  readonly nInit: number | undefined;
  readonly initParams: InitMethod | undefined;
  readonly randomState: number | null | undefined;
  readonly regCovar: number;
  /** Whether hc's tree is built on a subset of the rows (so its start is not mclust's). */
  readonly subsetTree: boolean;
  /** The rows hc's tree is built on at most (hcSubset); 'hc+best' runs emEM's short runs on as many. */
  readonly hcSubset: number;
  /** The relative tolerance (mclust's rule). */
  readonly tol: number;
  readonly maxIter: number;
  /** The options every fit takes (tol, maxIter, randomState, regCovar, hcSubset, backend, cpuThreads). */
  readonly common: Readonly<GaussianMixtureOptions>;
}

/** Whether fit a is better than fit b: not degenerate where b is, then a higher log-likelihood. */
export function better(
  a: { readonly degenerate: boolean; readonly score: number },
  b: { readonly degenerate: boolean; readonly score: number },
): boolean {
  if (a.degenerate !== b.degenerate) return b.degenerate;
  const rank = (score: number): number => (Number.isFinite(score) ? -score : Infinity);
  return rank(a.score) < rank(b.score);
}

export interface CellFitter {
  /** A cell fitted by the strategy (the grid phase). */
  fitCell(cell: Cell): Promise<Fit>;
  /** One start's fit of a cell ('hc+best' refines the leading rows with 'emEM'). */
  fitFrom(cell: Cell, start: 'init' | 'hc' | 'emEM', withHc?: boolean, round?: number): Promise<Fit>;
  /** A fit continued to convergence at relative tolerance tol (the polish phase: tol / 100). */
  continued(start: GaussianMixture, tol?: number): Promise<Fit>;
}

/** The cell fits on `matrix` (and its weights) under `settings`. */
export function cellFitter(matrix: Matrix, weights: Float64Array | null, settings: CellSettings): CellFitter {
  const { strategy, shortRuns, shortIter, common } = settings;
  const fitOptions = weights === null ? {} : { sampleWeight: weights };
  const variance = featureVariance(matrix);
  const scored = async (gm: GaussianMixture): Promise<Fit> => ({
    gm,
    scores: {
      ...(await gm.criteria(matrix, fitOptions)),
      degenerate: isDegenerate(gm.params, settings.regCovar, variance),
    },
  });
  /**
   * A start's fit (emEM's best short run, or a row polished), continued to convergence by
   * mclust's rule (convergence 'mclust'): |ΔL| / (1 + |L|) < tol on the total log-likelihood
   * L = W·ℓ, W the total weight. mclust's EM stops there; a fixed 1e-5 on the mean ℓ ran several
   * times its iterations on data whose |ℓ| is a few units, for the same BIC to a small fraction.
   */
  const continued = async (start: GaussianMixture, tol = settings.tol, fresh = false): Promise<Fit> => {
    const { tol: _tol, maxIter: _maxIter, ...rest } = common;
    // fresh: the start's lower bound is another data set's (emEM's subset), not one to compare with.
    const json = start.toJSON();
    const gm = GaussianMixture.fromJSON(fresh ? { ...json, lowerBound: null, lowerBounds: [] } : json, {
      ...rest,
      tol,
      convergence: 'mclust',
      maxIter: settings.maxIter,
      warmStart: true,
    });
    return scored(await gm.fit(matrix, fitOptions));
  };
  type Sample = { matrix: Matrix; fitOptions: { sampleWeight?: Float64Array } };
  /** 'hc+best' on more rows than hcSubset: the rows emEM's short runs fit (drawn once), else null. */
  let sampled: Sample | null | undefined;
  const shortSample = (): Sample | null => {
    if (sampled !== undefined) return sampled;
    if (strategy !== 'hc+best' || !settings.subsetTree) return (sampled = null);
    const indices = subsetOf(matrix.rows, settings.hcSubset, new Random((settings.randomState ?? 0) ^ 0x5eed));
    const data = rowsOf(matrix, indices);
    const sampleWeight = weights === null ? null : Float64Array.from(indices, (row) => weights[row] as number);
    sampled = {
      matrix: { data, rows: indices.length, cols: matrix.cols },
      fitOptions: sampleWeight === null ? {} : { sampleWeight },
    };
    return sampled;
  };
  const fitFrom = async (cell: Cell, start: 'init' | 'hc' | 'emEM', withHc = false, round = 0): Promise<Fit> => {
    if (start === 'init') {
      const gm = new GaussianMixture({
        ...common,
        ...cell,
        ...(settings.nInit !== undefined ? { nInit: settings.nInit } : {}),
        ...(settings.initParams !== undefined ? { initParams: settings.initParams } : {}),
      });
      return scored(await gm.fit(matrix, fitOptions));
    }
    if (start === 'hc') {
      // One EM from hc's start to mclust's rule, as mclustBIC runs each cell.
      const fromHc = new GaussianMixture({
        ...common,
        ...cell,
        initParams: 'hc',
        tol: settings.tol,
        convergence: 'mclust',
        maxIter: settings.maxIter,
      });
      return scored(await fromHc.fit(matrix, fitOptions));
    }
    // emEM: the best of shortRuns short runs (tol 0: each runs shortIter iterations), continued.
    // A later round (after degenerate fits) draws other seeds. 'hc+best' on data larger than
    // hcSubset runs them on hcSubset rows drawn at random (as mclust starts from a subset), and
    // continues the best on all rows.
    const reseeded =
      round > 0 && settings.randomState != null ? { randomState: (settings.randomState + 7919 * round) >>> 0 } : {};
    let short = new GaussianMixture({
      ...common,
      ...cell,
      ...reseeded,
      initParams: 'k-means++',
      nInit: shortRuns,
      maxIter: shortIter,
      tol: 0,
    });
    // (Not for K so large next to hcSubset that the sample would hold a few rows per component.)
    const sample = withHc || cell.nComponents * 20 > settings.hcSubset ? null : shortSample();
    await short.fit(sample?.matrix ?? matrix, sample?.fitOptions ?? fitOptions);
    if (sample !== null) return continued(short, settings.tol, true);
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
  const fitCell = async (cell: Cell): Promise<Fit> => {
    if (strategy === 'emEM+hc') return fitFrom(cell, 'emEM', true);
    const starts: Array<'init' | 'hc' | 'emEM'> =
      strategy === 'hc+emEM' || (strategy === 'hc+best' && settings.subsetTree)
        ? ['hc', 'emEM']
        : strategy === 'hc+best'
          ? ['hc']
          : [strategy];
    let best: Fit | null = null;
    let failure: unknown = null;
    for (const start of starts) {
      let fitted: Fit;
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
  return { fitCell, fitFrom, continued };
}
