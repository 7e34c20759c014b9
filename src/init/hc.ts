// Model-based agglomerative hierarchical clustering (Banfield & Raftery 1993; Fraley 1998), the
// start mclust uses by default: from singletons, merge at each step the two groups whose union
// lowers the classification likelihood of the VVV model (each group its own full covariance)
// least, and cut the tree at K groups for the starting partition.
//
// The VVV classification log-likelihood of a partition is, up to constants, −½·Σ_g cost(g) with
// cost(g) = n_g·log det(W_g / n_g) (W_g the group's centred scatter). It is −∞ for groups of
// fewer than D + 1 rows, so, as Fraley's algorithm does with its α term, the scatter is
// regularised by ω·I with ω = tr(W_all) / (n·D) (the data's mean variance, α = 1):
//   cost(g) = n_g·log det((W_g + ω·I) / n_g),   merge cost Δ(a, b) = cost(a ∪ b) − cost(a) − cost(b).
// This is a regularised form of mclust's criterion (not its Fortran to the last detail), so
// trees can differ from mclust's where merges are close.
//
// Memory is O(m²) for m rows (every pair's Δ), so fit runs it on at most `hcSubset` rows.

import { symmetricEigen } from '../model/linalg.ts';

/** The merges of a tree over m rows: merge s joined groups `a[s]` and `b[s]` (a < b, each named by its smallest row). */
export interface HcTree {
  readonly rows: number;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Δ of each merge. */
  readonly cost: Float64Array;
}

/** The most rows hc takes: its pair table is m(m − 1)/2 float64s (100 MB at 5,000). */
export const HC_MAX_ROWS = 5000;

/**
 * mclust's hcUse = "SVD": the columns standardised (centred, unit sample variance), rotated onto
 * their principal axes V (X = U·S·Vᵀ) and divided by √S: Z = X·V·S^(−½). Constant columns are
 * dropped, as mclust drops them. n × D row-major in, n × D' out (D' ≤ D).
 */
export function svdScale(rows: Float64Array, n: number, d: number): { data: Float64Array; cols: number } {
  const kept: number[] = [];
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rows[i * d + a] as number;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += ((rows[i * d + a] as number) - m) ** 2;
    mean[a] = m;
    sd[a] = Math.sqrt(v / Math.max(1, n - 1));
    if ((sd[a] as number) > 0) kept.push(a);
  }
  const p = kept.length;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    kept.forEach((a, j) => (x[i * p + j] = ((rows[i * d + a] as number) - (mean[a] as number)) / (sd[a] as number)));
  // XᵀX = V·S²·Vᵀ: the right singular vectors and the squared singular values.
  const gram = new Float64Array(p * p);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < p; a++) {
      const xa = x[i * p + a] as number;
      for (let b = 0; b <= a; b++) gram[a * p + b] = (gram[a * p + b] as number) + xa * (x[i * p + b] as number);
    }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[b * p + a] = gram[a * p + b] as number;
  const { values, vectors } = symmetricEigen(gram, 0, p);
  const out = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt(Math.max(values[j] as number, 0));
    const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let a = 0; a < p; a++) v += (x[i * p + a] as number) * (vectors[a * p + j] as number);
      out[i * p + j] = v * scale;
    }
  }
  return { data: out, cols: p };
}

/** log det((W + ω·I) / n) for the packed-full d × d W at w[offset..], by Cholesky; scratch holds d × d. */
function logDetRegularised(
  w: Float64Array,
  offset: number,
  d: number,
  omega: number,
  n: number,
  l: Float64Array,
): number {
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (w[offset + i * d + j] as number) + (i === j ? omega : 0);
      for (let k = 0; k < j; k++) sum -= (l[i * d + k] as number) * (l[j * d + k] as number);
      if (i === j) {
        const diag = Math.sqrt(Math.max(sum, 1e-300));
        l[i * d + i] = diag;
        logDet += 2 * Math.log(diag);
      } else l[i * d + j] = sum / (l[j * d + j] as number);
    }
  }
  return logDet - d * Math.log(n);
}

/**
 * The hc tree of the n × d rows (already scaled as wanted): n − 1 merges, each of the two groups
 * with the smallest merge cost Δ (ties: the smaller group names). O(n²) memory and about O(n²·d³) time.
 */
export function hcTree(rows: Float64Array, n: number, d: number, throwIfAborted: () => void = () => {}): HcTree {
  if (n > HC_MAX_ROWS) throw new RangeError(`hc takes at most ${HC_MAX_ROWS} rows, got ${n}.`);
  const dd = d * d;
  // ω: the mean variance over all rows (tr of the centred scatter / (n·d)).
  let total = 0;
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rows[i * d + a] as number;
    const m = s / n;
    for (let i = 0; i < n; i++) total += ((rows[i * d + a] as number) - m) ** 2;
  }
  const omega = total > 0 ? total / (n * d) : 1;
  const count = new Float64Array(n).fill(1);
  const mean = Float64Array.from(rows.subarray(0, n * d));
  const scatter = new Float64Array(n * dd);
  const cost = new Float64Array(n).fill(d * Math.log(omega));
  const active = new Uint8Array(n).fill(1);
  const l = new Float64Array(dd);
  const merged = new Float64Array(dd);
  const pairCost = (i: number, j: number): number => {
    const ni = count[i] as number;
    const nj = count[j] as number;
    const nij = ni + nj;
    const f = (ni * nj) / nij;
    for (let a = 0; a < d; a++) {
      const da = (mean[i * d + a] as number) - (mean[j * d + a] as number);
      for (let b = 0; b <= a; b++) {
        const db = (mean[i * d + b] as number) - (mean[j * d + b] as number);
        merged[a * d + b] =
          (scatter[i * dd + a * d + b] as number) + (scatter[j * dd + a * d + b] as number) + f * da * db;
      }
    }
    return nij * logDetRegularised(merged, 0, d, omega, nij, l) - (cost[i] as number) - (cost[j] as number);
  };
  // The pair table, upper triangle row by row: pair (i < j) at i·n − i(i + 1)/2 + j − i − 1.
  const at = (i: number, j: number): number =>
    i < j ? i * n - (i * (i + 1)) / 2 + j - i - 1 : j * n - (j * (j + 1)) / 2 + i - j - 1;
  const table = new Float64Array((n * (n - 1)) / 2);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) table[at(i, j)] = pairCost(i, j);
  // Each group's cheapest partner (ties: the smaller name) and that cost.
  const nn = new Int32Array(n).fill(-1);
  const nnCost = new Float64Array(n).fill(Infinity);
  const rescan = (i: number): void => {
    let best = -1;
    let bestCost = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i || active[j] === 0) continue;
      const c = table[at(i, j)] as number;
      if (c < bestCost) {
        bestCost = c;
        best = j;
      }
    }
    nn[i] = best;
    nnCost[i] = bestCost;
  };
  for (let i = 0; i < n; i++) rescan(i);
  const outA = new Int32Array(Math.max(0, n - 1));
  const outB = new Int32Array(Math.max(0, n - 1));
  const outCost = new Float64Array(Math.max(0, n - 1));
  for (let step = 0; step < n - 1; step++) {
    if ((step & 255) === 0) throwIfAborted();
    let i = -1;
    let best = Infinity;
    for (let g = 0; g < n; g++) {
      if (active[g] === 1 && (nnCost[g] as number) < best) {
        best = nnCost[g] as number;
        i = g;
      }
    }
    const j = nn[i] as number;
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    outA[step] = a;
    outB[step] = b;
    outCost[step] = best;
    // Group a becomes a ∪ b.
    const na = count[a] as number;
    const nb = count[b] as number;
    const nab = na + nb;
    const f = (na * nb) / nab;
    for (let x = 0; x < d; x++) {
      const dx = (mean[a * d + x] as number) - (mean[b * d + x] as number);
      for (let y = 0; y <= x; y++) {
        const dy = (mean[a * d + y] as number) - (mean[b * d + y] as number);
        const v = (scatter[a * dd + x * d + y] as number) + (scatter[b * dd + x * d + y] as number) + f * dx * dy;
        scatter[a * dd + x * d + y] = v;
        scatter[a * dd + y * d + x] = v;
      }
    }
    for (let x = 0; x < d; x++)
      mean[a * d + x] = ((mean[a * d + x] as number) * na + (mean[b * d + x] as number) * nb) / nab;
    count[a] = nab;
    cost[a] = nab * logDetRegularised(scatter, a * dd, d, omega, nab, l);
    active[b] = 0;
    for (let g = 0; g < n; g++) {
      if (active[g] === 0 || g === a) continue;
      table[at(a, g)] = pairCost(a, g);
    }
    for (let g = 0; g < n; g++) {
      if (active[g] === 0 || g === a) continue;
      const c = table[at(a, g)] as number;
      // Only g's pairs with a and b changed: when its partner was one of them, the new pair
      // with a is still its cheapest if it costs no more than that partner did; else look again.
      if (nn[g] === a || nn[g] === b) {
        if (c <= (nnCost[g] as number)) {
          nn[g] = a;
          nnCost[g] = c;
        } else rescan(g);
      } else if (c < (nnCost[g] as number) || (c === nnCost[g] && a < (nn[g] as number))) {
        nn[g] = a;
        nnCost[g] = c;
      }
    }
    rescan(a);
  }
  return { rows: n, a: outA, b: outB, cost: outCost };
}

/** The partition into k groups: the first n − k merges replayed. Labels 0..k−1, numbered by each group's first row. */
export function cutTree(tree: HcTree, k: number): Int32Array {
  const n = tree.rows;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  for (let s = 0; s < n - k; s++) parent[find(tree.b[s] as number)] = find(tree.a[s] as number);
  const labels = new Int32Array(n);
  const names = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    let label = names.get(root);
    if (label === undefined) {
      label = names.size;
      names.set(root, label);
    }
    labels[i] = label;
  }
  return labels;
}
