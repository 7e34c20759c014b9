// initParams 'hc': the hc tree against a slow reference written from the definition (every pair
// of groups scored from its rows at every step), the SVD scaling against a closed form, and the
// start fit takes from it against the reference partition's own parameters.
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { cutTree, hcTree, svdScale } from '../../src/init/hc.ts';
import { Random } from '../../src/random.ts';
import { inverseAndLogDet } from '../reference.ts';

function blobs(n: number, d: number, seed: number): Float64Array {
  const random = new Random(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let a = 0; a < d; a++) data[i * d + a] = 4 * c * (a === 0 ? 1 : 0.5) + (1 + c) * random.nextGaussian();
  }
  return data;
}

/**
 * mclust's VVV term of the rows `members`, from the rows: n·log(det(W/n) + (tr W + ω)/n), W their
 * centred scatter, the determinant taken as 0 for n ≤ d.
 */
function groupCost(x: Float64Array, d: number, members: number[], omega: number): number {
  const n = members.length;
  const mean = Array.from({ length: d }, (_, a) => members.reduce((s, i) => s + x[i * d + a]!, 0) / n);
  const w = Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) =>
      members.reduce((s, i) => s + (x[i * d + a]! - mean[a]!) * (x[i * d + b]! - mean[b]!), 0),
    ),
  );
  const trace = w.reduce((s, row, a) => s + row[a]!, 0);
  const det = n > d ? Math.exp(inverseAndLogDet(w.map((row) => row.map((v) => v / n))).logDet) : 0;
  return n * Math.log(det + (trace + omega) / n);
}

/**
 * The slow reference, written from mclust's procedure: groups (lists of rows) in slots 0..L, every
 * pair rescored from its rows at each step, scanned by larger slot j then smaller slot i, the last
 * smallest kept; the union goes to slot i and the group in slot L moves to slot j.
 */
function slowTree(x: Float64Array, n: number, d: number): { a: number[]; b: number[]; cost: number[] } {
  let total = 0;
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + a]! / n;
    for (let i = 0; i < n; i++) total += (x[i * d + a]! - m) ** 2;
  }
  const omega = total / (n * d);
  const slots: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const out = { a: [] as number[], b: [] as number[], cost: [] as number[] };
  while (slots.length > 1) {
    let best = { i: -1, j: -1, cost: Infinity };
    for (let j = 1; j < slots.length; j++)
      for (let i = 0; i < j; i++) {
        const gi = slots[i]!;
        const gj = slots[j]!;
        const cost = groupCost(x, d, [...gi, ...gj], omega) - groupCost(x, d, gi, omega) - groupCost(x, d, gj, omega);
        if (cost <= best.cost) best = { i, j, cost };
      }
    const gi = slots[best.i]!;
    const gj = slots[best.j]!;
    out.a.push(Math.min(...gi, ...gj) === Math.min(...gi) ? Math.min(...gi) : Math.min(...gj));
    out.b.push(Math.min(...gi) < Math.min(...gj) ? Math.min(...gj) : Math.min(...gi));
    out.cost.push(best.cost);
    slots[best.i] = [...gi, ...gj];
    const last = slots.pop()!;
    if (best.j < slots.length) slots[best.j] = last;
  }
  return out;
}

/** n/2 distinct rows, each twice, in a shuffled order: the first n/2 merges all tie, and the tie rule decides. */
function withTies(n: number, d: number, seed: number): Float64Array {
  const random = new Random(seed);
  const distinct = blobs(n / 2, d, seed);
  const order = Array.from({ length: n }, (_, i) => i >> 1);
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const data = new Float64Array(n * d);
  order.forEach((r, i) => data.set(distinct.subarray(r * d, r * d + d), i * d));
  return data;
}

describe("hc tree (mclust's VVV criterion)", () => {
  for (const [n, d, seed] of [
    [40, 2, 1],
    [30, 3, 2],
    [24, 1, 3],
  ] as const) {
    it(`merges as the slow reference does (n = ${n}, d = ${d})`, () => {
      const x = blobs(n, d, seed);
      const tree = hcTree(x, n, d);
      const ref = slowTree(x, n, d);
      expect(Array.from(tree.a)).toEqual(ref.a);
      expect(Array.from(tree.b)).toEqual(ref.b);
      tree.cost.forEach((c, i) => expect(c).toBeCloseTo(ref.cost[i]!, 8));
    });
  }

  it('breaks ties as mclust does, on rows that are each there twice', () => {
    for (const [n, d, seed] of [
      [36, 2, 11],
      [30, 3, 12],
    ] as const) {
      const x = withTies(n, d, seed);
      const tree = hcTree(x, n, d);
      const ref = slowTree(x, n, d);
      expect(Array.from(tree.a)).toEqual(ref.a);
      expect(Array.from(tree.b)).toEqual(ref.b);
    }
  });

  it('cuts into k groups numbered by their first row', () => {
    const x = blobs(30, 2, 4);
    const tree = hcTree(x, 30, 2);
    for (const k of [1, 2, 5, 30]) {
      const labels = cutTree(tree, k);
      expect(new Set(labels).size).toBe(k);
      expect(labels[0]).toBe(0);
      let seen = -1;
      for (const l of labels) {
        expect(l).toBeLessThanOrEqual(seen + 1);
        seen = Math.max(seen, l);
      }
    }
  });

  it('separates three well-apart groups at k = 3', () => {
    const random = new Random(5);
    const n = 90;
    const x = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      x[2 * i] = 20 * (i % 3) + random.nextGaussian();
      x[2 * i + 1] = random.nextGaussian();
    }
    const labels = cutTree(hcTree(x, n, 2), 3);
    for (let i = 0; i < n; i++) expect(labels[i]).toBe(labels[i % 3]);
  });
});

describe("svdScale (mclust's hcUse = 'SVD')", () => {
  it('gives Z·Zᵀ = X·(XᵀX)^(−½)·Xᵀ for the standardised X (closed-form square root, d = 2)', () => {
    const n = 50;
    const raw = blobs(n, 2, 6);
    const z = svdScale(raw, n, 2);
    expect(z.cols).toBe(2);
    const x = new Float64Array(n * 2);
    for (let a = 0; a < 2; a++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += raw[i * 2 + a]! / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (raw[i * 2 + a]! - m) ** 2 / (n - 1);
      for (let i = 0; i < n; i++) x[i * 2 + a] = (raw[i * 2 + a]! - m) / Math.sqrt(v);
    }
    let p = 0;
    let q = 0;
    let r = 0;
    for (let i = 0; i < n; i++) {
      p += x[2 * i]! ** 2;
      q += x[2 * i]! * x[2 * i + 1]!;
      r += x[2 * i + 1]! ** 2;
    }
    // sqrt of [[p, q], [q, r]] = (M + s·I) / t with s = √det, t = √(tr + 2s); its inverse by hand.
    const s = Math.sqrt(p * r - q * q);
    const t = Math.sqrt(p + r + 2 * s);
    const [h11, h12, h22] = [(p + s) / t, q / t, (r + s) / t];
    const det = h11 * h22 - h12 * h12;
    const [g11, g12, g22] = [h22 / det, -h12 / det, h11 / det];
    for (let i = 0; i < n; i += 7)
      for (let j = 0; j < n; j += 5) {
        const [xi1, xi2, xj1, xj2] = [x[2 * i]!, x[2 * i + 1]!, x[2 * j]!, x[2 * j + 1]!];
        const expected = xi1 * (g11 * xj1 + g12 * xj2) + xi2 * (g12 * xj1 + g22 * xj2);
        const got = z.data[2 * i]! * z.data[2 * j]! + z.data[2 * i + 1]! * z.data[2 * j + 1]!;
        expect(got).toBeCloseTo(expected, 10);
      }
  });

  it('drops a constant column', () => {
    const raw = Float64Array.from([1, 5, 2, 5, 4, 5, 7, 5]);
    expect(svdScale(raw, 4, 2).cols).toBe(1);
  });
});

describe("initParams 'hc'", () => {
  it('starts from the parameters of the reference partition (maxIter 0)', async () => {
    const n = 45;
    const d = 2;
    const x = blobs(n, d, 7);
    const ref = slowTree(svdScale(x, n, d).data, n, d);
    const labels = cutTree(
      { rows: n, a: Int32Array.from(ref.a), b: Int32Array.from(ref.b), cost: new Float64Array(n - 1) },
      3,
    );
    const gm = await new GaussianMixture({ nComponents: 3, initParams: 'hc', maxIter: 0, backend: 'cpu' }).fit({
      data: x,
      rows: n,
      cols: d,
    });
    for (let g = 0; g < 3; g++) {
      const members = [...labels.keys()].filter((i) => labels[i] === g);
      expect(gm.weights[g]).toBeCloseTo(members.length / n, 12);
      for (let a = 0; a < d; a++)
        expect(gm.means[g * d + a]).toBeCloseTo(members.reduce((s, i) => s + x[i * d + a]!, 0) / members.length, 10);
    }
  });

  it('builds the tree on hcSubset rows of a larger X, and the weights still sum to 1', async () => {
    const n = 3000;
    const x = blobs(n, 2, 8);
    const gm = await new GaussianMixture({
      nComponents: 3,
      initParams: 'hc',
      hcSubset: 300,
      randomState: 1,
      maxIter: 0,
      backend: 'cpu',
    }).fit({ data: x, rows: n, cols: 2 });
    expect(gm.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
    expect(new Set(Array.from(gm.means).map((m) => m.toFixed(6))).size).toBe(6);
  });

  it('refuses an hcSubset it cannot hold, saying what to do', () => {
    expect(() => new GaussianMixture({ initParams: 'hc', hcSubset: 100000 })).toThrow(
      /hcSubset must be an integer from 2 to 5000/,
    );
  });
});
