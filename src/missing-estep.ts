// The E-step of the rows with holes, in float64 (the complete rows go to the engine): per pattern
// of holes and component the conditional Gaussian (src/missing-conditional.ts); per row the
// log-probabilities of its observed coordinates, normalised into responsibilities, and with
// statistics wanted the conditional moments added to the sums in the engines' layout
// (src/sufficient-stats.ts): Σ w·r·[(x̂ − μ)(x̂ − μ)ᵀ + C], the shift being the means.

import type { MixtureParams } from './backend.ts';
import type { Dataset } from './matrix.ts';
import { conditional, conditionalDeviation, observedLogProb, type Conditional } from './missing-conditional.ts';
import type { MissingLayout } from './missing-layout.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import type { Moments, SufficientStats } from './sufficient-stats.ts';

/** What a pass over the rows with holes accumulates or returns. */
export interface HolePass {
  /** Statistics about shift = the means (null: not wanted). */
  readonly stats: SufficientStats | null;
  /** Per row with holes, in the order of `rows` below. */
  readonly logLik: Float64Array;
  readonly proba: Float64Array;
  /** Positions (in kept order) of the rows with holes, matching logLik and proba. */
  readonly rows: Int32Array;
}

/**
 * log-sum-exp of the K log-probabilities (the row's log-likelihood), and the responsibilities
 * exp(logp − lse) written to proba[offset..].
 */
export function normalise(logp: Float64Array, proba: Float64Array, offset: number): number {
  const k = logp.length;
  let top = -Infinity;
  for (let c = 0; c < k; c++) if ((logp[c] as number) > top) top = logp[c] as number;
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp((logp[c] as number) - top);
  const lse = top + Math.log(sum);
  for (let c = 0; c < k; c++) proba[offset + c] = Math.exp((logp[c] as number) - lse);
  return lse;
}

/** The sums of the statistics over the rows with holes, row by row. */
class HoleSums {
  readonly sumResp: Float64Array;
  readonly sumDiff: Float64Array;
  readonly sumOuter: Float64Array;
  sumLogLik = 0;
  sumRespLogResp = 0;
  totalWeight = 0;

  constructor(
    private readonly k: number,
    private readonly d: number,
    private readonly moments: Moments,
  ) {
    this.sumResp = new Float64Array(k);
    this.sumDiff = new Float64Array(k * d);
    this.sumOuter = new Float64Array(moments === 'full' ? k * d * d : moments === 'diag' ? k * d : 0);
  }

  /** A row's weight, log-likelihood and Σ r·log r (its responsibilities at proba[offset..]). */
  addRow(w: number, lse: number, proba: Float64Array, offset: number): void {
    this.sumLogLik += w * lse;
    this.totalWeight += w;
    for (let c = 0; c < this.k; c++) {
      const r = proba[offset + c] as number;
      if (r > 0) this.sumRespLogResp += w * r * Math.log(r);
    }
  }

  /**
   * Component c's share wr = w·r of a row: its deviation dev = x̂ − μ_c (D values) and the
   * conditional covariance of its missing coordinates.
   */
  addComponent(c: number, wr: number, dev: Float64Array, cond: Conditional, missing: Int32Array): void {
    const { d, sumOuter } = this;
    const q = missing.length;
    this.sumResp[c] = (this.sumResp[c] as number) + wr;
    for (let a = 0; a < d; a++) this.sumDiff[c * d + a] = (this.sumDiff[c * d + a] as number) + wr * (dev[a] as number);
    if (this.moments === 'full') {
      const base = c * d * d;
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++)
          sumOuter[base + a * d + b] =
            (sumOuter[base + a * d + b] as number) + wr * (dev[a] as number) * (dev[b] as number);
      for (let m = 0; m < q; m++) {
        for (let n = 0; n < q; n++) {
          const at = base + (missing[m] as number) * d + (missing[n] as number);
          sumOuter[at] = (sumOuter[at] as number) + wr * (cond.condCov[m * q + n] as number);
        }
      }
    } else if (this.moments === 'diag') {
      for (let a = 0; a < d; a++) sumOuter[c * d + a] = (sumOuter[c * d + a] as number) + wr * (dev[a] as number) ** 2;
      for (let m = 0; m < q; m++) {
        const at = c * d + (missing[m] as number);
        sumOuter[at] = (sumOuter[at] as number) + wr * (cond.condCov[m * q + m] as number);
      }
    }
  }

  stats(means: Float64Array): SufficientStats {
    const { k, d, moments, sumResp, sumDiff, sumOuter, sumLogLik, sumRespLogResp, totalWeight } = this;
    return {
      nComponents: k,
      nFeatures: d,
      moments,
      shifts: Float64Array.from(means),
      sumResp,
      sumDiff,
      sumOuter,
      sumLogLik,
      sumRespLogResp,
      totalWeight,
    };
  }
}

/**
 * The E-step of the rows with holes, in float64: per row the responsibilities from the
 * observed coordinates and, given `moments`, the statistics with the conditional moments.
 */
export function holesEStep(
  dataset: Dataset,
  layout: MissingLayout,
  params: MixtureParams,
  moments?: Moments,
): HolePass {
  const { nComponents: k, nFeatures: d } = params;
  const { data, weights } = dataset;
  // Every covariance type as K dense D × D matrices (tied repeated, diag and spherical filled in).
  const sigmas = COVARIANCE_MODELS[params.covarianceType].componentCovariances(params.precisionsCholesky, k, d);
  const logW = params.logWeights ?? params.weights.map((w) => Math.log(w));
  const total = layout.patterns.reduce((n, p) => n + p.rows.length, 0);
  const rowsOut = new Int32Array(total);
  const logLik = new Float64Array(total);
  const proba = new Float64Array(total * k);
  const sums = moments === undefined ? null : new HoleSums(k, d, moments);
  let out = 0;
  const logp = new Float64Array(k);
  const dev = new Float64Array(d);
  for (const pattern of layout.patterns) {
    const { observed, missing } = pattern;
    const p = observed.length;
    const conds = Array.from({ length: k }, (_, c) => conditional(sigmas, c * d * d, d, observed, missing, c));
    // x_o − μ_o per component: the log-probabilities solve with it, the statistics reuse it.
    const diffs = new Float64Array(k * p);
    const scratch = new Float64Array(p);
    for (const row of pattern.rows) {
      for (let c = 0; c < k; c++) {
        for (let a = 0; a < p; a++) {
          const j = observed[a] as number;
          diffs[c * p + a] = (data[row * d + j] as number) - (params.means[c * d + j] as number);
        }
        logp[c] = observedLogProb(conds[c] as Conditional, logW[c] as number, diffs, c * p, scratch);
      }
      rowsOut[out] = row;
      const lse = normalise(logp, proba, out * k);
      logLik[out] = lse;
      if (sums !== null) {
        const w = weights === null ? 1 : (weights[row] as number);
        sums.addRow(w, lse, proba, out * k);
        for (let c = 0; c < k; c++) {
          const wr = w * (proba[out * k + c] as number);
          if (wr === 0) continue;
          const cond = conds[c] as Conditional;
          conditionalDeviation(cond, observed, missing, diffs, c * p, dev);
          sums.addComponent(c, wr, dev, cond, missing);
        }
      }
      out++;
    }
  }
  return { stats: sums === null ? null : sums.stats(params.means), logLik, proba, rows: rowsOut };
}
