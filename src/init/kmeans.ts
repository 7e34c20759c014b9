// k-means for initialisation, as sklearn's KMeans(n_clusters=K, n_init=1) inside
// GaussianMixture: k-means++ seeding, Lloyd iterations until the squared centre shift is at
// most 1e-4 × the mean column variance (or 300 iterations), then hard responsibilities from
// the nearest final centre. Every pass runs on the backend that holds the data.

import type { LoadedData } from '../backend.ts';
import type { SufficientStats, SecondMoments } from '../sufficient-stats.ts';

const MAX_LLOYD_ITERATIONS = 300;
const RELATIVE_TOLERANCE = 1e-4;

/** Mean column variance (weighted), for sklearn's scaled k-means tolerance. */
async function meanColumnVariance(data: LoadedData): Promise<number> {
  const d = data.cols;
  const origin = await data.assign(new Float64Array(d), 1, null);
  const s0 = origin.stats.sumResp[0] as number;
  const mean = new Float64Array(d);
  for (let a = 0; a < d; a++) mean[a] = (origin.stats.sumDiff[a] as number) / s0;
  const centred = await data.assign(mean, 1, 'diag');
  let total = 0;
  for (let a = 0; a < d; a++) {
    const s1 = centred.stats.sumDiff[a] as number;
    total += ((centred.stats.sumOuter[a] as number) - (s1 * s1) / s0) / s0;
  }
  return total / d;
}

export async function kmeans(
  data: LoadedData,
  k: number,
  seed: number,
  moments: SecondMoments,
  throwIfAborted: () => void,
): Promise<SufficientStats> {
  const d = data.cols;
  const tolerance = RELATIVE_TOLERANCE * (await meanColumnVariance(data));
  let centers = await data.rowsAt(await data.kmeansPlusPlus(k, seed));
  for (let iteration = 0; iteration < MAX_LLOYD_ITERATIONS; iteration++) {
    throwIfAborted();
    const { stats } = await data.assign(centers, k, null);
    const next = new Float64Array(k * d);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      const s0 = stats.sumResp[c] as number;
      for (let a = 0; a < d; a++) {
        const old = centers[c * d + a] as number;
        // An empty cluster keeps its centre.
        const value = s0 > 0 ? old + (stats.sumDiff[c * d + a] as number) / s0 : old;
        next[c * d + a] = value;
        shift += (value - old) * (value - old);
      }
    }
    centers = next;
    if (shift <= tolerance) break;
  }
  const { stats } = await data.assign(centers, k, moments);
  return stats;
}
