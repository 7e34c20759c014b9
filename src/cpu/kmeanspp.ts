// sklearn's greedy k-means++ seeding (kmeans_plusplus) over rows held in memory, in float64.

import type { Random } from '../random.ts';
import type { RowSource } from './accumulate.ts';
import { distancesToPoint } from './kernels.ts';
import { unrolledPotentials } from './unrolled.ts';

/**
 * sklearn's greedy k-means++ (kmeans_plusplus): the first centre drawn with probability ∝ w,
 * each next one the best of 2 + ⌊ln K⌋ candidates drawn with probability ∝ w·D².
 * O(N) memory: candidate potentials are computed without storing their distances.
 */
export function kmeansPlusPlusSequential(source: RowSource, rows: number, k: number, random: Random): Int32Array {
  const d = source.cols;
  const weights = source.weights;
  const weightOf = (i: number): number => (weights === null ? 1 : (weights[i] as number));
  const chosen = new Int32Array(k);
  const localTrials = 2 + Math.floor(Math.log(k));
  const point = new Float64Array(d);
  const setPoint = (row: number): void => {
    for (let a = 0; a < d; a++) point[a] = source.data[row * d + a] as number;
  };
  // Draw index i with probability ∝ value(i) for a sorted list of targets in one scan.
  const drawSorted = (targets: number[], value: (i: number) => number): number[] => {
    const order = targets.map((t, n) => [t, n] as const).sort((x, y) => x[0] - y[0]);
    const result = new Array<number>(targets.length).fill(rows - 1);
    let cumulative = 0;
    let n = 0;
    for (let i = 0; i < rows && n < order.length; i++) {
      cumulative += value(i);
      while (n < order.length && (order[n] as readonly [number, number])[0] < cumulative) {
        result[(order[n] as readonly [number, number])[1]] = i;
        n++;
      }
    }
    return result;
  };

  let totalWeight = 0;
  for (let i = 0; i < rows; i++) totalWeight += weightOf(i);
  const first = drawSorted([random.nextFloat() * totalWeight], weightOf)[0] as number;
  chosen[0] = first;
  const closest = new Float64Array(rows);
  setPoint(first);
  distancesToPoint(source, 0, rows, point, closest);
  let potential = 0;
  for (let i = 0; i < rows; i++) potential += weightOf(i) * (closest[i] as number);

  const candidatePoints = new Float64Array(localTrials * d);
  const potentials = new Float64Array(localTrials);
  for (let c = 1; c < k; c++) {
    const targets = Array.from({ length: localTrials }, () => random.nextFloat() * potential);
    const candidates = drawSorted(targets, (i) => weightOf(i) * (closest[i] as number));
    // All candidates' potentials in one pass over the data (each summed in row order, as one
    // pass per candidate would), by generated code where there is some.
    const trials = candidates.length;
    for (let t = 0; t < trials; t++) {
      for (let a = 0; a < d; a++) candidatePoints[t * d + a] = source.data[(candidates[t] as number) * d + a] as number;
    }
    const unrolled = unrolledPotentials(d, trials);
    if (unrolled !== null) {
      unrolled(source.data, rows, weights, closest, candidatePoints, potentials);
    } else {
      potentialsLoop(source, rows, trials, closest, candidatePoints, potentials);
    }
    let bestPotential = Infinity;
    let best = candidates[0] as number;
    for (let t = 0; t < trials; t++) {
      if ((potentials[t] as number) < bestPotential) {
        bestPotential = potentials[t] as number;
        best = candidates[t] as number;
      }
    }
    chosen[c] = best;
    setPoint(best);
    for (let i = 0; i < rows; i++) {
      let dist = 0;
      for (let a = 0; a < d; a++) {
        const v = (source.data[i * d + a] as number) - (point[a] as number);
        dist += v * v;
      }
      if (dist < (closest[i] as number)) closest[i] = dist;
    }
    potential = bestPotential;
  }
  return chosen;
}

/** Σ_i w_i·min(‖x_i − candidate_t‖², closest_i) for each candidate t, in row order. */
function potentialsLoop(
  source: RowSource,
  rows: number,
  trials: number,
  closest: Float64Array,
  candidates: Float64Array,
  potentials: Float64Array,
): void {
  const { data, cols: d, weights } = source;
  potentials.fill(0);
  for (let i = 0; i < rows; i++) {
    const w = weights === null ? 1 : (weights[i] as number);
    const current = closest[i] as number;
    for (let t = 0; t < trials; t++) {
      let dist = 0;
      for (let a = 0; a < d; a++) {
        const v = (data[i * d + a] as number) - (candidates[t * d + a] as number);
        dist += v * v;
      }
      potentials[t] = (potentials[t] as number) + w * Math.min(dist, current);
    }
  }
}
