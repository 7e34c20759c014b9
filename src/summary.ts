// What mclust's summary() of a fitted model says, for a fitted GaussianMixture and data X: the
// model's mclust name, log-likelihood, n, df, BIC, ICL, mixing proportions and the cluster sizes
// of the MAP classification; and the classification uncertainty of each row (1 − its largest
// posterior probability), mclust's `uncertainty`.
//
// Signs: emgpu's BIC and ICL are −2·loglik + df·log n (+ …), smaller is better; mclust's are
// their negatives (bic and mclustBic below). ICL is mclust's (Biernacki, Celeux & Govaert 2000, as
// mclust's icl() computes it): BIC plus twice the log-probability of the MAP classification,
//   emgpu ICL = BIC − 2·Σ_i w_i·log max_k z_ik.
// mixtureCriteria below is the one place BIC, AIC and ICL are computed: the summary, criteria()
// (selectModel, `emgpu select`) and `emgpu summary` all read it.

import { mclustName } from './model/names.ts';
import type { CovarianceType } from './options.ts';

/** mclust's summary() of a fitted model on X. */
export interface MixtureSummary {
  /** mclust's name of the model (VVV for 'full', …). */
  readonly model: string;
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  /** Rows of X (Σ sampleWeight when weighted). */
  readonly n: number;
  /** Σ_i w_i·log p(x_i). */
  readonly logLikelihood: number;
  /** Free parameters (mclust's df). */
  readonly df: number;
  /** −2·logLikelihood + df·log n: smaller is better (mclust's BIC is −bic). */
  readonly bic: number;
  /** bic − 2·Σ_i w_i·log max_k z_ik: smaller is better (mclust's ICL is −icl). */
  readonly icl: number;
  /** mclust's signs: 2·logLikelihood − df·log n, and its ICL; larger is better. */
  readonly mclustBic: number;
  readonly mclustIcl: number;
  /** Mixing proportions, K. */
  readonly weights: Float64Array;
  /** Rows (Σ w) the MAP classification puts in each component, K. */
  readonly clusterSizes: Float64Array;
}

/** 1 − max_k z_ik of each row of the N × K responsibilities. */
export function uncertaintyOf(proba: Float64Array, k: number): Float64Array {
  const n = proba.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, proba[i * k + c] as number);
    out[i] = 1 - max;
  }
  return out;
}

/** BIC, AIC and ICL of a model on X, in emgpu's sign (smaller is better), and what they come from. */
export interface MixtureCriteria {
  /** Rows of X (Σ sampleWeight when weighted); rows whose log-likelihood is NaN are left out. */
  readonly n: number;
  /** Σ_i w_i·log p(x_i). */
  readonly logLikelihood: number;
  /** Mean log-likelihood, logLikelihood / n (sklearn's score). */
  readonly score: number;
  /** −2·logLikelihood + df·log n. */
  readonly bic: number;
  /** −2·logLikelihood + 2·df. */
  readonly aic: number;
  /** bic − 2·Σ_i w_i·log max_k z_ik: mclust's icl() with the sign flipped. */
  readonly icl: number;
  /** Σ w of the rows the MAP classification puts in each component, K. */
  readonly clusterSizes: Float64Array;
}

/**
 * The one definition of emgpu's BIC, AIC and ICL, used by summary(), criteria(), selectModel
 * and the CLI: from per-row log-likelihoods, the N × K responsibilities, the model's free
 * parameters (df) and optional row weights. ICL is mclust's (the MAP classification's
 * log-probability, not the responsibilities' entropy); MAP ties go to the lowest component,
 * as predict's do.
 */
export function mixtureCriteria(
  df: number,
  logLik: Float64Array,
  proba: Float64Array,
  k: number,
  weights: ArrayLike<number> | null,
): MixtureCriteria {
  let n = 0;
  let logLikelihood = 0;
  let logMap = 0;
  const clusterSizes = new Float64Array(k);
  for (let i = 0; i < logLik.length; i++) {
    if (Number.isNaN(logLik[i] as number)) continue;
    const w = weights === null ? 1 : (weights[i] as number);
    n += w;
    logLikelihood += w * (logLik[i] as number);
    let best = 0;
    for (let c = 1; c < k; c++) if ((proba[i * k + c] as number) > (proba[i * k + best] as number)) best = c;
    const z = proba[i * k + best] as number;
    // mclust: C·log z with log 0 taken as 0 (a row's largest z is never 0 when its row sums to 1).
    if (z > 0) logMap += w * Math.log(z);
    clusterSizes[best] = (clusterSizes[best] as number) + w;
  }
  const bic = -2 * logLikelihood + df * Math.log(n);
  return {
    n,
    logLikelihood,
    score: logLikelihood / n,
    bic,
    aic: -2 * logLikelihood + 2 * df,
    icl: bic - 2 * logMap,
    clusterSizes,
  };
}

/** The summary from per-row log-likelihoods and responsibilities (NaN rows: all values missing, left out). */
export function summarise(
  model: { covarianceType: CovarianceType; nComponents: number; nFeatures: number; df: number; weights: Float64Array },
  logLik: Float64Array,
  proba: Float64Array,
  weights: ArrayLike<number> | null,
): MixtureSummary {
  const { n, logLikelihood, bic, icl, clusterSizes } = mixtureCriteria(
    model.df,
    logLik,
    proba,
    model.nComponents,
    weights,
  );
  return {
    model: mclustName(model.covarianceType) ?? model.covarianceType,
    covarianceType: model.covarianceType,
    nComponents: model.nComponents,
    nFeatures: model.nFeatures,
    n,
    logLikelihood,
    df: model.df,
    bic,
    icl,
    mclustBic: -bic,
    mclustIcl: -icl,
    weights: Float64Array.from(model.weights),
    clusterSizes,
  };
}

/** The summary as mclust's print(summary(model)) lays it out, in emgpu's signs (and mclust's beside). */
export function renderSummary(s: MixtureSummary): string {
  const name = s.model === s.covarianceType ? s.model : `${s.model} (${s.covarianceType})`;
  const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(3));
  const columns = [
    ['log-likelihood', s.logLikelihood.toFixed(4)],
    ['n', num(s.n)],
    ['df', String(s.df)],
    ['BIC', s.bic.toFixed(4)],
    ['ICL', s.icl.toFixed(4)],
  ] as const;
  const widths = columns.map(([h, v]) => Math.max(h.length, v.length));
  const row = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  const comps = Array.from({ length: s.nComponents }, (_, c) => String(c));
  const props = Array.from(s.weights, (w) => w.toFixed(6));
  const sizes = Array.from(s.clusterSizes, num);
  const w = comps.map((c, i) => Math.max(c.length, (props[i] as string).length, (sizes[i] as string).length));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(w[i] as number)).join('  ');
  return [
    `Gaussian finite mixture model fitted by EM: ${name} model with ${s.nComponents} component${s.nComponents === 1 ? '' : 's'}`,
    '',
    row(columns.map(([h]) => h)),
    row(columns.map(([, v]) => v)),
    '',
    "BIC and ICL in emgpu's sign (smaller is better); mclust reports their negatives:",
    `mclust BIC ${s.mclustBic.toFixed(4)}, mclust ICL ${s.mclustIcl.toFixed(4)}`,
    '',
    'Mixing proportions:',
    line(comps),
    line(props),
    '',
    'Clustering table (rows by most probable component):',
    line(comps),
    line(sizes),
    '',
  ].join('\n');
}
