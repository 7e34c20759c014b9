// Online (stepwise) EM, Cappé & Moulines 2009: the running sufficient statistics that
// GaussianMixture.partialFit keeps between batches, and how each batch enters them.
//
// With s the normalised statistics (sums per unit weight) and s̄_t those of batch t under the
// current parameters (t counts batches from 0):
//   burn-in (t < burnIn):  s = Σ_{u ≤ t} batch sums / Σ_{u ≤ t} batch weights   (no M-step until t = burnIn − 1)
//   after:                 s ← s + γ_t·(s̄_t − s),   γ_t = (t + 2)^(−a),  a in (0.5, 1]
// and after each of these, θ = M-step(s): the same float64 M-step as fit.
//
// s is kept as sums S over a fixed weight W (the burn-in's total weight), s = S / W, so that the
// burn-in's S is exactly what fit's E-step sums would be on the same rows (with burnIn batches
// that cover the data, the first M-step is fit's first iteration) and the M-step's 10·eps per
// component stays in units of rows. The blend S ← (1 − γ)·S + γ·(W / W_t)·S_t keeps Σw = W.
// S's moments are about the latest batch's shifts (the current means): before each blend the
// running sums are re-centred there (recentreStats), so second moments stay centred and the
// float64 sums precise.

import { addStats, recentreStats, type SufficientStats } from './sufficient-stats.ts';

/** Options of one partialFit call. */
export interface PartialFitOptions {
  /** One non-negative finite weight per row of the batch; an integer weight w acts as w copies of the row. */
  readonly sampleWeight?: ArrayLike<number> | null;
}

/** γ_t = (t + 2)^(−a) for batch t (counting from 0) after the burn-in. */
export function stepSize(t: number, decay: number): number {
  return (t + 2) ** -decay;
}

/** The running statistics of online EM and what they were built from. */
export interface OnlineState {
  /** S: s·W, in the caller's weight units, about the latest batch's shifts. S.totalWeight = W. */
  readonly sums: SufficientStats;
  /** Rows of the burn-in batches (the M-step scales S as fit would scale W over these rows). */
  readonly burnInRows: number;
  /** Batches taken so far (t of the next batch). */
  readonly batches: number;
  /** Rows seen (zero-weight rows included) and their total weight. */
  readonly rows: number;
  readonly weight: number;
  /** γ of the last batch; null while burning in. */
  readonly stepSize: number | null;
  /** The fitted state these statistics led to: a model refitted or loaded since starts afresh. */
  readonly model: unknown;
}

/**
 * S ← (1 − γ)·S + γ·(W / W_b)·S_b, i.e. s ← s + γ·(s̄_b − s) for s = S / W, about the batch's
 * shifts; Σw stays W.
 */
export function blendStats(running: SufficientStats, batch: SufficientStats, gamma: number): SufficientStats {
  const about = recentreStats(running, batch.shifts);
  const keep = 1 - gamma;
  const take = gamma * (running.totalWeight / batch.totalWeight);
  const mix = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => keep * v + take * (b[i] as number));
  return {
    ...about,
    sumResp: mix(about.sumResp, batch.sumResp),
    sumDiff: mix(about.sumDiff, batch.sumDiff),
    sumOuter: mix(about.sumOuter, batch.sumOuter),
    sumLogLik: keep * about.sumLogLik + take * batch.sumLogLik,
    sumRespLogResp: keep * about.sumRespLogResp + take * batch.sumRespLogResp,
    totalWeight: running.totalWeight,
  };
}

export interface OnlineSettings {
  readonly stepDecay: number;
  readonly burnIn: number;
}

/** The state after one more batch (its statistics in the caller's weight units), and whether an M-step is due. */
export function advance(
  state: OnlineState | null,
  batch: SufficientStats,
  rows: number,
  settings: OnlineSettings,
): { state: Omit<OnlineState, 'model'>; mStepDue: boolean } {
  const t = state?.batches ?? 0;
  const seen = { batches: t + 1, rows: (state?.rows ?? 0) + rows, weight: (state?.weight ?? 0) + batch.totalWeight };
  if (state === null || t < settings.burnIn) {
    // Burn-in: every batch under the same starting parameters, summed exactly.
    const sums = state === null ? batch : addStats(state.sums, batch);
    return {
      state: { sums, burnInRows: (state?.burnInRows ?? 0) + rows, stepSize: null, ...seen },
      mStepDue: t + 1 >= settings.burnIn,
    };
  }
  const gamma = stepSize(t, settings.stepDecay);
  return {
    state: { sums: blendStats(state.sums, batch, gamma), burnInRows: state.burnInRows, stepSize: gamma, ...seen },
    mStepDue: true,
  };
}
