// The variational Bayesian Gaussian mixture (scikit-learn 1.2's BayesianGaussianMixture), as
// float64 functions of the same sufficient statistics as the Gaussian mixture: priors, the
// M-step (Dirichlet or Dirichlet-process weights, Gaussian-Wishart components), the E-step's
// per-component log weights (so every engine runs the Gaussian E-step with a bias), and the
// variational lower bound. Names follow sklearn's attributes in camelCase.

import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import type { MixtureParams } from '../backend.ts';
import type { CovarianceType } from '../options.ts';
import type { SufficientStats } from '../sufficient-stats.ts';
import { COVARIANCE_MODELS } from './covariance.ts';
import { estimateGaussianParameters } from './m-step.ts';
import type { SklearnCovarianceName } from './names.ts';

export const WEIGHT_CONCENTRATION_PRIOR_TYPES = ['dirichlet_process', 'dirichlet_distribution'] as const;
export type WeightConcentrationPriorType = (typeof WEIGHT_CONCENTRATION_PRIOR_TYPES)[number];

/** The priors, resolved (sklearn's trailing-underscore attributes). */
export interface BayesianPriors {
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  /** α0 (default 1/K). */
  readonly weightConcentrationPrior: number;
  /** β0 (default 1). */
  readonly meanPrecisionPrior: number;
  /** m0, length D (default: the data mean). */
  readonly meanPrior: Float64Array;
  /** ν0 (default D; must exceed D − 1). */
  readonly degreesOfFreedomPrior: number;
  /** W0⁻¹: full/tied D × D, diag D, spherical 1 (default: the data's covariance, ddof = 1). */
  readonly covariancePrior: Float64Array;
}

/** A fitted variational posterior, with the Gaussian mixture's fields derived from it. */
export interface BayesianParams extends MixtureParams {
  readonly covariances: Float64Array;
  /** dirichlet_distribution: α_k (K); dirichlet_process: the Beta parameters, K of the first then K of the second. */
  readonly weightConcentration: Float64Array;
  /** β_k, K. */
  readonly meanPrecision: Float64Array;
  /** ν_k: K, or 1 for tied. */
  readonly degreesOfFreedom: Float64Array;
}

/** The data's mean and covariance (ddof = 1), for the default priors. */
export interface DataMoments {
  readonly mean: Float64Array;
  /** D × D. */
  readonly covariance: Float64Array;
}

export interface PriorOptions {
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  readonly weightConcentrationPrior: number | null;
  readonly meanPrecisionPrior: number | null;
  readonly meanPrior: Float64Array | null;
  readonly degreesOfFreedomPrior: number | null;
  readonly covariancePrior: Float64Array | null;
}

/** What the variational M-step reads for the Wishart part: nk, x̄_k and S_k (Gaussian estimates), β_k, the priors. */
interface WishartInput {
  readonly k: number;
  readonly d: number;
  readonly nk: Float64Array;
  readonly xk: Float64Array;
  readonly sk: Float64Array;
  readonly meanPrecision: Float64Array;
  readonly priors: BayesianPriors;
}

/** One covariance type of the variational model (sklearn's four). */
export interface VariationalCovariance {
  /** The covariance prior's nested shape: [D, D] (full, tied), [D] (diag) or [] (spherical: one number). */
  priorShape(d: number): number[];
  /** ν is one number shared by the components (tied), else one per component. */
  readonly sharedDegreesOfFreedom: boolean;
  /** sklearn's default covariance prior from the data's covariance (D × D, ddof = 1). */
  defaultPrior(covariance: Float64Array, d: number): Float64Array;
  /** ν and the Wishart scale normalised by ν (sklearn's _estimate_wishart_full, _tied, _diag, _spherical). */
  wishart(input: WishartInput): { degreesOfFreedom: Float64Array; covariances: Float64Array };
}

const diagonalOf = (c: Float64Array, d: number): Float64Array =>
  Float64Array.from({ length: d }, (_, a) => c[a * d + a] as number);
const shiftOf =
  ({ xk, d, priors }: WishartInput) =>
  (c: number, a: number): number =>
    (xk[c * d + a] as number) - (priors.meanPrior[a] as number);

const VARIATIONAL_COVARIANCES: Record<SklearnCovarianceName, VariationalCovariance> = {
  full: {
    priorShape: (d) => [d, d],
    sharedDegreesOfFreedom: false,
    defaultPrior: (c) => Float64Array.from(c),
    wishart: (input) => {
      const { k, d, nk, sk, meanPrecision, priors } = input;
      const diff = shiftOf(input);
      const w0 = priors.covariancePrior;
      const beta0 = priors.meanPrecisionPrior;
      const degreesOfFreedom = nk.map((n) => priors.degreesOfFreedomPrior + n);
      const covariances = new Float64Array(k * d * d);
      for (let c = 0; c < k; c++) {
        const n = nk[c] as number;
        const shrink = (n * beta0) / (meanPrecision[c] as number);
        const nu = degreesOfFreedom[c] as number;
        for (let a = 0; a < d; a++) {
          for (let b = 0; b < d; b++) {
            const o = c * d * d + a * d + b;
            covariances[o] =
              ((w0[a * d + b] as number) + n * (sk[o] as number) + shrink * diff(c, a) * diff(c, b)) / nu;
          }
        }
      }
      return { degreesOfFreedom, covariances };
    },
  },
  tied: {
    priorShape: (d) => [d, d],
    sharedDegreesOfFreedom: true,
    defaultPrior: (c) => Float64Array.from(c),
    wishart: (input) => {
      const { k, d, nk, sk, meanPrecision, priors } = input;
      const diff = shiftOf(input);
      const w0 = priors.covariancePrior;
      const beta0 = priors.meanPrecisionPrior;
      let total = 0;
      for (const n of nk) total += n;
      const nu = priors.degreesOfFreedomPrior + total / k;
      const covariances = new Float64Array(d * d);
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          let spread = 0;
          for (let c = 0; c < k; c++)
            spread += ((nk[c] as number) / (meanPrecision[c] as number)) * diff(c, a) * diff(c, b);
          covariances[a * d + b] =
            ((w0[a * d + b] as number) + ((sk[a * d + b] as number) * total) / k + (beta0 / k) * spread) / nu;
        }
      }
      return { degreesOfFreedom: Float64Array.of(nu), covariances };
    },
  },
  diag: {
    priorShape: (d) => [d],
    sharedDegreesOfFreedom: false,
    defaultPrior: diagonalOf,
    wishart: (input) => {
      const { k, d, nk, sk, meanPrecision, priors } = input;
      const diff = shiftOf(input);
      const w0 = priors.covariancePrior;
      const degreesOfFreedom = nk.map((n) => priors.degreesOfFreedomPrior + n);
      const covariances = new Float64Array(k * d);
      for (let c = 0; c < k; c++) {
        const n = nk[c] as number;
        const shrink = priors.meanPrecisionPrior / (meanPrecision[c] as number);
        for (let a = 0; a < d; a++)
          covariances[c * d + a] =
            ((w0[a] as number) + n * ((sk[c * d + a] as number) + shrink * diff(c, a) ** 2)) /
            (degreesOfFreedom[c] as number);
      }
      return { degreesOfFreedom, covariances };
    },
  },
  spherical: {
    priorShape: () => [],
    sharedDegreesOfFreedom: false,
    defaultPrior: (c, d) => Float64Array.of(diagonalOf(c, d).reduce((s, v) => s + v, 0) / d),
    wishart: (input) => {
      const { k, d, nk, sk, meanPrecision, priors } = input;
      const diff = shiftOf(input);
      const w0 = priors.covariancePrior;
      const degreesOfFreedom = nk.map((n) => priors.degreesOfFreedomPrior + n);
      const covariances = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let square = 0;
        for (let a = 0; a < d; a++) square += diff(c, a) ** 2;
        const n = nk[c] as number;
        covariances[c] =
          ((w0[0] as number) +
            n * ((sk[c] as number) + (priors.meanPrecisionPrior / (meanPrecision[c] as number)) * (square / d))) /
          (degreesOfFreedom[c] as number);
      }
      return { degreesOfFreedom, covariances };
    },
  },
};

/** The variational model's entry for a covariance type (sklearn's four; others are refused when options resolve). */
export function variationalCovariance(covarianceType: CovarianceType): VariationalCovariance {
  if (!Object.hasOwn(VARIATIONAL_COVARIANCES, covarianceType))
    throw new Error(`internal: BayesianGaussianMixture has no covarianceType '${covarianceType}'`);
  return VARIATIONAL_COVARIANCES[covarianceType as SklearnCovarianceName];
}

/** sklearn's _check_parameters: defaults from the data where a prior is not given. */
export function resolvePriors(
  options: PriorOptions,
  data: DataMoments,
  covarianceType: CovarianceType,
  k: number,
  d: number,
): BayesianPriors {
  const covariancePrior =
    options.covariancePrior ?? variationalCovariance(covarianceType).defaultPrior(data.covariance, d);
  return {
    weightConcentrationPriorType: options.weightConcentrationPriorType,
    weightConcentrationPrior: options.weightConcentrationPrior ?? 1 / k,
    meanPrecisionPrior: options.meanPrecisionPrior ?? 1,
    meanPrior: options.meanPrior ?? Float64Array.from(data.mean),
    degreesOfFreedomPrior: options.degreesOfFreedomPrior ?? d,
    covariancePrior,
  };
}

/** The mixture weights the concentration implies (sklearn's weights_). */
export function expectedWeights(
  weightConcentration: Float64Array,
  type: WeightConcentrationPriorType,
  k: number,
): Float64Array {
  const weights = new Float64Array(k);
  if (type === 'dirichlet_process') {
    let stick = 1;
    for (let c = 0; c < k; c++) {
      const a = weightConcentration[c] as number;
      const b = weightConcentration[k + c] as number;
      weights[c] = (a / (a + b)) * stick;
      stick *= b / (a + b);
    }
  } else {
    for (let c = 0; c < k; c++) weights[c] = weightConcentration[c] as number;
  }
  let total = 0;
  for (const w of weights) total += w;
  return weights.map((w) => w / total);
}

/**
 * The variational model's parameters from statistics (sklearn's BayesianGaussianMixture._m_step: _estimate_weights, _estimate_means, _estimate_precisions) from
 * the E-step's statistics: nk, x̄_k and S_k as the Gaussian mixture computes them (nk + 10·eps,
 * reg_covar on S_k's diagonal), then the posterior's parameters.
 */
export function estimateVariationalParameters(
  stats: SufficientStats,
  covarianceType: CovarianceType,
  regCovar: number,
  priors: BayesianPriors,
): BayesianParams {
  const { nComponents: k, nFeatures: d } = stats;
  const { nk, means: xk, covariances: sk } = estimateGaussianParameters(stats, covarianceType, regCovar);
  // Weights.
  let weightConcentration: Float64Array;
  if (priors.weightConcentrationPriorType === 'dirichlet_process') {
    weightConcentration = new Float64Array(2 * k);
    // b_k = α0 + Σ_{j>k} n_j, summed from the last component (sklearn's cumsum of nk reversed).
    let tail = 0;
    for (let c = k - 1; c >= 0; c--) {
      weightConcentration[c] = 1 + (nk[c] as number);
      weightConcentration[k + c] = priors.weightConcentrationPrior + tail;
      tail += nk[c] as number;
    }
  } else {
    weightConcentration = nk.map((n) => priors.weightConcentrationPrior + n);
  }
  // Means.
  const beta0 = priors.meanPrecisionPrior;
  const meanPrecision = nk.map((n) => beta0 + n);
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++)
      means[c * d + a] =
        (beta0 * (priors.meanPrior[a] as number) + (nk[c] as number) * (xk[c * d + a] as number)) /
        (meanPrecision[c] as number);
  }
  // Precisions: the Wishart scale, normalised by ν (sklearn's covariances_).
  const { degreesOfFreedom, covariances } = variationalCovariance(covarianceType).wishart({
    k,
    d,
    nk,
    xk,
    sk,
    meanPrecision,
    priors,
  });
  const precisionsCholesky = COVARIANCE_MODELS[covarianceType].precisionCholesky(covariances, k, d);
  const weights = expectedWeights(weightConcentration, priors.weightConcentrationPriorType, k);
  const params: BayesianParams = {
    covarianceType,
    nComponents: k,
    nFeatures: d,
    weights,
    means,
    covariances,
    precisionsCholesky,
    weightConcentration,
    meanPrecision,
    degreesOfFreedom,
  };
  return { ...params, logWeights: eStepLogWeights(params, priors.weightConcentrationPriorType) };
}

/** E[log π_k] (sklearn's _estimate_log_weights). */
function expectedLogWeights(
  weightConcentration: Float64Array,
  type: WeightConcentrationPriorType,
  k: number,
): Float64Array {
  const out = new Float64Array(k);
  if (type === 'dirichlet_process') {
    let previous = 0;
    for (let c = 0; c < k; c++) {
      const a = weightConcentration[c] as number;
      const b = weightConcentration[k + c] as number;
      const sum = digamma(a + b);
      out[c] = digamma(a) - sum + previous;
      previous += digamma(b) - sum;
    }
  } else {
    let total = 0;
    for (const a of weightConcentration) total += a;
    const sum = digamma(total);
    for (let c = 0; c < k; c++) out[c] = digamma(weightConcentration[c] as number) - sum;
  }
  return out;
}

/**
 * Per-component terms the E-step adds to the Gaussian log-density at (means,
 * precisionsCholesky) in place of log w_k (sklearn's _estimate_log_prob + _estimate_log_weights):
 * E[log π_k] − D/2·log ν_k + ½·(D·log 2 + Σ_{i<D} ψ((ν_k − i)/2) − D/β_k).
 */
export function eStepLogWeights(
  params: Omit<BayesianParams, 'logWeights'>,
  type: WeightConcentrationPriorType,
): Float64Array {
  const { nComponents: k, nFeatures: d, degreesOfFreedom, meanPrecision } = params;
  const logWeights = expectedLogWeights(params.weightConcentration, type, k);
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const nu = (degreesOfFreedom.length === 1 ? degreesOfFreedom[0] : degreesOfFreedom[c]) as number;
    let logLambda = d * Math.LN2;
    for (let i = 0; i < d; i++) logLambda += digamma(0.5 * (nu - i));
    out[c] = (logWeights[c] as number) - 0.5 * d * Math.log(nu) + 0.5 * (logLambda - d / (meanPrecision[c] as number));
  }
  return out;
}

/** sklearn's _log_wishart_norm for one ν (the log(π) term removed, as sklearn does). */
function logWishartNorm(nu: number, logDetPrecisionsChol: number, d: number): number {
  let g = 0;
  for (let i = 0; i < d; i++) g += gammaln(0.5 * (nu - i));
  return -(nu * logDetPrecisionsChol + nu * d * 0.5 * Math.LN2 + g);
}

/**
 * The variational lower bound (sklearn's _compute_lower_bound) at the parameters after an
 * M-step, given Σ w·Σ_k r·log r of the E-step before it.
 */
export function bayesianLowerBound(
  params: BayesianParams,
  type: WeightConcentrationPriorType,
  sumRespLogResp: number,
): number {
  const { covarianceType, nComponents: k, nFeatures: d, degreesOfFreedom } = params;
  const logDet = COVARIANCE_MODELS[covarianceType].logDetCholesky(params.precisionsCholesky, k, d);
  let logWishart = 0;
  if (variationalCovariance(covarianceType).sharedDegreesOfFreedom) {
    const nu = degreesOfFreedom[0] as number;
    logWishart = k * logWishartNorm(nu, (logDet[0] as number) - 0.5 * d * Math.log(nu), d);
  } else {
    for (let c = 0; c < k; c++) {
      const nu = degreesOfFreedom[c] as number;
      logWishart += logWishartNorm(nu, (logDet[c] as number) - 0.5 * d * Math.log(nu), d);
    }
  }
  let logNormWeight: number;
  const wc = params.weightConcentration;
  if (type === 'dirichlet_process') {
    logNormWeight = 0;
    for (let c = 0; c < k; c++) logNormWeight -= betaln(wc[c] as number, wc[k + c] as number);
  } else {
    let total = 0;
    let sumGammaln = 0;
    for (const a of wc) {
      total += a;
      sumGammaln += gammaln(a);
    }
    logNormWeight = gammaln(total) - sumGammaln;
  }
  let logMeanPrecision = 0;
  for (const b of params.meanPrecision) logMeanPrecision += Math.log(b);
  return -sumRespLogResp - logWishart - logNormWeight - 0.5 * d * logMeanPrecision;
}
