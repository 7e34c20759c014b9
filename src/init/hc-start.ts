// initParams 'hc': mclust's default start. The hc tree (src/init/hc.ts) of the rows scaled as
// mclust's hcUse = "SVD" scales them, on all rows or, for N > hcSubset, on hcSubset rows drawn
// at random (mclust's initialization = list(subset = …)); cut at K groups, and the groups'
// statistics (in the data's own units) are the start, as one-hot responsibilities of those rows.
// Sample weights do not enter the tree; the statistics are scaled to the data's total weight.

import type { LoadedData } from '../backend.ts';
import { EmgpuInputError } from '../options.ts';
import { Random } from '../random.ts';
import type { SufficientStats, SecondMoments } from '../sufficient-stats.ts';
import { cutTree, HC_MAX_ROWS, hcTree, svdScale, type HcTree } from './hc.ts';

/** Trees already built on a loaded data set, by subset: selectModel cuts one tree for every K. */
type Built = { indices: Int32Array; rows: Float64Array; tree: HcTree };
const trees = new WeakMap<LoadedData, Map<string, Promise<Built>>>();

/** m distinct indices of n, drawn uniformly (a partial Fisher–Yates shuffle), sorted. */
export function subsetOf(n: number, m: number, random: Random): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + random.nextInt(n - i);
    const t = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = t;
  }
  return pool.subarray(0, m).sort();
}

async function buildTree(data: LoadedData, m: number, seed: number, throwIfAborted: () => void): Promise<Built> {
  const n = data.rows;
  const indices = m >= n ? Int32Array.from({ length: n }, (_, i) => i) : subsetOf(n, m, new Random(seed));
  const rows = await data.rowsAt(indices);
  const scaled = svdScale(rows, indices.length, data.cols);
  const tree = hcTree(scaled.data, indices.length, scaled.cols, throwIfAborted);
  return { indices, rows, tree };
}

/** The tree for these rows, built once: fits running at the same time share the one being built. */
function treeFor(data: LoadedData, m: number, seed: number, throwIfAborted: () => void): Promise<Built> {
  const key = m >= data.rows ? `all` : `${m}:${seed}`;
  let cache = trees.get(data);
  if (cache === undefined) {
    cache = new Map();
    trees.set(data, cache);
  }
  let built = cache.get(key);
  if (built === undefined) {
    built = buildTree(data, m, seed, throwIfAborted);
    // A failed or aborted build is not kept: the next fit tries again.
    built.catch(() => cache.delete(key));
    cache.set(key, built);
  }
  return built;
}

/** The statistics of the hc partition into k groups (see the file header), about each group's mean. */
export async function hcStatistics(
  data: LoadedData,
  k: number,
  hcSubset: number,
  seed: number,
  moments: SecondMoments,
  throwIfAborted: () => void,
): Promise<SufficientStats> {
  if (k > HC_MAX_ROWS)
    throw new EmgpuInputError(
      `initParams 'hc' builds its tree on at most ${HC_MAX_ROWS} rows but nComponents is ${k}; use initParams 'kmeans' for so many components.`,
    );
  const m = Math.min(data.rows, Math.max(hcSubset, k));
  const { rows, tree, indices } = await treeFor(data, m, seed, throwIfAborted);
  throwIfAborted();
  const labels = cutTree(tree, k);
  const d = data.cols;
  const count = new Float64Array(k);
  const mean = new Float64Array(k * d);
  for (let i = 0; i < indices.length; i++) {
    const g = labels[i] as number;
    count[g] = (count[g] as number) + 1;
    for (let a = 0; a < d; a++) mean[g * d + a] = (mean[g * d + a] as number) + (rows[i * d + a] as number);
  }
  for (let g = 0; g < k; g++)
    for (let a = 0; a < d; a++) mean[g * d + a] = (mean[g * d + a] as number) / (count[g] as number);
  const outer = new Float64Array(moments === 'full' ? k * d * d : k * d);
  for (let i = 0; i < indices.length; i++) {
    const g = labels[i] as number;
    for (let a = 0; a < d; a++) {
      const xa = (rows[i * d + a] as number) - (mean[g * d + a] as number);
      if (moments === 'diag') outer[g * d + a] = (outer[g * d + a] as number) + xa * xa;
      else
        for (let b = 0; b < d; b++)
          outer[g * d * d + a * d + b] =
            (outer[g * d * d + a * d + b] as number) + xa * ((rows[i * d + b] as number) - (mean[g * d + b] as number));
    }
  }
  // The subset stands for all the rows: its counts and scatters scaled to the total weight.
  const scale = data.totalWeight / indices.length;
  return {
    nComponents: k,
    nFeatures: d,
    moments,
    shifts: mean,
    sumResp: count.map((c) => c * scale),
    sumDiff: new Float64Array(k * d),
    sumOuter: outer.map((v) => v * scale),
    sumLogLik: 0,
    sumRespLogResp: 0,
    totalWeight: data.totalWeight,
  };
}
