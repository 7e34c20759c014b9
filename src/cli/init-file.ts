// `--init FILE.json`: initial weights, means and covariances (or precisions) in scikit-learn's
// shapes, checked against the data and converted to the weightsInit / meansInit /
// precisionsInit options.

import { COVARIANCE_MODELS, formOf } from '../model/covariance.ts';
import { invertSpd } from '../model/linalg.ts';
import type { CovarianceType } from '../options.ts';
import { CliError } from './errors.ts';

export interface InitFile {
  readonly label: string;
  readonly json: Record<string, unknown>;
}

export interface InitParams {
  readonly weightsInit: number[] | null;
  readonly meansInit: number[][] | null;
  readonly precisionsInit: Float64Array | null;
}

const KEYS = ['weights', 'means', 'covariances', 'precisions', 'resp'] as const;

/** Parses the file's text; a model written by `emgpu fit` is accepted too (its extra keys are ignored). */
export function parseInitFile(label: string, text: string): InitFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `init file ${label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); it must be an object with any of ${KEYS.join(', ')}.`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CliError(
      `init file ${label} must hold a JSON object with any of ${KEYS.join(', ')}, e.g. {"means": [[0, 0], [5, 5]]}.`,
    );
  }
  const record = json as Record<string, unknown>;
  if (!KEYS.some((key) => record[key] !== undefined && record[key] !== null)) {
    throw new CliError(`init file ${label} has none of ${KEYS.join(', ')}; give at least one (sklearn shapes).`);
  }
  if (record.resp != null && KEYS.some((key) => key !== 'resp' && record[key] != null)) {
    throw new CliError(
      `init file ${label} has 'resp' and initial parameters; give either initial responsibilities or parameters, not both.`,
    );
  }
  if (record.covariances != null && record.precisions != null) {
    throw new CliError(`init file ${label} has both 'covariances' and 'precisions'; keep only one.`);
  }
  return { label, json: record };
}

/** The number of components the file implies (from weights, means or resp's columns), or null. */
export function componentsInFile(file: InitFile): number | null {
  for (const key of ['weights', 'means'] as const) {
    const value = file.json[key];
    if (Array.isArray(value)) return value.length;
  }
  const resp = file.json.resp;
  if (Array.isArray(resp) && Array.isArray(resp[0])) return (resp[0] as unknown[]).length;
  return null;
}

/**
 * The file's initial responsibilities ('resp': N × K, one row per data row, each ≥ 0 and
 * summing to 1), or null when it has none.
 */
export function respFromFile(file: InitFile, rows: number, k: number, dataLabel: string): Float64Array | null {
  const { label, json } = file;
  if (json.resp === undefined || json.resp === null) return null;
  const { shape, flat } = shapeOf(file, 'resp', json.resp);
  if (shape.length !== 2 || shape[0] !== rows || shape[1] !== k) {
    throw new CliError(
      `init file ${label}: 'resp' has shape ${shapeText(shape)} but ${dataLabel} has ${rows} rows and --components is ${k}; it must be N × K = ${rows} × ${k}.`,
    );
  }
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const r = flat[i * k + c] as number;
      if (r < 0) throw new CliError(`init file ${label}: resp[${i}][${c}] is ${r}; responsibilities must be ≥ 0.`);
      sum += r;
    }
    if (Math.abs(sum - 1) > 1e-6)
      throw new CliError(
        `init file ${label}: resp[${i}] sums to ${sum.toPrecision(8)}; each row of responsibilities must sum to 1.`,
      );
  }
  return Float64Array.from(flat);
}

/** The shape of a nested array of finite numbers, or a one-line error naming the key. */
function shapeOf(file: InitFile, key: string, value: unknown): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  const flat: number[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (Array.isArray(node)) {
      if (shape.length === depth) shape.push(node.length);
      else if (shape.length < depth || shape[depth] !== node.length) {
        throw new CliError(
          `init file ${file.label}: '${key}' is ragged at ${key}${path} (${node.length} entries where others have ${shape[depth] ?? 'numbers'}); it must be a rectangular array.`,
        );
      }
      node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
      return;
    }
    if (typeof node !== 'number' || !Number.isFinite(node)) {
      throw new CliError(
        `init file ${file.label}: ${key}${path} is ${JSON.stringify(node)}; every value must be a finite number.`,
      );
    }
    if (shape.length > depth) {
      throw new CliError(
        `init file ${file.label}: '${key}' is ragged at ${key}${path} (a number where an array was expected); it must be a rectangular array.`,
      );
    }
    flat.push(node);
  };
  walk(value, 0, '');
  if (shape.reduce((a, b) => a * b, 1) !== flat.length) {
    throw new CliError(
      `init file ${file.label}: '${key}' mixes numbers and arrays at the same depth; it must be a rectangular array.`,
    );
  }
  return { shape, flat };
}

const shapeText = (shape: readonly number[]): string => (shape.length === 0 ? 'a single number' : shape.join(' × '));

/**
 * Checks the file against K components, D data columns and the covariance type, and converts
 * covariances to precisions (full: K inverses, tied: one inverse, diag/spherical: reciprocals).
 */
export function initParamsFromFile(
  file: InitFile,
  k: number,
  d: number,
  type: CovarianceType,
  dataLabel: string,
): InitParams {
  const { label, json } = file;
  const form = formOf(type);
  const fileType = json.covarianceType;
  if (typeof fileType === 'string' && fileType !== type) {
    throw new CliError(
      `init file ${label} is for covarianceType '${fileType}' but --covariance is '${type}'; pass --covariance ${fileType} or give matching covariances.`,
    );
  }
  const get = (key: string): { shape: number[]; flat: number[] } | null =>
    json[key] === undefined || json[key] === null ? null : shapeOf(file, key, json[key]);

  let weightsInit: number[] | null = null;
  const weights = get('weights');
  if (weights !== null) {
    if (weights.shape.length !== 1 || weights.shape[0] !== k) {
      throw new CliError(
        `init file ${label}: 'weights' has shape ${shapeText(weights.shape)} but --components is ${k}; it must hold ${k} numbers.`,
      );
    }
    let sum = 0;
    weights.flat.forEach((w, i) => {
      if (w < 0 || w > 1)
        throw new CliError(`init file ${label}: weights[${i}] is ${w}; weights must lie in [0, 1] and sum to 1.`);
      sum += w;
    });
    if (Math.abs(sum - 1) > 1e-8)
      throw new CliError(
        `init file ${label}: 'weights' sum to ${sum.toPrecision(8)}; they must sum to 1 (normalise them).`,
      );
    weightsInit = weights.flat;
  }

  let meansInit: number[][] | null = null;
  const means = get('means');
  if (means !== null) {
    if (means.shape.length !== 2)
      throw new CliError(
        `init file ${label}: 'means' has shape ${shapeText(means.shape)}; it must be K × D = ${k} × ${d}.`,
      );
    if (means.shape[1] !== d) {
      throw new CliError(
        `init file ${label}: 'means' has ${means.shape[1]} columns but ${dataLabel} has ${d}; the init file must match the data's columns.`,
      );
    }
    if (means.shape[0] !== k)
      throw new CliError(
        `init file ${label}: 'means' has ${means.shape[0]} rows but --components is ${k}; it must be K × D = ${k} × ${d}.`,
      );
    meansInit = Array.from({ length: k }, (_, c) => means.flat.slice(c * d, (c + 1) * d));
  }

  let precisionsInit: Float64Array | null = null;
  for (const key of ['covariances', 'precisions'] as const) {
    const given = get(key);
    if (given === null) continue;
    const expected = COVARIANCE_MODELS[type].shape(k, d);
    if (given.shape.join(',') !== expected.join(',')) {
      // Name a column mismatch as such: the last axis is D for every type but spherical.
      const last = given.shape[given.shape.length - 1];
      const columns =
        form !== 'spherical' && given.shape.length === expected.length && last !== d
          ? ` (${last} columns but ${dataLabel} has ${d})`
          : '';
      throw new CliError(
        `init file ${label}: '${key}' has shape ${shapeText(given.shape)}${columns} but --covariance ${type} with ${k} components and ${d} columns needs ${shapeText(expected)}.`,
      );
    }
    const values = Float64Array.from(given.flat);
    if (form === 'full' || form === 'tied') {
      const count = form === 'full' ? k : 1;
      const out = new Float64Array(values.length);
      for (let c = 0; c < count; c++) {
        const at = form === 'full' ? `${key}[${c}]` : key;
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < i; j++) {
            const a = values[c * d * d + i * d + j] as number;
            const b = values[c * d * d + j * d + i] as number;
            if (Math.abs(a - b) > 1e-8 * Math.max(1, Math.abs(a), Math.abs(b))) {
              throw new CliError(
                `init file ${label}: ${at} is not symmetric (entry [${i}][${j}] is ${a} but [${j}][${i}] is ${b}).`,
              );
            }
          }
        }
        if (!invertSpd(values, c * d * d, d, out, c * d * d)) {
          throw new CliError(
            `init file ${label}: ${at} is not positive definite; each must be a symmetric positive-definite D × D matrix.`,
          );
        }
      }
      // The inverse of a precision is a covariance and vice versa; both were checked SPD.
      precisionsInit = key === 'covariances' ? out : values;
    } else {
      values.forEach((v, i) => {
        if (!(v > 0))
          throw new CliError(`init file ${label}: ${key} value ${i} is ${v}; ${type} ${key} must all be > 0.`);
      });
      precisionsInit = key === 'covariances' ? values.map((v) => 1 / v) : values;
    }
  }
  return { weightsInit, meansInit, precisionsInit };
}
