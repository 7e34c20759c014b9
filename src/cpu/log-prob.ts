// The CPU engine's E-step arithmetic for one block of rows: weighted log-probabilities
// log w_k + log N(x | μ_k, Σ_k) of every component (generated code for small D, src/cpu/unrolled.ts,
// and four-row loops otherwise), and their normalisation into responsibilities.

import type { KernelParams } from '../model/params.ts';
import type { RowSource } from './accumulate.ts';
import { expNonPositive } from './exp.ts';
import { unrolledDiagLogProb, unrolledLogProb, unrolledSphericalLogProb } from './unrolled.ts';

/**
 * constant − ½‖(x − μ)·U‖² for rows [start, end) into dest[(i − start)·k + c], U upper triangular
 * at u[ub..]: y_j = Σ_{a ≤ j} (x_a − μ_a)·U_aj. Four rows at a time share each load of U (diff
 * holds their differences interleaved); each row's arithmetic is the one-row loop's, in order.
 */
function solveRows(
  data: Float64Array | Float32Array,
  d: number,
  start: number,
  end: number,
  means: Float64Array,
  mb: number,
  u: Float64Array,
  ub: number,
  constant: number,
  dest: Float64Array,
  k: number,
  c: number,
  diff: Float64Array,
): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const m = means[mb + a] as number;
      diff[a * 4] = (data[row + a] as number) - m;
      diff[a * 4 + 1] = (data[row + d + a] as number) - m;
      diff[a * 4 + 2] = (data[row + 2 * d + a] as number) - m;
      diff[a * 4 + 3] = (data[row + 3 * d + a] as number) - m;
    }
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (let j = 0; j < d; j++) {
      let y0 = 0;
      let y1 = 0;
      let y2 = 0;
      let y3 = 0;
      for (let a = 0; a <= j; a++) {
        const f = u[ub + a * d + j] as number;
        y0 += (diff[a * 4] as number) * f;
        y1 += (diff[a * 4 + 1] as number) * f;
        y2 += (diff[a * 4 + 2] as number) * f;
        y3 += (diff[a * 4 + 3] as number) * f;
      }
      q0 += y0 * y0;
      q1 += y1 * y1;
      q2 += y2 * y2;
      q3 += y3 * y3;
    }
    const o = (i - start) * k + c;
    dest[o] = constant - 0.5 * q0;
    dest[o + k] = constant - 0.5 * q1;
    dest[o + 2 * k] = constant - 0.5 * q2;
    dest[o + 3 * k] = constant - 0.5 * q3;
  }
  for (; i < end; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) diff[a] = (data[row + a] as number) - (means[mb + a] as number);
    let quad = 0;
    for (let j = 0; j < d; j++) {
      let y = 0;
      for (let a = 0; a <= j; a++) y += (diff[a] as number) * (u[ub + a * d + j] as number);
      quad += y * y;
    }
    dest[(i - start) * k + c] = constant - 0.5 * quad;
  }
}

/**
 * Weighted log-probabilities log w_k + log N(x_i | μ_k, Σ_k) for rows [start, end) into
 * dest[(i − start)·K + k].
 */
export function weightedLogProb(
  source: RowSource,
  start: number,
  end: number,
  params: KernelParams,
  dest: Float64Array,
  diff: Float64Array,
): void {
  const { data, cols: d } = source;
  const { covarianceType, nComponents: k, means, factors, logConstants } = params;
  // Generated code for this D and type (null where there is none), looked up once per block.
  const unrolledFull = covarianceType === 'full' || covarianceType === 'tied' ? unrolledLogProb(d) : null;
  const unrolledDiag = covarianceType === 'diag' ? unrolledDiagLogProb(d) : null;
  const unrolledSpherical = covarianceType === 'spherical' ? unrolledSphericalLogProb(d) : null;
  for (let c = 0; c < k; c++) {
    const constant = logConstants[c] as number;
    const meanBase = c * d;
    switch (covarianceType) {
      case 'full':
      case 'tied': {
        const uBase = covarianceType === 'full' ? c * d * d : 0;
        if (unrolledFull !== null) {
          unrolledFull(data, start, end, means, meanBase, factors, uBase, constant, dest, k, c);
          break;
        }
        solveRows(data, d, start, end, means, meanBase, factors, uBase, constant, dest, k, c, diff);
        break;
      }
      case 'diag': {
        if (unrolledDiag !== null) {
          unrolledDiag(data, start, end, means, meanBase, factors, meanBase, constant, dest, k, c);
          break;
        }
        for (let i = start; i < end; i++) {
          const row = i * d;
          let quad = 0;
          for (let a = 0; a < d; a++) {
            const y = ((data[row + a] as number) - (means[meanBase + a] as number)) * (factors[meanBase + a] as number);
            quad += y * y;
          }
          dest[(i - start) * k + c] = constant - 0.5 * quad;
        }
        break;
      }
      case 'spherical': {
        if (unrolledSpherical !== null) {
          unrolledSpherical(data, start, end, means, meanBase, factors, c, constant, dest, k, c);
          break;
        }
        const u = factors[c] as number;
        const u2 = u * u;
        for (let i = start; i < end; i++) {
          const row = i * d;
          let sq = 0;
          for (let a = 0; a < d; a++) {
            const v = (data[row + a] as number) - (means[meanBase + a] as number);
            sq += v * v;
          }
          dest[(i - start) * k + c] = constant - 0.5 * sq * u2;
        }
        break;
      }
    }
  }
}

/**
 * Turns weighted log-probabilities (rows × K, in place) into responsibilities; returns the
 * per-row log-sum-exp through logLik (when given), and adds Σ w·lse and Σ w·Σ_k r·log r into
 * totals[0] and totals[1].
 */
export function normalise(
  source: RowSource,
  start: number,
  end: number,
  k: number,
  values: Float64Array,
  logLik: Float64Array | null,
  totals: Float64Array,
): void {
  let sum = 0;
  let entropy = 0;
  const weights = source.weights;
  for (let i = start; i < end; i++) {
    const base = (i - start) * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = values[base + c] as number;
      if (v > max) max = v;
    }
    // One exp per entry: r = exp(v − max) / Σ exp(v − max). (sklearn's exp(v − lse) differs by
    // an ulp or two.) Entries below max − 745 underflow to exactly 0 and are skipped.
    let total = 0;
    // Σ_k r·log r = Σ_k e·(v − max) / Σ e − log Σ e, from the same e (no extra log).
    let weighted = 0;
    for (let c = 0; c < k; c++) {
      const shifted = (values[base + c] as number) - max;
      const e = shifted < -745 ? 0 : expNonPositive(shifted);
      values[base + c] = e;
      total += e;
      if (e > 0) weighted += e * shifted;
    }
    const logTotal = Math.log(total);
    const lse = max + logTotal;
    const inverse = 1 / total;
    for (let c = 0; c < k; c++) values[base + c] = (values[base + c] as number) * inverse;
    if (logLik !== null) logLik[i] = lse;
    const w = weights === null ? 1 : (weights[i] as number);
    sum += w * lse;
    entropy += w * (weighted * inverse - logTotal);
  }
  totals[0] = (totals[0] as number) + sum;
  totals[1] = (totals[1] as number) + entropy;
}
