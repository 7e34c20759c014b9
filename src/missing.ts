// Missing values by marginalisation (Ghahramani & Jordan 1994), `missing: 'marginalize'`.
//
// A NaN in X is a missing value. Rows with every value missing are dropped (and counted); the
// others are split:
//   - complete rows go to the engine (CPU or WebGPU) exactly as without missing values, so a
//     table with no holes fits exactly as before;
//   - rows with holes are grouped by their pattern of holes and handled here in float64: for
//     each pattern and component the observed block Σ_oo is factored once, and each row's
//     E-step uses log N(x_o; μ_o, Σ_oo), its conditional mean x̂_m = μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o)
//     and the conditional covariance C = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om, which the statistics add to
//     the second moments (Σ w·r·[(x̂ − c)(x̂ − c)ᵀ + C]).
// Both parts give statistics in the one layout (src/sufficient-stats.ts), added before the shared M-step.
// The parts: src/missing-layout.ts (patterns, kept rows, imputation), src/missing-conditional.ts
// (a component's conditional Gaussian for one pattern), src/missing-estep.ts (the rows' E-step
// and statistics); this file loads the data and answers the engine's calls.
// The initialisations (k-means, k-means++, random, random_from_data, resp) run on a copy of X
// with each hole filled by its column's (weighted) observed mean.

import type {
  AssignResult,
  EvaluateRequest,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  PassTimings,
} from './backend.ts';
import { InternalError } from './errors.ts';
import type { Dataset } from './matrix.ts';
import { holesEStep } from './missing-estep.ts';
import { gatherRows, meanImputed, type MissingLayout } from './missing-layout.ts';
import { addStats, type Moments, type SufficientStats, type SecondMoments } from './sufficient-stats.ts';

export { holesEStep } from './missing-estep.ts';
export {
  checkNoInfinity,
  hasMissing,
  keptRows,
  missingLayout,
  UnobservedColumnError,
  type MissingLayout,
} from './missing-layout.ts';

/**
 * Loaded data with holes: complete rows on the engine, rows with holes here (float64), and for
 * the initialisations a mean-imputed copy on the engine. `rows` and the passes are over the
 * kept rows (`dataset`); evaluate answers per row of the caller's X.
 */
export class MarginalData implements LoadedData {
  private isDisposed = false;

  constructor(
    /** Rows of the caller's X, those with every value missing included. */
    private readonly originalRows: number,
    private readonly dataset: Dataset,
    private readonly layout: MissingLayout,
    /** The complete rows on the engine, or null when every row has a hole. */
    private readonly complete: LoadedData | null,
    /** The mean-imputed rows on the engine (initialisations), or null when not needed (inference). */
    private readonly imputed: LoadedData | null,
  ) {}

  get rows(): number {
    return this.dataset.rows;
  }
  get cols(): number {
    return this.dataset.cols;
  }
  get totalWeight(): number {
    return this.dataset.totalWeight;
  }
  get lastTimings(): PassTimings | null {
    return this.complete?.lastTimings ?? null;
  }
  get disposed(): boolean {
    return this.isDisposed;
  }

  private init(): LoadedData {
    if (this.imputed === null)
      throw new InternalError('initialisation needs the mean-imputed data, which was not loaded');
    return this.imputed;
  }

  async eStep(params: MixtureParams, moments: SecondMoments): Promise<SufficientStats> {
    const holes = holesEStep(this.dataset, this.layout, params, moments).stats as SufficientStats;
    if (this.complete === null) return holes;
    const engine = await this.complete.eStep(params, moments);
    return addStats(engine, holes);
  }

  assign(centers: Float64Array, nComponents: number, moments: Moments): Promise<AssignResult> {
    return this.init().assign(centers, nComponents, moments);
  }

  randomResponsibilities(
    seed: number,
    nComponents: number,
    shifts: Float64Array,
    moments: SecondMoments,
  ): Promise<SufficientStats> {
    return this.init().randomResponsibilities(seed, nComponents, shifts, moments);
  }

  kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array> {
    return this.init().kmeansPlusPlus(nComponents, seed);
  }

  rowsAt(indices: Int32Array): Promise<Float64Array> {
    return this.init().rowsAt(indices);
  }

  /**
   * Per row of the caller's X (rows with every value missing included): label −1, log-likelihood
   * and responsibilities NaN for those; the others from the engine (complete rows) or here.
   */
  async evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult> {
    const n = this.originalRows;
    const k = params.nComponents;
    const kept = this.layout.kept;
    const holes = holesEStep(this.dataset, this.layout, params);
    const inner = this.complete === null ? {} : await this.complete.evaluate(params, request);
    const completeRows = this.layout.complete;
    const result: { labels?: Int32Array; logLik?: Float64Array; proba?: Float64Array } = {};
    if (request.labels === true) {
      const labels = new Int32Array(n).fill(-1);
      if (inner.labels !== undefined)
        completeRows.forEach((row, i) => (labels[kept[row] as number] = inner.labels?.[i] as number));
      holes.rows.forEach((row, i) => {
        let best = 0;
        for (let c = 1; c < k; c++)
          if ((holes.proba[i * k + c] as number) > (holes.proba[i * k + best] as number)) best = c;
        labels[kept[row] as number] = best;
      });
      result.labels = labels;
    }
    if (request.logLik === true) {
      const logLik = new Float64Array(n).fill(NaN);
      if (inner.logLik !== undefined)
        completeRows.forEach((row, i) => (logLik[kept[row] as number] = inner.logLik?.[i] as number));
      holes.rows.forEach((row, i) => (logLik[kept[row] as number] = holes.logLik[i] as number));
      result.logLik = logLik;
    }
    if (request.proba === true) {
      const proba = new Float64Array(n * k).fill(NaN);
      if (inner.proba !== undefined)
        completeRows.forEach((row, i) =>
          proba.set((inner.proba as Float64Array).subarray(i * k, (i + 1) * k), (kept[row] as number) * k),
        );
      holes.rows.forEach((row, i) => proba.set(holes.proba.subarray(i * k, (i + 1) * k), (kept[row] as number) * k));
      result.proba = proba;
    }
    return result;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.complete?.dispose();
    this.imputed?.dispose();
  }
}

/** The subset of a dataset's rows at `positions`, with their (already scaled) weights. */
function subset(dataset: Dataset, positions: Int32Array): Dataset {
  const data = gatherRows(dataset.data, dataset.cols, positions);
  if (dataset.weights === null)
    return {
      data,
      rows: positions.length,
      cols: dataset.cols,
      weights: null,
      totalWeight: positions.length,
      weightExponent: dataset.weightExponent,
    };
  const weights = Float64Array.from(positions, (i) => (dataset.weights as Float64Array)[i] as number);
  let total = 0;
  for (const w of weights) total += w;
  return {
    data,
    rows: positions.length,
    cols: dataset.cols,
    weights,
    totalWeight: total,
    weightExponent: dataset.weightExponent,
  };
}

/**
 * Loads X with holes onto `load` (an engine's loader): the complete rows, and with `forFit` the
 * mean-imputed rows the initialisations use. `dataset` holds the kept rows (NaN in the holes).
 */
export async function loadMarginal(
  load: (dataset: Dataset) => Promise<LoadedData>,
  originalRows: number,
  dataset: Dataset,
  layout: MissingLayout,
  forFit: boolean,
): Promise<MarginalData> {
  const complete = layout.complete.length > 0 ? await load(subset(dataset, layout.complete)) : null;
  let imputed: LoadedData | null = null;
  try {
    if (forFit) imputed = await load({ ...dataset, data: meanImputed(dataset) });
  } catch (error) {
    complete?.dispose();
    throw error;
  }
  return new MarginalData(originalRows, dataset, layout, complete, imputed);
}
