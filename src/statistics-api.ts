// The statistics API: the E-step's additive sufficient statistics (src/sufficient-stats.ts) as a plain,
// JSON-serialisable object, so that EM can run over data that is split across processes or
// machines: each part computes statistics of its rows under the same parameters
// (`gm.statistics`), the parts are summed (`mergeStatistics`), and one M-step turns the sum into
// the next parameters (`gm.mStep`), exactly as `fit` would from the whole table.
//
// Statistics are in the units of the caller's sample weights (the engines' power-of-two
// scaling is undone), float64, with numbers in plain arrays so that JSON.stringify and
// JSON.parse give back the same numbers bit for bit.

import type { MixtureParams } from './backend.ts';
import { fingerprint } from './loaded-cache.ts';
import { nest } from './model/arrays.ts';
import { isRecord, own, show } from './model/validate-json.ts';
import { MCLUST_MODELS } from './model/names.ts';
import { COVARIANCE_TYPES, EmgpuInputError, type CovarianceType } from './options.ts';
import { addStats, momentsFor, type SufficientStats } from './sufficient-stats.ts';

export const STATISTICS_FORMAT = 'emgpu-statistics';
export const STATISTICS_VERSION = 1;

export const STATISTICS_ESTIMATORS = ['GaussianMixture', 'BayesianGaussianMixture'] as const;
/** The estimator whose E-step computed the statistics. */
export type StatisticsEstimator = (typeof STATISTICS_ESTIMATORS)[number];

/**
 * Sufficient statistics of some rows under one model's parameters (gm.statistics), or the sum
 * of several such parts (mergeStatistics). With w the sample weights (1 without), r_k the
 * responsibilities and c_k the shift (the model's means when computed):
 */
export interface MixtureStatistics {
  readonly format: typeof STATISTICS_FORMAT;
  readonly version: typeof STATISTICS_VERSION;
  readonly estimator: StatisticsEstimator;
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  /**
   * A fingerprint of the parameters the E-step used (weights, means, precision factors): parts
   * merge only when they share it, and mStep takes only statistics of the model's own parameters.
   */
  readonly parameters: string;
  /** The engine(s) that computed them, e.g. "cpu (2 threads)". */
  readonly backend: string;
  /** Number of rows (zero-weight rows included). */
  readonly nRows: number;
  /** Σ w. */
  readonly totalWeight: number;
  /** Σ w·r_k, K values. */
  readonly sumResp: number[];
  /** c_k, K × D: the shift the first and second moments are taken about. */
  readonly shift: number[][];
  /** Σ w·r_k·(x − c_k), K × D (Σ w·r_k·x = sumResp[k]·shift[k] + sumDiff[k]). */
  readonly sumDiff: number[][];
  /**
   * Σ w·r_k·(x − c_k)(x − c_k)ᵀ: K × D × D for 'full' and 'tied' covariances; only its
   * diagonal, K × D, for 'diag' and 'spherical' (all that their M-step needs).
   */
  readonly sumOuter: number[][][] | number[][];
  /** Σ w·log p(x) under the parameters: the log-likelihood of the rows. */
  readonly sumLogLik: number;
  /** Σ w·Σ_k r_k·log r_k: minus the responsibilities' entropy (the Bayesian bound uses it). */
  readonly sumRespLogResp: number;
}

export interface StatisticsOptions {
  /** One non-negative finite weight per row, as for fit. */
  readonly sampleWeight?: ArrayLike<number> | null;
}

export interface MStepOptions {
  /**
   * The lower bound to compare the new one with for `converged` (|change| < tol). Default: the
   * model's own lowerBound (−∞ for a model fitted with maxIter 0), as a warm-started fit does.
   */
  readonly previousLowerBound?: number | null;
}

export interface MStepResult {
  /**
   * The lower bound of this iteration, as fit reports it: GaussianMixture's is the mean
   * log-likelihood of the statistics (sumLogLik / totalWeight, under the parameters before the
   * M-step); BayesianGaussianMixture's is its variational bound at the new parameters.
   */
  readonly lowerBound: number;
  /** lowerBound − the previous lower bound (Infinity after −∞). */
  readonly change: number;
  /** |change| < tol. */
  readonly converged: boolean;
  /** Iterations of the model so far, this one included. */
  readonly nIter: number;
}

/** The fingerprint of the parameters an E-step uses (8 hex digits). */
export function parametersFingerprint(params: MixtureParams): string {
  const parts = [params.weights, params.means, params.precisionsCholesky, params.logWeights ?? new Float64Array(0)];
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return fingerprint(all).toString(16).padStart(8, '0');
}

/** What the statistics were computed with, besides the sums. */
export interface StatisticsSource {
  readonly estimator: StatisticsEstimator;
  readonly covarianceType: CovarianceType;
  readonly parameters: string;
  readonly backend: string;
  readonly nRows: number;
}

/** Plain numbers; −0 becomes 0 (JSON writes both as 0, and the sums are the same). */
const plain = (values: ArrayLike<number>): number[] => Array.from(values, (v) => v + 0);

/** Statistics (in the caller's weight units) as the public JSON-ready object. */
export function toStatisticsJSON(stats: SufficientStats, source: StatisticsSource): MixtureStatistics {
  const { nComponents: k, nFeatures: d } = stats;
  const full = stats.moments === 'full';
  return {
    format: STATISTICS_FORMAT,
    version: STATISTICS_VERSION,
    estimator: source.estimator,
    covarianceType: source.covarianceType,
    nComponents: k,
    nFeatures: d,
    parameters: source.parameters,
    backend: source.backend,
    nRows: source.nRows,
    totalWeight: stats.totalWeight,
    sumResp: plain(stats.sumResp),
    shift: nest(plain(stats.shifts), [k, d]) as number[][],
    sumDiff: nest(plain(stats.sumDiff), [k, d]) as number[][],
    sumOuter: (full ? nest(plain(stats.sumOuter), [k, d, d]) : nest(plain(stats.sumOuter), [k, d])) as
      number[][][] | number[][],
    sumLogLik: stats.sumLogLik + 0,
    sumRespLogResp: stats.sumRespLogResp + 0,
  };
}

/** Checked statistics: what they were computed with, and the sums in the engine-facing form. */
export interface ReadStatistics {
  readonly source: StatisticsSource;
  readonly stats: SufficientStats;
}

/**
 * Checks a statistics object (parsed JSON or gm.statistics output) and returns it in the
 * engine-facing form; `name` ("part 2", "statistics file a.json") starts every message.
 */
export function readStatistics(value: unknown, name: string): ReadStatistics {
  const fail = (problem: string): never => {
    throw new EmgpuInputError(`${name} ${problem}`);
  };
  if (!isRecord(value))
    fail(
      `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not statistics; pass the output of statistics() or 'emgpu stats'.`,
    );
  const record = value as Record<string, unknown>;
  const format = own(record, 'format');
  if (format !== STATISTICS_FORMAT)
    fail(
      `has format ${show(format)}, not '${STATISTICS_FORMAT}'; pass the output of statistics() or 'emgpu stats' (a model file is not statistics).`,
    );
  const version = own(record, 'version');
  if (version !== STATISTICS_VERSION)
    fail(
      `has version ${show(version)}; this emgpu reads version ${STATISTICS_VERSION} (compute the statistics again with this version).`,
    );
  const estimator = own(record, 'estimator');
  if (typeof estimator !== 'string' || !(STATISTICS_ESTIMATORS as readonly string[]).includes(estimator)) {
    fail(`has estimator ${show(estimator)}; expected ${STATISTICS_ESTIMATORS.map((e) => `'${e}'`).join(' or ')}.`);
  }
  const covarianceType = own(record, 'covarianceType');
  if (typeof covarianceType !== 'string' || !(COVARIANCE_TYPES as readonly string[]).includes(covarianceType)) {
    fail(
      `has covarianceType ${show(covarianceType)}; expected 'full', 'tied', 'diag', 'spherical' or one of mclust's models ${MCLUST_MODELS.join(', ')}.`,
    );
  }
  const type = covarianceType as CovarianceType;
  const count = (key: string, min: number): number => {
    const v = own(record, key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      fail(`has ${key} ${show(v)}; it must be an integer ≥ ${min}.`);
    return v as number;
  };
  const k = count('nComponents', 1);
  const d = count('nFeatures', 1);
  const nRows = count('nRows', 1);
  const text = (key: string): string => {
    const v = own(record, key);
    if (typeof v !== 'string') fail(`has ${key} ${show(v)}; it must be a string.`);
    return v as string;
  };
  const parameters = text('parameters');
  const backend = text('backend');
  const finite = (key: string): number => {
    const v = own(record, key);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`has ${key} ${show(v)}; it must be a finite number.`);
    return v as number;
  };
  const totalWeight = finite('totalWeight');
  // 0: a part whose rows all have weight 0, or are all missing: it adds nothing to a merge.
  if (!(totalWeight >= 0)) fail(`has totalWeight ${totalWeight}; it must be ≥ 0.`);
  const sumLogLik = finite('sumLogLik');
  const sumRespLogResp = finite('sumRespLogResp');

  /** A nested array of exactly `shape` finite numbers, flattened. */
  const array = (key: string, shape: readonly number[]): Float64Array => {
    const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
    let at = 0;
    const walk = (node: unknown, depth: number, path: string): void => {
      const expected = shape[depth];
      if (expected === undefined) {
        if (typeof node !== 'number' || !Number.isFinite(node))
          fail(`has ${key}${path} ${show(node)}; every value must be a finite number.`);
        out[at++] = node as number;
        return;
      }
      if (!Array.isArray(node) || node.length !== expected) {
        fail(
          `has ${key}${path} ${Array.isArray(node) ? `with ${node.length} entries` : show(node)} where ${expected} entries were expected; '${key}' must have shape ${shape.join(' × ')}.`,
        );
      }
      for (let i = 0; i < expected; i++) walk((node as unknown[])[i], depth + 1, `${path}[${i}]`);
    };
    walk(own(record, key), 0, '');
    return out;
  };
  const moments = momentsFor(type);
  const sumResp = array('sumResp', [k]);
  sumResp.forEach((v, c) => {
    if (v < 0) fail(`has sumResp[${c}] ${v}; sums of weights must be ≥ 0.`);
  });
  const stats: SufficientStats = {
    nComponents: k,
    nFeatures: d,
    moments,
    shifts: array('shift', [k, d]),
    sumResp,
    sumDiff: array('sumDiff', [k, d]),
    sumOuter: array('sumOuter', moments === 'full' ? [k, d, d] : [k, d]),
    sumLogLik,
    sumRespLogResp,
    totalWeight,
  };
  checkConsistent(stats, fail);
  return {
    source: { estimator: estimator as StatisticsEstimator, covarianceType: type, parameters, backend, nRows },
    stats,
  };
}

/**
 * Relative slack of the consistency checks: far above the rounding of sums in float64, or of
 * the WebGPU engine's float32 sums (whose error grows with the rows a workgroup sums), far
 * below what a corrupted or hand-edited value changes.
 */
const CONSISTENCY_TOLERANCE = 1e-3;

/**
 * Checks that statistics could have come from an E-step: the responsibilities' sums add up to
 * the total weight, sums of squares are ≥ 0, and second moments are symmetric. Statistics that
 * do not would give a wrong lower bound and a wrong convergence decision, or parameters that
 * other commands refuse.
 */
function checkConsistent(stats: SufficientStats, fail: (problem: string) => never): void {
  const { nComponents: k, nFeatures: d, sumResp, sumOuter, totalWeight } = stats;
  const corrupt = '; the statistics are corrupt: compute them again with emgpu stats (or statistics()).';
  let responsibility = 0;
  for (const v of sumResp) responsibility += v;
  if (Math.abs(responsibility - totalWeight) > CONSISTENCY_TOLERANCE * Math.max(totalWeight, responsibility)) {
    fail(
      `has totalWeight ${totalWeight} but its sumResp adds up to ${responsibility}; every row's responsibilities sum to its weight, so the two must agree${corrupt}`,
    );
  }
  const full = stats.moments === 'full';
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++) {
      const at = full ? (c * d + a) * d + a : c * d + a;
      const v = sumOuter[at] as number;
      // Parts merged about another part's shift are re-centred, which can round a sum of
      // squares near 0 to a little below: allowed up to the rounding of Σ w·r·x² about 0.
      const shift = stats.shifts[c * d + a] as number;
      if (v < -CONSISTENCY_TOLERANCE * (sumResp[c] as number) * shift * shift)
        fail(
          `has sumOuter[${c}]${full ? `[${a}][${a}]` : `[${a}]`} ${v}, a negative sum of squares (a second-moment diagonal must be ≥ 0)${corrupt}`,
        );
    }
    if (!full) continue;
    for (let a = 0; a < d; a++) {
      for (let b = a + 1; b < d; b++) {
        const ab = sumOuter[(c * d + a) * d + b] as number;
        const ba = sumOuter[(c * d + b) * d + a] as number;
        const scale = Math.sqrt((sumOuter[(c * d + a) * d + a] as number) * (sumOuter[(c * d + b) * d + b] as number));
        if (Math.abs(ab - ba) > CONSISTENCY_TOLERANCE * scale + Number.MIN_VALUE) {
          fail(
            `has an asymmetric sumOuter[${c}]: [${a}][${b}] is ${ab} but [${b}][${a}] is ${ba} (second moments are symmetric)${corrupt}`,
          );
        }
      }
    }
  }
}

/** The first field of summed statistics that is not finite (an overflow), or null. */
function overflowedField(stats: SufficientStats): string | null {
  const fields = ['sumResp', 'sumDiff', 'sumOuter'] as const;
  for (const field of fields) if (!stats[field].every(Number.isFinite)) return field;
  if (!Number.isFinite(stats.sumLogLik)) return 'sumLogLik';
  if (!Number.isFinite(stats.sumRespLogResp)) return 'sumRespLogResp';
  if (!Number.isFinite(stats.totalWeight)) return 'totalWeight';
  return null;
}

/**
 * A running sum of statistics parts, each checked as it is added; a part that was not computed
 * with the same model as the first (estimator, covariance type, K, D, parameters) is refused
 * naming both parts and the field. Parts can be added one at a time (the CLI reads one file at a
 * time), so memory stays that of two parts.
 */
export class StatisticsSum {
  private first: { readonly name: string; readonly source: StatisticsSource } | null = null;
  private stats: SufficientStats | null = null;
  private nRows = 0;
  private readonly backends = new Set<string>();

  /** Adds one part; `name` ("part 2", "statistics file b.json") is what its messages call it. */
  add(value: unknown, name: string): void {
    const next = readStatistics(value, name);
    if (this.first === null || this.stats === null) {
      this.first = { name, source: next.source };
      this.stats = next.stats;
    } else {
      const base = this.first;
      const differ = (field: string, a: string | number, b: string | number): void => {
        if (a !== b) {
          throw new EmgpuInputError(
            `${name} has ${field} ${JSON.stringify(b)} but ${base.name} has ${JSON.stringify(a)}; merge only statistics computed with the same model file on every part of the data.`,
          );
        }
      };
      differ('estimator', base.source.estimator, next.source.estimator);
      differ('covarianceType', base.source.covarianceType, next.source.covarianceType);
      differ('nComponents', this.stats.nComponents, next.stats.nComponents);
      differ('nFeatures', this.stats.nFeatures, next.stats.nFeatures);
      if (next.source.parameters !== base.source.parameters) {
        throw new EmgpuInputError(
          `${name} was computed under other parameters (fingerprint ${next.source.parameters}) than ${base.name} (${base.source.parameters}); every part must be computed with the same model, e.g. the same iteration's model file.`,
        );
      }
      // About the first part's shift; parts from another engine (float32 shifts) are re-centred.
      const sum = addStats(this.stats, next.stats);
      const overflowed = overflowedField(sum);
      if (overflowed !== null) {
        throw new EmgpuInputError(
          `${name} makes the sum of ${overflowed} overflow (beyond ±1.8e308, the float64 range); check that the parts are statistics of data on a sensible scale, or scale the data down and compute them again.`,
        );
      }
      this.stats = sum;
    }
    this.nRows += next.source.nRows;
    this.backends.add(next.source.backend);
  }

  /** The statistics of every part added so far. */
  result(): MixtureStatistics {
    if (this.first === null || this.stats === null)
      throw new EmgpuInputError(
        'mergeStatistics needs at least one part; pass the statistics of every part of the data.',
      );
    return toStatisticsJSON(this.stats, {
      ...this.first.source,
      backend: [...this.backends].join(' + '),
      nRows: this.nRows,
    });
  }
}

/**
 * The statistics of all the parts' rows together: exact sums in float64 (second moments are
 * re-centred to the first part's shift where the parts' shifts differ), so the result does not
 * depend on the order of the parts beyond float64 rounding. Throws EmgpuInputError naming the
 * part when the parts do not match (another model, K, D, covariance type or format).
 */
export function mergeStatistics(...parts: readonly MixtureStatistics[]): MixtureStatistics {
  const sum = new StatisticsSum();
  parts.forEach((part, i) => sum.add(part, `part ${i + 1}`));
  return sum.result();
}
