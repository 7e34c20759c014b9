// The benchmark's workload: seeded data and explicit initial parameters, identical for every
// backend (and written to a file for scikit-learn), plus one timed EM iteration.

import { toDataset } from '../src/matrix.ts';
import type { Backend, LoadedData, MixtureParams } from '../src/backend.ts';
import { momentsFor } from '../src/sufficient-stats.ts';
import { estimateGaussianMixture } from '../src/em.ts';
import { COVARIANCE_MODELS } from '../src/model/covariance.ts';
import type { CovarianceType } from '../src/options.ts';
import { Random } from '../src/random.ts';

export interface Cell {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly covarianceType: CovarianceType;
}

/** Blobs: K centres in [-10, 10]^D, unit-ish spread; float64, row-major. Deterministic in (n, d, k). */
export function makeData(cell: Cell): { data: Float64Array; centres: Float64Array } {
  const { n, d, k } = cell;
  const random = new Random(1000 + 7 * d + 13 * k);
  const centres = Float64Array.from({ length: k * d }, () => (random.nextFloat() - 0.5) * 20);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    for (let a = 0; a < d; a++) data[i * d + a] = (centres[c * d + a] as number) + random.nextGaussian();
  }
  return { data, centres };
}

/** Starting parameters: means near the centres, unit covariances, equal weights. */
export function initialParams(cell: Cell, centres: Float64Array): MixtureParams & { covariances: Float64Array } {
  const { d, k, covarianceType } = cell;
  const model = COVARIANCE_MODELS[covarianceType];
  const covariances = new Float64Array(model.size(k, d));
  if (covarianceType === 'full' || covarianceType === 'tied') {
    const count = covarianceType === 'full' ? k : 1;
    for (let c = 0; c < count; c++) for (let a = 0; a < d; a++) covariances[c * d * d + a * d + a] = 2;
  } else {
    covariances.fill(2);
  }
  const means = centres.map((v, i) => v + 0.3 * Math.sin(i));
  return {
    covarianceType,
    nComponents: k,
    nFeatures: d,
    weights: new Float64Array(k).fill(1 / k),
    means,
    covariances,
    precisionsCholesky: model.precisionCholesky(covariances, k, d),
  };
}

export interface IterationTimes {
  /** Seconds per EM iteration (E-step on the backend + float64 M-step), each timed run. */
  readonly seconds: number[];
  readonly median: number;
  readonly lowerBounds: number[];
  readonly loadSeconds: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Loads the data, runs `warmup` untimed then `reps` timed EM iterations. */
export async function timeIterations(
  backend: Backend,
  cell: Cell,
  warmup: number,
  reps: number,
): Promise<IterationTimes> {
  const { data, centres } = makeData(cell);
  const loadStart = performance.now();
  const loaded: LoadedData = await backend.load(toDataset({ data: data, rows: cell.n, cols: cell.d }, null));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  try {
    let params: MixtureParams = initialParams(cell, centres);
    const moments = momentsFor(cell.covarianceType);
    const seconds: number[] = [];
    const lowerBounds: number[] = [];
    for (let i = 0; i < warmup + reps; i++) {
      const start = performance.now();
      const stats = await loaded.eStep(params, moments);
      params = estimateGaussianMixture(stats, cell.covarianceType, 1e-6);
      const elapsed = (performance.now() - start) / 1000;
      lowerBounds.push(stats.sumLogLik / stats.totalWeight);
      if (i >= warmup) seconds.push(elapsed);
    }
    return { seconds, median: median(seconds), lowerBounds, loadSeconds };
  } finally {
    loaded.dispose();
  }
}
