// Checks a model read back from JSON (GaussianMixture.fromJSON, `emgpu predict/score/sample
// --model`) before anything is computed from it: every field, own properties only, with the
// numbers a fitted model must have. A bad file is refused with an EmgpuInputError naming the
// field, instead of predictions and scores that come out as NaN.

import {
  COVARIANCE_TYPES,
  EmgpuInputError,
  resolveOptions,
  type CovarianceType,
  type GaussianMixtureOptions,
} from '../options.ts';
import { COVARIANCE_MODELS, type CovarianceForm } from './covariance.ts';
import { MCLUST_MODELS } from './names.ts';

export const MODEL_FORMAT = 'emgpu-gaussian-mixture';
export const MODEL_VERSION = 1;

/** |Σ weights − 1| above this is refused (toJSON writes them to full precision). */
export const WEIGHT_SUM_TOLERANCE = 1e-6;
/**
 * Covariances and precisionsCholesky must agree: each entry of Uᵀ·Σ·U − I (P = U·Uᵀ, so
 * Σ·P ≈ I) within this, relative to the size of the terms that were summed for it, so that a
 * fitted model whose covariance is near singular (rounding grows with its condition number)
 * still passes and a hand-edited one that no longer matches does not.
 */
export const COVARIANCE_AGREEMENT_TOLERANCE = 1e-6;

type SavedOptionName = 'tol' | 'convergence' | 'regCovar' | 'maxIter' | 'nInit' | 'initParams' | 'randomState';
const SAVED_OPTIONS: readonly SavedOptionName[] = [
  'tol',
  'convergence',
  'regCovar',
  'maxIter',
  'nInit',
  'initParams',
  'randomState',
];

/** The fields of a valid model, flattened row-major. */
export interface ValidModelJson {
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly precisionsCholesky: Float64Array;
  /** null when the file has none (they are then derived from precisionsCholesky). */
  readonly covariances: Float64Array | null;
  readonly converged: boolean;
  readonly nIter: number;
  readonly lowerBound: number;
  readonly lowerBounds: number[];
  readonly backend: string;
  /** The fit options the file records (only those it has). */
  readonly options: Pick<GaussianMixtureOptions, SavedOptionName>;
}

export function fail(message: string): never {
  throw new EmgpuInputError(message);
}

/** A short, printable rendering of a JSON value for a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A nested array of finite numbers of exactly `shape`, flattened; errors give the index path. */
export function numbers(name: string, value: unknown, shape: readonly number[], shapeHint: string): Float64Array {
  if (value === undefined || value === null) fail(`The model JSON has no '${name}'.`);
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let at = 0;
  // A flat row-major array of the right length is accepted too, as the options accept it.
  const flat =
    shape.length > 1 && Array.isArray(value) && value.length === out.length && !value.some((v) => Array.isArray(v));
  const dims = flat ? [out.length] : shape;
  const walk = (node: unknown, depth: number, path: string): void => {
    const expected = dims[depth];
    if (expected === undefined) {
      if (typeof node !== 'number' || !Number.isFinite(node)) {
        fail(`The model JSON's ${name}${path} is ${show(node)}; every value must be a finite number.`);
      }
      out[at++] = node as number;
      return;
    }
    if (!Array.isArray(node)) {
      fail(
        `The model JSON's ${name}${path} is ${show(node)} where an array of ${expected} was expected; '${name}' must have shape ${shape.join(' × ')} (${shapeHint}).`,
      );
    }
    const array = node as unknown[];
    if (array.length !== expected) {
      fail(
        `The model JSON's ${name}${path} has ${array.length} entries but must have ${expected}; '${name}' must have shape ${shape.join(' × ')} (${shapeHint}).`,
      );
    }
    for (let i = 0; i < expected; i++) walk(array[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return out;
}

/** `[c]` for the c-th matrix of a full model, nothing for the shared one of a tied model. */
const matrixIndex = (type: CovarianceForm, c: number): string => (type === 'full' ? `[${c}]` : '');

/** Each precision factor: triangular (upper as fit writes it, or lower as from precisionsInit) with a positive diagonal. */
function checkFactors(type: CovarianceForm, u: Float64Array, k: number, d: number): void {
  const name = 'precisionsCholesky';
  if (type === 'diag' || type === 'spherical') {
    u.forEach((value, i) => {
      if (!(value > 0)) {
        const path = type === 'diag' ? `[${Math.floor(i / d)}][${i % d}]` : `[${i}]`;
        fail(`The model JSON's ${name}${path} is ${value}; ${type} precision factors must all be > 0.`);
      }
    });
    return;
  }
  const count = type === 'full' ? k : 1;
  for (let c = 0; c < count; c++) {
    const o = c * d * d;
    const m = matrixIndex(type, c);
    for (let i = 0; i < d; i++) {
      const diagonal = u[o + i * d + i] as number;
      if (!(diagonal > 0))
        fail(
          `The model JSON's ${name}${m}[${i}][${i}] is ${diagonal}; the diagonal of a precision Cholesky factor must be > 0.`,
        );
    }
    let upper: [number, number] | null = null; // a non-zero entry above the diagonal
    let lower: [number, number] | null = null; // and below it
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (i === j || u[o + i * d + j] === 0) continue;
        if (j > i) upper ??= [i, j];
        else lower ??= [i, j];
      }
    }
    if (upper !== null && lower !== null) {
      fail(
        `The model JSON's ${name}${m} is not triangular (entries [${upper[0]}][${upper[1]}] and [${lower[0]}][${lower[1]}] are both non-zero); each factor must be upper (or lower) triangular with a positive diagonal.`,
      );
    }
  }
}

/** Covariances given next to precisionsCholesky must be their inverse: Σ·U·Uᵀ ≈ I. */
function checkAgreement(type: CovarianceForm, cov: Float64Array, u: Float64Array, k: number, d: number): void {
  const tol = COVARIANCE_AGREEMENT_TOLERANCE;
  const disagree = (where: string, detail: string): never =>
    fail(
      `The model JSON's covariances${where} disagree with precisionsCholesky${where} (${detail}); keep the pair written by fit, or drop 'covariances' to have them derived from precisionsCholesky.`,
    );
  if (type === 'diag' || type === 'spherical') {
    cov.forEach((sigma, i) => {
      const where = type === 'diag' ? `[${Math.floor(i / d)}][${i % d}]` : `[${i}]`;
      const factor = u[i] as number;
      if (!(sigma > 0)) fail(`The model JSON's covariances${where} is ${sigma}; ${type} covariances must all be > 0.`);
      if (!(Math.abs(sigma * factor * factor - 1) <= tol))
        disagree(where, `${sigma} but 1 / ${factor}² = ${1 / (factor * factor)}`);
    });
    return;
  }
  const count = type === 'full' ? k : 1;
  const su = new Float64Array(d * d); // Σ·U
  const sizeSu = new Float64Array(d * d); // |Σ|·|U|
  for (let c = 0; c < count; c++) {
    const o = c * d * d;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let sum = 0;
        let size = 0;
        for (let l = 0; l < d; l++) {
          const s = cov[o + i * d + l] as number;
          const f = u[o + l * d + j] as number;
          sum += s * f;
          size += Math.abs(s * f);
        }
        su[i * d + j] = sum;
        sizeSu[i * d + j] = size;
      }
    }
    let worst = 0;
    let worstAt: [number, number] = [0, 0];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        // (Uᵀ·Σ·U)[i][j], which is I[i][j] exactly when Σ = (U·Uᵀ)⁻¹.
        let sum = 0;
        let size = 0;
        for (let l = 0; l < d; l++) {
          const f = u[o + l * d + i] as number;
          sum += f * (su[l * d + j] as number);
          size += Math.abs(f) * (sizeSu[l * d + j] as number);
        }
        // An overflow (factors of 1e200, say) is as far off as can be: a NaN or ∞/∞ here must
        // not pass as agreement, nor be replaced by the next entry's small error.
        const error =
          Number.isFinite(sum) && Number.isFinite(size)
            ? Math.abs(sum - (i === j ? 1 : 0)) / Math.max(1, size)
            : Infinity;
        if (!(error <= worst)) {
          worst = error;
          worstAt = [i, j];
        }
      }
    }
    if (!(worst <= tol)) {
      disagree(
        matrixIndex(type, c),
        `Σ·U·Uᵀ is not the identity: entry [${worstAt[0]}][${worstAt[1]}] of Uᵀ·Σ·U is off by ${Number.isFinite(worst) ? worst.toPrecision(3) : worst} relative`,
      );
    }
  }
}

function optional<T>(
  record: Record<string, unknown>,
  key: string,
  check: (value: unknown) => value is T,
  expected: string,
): T | undefined {
  const value = own(record, key);
  if (value === undefined) return undefined;
  if (!check(value)) fail(`The model JSON's '${key}' is ${show(value)}; it must be ${expected}.`);
  return value as T;
}

const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isBound = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const isList = (v: unknown): v is unknown[] => Array.isArray(v);
/** A plain object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function savedOptions(record: Record<string, unknown>): Pick<GaussianMixtureOptions, SavedOptionName> {
  const saved = optional(record, 'options', isRecord, 'an object of fit options');
  if (saved === undefined) return {};
  const picked: Record<string, unknown> = {};
  for (const key of SAVED_OPTIONS) {
    const value = own(saved, key);
    if (value !== undefined) picked[key] = value;
  }
  try {
    resolveOptions(picked as GaussianMixtureOptions);
  } catch (error) {
    if (error instanceof EmgpuInputError) fail(`The model JSON's 'options' are invalid: ${error.message}`);
    throw error;
  }
  return picked as Pick<GaussianMixtureOptions, SavedOptionName>;
}

/**
 * Checks a parsed model JSON (the output of toJSON()) and returns its fields; throws
 * EmgpuInputError naming the field. `format` is the format the caller reads (the Bayesian
 * model's file checks its own fields besides these, src/model/validate-bayesian-json.ts).
 */
export function validateModelJson(json: unknown, expectedFormat: string = MODEL_FORMAT): ValidModelJson {
  if (!isRecord(json)) {
    fail(
      `The model JSON is ${json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`}, not an object; pass the output of toJSON() (or emgpu fit).`,
    );
  }
  const record = json as Record<string, unknown>;
  const format = own(record, 'format');
  if (format !== undefined && format !== expectedFormat) {
    fail(
      `The model JSON has format ${show(format)}; expected '${expectedFormat}' (the output of toJSON() or emgpu fit).`,
    );
  }
  const version = own(record, 'version');
  if (version !== undefined && version !== MODEL_VERSION) {
    fail(
      `The model JSON has version ${show(version)}; this emgpu reads version ${MODEL_VERSION} (refit the model with this version).`,
    );
  }
  const covarianceType = own(record, 'covarianceType');
  if (typeof covarianceType !== 'string' || !(COVARIANCE_TYPES as readonly string[]).includes(covarianceType)) {
    fail(
      `The model JSON has covarianceType ${show(covarianceType)}; expected 'full', 'tied', 'diag', 'spherical' or one of mclust's models ${MCLUST_MODELS.join(', ')}.`,
    );
  }
  const type = covarianceType as CovarianceType;
  const count = (key: 'nComponents' | 'nFeatures'): number => {
    const value = own(record, key);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      fail(`The model JSON's '${key}' is ${show(value)}; it must be a positive integer.`);
    }
    return value as number;
  };
  const k = count('nComponents');
  const d = count('nFeatures');
  const shape = COVARIANCE_MODELS[type].shape(k, d);
  const sizes = `nComponents = ${k}, nFeatures = ${d}`;

  const weights = numbers('weights', own(record, 'weights'), [k], sizes);
  let sum = 0;
  weights.forEach((w, c) => {
    if (!(w > 0)) fail(`The model JSON's weights[${c}] is ${w}; every weight must be > 0.`);
    sum += w;
  });
  if (!(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE)) {
    fail(`The model JSON's 'weights' sum to ${sum.toPrecision(8)}; they must sum to 1 (normalise them).`);
  }
  const means = numbers('means', own(record, 'means'), [k, d], sizes);
  const precisionsCholesky = numbers(
    'precisionsCholesky',
    own(record, 'precisionsCholesky'),
    shape,
    `${sizes}, covarianceType '${type}'`,
  );
  const form = COVARIANCE_MODELS[type].form;
  checkFactors(form, precisionsCholesky, k, d);
  const rawCovariances = own(record, 'covariances');
  let covariances: Float64Array | null = null;
  if (rawCovariances !== undefined && rawCovariances !== null) {
    covariances = numbers('covariances', rawCovariances, shape, `${sizes}, covarianceType '${type}'`);
    checkAgreement(form, covariances, precisionsCholesky, k, d);
  }

  const lowerBound = optional(record, 'lowerBound', isBound, 'a finite number (or null for −Infinity)');
  const lowerBounds = optional(record, 'lowerBounds', isList, 'an array of finite numbers') ?? [];
  lowerBounds.forEach((bound, i) => {
    if (!isBound(bound))
      fail(
        `The model JSON's lowerBounds[${i}] is ${show(bound)}; every value must be a finite number (or null for −Infinity).`,
      );
  });
  return {
    covarianceType: type,
    nComponents: k,
    nFeatures: d,
    weights,
    means,
    precisionsCholesky,
    covariances,
    converged: optional(record, 'converged', isBoolean, 'true or false') ?? false,
    nIter: optional(record, 'nIter', isCount, 'an integer ≥ 0') ?? 0,
    lowerBound: lowerBound ?? -Infinity,
    lowerBounds: lowerBounds.map((b) => (b as number | null) ?? -Infinity),
    backend: optional(record, 'backend', isString, 'a string') ?? 'unknown',
    options: savedOptions(record),
  };
}
