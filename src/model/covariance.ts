// The covariance types, as a table keyed by name (sklearn's _gaussian_mixture.py keeps the same
// functions, one per type; mclust picks its M-step by model name): storage layout, the second
// moments the M-step needs, sizes, the precision Cholesky factor, log-determinants, conversions
// and the number of free parameters. sklearn's four names keep sklearn's layouts; mclust's 14
// models store K full D × D matrices, so the 'full' E-step kernels of every engine serve them.

import type { CovarianceType } from '../options.ts';
import type { SecondMoments } from '../sufficient-stats.ts';
import { MCLUST_MODELS, SKLEARN_ALIASES, type MclustModelName, type SklearnCovarianceName } from './names.ts';
import { choleskyLower, invertLower, invertSpd, multiplyByTranspose } from './linalg.ts';

/** Thrown when a covariance is not positive definite: sklearn's advice, with the component. */
export class IllDefinedCovarianceError extends Error {
  override readonly name = 'IllDefinedCovarianceError';
  constructor(component: number | null) {
    super(
      `Fitting the mixture model failed because ${component === null ? 'the shared covariance' : `component ${component}`} has an ill-defined empirical covariance (for instance caused by singleton or collapsed samples); try to decrease the number of components, increase regCovar (--reg-covar), or scale the input data.`,
    );
  }
}

/** A storage layout of covariances and precision factors: sklearn's four (full K×D×D, tied D×D, diag K×D, spherical K). */
export type CovarianceForm = SklearnCovarianceName;

export interface CovarianceModel {
  /** How covariances and precision factors are stored, and so which E-step kernels read them. */
  readonly form: CovarianceForm;
  /** The second moments the M-step needs: the full D × D matrices or only their diagonals. */
  readonly moments: SecondMoments;
  /** The model in mclust's vocabulary (sklearn's names are aliases: full = VVV, …). */
  readonly mclustName: MclustModelName;
  /** Numbers in the covariance (and precision Cholesky) array. */
  size(k: number, d: number): number;
  /** sklearn's nested shape of covariances_. */
  shape(k: number, d: number): number[];
  /** Precision Cholesky factor U (P = U·Uᵀ) from covariances; throws IllDefinedCovarianceError. */
  precisionCholesky(covariances: Float64Array, k: number, d: number): Float64Array;
  /** Precision Cholesky from user precisions (sklearn: lower Cholesky of each precision). */
  precisionCholeskyFromPrecisions(precisions: Float64Array, k: number, d: number): Float64Array;
  /** Precisions P = U·Uᵀ. */
  precisions(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Covariances P⁻¹ from the precision Cholesky factors. */
  covariancesFromPrecisionCholesky(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Each component's covariance as a dense D × D matrix (K × D × D), whatever the storage layout. */
  componentCovariances(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Σ log diag(U) per component (length K). */
  logDetCholesky(precisionsCholesky: Float64Array, k: number, d: number): Float64Array;
  /** Free covariance parameters. */
  nParameters(k: number, d: number): number;
}

function fullFactors(covariances: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const out = new Float64Array(count * d * d);
  const l = new Float64Array(d * d);
  const li = new Float64Array(d * d);
  for (let c = 0; c < count; c++) {
    if (!choleskyLower(covariances, c * d * d, d, l, 0)) throw new IllDefinedCovarianceError(sharedError ? null : c);
    invertLower(l, 0, d, li, 0);
    // U = (L⁻¹)ᵀ: upper triangular, as sklearn's solve_triangular(cov_chol, I, lower=True).T
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[c * d * d + i * d + j] = li[j * d + i] as number;
  }
  return out;
}

function fullFromPrecisions(precisions: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) {
    if (!choleskyLower(precisions, c * d * d, d, out, c * d * d))
      throw new IllDefinedCovarianceError(sharedError ? null : c);
  }
  return out;
}

function fullPrecisions(factors: Float64Array, count: number, d: number): Float64Array {
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) multiplyByTranspose(factors, c * d * d, d, out, c * d * d);
  return out;
}

function fullCovariances(factors: Float64Array, count: number, d: number, sharedError: boolean): Float64Array {
  const precisions = fullPrecisions(factors, count, d);
  const out = new Float64Array(count * d * d);
  for (let c = 0; c < count; c++) {
    if (!invertSpd(precisions, c * d * d, d, out, c * d * d))
      throw new IllDefinedCovarianceError(sharedError ? null : c);
  }
  return out;
}

function fullLogDet(factors: Float64Array, count: number, d: number, k: number): Float64Array {
  const out = new Float64Array(k);
  for (let c = 0; c < count; c++) {
    let sum = 0;
    for (let i = 0; i < d; i++) sum += Math.log(factors[c * d * d + i * d + i] as number);
    out[c] = sum;
  }
  if (count === 1) out.fill(out[0] as number);
  return out;
}

function elementwiseFactor(values: Float64Array, perComponent: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new IllDefinedCovarianceError(Math.floor(i / perComponent));
    out[i] = 1 / Math.sqrt(v);
  }
  return out;
}

function elementwiseSqrt(values: Float64Array, perComponent: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new IllDefinedCovarianceError(Math.floor(i / perComponent));
    out[i] = Math.sqrt(v);
  }
  return out;
}

/** K dense D × D matrices with the given diagonals: `perComponent` values each (d, or 1 for a multiple of I). */
function denseDiagonals(diagonals: Float64Array, k: number, d: number, perComponent: number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++)
    for (let a = 0; a < d; a++)
      out[c * d * d + a * d + a] = diagonals[c * perComponent + (perComponent === 1 ? 0 : a)] as number;
  return out;
}

/** The one shared D × D matrix repeated for each of K components. */
function repeated(matrix: Float64Array, k: number, d: number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) out.set(matrix.subarray(0, d * d), c * d * d);
  return out;
}

const square = (factors: Float64Array): Float64Array => factors.map((u) => u * u);
const inverseSquare = (factors: Float64Array): Float64Array => factors.map((u) => 1 / (u * u));

type Layout = Omit<CovarianceModel, 'form' | 'moments' | 'mclustName' | 'nParameters'>;

const LAYOUTS: Record<CovarianceForm, Layout> = {
  full: {
    size: (k, d) => k * d * d,
    shape: (k, d) => [k, d, d],
    precisionCholesky: (cov, k, d) => fullFactors(cov, k, d, false),
    precisionCholeskyFromPrecisions: (p, k, d) => fullFromPrecisions(p, k, d, false),
    precisions: (u, k, d) => fullPrecisions(u, k, d),
    covariancesFromPrecisionCholesky: (u, k, d) => fullCovariances(u, k, d, false),
    componentCovariances: (u, k, d) => fullCovariances(u, k, d, false),
    logDetCholesky: (u, k, d) => fullLogDet(u, k, d, k),
  },
  tied: {
    size: (_k, d) => d * d,
    shape: (_k, d) => [d, d],
    precisionCholesky: (cov, _k, d) => fullFactors(cov, 1, d, true),
    precisionCholeskyFromPrecisions: (p, _k, d) => fullFromPrecisions(p, 1, d, true),
    precisions: (u, _k, d) => fullPrecisions(u, 1, d),
    covariancesFromPrecisionCholesky: (u, _k, d) => fullCovariances(u, 1, d, true),
    componentCovariances: (u, k, d) => repeated(fullCovariances(u, 1, d, true), k, d),
    logDetCholesky: (u, k, d) => fullLogDet(u, 1, d, k),
  },
  diag: {
    size: (k, d) => k * d,
    shape: (k, d) => [k, d],
    precisionCholesky: (cov, _k, d) => elementwiseFactor(cov, d),
    precisionCholeskyFromPrecisions: (p, _k, d) => elementwiseSqrt(p, d),
    precisions: (u) => square(u),
    covariancesFromPrecisionCholesky: (u) => inverseSquare(u),
    componentCovariances: (u, k, d) => denseDiagonals(inverseSquare(u), k, d, d),
    logDetCholesky: (u, k, d) => {
      const out = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let i = 0; i < d; i++) sum += Math.log(u[c * d + i] as number);
        out[c] = sum;
      }
      return out;
    },
  },
  spherical: {
    size: (k) => k,
    shape: (k) => [k],
    precisionCholesky: (cov) => elementwiseFactor(cov, 1),
    precisionCholeskyFromPrecisions: (p) => elementwiseSqrt(p, 1),
    precisions: (u) => square(u),
    covariancesFromPrecisionCholesky: (u) => inverseSquare(u),
    componentCovariances: (u, k, d) => denseDiagonals(inverseSquare(u), k, d, 1),
    logDetCholesky: (u, _k, d) => u.map((value) => d * Math.log(value)),
  },
};

/**
 * Free covariance parameters of each mclust model (mclust's nVarParams; Celeux & Govaert 1995):
 * volume, shape and orientation counted once when Equal, K times when Variable.
 */
const VARIANCE_PARAMETERS: Record<MclustModelName, (k: number, d: number) => number> = {
  EII: () => 1,
  VII: (k) => k,
  EEI: (_k, d) => d,
  VEI: (k, d) => k + d - 1,
  EVI: (k, d) => 1 + k * (d - 1),
  VVI: (k, d) => k * d,
  EEE: (_k, d) => (d * (d + 1)) / 2,
  VEE: (k, d) => k + ((d + 2) * (d - 1)) / 2,
  EVE: (k, d) => 1 + k * (d - 1) + (d * (d - 1)) / 2,
  VVE: (k, d) => k + k * (d - 1) + (d * (d - 1)) / 2,
  EEV: (k, d) => 1 + (d - 1) + (k * d * (d - 1)) / 2,
  VEV: (k, d) => k + (d - 1) + (k * d * (d - 1)) / 2,
  EVV: (k, d) => 1 + k * ((d * (d + 1)) / 2 - 1),
  VVV: (k, d) => (k * d * (d + 1)) / 2,
};

/** Models whose M-step reads only the diagonals of the scatter matrices. */
const DIAGONAL_MODELS: ReadonlySet<MclustModelName> = new Set(['EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI']);

function model(form: CovarianceForm, name: MclustModelName): CovarianceModel {
  return {
    ...LAYOUTS[form],
    form,
    moments: DIAGONAL_MODELS.has(name) ? 'diag' : 'full',
    mclustName: name,
    nParameters: VARIANCE_PARAMETERS[name],
  };
}

export const COVARIANCE_MODELS: Record<CovarianceType, CovarianceModel> = {
  ...(Object.fromEntries(
    (Object.keys(SKLEARN_ALIASES) as SklearnCovarianceName[]).map((name) => [name, model(name, SKLEARN_ALIASES[name])]),
  ) as Record<SklearnCovarianceName, CovarianceModel>),
  ...(Object.fromEntries(MCLUST_MODELS.map((name) => [name, model('full', name)])) as Record<
    MclustModelName,
    CovarianceModel
  >),
};

/** The storage layout of a covariance type (what the engines' E-step kernels see). */
export function formOf(covarianceType: CovarianceType): CovarianceForm {
  return COVARIANCE_MODELS[covarianceType].form;
}

/** Free parameters of the whole mixture: (K − 1) weights + K·D means + covariances. */
export function nParameters(covarianceType: CovarianceType, k: number, d: number): number {
  return k - 1 + k * d + COVARIANCE_MODELS[covarianceType].nParameters(k, d);
}
