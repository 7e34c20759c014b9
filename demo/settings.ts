// Settings: the address bar (?n=…&k=…&backend=…) and the form, read into what a job needs.

import {
  BACKEND_CHOICES,
  COVARIANCE_TYPES,
  CRITERIA,
  INIT_METHODS,
  type BackendChoice,
  type CovarianceType,
  type Criterion,
  type InitMethod,
} from '../src/index.ts';
import { MAX_POINTS } from './datasets.ts';
import { fmtInt } from './format.ts';
import {
  SELECT_STARTS,
  type FitSettings,
  type GeneratorShape,
  type GeneratorSpec,
  type SelectSettings,
  type SelectStarts,
} from './protocol.ts';
import type { PresentMode } from './scatter-webgpu.ts';
import { input, select, typeBoxes } from './ui.ts';

function intFrom(id: string, name: string, min: number, max: number): number {
  const raw = input(id).value.trim();
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${fmtInt(min)} to ${fmtInt(max)}; got “${raw}”.`);
  }
  return value;
}

/** The model settings of the form for a fit of `fitColumns` of `points` rows; throws what is wrong. */
export function readFitSettings(fitColumns: readonly number[], points: number): FitSettings {
  const nComponents = intFrom('k', 'K', 1, 64);
  const maxIter = intFrom('max-iter', 'Max iterations', 0, 100000);
  const tolText = input('tol').value.trim();
  const tol = Number(tolText);
  if (tolText === '' || !Number.isFinite(tol) || tol < 0)
    throw new Error(`Tolerance must be a number ≥ 0 (e.g. 1e-3); got “${tolText}”.`);
  const seedText = input('seed').value.trim();
  const randomState = seedText === '' ? null : intFrom('seed', 'Seed', 0, 0xffffffff);
  if (fitColumns.length === 0) throw new Error('Choose at least one column to fit.');
  if (points > 0 && nComponents > points) {
    throw new Error(
      `K = ${nComponents} is larger than the number of points (${fmtInt(points)}); lower K or load more data.`,
    );
  }
  return {
    nComponents,
    covarianceType: select('covariance-type').value as CovarianceType,
    initParams: select('init-params').value as InitMethod,
    maxIter,
    tol,
    randomState,
    backend: select('backend').value as BackendChoice,
    columns: [...fitColumns],
    marginalize: input('marginalize').checked,
  };
}

/** The grid of "Choose the model" (largest K, covariance types, criterion); throws what is wrong. */
export function readSelectSettings(): SelectSettings {
  const maxK = intFrom('max-k', 'Largest K', 1, 32);
  const covarianceTypes = typeBoxes()
    .filter((box) => box.checked)
    .map((box) => box.value as CovarianceType);
  if (covarianceTypes.length === 0) throw new Error('Tick at least one covariance type to choose among.');
  const starts = select('select-starts').value as SelectStarts;
  return { maxK, covarianceTypes, criterion: select('criterion').value as Criterion, starts };
}

/** The batch size of "Stream": at least K rows per batch. */
export function readStreamBatch(nComponents: number): number {
  return intFrom('stream-batch', 'Batch size', nComponents, MAX_POINTS);
}

/** The generator settings of the form; throws what is wrong. */
export function readGeneratorSpec(): GeneratorSpec {
  return {
    kind: 'generator',
    shape: select('shape').value as GeneratorShape,
    n: intFrom('n', 'Points', 1, MAX_POINTS),
    k: intFrom('true-k', 'Clusters', 1, 32),
    spread: Number(input('spread').value),
    seed: intFrom('data-seed', 'Data seed', 0, 0xffffffff),
  };
}

/** Fills the form from the address bar (?n=…&k=…&backend=…&maxIter=…&tol=…&maxK=…&types=…&criterion=…&starts=page|select&batch=…&missing=marginalize), for links and tests. */
export function applyUrlSettings(): void {
  const q = new URLSearchParams(location.search);
  const set = (key: string, id: string): void => {
    const v = q.get(key);
    if (v !== null) input(id).value = v;
  };
  set('n', 'n');
  set('clusters', 'true-k');
  set('spread', 'spread');
  set('dataSeed', 'data-seed');
  set('k', 'k');
  set('maxIter', 'max-iter');
  set('tol', 'tol');
  set('seed', 'seed');
  const choose = (key: string, id: string, allowed: readonly string[]): void => {
    const v = q.get(key);
    if (v !== null && allowed.includes(v)) select(id).value = v;
  };
  choose('backend', 'backend', BACKEND_CHOICES);
  choose('cov', 'covariance-type', COVARIANCE_TYPES);
  choose('init', 'init-params', INIT_METHODS);
  choose('shape', 'shape', ['blobs', 'anisotropic', 'unequal', 'noise']);
  set('maxK', 'max-k');
  set('batch', 'stream-batch');
  if (q.get('missing') === 'marginalize') input('marginalize').checked = true;
  choose('criterion', 'criterion', CRITERIA);
  choose('starts', 'select-starts', SELECT_STARTS);
  choose('view', 'view-mode', ['points', 'uncertainty', 'density']);
  // ?types=full,diag ticks exactly those covariance types for "Choose the model".
  const types = q.get('types');
  if (types !== null) {
    const wanted = types.split(',').map((t) => t.trim());
    for (const box of typeBoxes()) box.checked = wanted.includes(box.value);
  }
}

/** Address-bar switches that are not form fields: drawing (?renderer=canvas2d, ?present=…) and ?autorun=0. */
export function pageOptions(): { preferWebGpu: boolean; present: PresentMode | 'auto'; autorun: boolean } {
  const q = new URLSearchParams(location.search);
  const present = q.get('present');
  return {
    preferWebGpu: q.get('renderer') !== 'canvas2d',
    present: present === 'canvas' || present === 'readback' ? present : 'auto',
    autorun: q.get('autorun') !== '0',
  };
}
