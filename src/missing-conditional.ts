// The Gaussian of one component seen through one pattern of holes, in float64: the density of
// the observed coordinates x_o, and the conditional moments of the missing ones x_m given x_o
// (Ghahramani & Jordan 1994):
//   x_o ~ N(μ_o, Σ_oo),
//   E[x_m | x_o] = μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o),
//   Cov[x_m | x_o] = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om.
// Σ_oo is factored once per pattern and component; each row then costs triangular solves.

import { choleskyLower, solveLower, solveLowerTransposed } from './model/linalg.ts';
import { LOG_2PI } from './model/params.ts';
import { EmgpuInputError } from './options.ts';

/** Per pattern and component: what the E-step of a row with that pattern needs. */
export interface Conditional {
  /** Lower Cholesky factor of Σ_oo (p × p). */
  readonly chol: Float64Array;
  /** log N's constant: −½(p·log 2π + log det Σ_oo). */
  readonly logConst: number;
  /** Σ_oo⁻¹ Σ_om (p × q): x̂_m − μ_m = Bᵀ (x_o − μ_o). */
  readonly gain: Float64Array;
  /** C = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om (q × q). */
  readonly condCov: Float64Array;
}

/**
 * The conditional of the D × D covariance at sigma[offset..] (component `component`, named in
 * the error) for the observed and missing coordinates of one pattern.
 */
export function conditional(
  sigma: Float64Array,
  offset: number,
  d: number,
  observed: Int32Array,
  missing: Int32Array,
  component: number,
): Conditional {
  const p = observed.length;
  const q = missing.length;
  const at = (i: number, j: number): number => sigma[offset + i * d + j] as number;
  const soo = new Float64Array(p * p);
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) soo[a * p + b] = at(observed[a] as number, observed[b] as number);
  const chol = new Float64Array(p * p);
  if (!choleskyLower(soo, 0, p, chol, 0)) {
    throw new EmgpuInputError(
      `The covariance of component ${component} restricted to the observed columns of some rows is not positive definite; increase regCovar.`,
    );
  }
  let logDet = 0;
  for (let a = 0; a < p; a++) logDet += 2 * Math.log(chol[a * p + a] as number);
  const gain = new Float64Array(p * q);
  const column = new Float64Array(p);
  for (let m = 0; m < q; m++) {
    for (let a = 0; a < p; a++) column[a] = at(observed[a] as number, missing[m] as number);
    solveLower(chol, 0, p, column);
    solveLowerTransposed(chol, 0, p, column);
    for (let a = 0; a < p; a++) gain[a * q + m] = column[a] as number;
  }
  const condCov = new Float64Array(q * q);
  for (let m = 0; m < q; m++) {
    for (let n = 0; n < q; n++) {
      let s = at(missing[m] as number, missing[n] as number);
      for (let a = 0; a < p; a++) s -= at(missing[m] as number, observed[a] as number) * (gain[a * q + n] as number);
      condCov[m * q + n] = s;
    }
  }
  return { chol, logConst: -0.5 * (p * LOG_2PI + logDet), gain, condCov };
}

/**
 * log w + log N(x_o; μ_o, Σ_oo) of one row for one component, from diff = x_o − μ_o (read at
 * diff[offset..], p values); `scratch` (p values) is overwritten.
 */
export function observedLogProb(
  cond: Conditional,
  logWeight: number,
  diff: Float64Array,
  offset: number,
  scratch: Float64Array,
): number {
  const p = scratch.length;
  for (let a = 0; a < p; a++) scratch[a] = diff[offset + a] as number;
  solveLower(cond.chol, 0, p, scratch);
  let maha = 0;
  for (let a = 0; a < p; a++) maha += (scratch[a] as number) ** 2;
  return logWeight + cond.logConst - 0.5 * maha;
}

/**
 * dev = E[x | x_o] − μ for one row and component (D values): the observed coordinates' diff
 * (x_o − μ_o, at diff[offset..]) as it is, the missing ones Bᵀ(x_o − μ_o).
 */
export function conditionalDeviation(
  cond: Conditional,
  observed: Int32Array,
  missing: Int32Array,
  diff: Float64Array,
  offset: number,
  dev: Float64Array,
): void {
  const p = observed.length;
  const q = missing.length;
  for (let a = 0; a < p; a++) dev[observed[a] as number] = diff[offset + a] as number;
  for (let m = 0; m < q; m++) {
    let s = 0;
    for (let a = 0; a < p; a++) s += (cond.gain[a * q + m] as number) * (diff[offset + a] as number);
    dev[missing[m] as number] = s;
  }
}
