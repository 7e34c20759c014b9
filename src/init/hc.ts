// Model-based agglomerative hierarchical clustering (Banfield & Raftery 1993; Fraley 1998), the
// start mclust uses by default: from singletons, merge at each step the two groups whose union
// raises the VVV classification criterion least, and cut the tree at K groups for the start.
//
// The criterion is mclust's (its hcVVV with α = β = 1), written from its definition: a group of
// n_g rows with centred scatter W_g costs
//   term(g) = n_g·log(det(W_g / n_g) + (tr W_g + ω) / n_g),   det taken as 0 for n_g ≤ D,
// with ω = tr(W_all) / (n·D), the data's mean variance; it stays finite for groups of fewer than
// D + 1 rows, where log det alone is −∞. A merge costs Δ(a, b) = term(a ∪ b) − term(a) − term(b).
// Ties are broken as mclust breaks them (see hcTree), so that on data with repeated rows the
// tree is still mclust's. test/model/hc-mclust.test.ts compares the partitions with mclust's own.
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

/**
 * mclust's VVV term of one group of `count` rows with the packed-full d × d centred scatter W at
 * w[offset..]: count·log(det(W / count) + (tr W + ω) / count), the determinant taken as 0 for
 * count ≤ d (W is singular there) or where the Cholesky factorisation of W breaks down. l holds d × d.
 */
function groupTerm(w: Float64Array, offset: number, d: number, omega: number, count: number, l: Float64Array): number {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += w[offset + i * d + i] as number;
  const spread = (trace + omega) / count;
  let det = 0;
  if (count > d) {
    let logDet = 0;
    factor: for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = w[offset + i * d + j] as number;
        for (let k = 0; k < j; k++) sum -= (l[i * d + k] as number) * (l[j * d + k] as number);
        if (i === j) {
          if (!(sum > 0)) {
            logDet = -Infinity;
            break factor;
          }
          const diag = Math.sqrt(sum);
          l[i * d + i] = diag;
          logDet += 2 * Math.log(diag);
        } else l[i * d + j] = sum / (l[j * d + j] as number);
      }
    }
    det = Math.exp(logDet - d * Math.log(count));
  }
  return count * Math.log(det + spread);
}

/**
 * The hc tree of the n × d rows (already scaled as wanted): n − 1 merges, each of the two groups
 * with the smallest merge cost Δ. Ties go as in mclust's hcvvv, which keeps its groups in slots
 * 0..L and scans the pairs (i < j) by j, then i, keeping the last smallest: the pair whose larger
 * slot, then smaller slot, is largest. A merge puts the union in the smaller of its two slots and
 * moves the group in the last slot L into the larger. O(n²) memory and about O(n²·d³) time.
 */
export function hcTree(rows: Float64Array, n: number, d: number, throwIfAborted: () => void = () => {}): HcTree {
  if (n > HC_MAX_ROWS) throw new RangeError(`hc takes at most ${HC_MAX_ROWS} rows, got ${n}.`);
  const dd = d * d;
  // ω: the mean variance over all rows (tr of the centred scatter / (n·d)), mclust's α·tr(W)/(n·p), α = 1.
  let total = 0;
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rows[i * d + a] as number;
    const m = s / n;
    for (let i = 0; i < n; i++) total += ((rows[i * d + a] as number) - m) ** 2;
  }
  const omega = Math.max(total / (n * d), Number.EPSILON);
  const count = new Float64Array(n).fill(1);
  const mean = Float64Array.from(rows.subarray(0, n * d));
  const scatter = new Float64Array(n * dd);
  const cost = new Float64Array(n).fill(Math.log(omega));
  const active = new Uint8Array(n).fill(1);
  // slot[g]: group g's place in mclust's list; group[s]: the group in slot s.
  const slot = Int32Array.from({ length: n }, (_, i) => i);
  const group = Int32Array.from({ length: n }, (_, i) => i);
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
    return groupTerm(merged, 0, d, omega, nij, l) - (cost[i] as number) - (cost[j] as number);
  };
  // The pair table, upper triangle row by row: pair (i < j) at i·n − i(i + 1)/2 + j − i − 1.
  const at = (i: number, j: number): number =>
    i < j ? i * n - (i * (i + 1)) / 2 + j - i - 1 : j * n - (j * (j + 1)) / 2 + i - j - 1;
  // mclust's scan position of the pair of groups i and j: larger is later, and later wins a tie.
  const order = (i: number, j: number): number => {
    const si = slot[i] as number;
    const sj = slot[j] as number;
    return si < sj ? (sj * (sj - 1)) / 2 + si : (si * (si - 1)) / 2 + sj;
  };
  const table = new Float64Array((n * (n - 1)) / 2);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) table[at(i, j)] = pairCost(i, j);
  // Each group's best partner (least cost, ties by `order`) and that cost.
  const nn = new Int32Array(n).fill(-1);
  const nnCost = new Float64Array(n).fill(Infinity);
  const better = (g: number, c: number, h: number): boolean => {
    const current = nn[g] as number;
    if (current < 0) return true;
    const cc = nnCost[g] as number;
    return c < cc || (c === cc && order(g, h) > order(g, current));
  };
  // better(i, ·, ·) over every other active group, in index order, with the pair table's index
  // stepped along (at(j, i) for j < i, then at(i, j)): the scan runs some 10⁷ times at n = 1000.
  const rescan = (i: number): void => {
    let partner = -1;
    let partnerCost = Infinity;
    for (let j = 0, index = i - 1; j < n; j++) {
      // index: at(j, i) below i (stepping by n − j − 2), at(i, j) above it (by 1).
      if (j === i) index = at(i, i + 1);
      else {
        if (active[j] !== 0) {
          const c = table[index] as number;
          if (partner < 0 || c < partnerCost || (c === partnerCost && order(i, j) > order(i, partner))) {
            partner = j;
            partnerCost = c;
          }
        }
        index += j < i ? n - j - 2 : 1;
      }
    }
    nn[i] = partner;
    nnCost[i] = partnerCost;
  };
  for (let i = 0; i < n; i++) rescan(i);
  const outA = new Int32Array(Math.max(0, n - 1));
  const outB = new Int32Array(Math.max(0, n - 1));
  const outCost = new Float64Array(Math.max(0, n - 1));
  for (let step = 0; step < n - 1; step++) {
    if ((step & 255) === 0) throwIfAborted();
    let i = -1;
    let best = Infinity;
    let bestOrder = -1;
    for (let g = 0; g < n; g++) {
      if (active[g] === 0) continue;
      const c = nnCost[g] as number;
      if (c < best || (c === best && order(g, nn[g] as number) > bestOrder)) {
        best = c;
        bestOrder = order(g, nn[g] as number);
        i = g;
      }
    }
    const j = nn[i] as number;
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    outA[step] = a;
    outB[step] = b;
    outCost[step] = best;
    // Group a becomes a ∪ b, in the smaller of their slots; the last slot's group moves to the larger.
    const low = Math.min(slot[a] as number, slot[b] as number);
    const high = Math.max(slot[a] as number, slot[b] as number);
    const last = n - 2 - step + 1;
    const moved = high === last ? -1 : (group[last] as number);
    slot[a] = low;
    group[low] = a;
    if (moved >= 0) {
      slot[moved] = high;
      group[high] = moved;
    }
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
    cost[a] = groupTerm(scatter, a * dd, d, omega, nab, l);
    active[b] = 0;
    for (let g = 0; g < n; g++) {
      if (active[g] === 0 || g === a) continue;
      table[at(a, g)] = pairCost(a, g);
    }
    for (let g = 0; g < n; g++) {
      if (active[g] === 0 || g === a || g === moved) continue;
      const partner = nn[g] as number;
      // g's pairs with a and b changed, and its pair with the moved group changed its place in
      // the scan: look again where its best partner was one of those, or the moved group now ties.
      if (partner === a || partner === b) {
        // Its other pairs cost at least its old best: a strictly cheaper pair with a is the best.
        const c = table[at(a, g)] as number;
        if (c < (nnCost[g] as number)) {
          nn[g] = a;
          nnCost[g] = c;
        } else rescan(g);
      } else if (partner === moved || (moved >= 0 && table[at(g, moved)] === nnCost[g])) rescan(g);
      else {
        const c = table[at(a, g)] as number;
        if (better(g, c, a)) {
          nn[g] = a;
          nnCost[g] = c;
        }
      }
    }
    rescan(a);
    if (moved >= 0) rescan(moved);
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
