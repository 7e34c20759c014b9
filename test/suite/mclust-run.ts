// The mclust fixtures and how one model runs on an engine, as plain JSON (so the browser page
// can hand it back to Node). No vitest here; the suite is test/suite/mclust.ts.

import { GaussianMixture, type BackendChoice, type MclustModelName } from '../../src/index.ts';
import { matrixOf } from './run.ts';

export interface MclustModelFixture {
  readonly failed: boolean;
  readonly df: number;
  readonly loglik?: number[];
  readonly finalLoglik?: number;
  readonly bic?: number;
  readonly weights?: number[];
  readonly means?: number[][];
  readonly covariances?: number[][][];
}

export interface MclustFixture {
  readonly name: string;
  readonly iterations: number;
  readonly nComponents: number;
  readonly X: number[][];
  readonly labels: number[];
  readonly models: Record<MclustModelName, MclustModelFixture>;
}

const modules = import.meta.glob<MclustFixture>('../fixtures/mclust/*.json', { eager: true, import: 'default' });

/** Every mclust fixture, sorted by data set name. */
export const MCLUST_FIXTURES: readonly MclustFixture[] = Object.keys(modules)
  .sort()
  .map((key) => modules[key] as MclustFixture);

export interface MclustOutcome {
  readonly backend: string;
  readonly lowerBounds: number[];
  readonly weights: number[];
  readonly means: number[];
  readonly covariances: number[];
  readonly bic: number;
}

/** Fits the fixture's data with the model from its labels, as mclust's me() ran. */
export async function runMclustCase(
  f: MclustFixture,
  model: MclustModelName,
  backend: BackendChoice,
): Promise<MclustOutcome> {
  const k = f.nComponents;
  const resp = f.labels.map((label) => Array.from({ length: k }, (_, c) => (c === label - 1 ? 1 : 0)));
  const X = matrixOf(f.X);
  const gm = new GaussianMixture({
    nComponents: k,
    covarianceType: model,
    regCovar: 0,
    tol: 0,
    maxIter: f.iterations,
    backend,
  });
  await gm.fit(X, { resp });
  return {
    backend: gm.backend,
    lowerBounds: gm.lowerBounds,
    weights: Array.from(gm.weights),
    means: Array.from(gm.means),
    covariances: Array.from(gm.covariances),
    bic: await gm.bic(X),
  };
}
