// Small numeric helpers for the page: label accuracy up to relabelling, 2-D ellipses of a
// component's covariance, and colour counting for the segmented image.

import type { CovarianceType } from '../src/index.ts';

/**
 * Assignment that minimises total cost on an n × n matrix (Hungarian algorithm with
 * potentials, O(n³)). Returns, for each row, its column.
 */
export function minCostAssignment(cost: Float64Array, n: number): Int32Array {
  const INF = Number.POSITIVE_INFINITY;
  // 1-based arrays; column 0 is a virtual start column.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOfCol = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    rowOfCol[0] = i;
    let col0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Uint8Array(n + 1);
    do {
      used[col0] = 1;
      const i0 = rowOfCol[col0] as number;
      let delta = INF;
      let col1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const reduced = (cost[(i0 - 1) * n + (j - 1)] as number) - (u[i0] as number) - (v[j] as number);
        if (reduced < (minv[j] as number)) {
          minv[j] = reduced;
          way[j] = col0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          col1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          const r = rowOfCol[j] as number;
          u[r] = (u[r] as number) + delta;
          v[j] = (v[j] as number) - delta;
        } else {
          minv[j] = (minv[j] as number) - delta;
        }
      }
      col0 = col1;
    } while (rowOfCol[col0] !== 0);
    do {
      const col1 = way[col0] as number;
      rowOfCol[col0] = rowOfCol[col1] as number;
      col0 = col1;
    } while (col0 !== 0);
  }
  const colOfRow = new Int32Array(n);
  for (let j = 1; j <= n; j++) {
    const r = rowOfCol[j] as number;
    if (r > 0) colOfRow[r - 1] = j - 1;
  }
  return colOfRow;
}

/**
 * Fraction of points whose predicted label matches the generating one under the best
 * one-to-one relabelling. Points with truth < 0 (noise) are not scored.
 */
export function labelAccuracy(truth: Int32Array, predicted: Int32Array): number {
  let kt = 0;
  let kp = 0;
  for (let i = 0; i < truth.length; i++) {
    kt = Math.max(kt, (truth[i] as number) + 1);
    kp = Math.max(kp, (predicted[i] as number) + 1);
  }
  const n = Math.max(kt, kp, 1);
  const counts = new Float64Array(n * n);
  let scored = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    if (t < 0 || p < 0) continue;
    counts[t * n + p] = (counts[t * n + p] as number) + 1;
    scored++;
  }
  if (scored === 0) return NaN;
  const cost = counts.map((c) => -c);
  const match = minCostAssignment(cost, n);
  let correct = 0;
  for (let t = 0; t < n; t++) correct += counts[t * n + (match[t] as number)] as number;
  return correct / scored;
}

/** The 2 × 2 covariance of fitted columns (0, 1) for component k, from any covariance type. */
export function covariance2(
  type: CovarianceType,
  covariances: Float64Array,
  k: number,
  d: number,
): [number, number, number] {
  switch (type) {
    case 'tied':
      return [covariances[0] as number, covariances[1] as number, covariances[d + 1] as number];
    case 'diag':
      return [covariances[k * d] as number, 0, covariances[k * d + 1] as number];
    case 'spherical':
      return [covariances[k] as number, 0, covariances[k] as number];
    default: {
      // 'full' and mclust's 14 models (EII … VVV): K full D × D matrices.
      const o = k * d * d;
      return [covariances[o] as number, covariances[o + 1] as number, covariances[o + d + 1] as number];
    }
  }
}

/**
 * The mixture's density over its first two features (each component's marginal: its mean's
 * first two entries and the top-left 2 × 2 of its covariance) at every (xs[i], ys[j]);
 * row-major, ys outer.
 */
export function mixtureDensity2(
  model: {
    readonly covarianceType: CovarianceType;
    readonly d: number;
    readonly weights: Float64Array;
    readonly means: Float64Array;
    readonly covariances: Float64Array;
  },
  xs: Float64Array,
  ys: Float64Array,
): Float64Array {
  const out = new Float64Array(xs.length * ys.length);
  const d = model.d;
  for (let k = 0; k < model.weights.length; k++) {
    const [a, b, c] = covariance2(model.covarianceType, model.covariances, k, d);
    const det = a * c - b * b;
    if (!(det > 0)) continue;
    // The inverse of [[a, b], [b, c]] is [[c, −b], [−b, a]] / det.
    const norm = (model.weights[k] as number) / (2 * Math.PI * Math.sqrt(det));
    const mx = model.means[k * d] as number;
    const my = model.means[k * d + 1] as number;
    for (let j = 0; j < ys.length; j++) {
      const dy = (ys[j] as number) - my;
      for (let i = 0; i < xs.length; i++) {
        const dx = (xs[i] as number) - mx;
        const q = (c * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
        const o = j * xs.length + i;
        out[o] = (out[o] as number) + norm * Math.exp(-0.5 * q);
      }
    }
  }
  return out;
}

/**
 * Marching squares: the line segments where a field sampled on an nx × ny grid (row-major)
 * crosses `level`, in grid units, as x0, y0, x1, y1 quadruples. A saddle cell is split by
 * the value at its centre.
 */
export function contourSegments(field: Float64Array, nx: number, ny: number, level: number): number[] {
  const out: number[] = [];
  const cross = (v0: number, v1: number): number => (level - v0) / (v1 - v0);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const tl = field[j * nx + i] as number;
      const tr = field[j * nx + i + 1] as number;
      const br = field[(j + 1) * nx + i + 1] as number;
      const bl = field[(j + 1) * nx + i] as number;
      const code = (tl > level ? 8 : 0) | (tr > level ? 4 : 0) | (br > level ? 2 : 0) | (bl > level ? 1 : 0);
      if (code === 0 || code === 15) continue;
      // Crossing points on the four edges: top, right, bottom, left.
      const top = (): [number, number] => [i + cross(tl, tr), j];
      const right = (): [number, number] => [i + 1, j + cross(tr, br)];
      const bottom = (): [number, number] => [i + cross(bl, br), j + 1];
      const left = (): [number, number] => [i, j + cross(tl, bl)];
      const seg = (p: [number, number], q: [number, number]): void => {
        out.push(p[0], p[1], q[0], q[1]);
      };
      const centreAbove = (tl + tr + br + bl) / 4 > level;
      switch (code) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(top(), right());
          break;
        case 6:
        case 9:
          seg(top(), bottom());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5:
          if (centreAbove) {
            seg(left(), top());
            seg(bottom(), right());
          } else {
            seg(left(), bottom());
            seg(top(), right());
          }
          break;
        case 10:
          if (centreAbove) {
            seg(left(), bottom());
            seg(top(), right());
          } else {
            seg(left(), top());
            seg(bottom(), right());
          }
          break;
      }
    }
  }
  return out;
}

/** Semi-axes and rotation of the 1-σ ellipse of [[a, b], [b, c]]. */
export function ellipseAxes(a: number, b: number, c: number): { r1: number; r2: number; angle: number } {
  const mean = (a + c) / 2;
  const diff = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const l1 = Math.max(mean + diff, 0);
  const l2 = Math.max(mean - diff, 0);
  const angle = 0.5 * Math.atan2(2 * b, a - c);
  return { r1: Math.sqrt(l1), r2: Math.sqrt(l2), angle };
}

/** Number of distinct RGB colours among the opaque pixels. */
export function countColours(pixels: Uint8ClampedArray): number {
  const seen = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4) {
    seen.add(((pixels[i] as number) << 16) | ((pixels[i + 1] as number) << 8) | (pixels[i + 2] as number));
  }
  return seen.size;
}
