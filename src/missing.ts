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
import type { Dataset, Matrix } from './matrix.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { choleskyLower } from './model/linalg.ts';
import { EmgpuInputError } from './options.ts';
import { addStats, type Moments, type SufficientStats } from './sufficient-stats.ts';
import { InternalError } from './errors.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** Rows with holes that share one pattern: which coordinates are observed. */
interface Pattern {
  /** Observed coordinates, ascending. */
  readonly observed: Int32Array;
  /** Missing coordinates, ascending. */
  readonly missing: Int32Array;
  /** Indices (into the dataset's rows) of the rows with this pattern. */
  readonly rows: Int32Array;
}

/** How a matrix with NaNs splits: the rows kept, complete rows, and rows with holes by pattern. */
export interface MissingLayout {
  /** Rows of the input kept (not every value missing), ascending. */
  readonly kept: Int32Array;
  /** Rows of the input with every value missing (dropped). */
  readonly dropped: number;
  /** Positions (in `kept` order) of the complete rows. */
  readonly complete: Int32Array;
  readonly patterns: readonly Pattern[];
  /** Values missing in the kept rows. */
  readonly missingValues: number;
}

/** Whether the matrix has a NaN (a missing value) anywhere. */
export function hasMissing(matrix: Matrix): boolean {
  const { data } = matrix;
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i] as number)) return true;
  return false;
}

/** Throws on ±Infinity (a NaN is a missing value here, an infinity is not). */
export function checkNoInfinity(matrix: Matrix, name = 'X'): void {
  const { data, cols } = matrix;
  for (let index = 0; index < data.length; index++) {
    const v = data[index] as number;
    if (v === Infinity || v === -Infinity) {
      const i = Math.floor(index / cols);
      throw new EmgpuInputError(
        `${name} row ${i}, column ${index - i * cols} is ${v > 0 ? 'Infinity' : '-Infinity'}; every value must be a finite number or NaN for a missing value.`,
      );
    }
  }
}

/** Groups the rows of a matrix by their pattern of NaNs. */
export function missingLayout(matrix: Matrix): MissingLayout {
  const { data, rows, cols } = matrix;
  const kept: number[] = [];
  const complete: number[] = [];
  const groups = new Map<string, { observed: number[]; missing: number[]; rows: number[] }>();
  let dropped = 0;
  let missingValues = 0;
  const flags = new Uint8Array(cols);
  for (let i = 0; i < rows; i++) {
    let holes = 0;
    for (let j = 0; j < cols; j++) {
      const hole = Number.isNaN(data[i * cols + j] as number);
      flags[j] = hole ? 1 : 0;
      if (hole) holes++;
    }
    if (holes === cols) {
      dropped++;
      continue;
    }
    const position = kept.length;
    kept.push(i);
    if (holes === 0) {
      complete.push(position);
      continue;
    }
    missingValues += holes;
    const key = flags.join('');
    let group = groups.get(key);
    if (group === undefined) {
      group = { observed: [], missing: [], rows: [] };
      for (let j = 0; j < cols; j++) (flags[j] === 1 ? group.missing : group.observed).push(j);
      groups.set(key, group);
    }
    group.rows.push(position);
  }
  const patterns = [...groups.values()].map((g) => ({
    observed: Int32Array.from(g.observed),
    missing: Int32Array.from(g.missing),
    rows: Int32Array.from(g.rows),
  }));
  return { kept: Int32Array.from(kept), dropped, complete: Int32Array.from(complete), patterns, missingValues };
}

/** The rows at `positions` of a row-major matrix, as a new float64 matrix. */
export function gatherRows(data: Float64Array | Float32Array, cols: number, positions: Int32Array): Float64Array {
  const out = new Float64Array(positions.length * cols);
  for (let n = 0; n < positions.length; n++) {
    const row = positions[n] as number;
    for (let j = 0; j < cols; j++) out[n * cols + j] = data[row * cols + j] as number;
  }
  return out;
}

/** The rows of X kept (not every value missing) and their weights. */
export function keptRows(
  matrix: Matrix,
  weights: Float64Array | null,
  layout: MissingLayout,
): { matrix: Matrix; weights: Float64Array | null } {
  const data = gatherRows(matrix.data, matrix.cols, layout.kept);
  const w = weights === null ? null : Float64Array.from(layout.kept, (i) => weights[i] as number);
  return { matrix: { data, rows: layout.kept.length, cols: matrix.cols }, weights: w };
}

/** A column of X with no observed value (with a positive weight): `column` is its 0-based index. */
export class UnobservedColumnError extends EmgpuInputError {
  constructor(readonly column: number) {
    super(
      `X column ${column} (0-based) has no observed value (with a positive weight); drop that column, as nothing can be learnt about it.`,
    );
  }
}

/** X (the kept rows) with each hole filled by its column's weighted mean over the observed values. */
export function meanImputed(dataset: Dataset): Float64Array {
  const { data, rows, cols, weights } = dataset;
  const sum = new Float64Array(cols);
  const count = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const w = weights === null ? 1 : (weights[i] as number);
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j] as number;
      if (!Number.isNaN(v)) {
        sum[j] = (sum[j] as number) + w * v;
        count[j] = (count[j] as number) + w;
      }
    }
  }
  const out = Float64Array.from(data);
  for (let j = 0; j < cols; j++) {
    if ((count[j] as number) === 0) {
      throw new UnobservedColumnError(j);
    }
  }
  for (let index = 0; index < out.length; index++) {
    if (Number.isNaN(out[index] as number)) {
      const j = index % cols;
      out[index] = (sum[j] as number) / (count[j] as number);
    }
  }
  return out;
}

/** Per pattern and component: what the E-step of a row with that pattern needs. */
interface Conditional {
  /** Lower Cholesky factor of Σ_oo (p × p). */
  readonly chol: Float64Array;
  /** log N's constant: −½(p·log 2π + log det Σ_oo). */
  readonly logConst: number;
  /** Σ_oo⁻¹ Σ_om (p × q): x̂_m − μ_m = Bᵀ (x_o − μ_o). */
  readonly gain: Float64Array;
  /** C = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om (q × q). */
  readonly condCov: Float64Array;
}

/** Solves L·y = b in place (L lower, p × p, row-major). */
function forward(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let j = 0; j < i; j++) s -= (l[i * p + j] as number) * (b[j] as number);
    b[i] = s / (l[i * p + i] as number);
  }
}

/** Solves Lᵀ·x = y in place. */
function backward(l: Float64Array, p: number, y: Float64Array): void {
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let j = i + 1; j < p; j++) s -= (l[j * p + i] as number) * (y[j] as number);
    y[i] = s / (l[i * p + i] as number);
  }
}

/** Σ_k as D × D matrices from the parameters, by storage layout (full: each; tied: one shared; diag/spherical: diagonal). */
function covarianceMatrices(params: MixtureParams): Float64Array[] {
  const { nComponents: k, nFeatures: d } = params;
  const model = COVARIANCE_MODELS[params.covarianceType];
  const type = model.form;
  const covs = model.covariancesFromPrecisionCholesky(params.precisionsCholesky, k, d);
  const out: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const s = new Float64Array(d * d);
    if (type === 'full') s.set(covs.subarray(c * d * d, (c + 1) * d * d));
    else if (type === 'tied') s.set(covs.subarray(0, d * d));
    else if (type === 'diag') for (let a = 0; a < d; a++) s[a * d + a] = covs[c * d + a] as number;
    else for (let a = 0; a < d; a++) s[a * d + a] = covs[c] as number;
    out.push(s);
  }
  return out;
}

function conditional(
  sigma: Float64Array,
  d: number,
  observed: Int32Array,
  missing: Int32Array,
  component: number,
): Conditional {
  const p = observed.length;
  const q = missing.length;
  const soo = new Float64Array(p * p);
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) soo[a * p + b] = sigma[(observed[a] as number) * d + (observed[b] as number)] as number;
  const chol = new Float64Array(p * p);
  if (!choleskyLower(soo, 0, p, chol, 0)) {
    throw new EmgpuInputError(
      `The covariance of component ${component} restricted to the observed columns of some rows is not positive definite; increase regCovar.`,
    );
  }
  let logDet = 0;
  for (let a = 0; a < p; a++) logDet += 2 * Math.log(chol[a * p + a] as number);
  const gain = new Float64Array(p * q);
  const column = new Float64Array(p);
  for (let m = 0; m < q; m++) {
    for (let a = 0; a < p; a++) column[a] = sigma[(observed[a] as number) * d + (missing[m] as number)] as number;
    forward(chol, p, column);
    backward(chol, p, column);
    for (let a = 0; a < p; a++) gain[a * q + m] = column[a] as number;
  }
  const condCov = new Float64Array(q * q);
  for (let m = 0; m < q; m++) {
    for (let n = 0; n < q; n++) {
      let s = sigma[(missing[m] as number) * d + (missing[n] as number)] as number;
      for (let a = 0; a < p; a++)
        s -= (sigma[(missing[m] as number) * d + (observed[a] as number)] as number) * (gain[a * q + n] as number);
      condCov[m * q + n] = s;
    }
  }
  return { chol, logConst: -0.5 * (p * LOG_2PI + logDet), gain, condCov };
}

/** What a pass over the rows with holes accumulates or returns. */
interface HolePass {
  /** Statistics about shift = the means (null: not wanted). */
  readonly stats: SufficientStats | null;
  /** Per row with holes, in the order of `rows` below. */
  readonly logLik: Float64Array;
  readonly proba: Float64Array;
  /** Positions (in kept order) of the rows with holes, matching logLik and proba. */
  readonly rows: Int32Array;
}

/**
 * The E-step of the rows with holes, in float64: per row the responsibilities from the
 * observed coordinates and, given `moments`, the statistics with the conditional moments.
 */
export function holesEStep(
  dataset: Dataset,
  layout: MissingLayout,
  params: MixtureParams,
  moments?: Moments,
): HolePass {
  const { nComponents: k, nFeatures: d } = params;
  const { data, weights } = dataset;
  const sigmas = covarianceMatrices(params);
  const logW = params.logWeights ?? params.weights.map((w) => Math.log(w));
  const total = layout.patterns.reduce((n, p) => n + p.rows.length, 0);
  const rowsOut = new Int32Array(total);
  const logLik = new Float64Array(total);
  const proba = new Float64Array(total * k);
  const wantStats = moments !== undefined;
  const full = moments === 'full';
  const sumResp = new Float64Array(k);
  const sumDiff = new Float64Array(k * d);
  const sumOuter = new Float64Array(moments === 'full' ? k * d * d : moments === 'diag' ? k * d : 0);
  let sumLogLik = 0;
  let sumRespLogResp = 0;
  let totalWeight = 0;
  let out = 0;
  const logp = new Float64Array(k);
  const dev = new Float64Array(d);
  for (const pattern of layout.patterns) {
    const { observed, missing } = pattern;
    const p = observed.length;
    const q = missing.length;
    const conds = sigmas.map((s, c) => conditional(s, d, observed, missing, c));
    // x_o − μ_o per component: the E-step solves with it, the statistics reuse it.
    const diffs = new Float64Array(k * p);
    const y = new Float64Array(p);
    for (const row of pattern.rows) {
      const w = weights === null ? 1 : (weights[row] as number);
      let top = -Infinity;
      for (let c = 0; c < k; c++) {
        const cond = conds[c] as Conditional;
        for (let a = 0; a < p; a++) {
          const v =
            (data[row * d + (observed[a] as number)] as number) -
            (params.means[c * d + (observed[a] as number)] as number);
          diffs[c * p + a] = v;
          y[a] = v;
        }
        forward(cond.chol, p, y);
        let maha = 0;
        for (let a = 0; a < p; a++) maha += (y[a] as number) ** 2;
        const v = (logW[c] as number) + cond.logConst - 0.5 * maha;
        logp[c] = v;
        if (v > top) top = v;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp((logp[c] as number) - top);
      const lse = top + Math.log(sum);
      rowsOut[out] = row;
      logLik[out] = lse;
      for (let c = 0; c < k; c++) proba[out * k + c] = Math.exp((logp[c] as number) - lse);
      if (wantStats) {
        sumLogLik += w * lse;
        totalWeight += w;
        for (let c = 0; c < k; c++) {
          const r = proba[out * k + c] as number;
          if (r > 0) sumRespLogResp += w * r * Math.log(r);
          const wr = w * r;
          if (wr === 0) continue;
          const cond = conds[c] as Conditional;
          // dev = x̂ − μ_k: observed coordinates as they are; missing ones Bᵀ(x_o − μ_o).
          for (let a = 0; a < p; a++) dev[observed[a] as number] = diffs[c * p + a] as number;
          for (let m = 0; m < q; m++) {
            let s = 0;
            for (let a = 0; a < p; a++) s += (cond.gain[a * q + m] as number) * (diffs[c * p + a] as number);
            dev[missing[m] as number] = s;
          }
          sumResp[c] = (sumResp[c] as number) + wr;
          for (let a = 0; a < d; a++) sumDiff[c * d + a] = (sumDiff[c * d + a] as number) + wr * (dev[a] as number);
          if (full) {
            const base = c * d * d;
            for (let a = 0; a < d; a++)
              for (let b = 0; b < d; b++)
                sumOuter[base + a * d + b] =
                  (sumOuter[base + a * d + b] as number) + wr * (dev[a] as number) * (dev[b] as number);
            for (let m = 0; m < q; m++) {
              for (let n = 0; n < q; n++) {
                const at = base + (missing[m] as number) * d + (missing[n] as number);
                sumOuter[at] = (sumOuter[at] as number) + wr * (cond.condCov[m * q + n] as number);
              }
            }
          } else if (moments === 'diag') {
            for (let a = 0; a < d; a++)
              sumOuter[c * d + a] = (sumOuter[c * d + a] as number) + wr * (dev[a] as number) ** 2;
            for (let m = 0; m < q; m++) {
              const at = c * d + (missing[m] as number);
              sumOuter[at] = (sumOuter[at] as number) + wr * (cond.condCov[m * q + m] as number);
            }
          }
        }
      }
      out++;
    }
  }
  const stats: SufficientStats | null = wantStats
    ? {
        nComponents: k,
        nFeatures: d,
        moments,
        shifts: Float64Array.from(params.means),
        sumResp,
        sumDiff,
        sumOuter,
        sumLogLik,
        sumRespLogResp,
        totalWeight,
      }
    : null;
  return { stats, logLik, proba, rows: rowsOut };
}

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

  async eStep(params: MixtureParams, moments: 'full' | 'diag'): Promise<SufficientStats> {
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
    moments: 'full' | 'diag',
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
