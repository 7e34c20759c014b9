// The estimator: scikit-learn 1.2's BayesianGaussianMixture in camelCase, on the CPU or WebGPU
// engine. The E-step is the Gaussian one with per-component log weights (src/model/bayesian.ts),
// so both engines run it unchanged; the priors, the M-step and the variational lower bound are
// float64 on the host. Fitted fields as sklearn's, plus the resolved priors; toJSON/fromJSON.

import type { LoadedData } from './backend.ts';
import { BaseMixture, type FitOptions, type InitRequest, type MixtureJSONCommon } from './base-mixture.ts';
import {
  resolveBayesianOptions,
  type BayesianGaussianMixtureOptions,
  type ResolvedBayesianOptions,
} from './bayesian-options.ts';
import type { EmModel } from './em.ts';
import { initialStatistics } from './init/initialize.ts';
import { timesPowerOfTwo, type Dataset, type MatrixInput } from './matrix.ts';
import { flattenParameter, nest } from './model/arrays.ts';
import {
  bayesianLowerBound,
  estimateVariationalParameters,
  eStepLogWeights,
  resolvePriors,
  variationalCovariance,
  type BayesianParams,
  type BayesianPriors,
  type DataMoments,
  type WeightConcentrationPriorType,
} from './model/bayesian.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { choleskyLower } from './model/linalg.ts';
import { BAYESIAN_FORMAT, validateBayesianJson } from './model/validate-bayesian-json.ts';
import { EmgpuInputError, type Nested } from './options.ts';
import type { PartialFitOptions } from './online.ts';
import { scaleStats } from './sufficient-stats.ts';
import type { ChunkSource, StreamFitOptions } from './stream.ts';
import { InternalError } from './errors.ts';

/** The model as JSON: sklearn's attribute names in camelCase and sklearn's shapes. */
export interface BayesianGaussianMixtureJSON extends MixtureJSONCommon {
  readonly format: typeof BAYESIAN_FORMAT;
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  /** dirichlet_distribution: K values; dirichlet_process: the two Beta parameter arrays. */
  readonly weightConcentration: number[] | [number[], number[]];
  readonly meanPrecision: number[];
  /** K values; one number for tied. */
  readonly degreesOfFreedom: number[] | number;
  readonly priors: {
    readonly weightConcentrationPrior: number;
    readonly meanPrecisionPrior: number;
    readonly meanPrior: number[];
    readonly degreesOfFreedomPrior: number;
    readonly covariancePrior: Nested;
  };
}

/** The largest |meanPrior| value: the M-step squares its distance to the data. */
export const MEAN_PRIOR_LIMIT = 1e150;

export class BayesianGaussianMixture extends BaseMixture<BayesianParams, ResolvedBayesianOptions> {
  protected readonly estimatorName = 'BayesianGaussianMixture';
  private fittedPriors: BayesianPriors | null = null;
  /** Priors of the fit in progress. */
  private currentPriors: BayesianPriors | null = null;

  constructor(options: BayesianGaussianMixtureOptions = {}) {
    super(resolveBayesianOptions(options));
  }

  // ---- fitted attributes (besides BaseMixture's) --------------------------------------------

  get weightConcentrationPriorType(): WeightConcentrationPriorType {
    return this.options.weightConcentrationPriorType;
  }
  /** dirichlet_distribution: α_k (K values); dirichlet_process: the two Beta parameter arrays. */
  get weightConcentration(): Float64Array | [Float64Array, Float64Array] {
    const wc = this.state.params.weightConcentration;
    const k = this.state.params.nComponents;
    return this.options.weightConcentrationPriorType === 'dirichlet_process'
      ? [wc.slice(0, k), wc.slice(k)]
      : Float64Array.from(wc);
  }
  /** β_k, K values. */
  get meanPrecision(): Float64Array {
    return Float64Array.from(this.state.params.meanPrecision);
  }
  /** ν_k: K values (tied: one). */
  get degreesOfFreedom(): Float64Array {
    return Float64Array.from(this.state.params.degreesOfFreedom);
  }
  /** The priors the fit used, defaults resolved (sklearn's weight_concentration_prior_, mean_prior_, …). */
  get priors(): BayesianPriors {
    void this.state;
    return this.fittedPriors as BayesianPriors;
  }

  // ---- fitting ----------------------------------------------------------------------------

  /** The data's mean and covariance (ddof = 1), weighted, in the weights' own units. */
  private async dataMoments(data: LoadedData, dataset: Dataset): Promise<DataMoments> {
    const d = data.cols;
    const origin = await data.assign(new Float64Array(d), 1, null);
    const s0 = origin.stats.sumResp[0] as number;
    const mean = new Float64Array(d);
    for (let a = 0; a < d; a++) mean[a] = (origin.stats.sumDiff[a] as number) / s0;
    const about = await data.assign(mean, 1, 'full');
    const scale = 2 ** -dataset.weightExponent;
    const n = (about.stats.sumResp[0] as number) * scale;
    const covariance = new Float64Array(d * d);
    // Σ w·(x − m)(x − m)ᵀ about the exact weighted mean: s2 − s1·s1ᵀ / s0 about the shift.
    const s1 = about.stats.sumDiff;
    const n0 = about.stats.sumResp[0] as number;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const scatter =
          ((about.stats.sumOuter[a * d + b] as number) - ((s1[a] as number) * (s1[b] as number)) / n0) * scale;
        covariance[a * d + b] = scatter / (n - 1);
      }
    }
    // The sums were taken about the engine's own (float32-rounded) shift.
    for (let a = 0; a < d; a++) mean[a] = (about.stats.shifts[a] as number) + (s1[a] as number) / n0;
    return { mean, covariance };
  }

  /** The user's priors in flat form, checked against D (sklearn's _check_parameters). */
  private userPriors(d: number): {
    meanPrior: Float64Array | null;
    covariancePrior: Float64Array | null;
    degreesOfFreedomPrior: number | null;
  } {
    const o = this.options;
    const type = o.covarianceType;
    const meanPrior = o.meanPrior === null ? null : flattenParameter('meanPrior', o.meanPrior, [d]);
    // The M-step squares (mean − meanPrior): beyond ±1e150 that overflows float64 and every
    // covariance comes out ill-defined, which would blame the data.
    meanPrior?.forEach((v, j) => {
      if (!(Math.abs(v) <= MEAN_PRIOR_LIMIT))
        throw new EmgpuInputError(
          `Option meanPrior[${j}] is ${v}; each value must be within ±${MEAN_PRIOR_LIMIT} (its square must stay within float64's range): scale the data and the prior down together.`,
        );
    });
    if (o.degreesOfFreedomPrior !== null && !(o.degreesOfFreedomPrior > d - 1)) {
      throw new EmgpuInputError(
        `Option degreesOfFreedomPrior must be greater than D − 1 = ${d - 1}, got ${o.degreesOfFreedomPrior}.`,
      );
    }
    let covariancePrior: Float64Array | null = null;
    if (o.covariancePrior !== null) {
      const raw = o.covariancePrior;
      const shape = variationalCovariance(type).priorShape(d);
      if (shape.length === 0) {
        covariancePrior =
          typeof raw === 'number' ? Float64Array.of(raw) : flattenParameter('covariancePrior', raw, [1]);
      } else {
        if (typeof raw === 'number')
          throw new EmgpuInputError(
            `Option covariancePrior must be ${shape.length === 1 ? `${d} values` : `a ${d} × ${d} matrix`} for covarianceType '${type}', got a number.`,
          );
        covariancePrior = flattenParameter('covariancePrior', raw, shape);
      }
      if (shape.length === 2) {
        for (let i = 0; i < d; i++)
          for (let j = 0; j < i; j++) {
            if (
              Math.abs((covariancePrior[i * d + j] as number) - (covariancePrior[j * d + i] as number)) >
              1e-8 * Math.max(1, Math.abs(covariancePrior[i * d + j] as number))
            ) {
              throw new EmgpuInputError(
                `Option covariancePrior is not symmetric (entry ${i},${j} differs from ${j},${i}).`,
              );
            }
          }
        if (!choleskyLower(covariancePrior, 0, d, new Float64Array(d * d), 0))
          throw new EmgpuInputError(
            'Option covariancePrior is not positive definite; it must be a symmetric positive definite matrix.',
          );
      } else if (!covariancePrior.every((v) => v > 0)) {
        throw new EmgpuInputError('Option covariancePrior must be > 0 everywhere.');
      }
    }
    return { meanPrior, covariancePrior, degreesOfFreedomPrior: o.degreesOfFreedomPrior };
  }

  protected override async beforeFit(data: LoadedData, dataset: Dataset): Promise<void> {
    const o = this.options;
    const d = data.cols;
    const user = this.userPriors(d);
    const moments =
      user.meanPrior !== null && user.covariancePrior !== null
        ? { mean: new Float64Array(d), covariance: new Float64Array(d * d) }
        : await this.dataMoments(data, dataset);
    this.currentPriors = resolvePriors(
      {
        weightConcentrationPriorType: o.weightConcentrationPriorType,
        weightConcentrationPrior: o.weightConcentrationPrior,
        meanPrecisionPrior: o.meanPrecisionPrior,
        meanPrior: user.meanPrior,
        degreesOfFreedomPrior: user.degreesOfFreedomPrior,
        covariancePrior: user.covariancePrior,
      },
      moments,
      o.covarianceType,
      o.nComponents,
      d,
    );
  }

  private get activePriors(): BayesianPriors {
    if (this.currentPriors === null) throw new InternalError('the priors were not resolved before the fit');
    return this.currentPriors;
  }

  protected async initialParams(data: LoadedData, request: InitRequest): Promise<BayesianParams> {
    const o = this.options;
    const stats =
      request.responsibilities ??
      (await initialStatistics(data, {
        covarianceType: o.covarianceType,
        nComponents: o.nComponents,
        method: o.initParams,
        seed: request.seed,
        hcSubset: o.hcSubset,
        throwIfAborted: this.throwIfAborted,
        onProgress: (m) => this.progress(m),
      }));
    // In the units of the caller's weights: the engines see them scaled by 2^e, and the priors are not scale-free.
    return estimateVariationalParameters(
      scaleStats(stats, -request.dataset.weightExponent),
      o.covarianceType,
      o.regCovar,
      this.activePriors,
    );
  }

  /** The M-step and bound with these priors, for statistics of weights scaled by 2^weightExponent. */
  private modelWith(priors: BayesianPriors, weightExponent: number): EmModel<BayesianParams> {
    const o = this.options;
    return {
      maximize: (stats) =>
        estimateVariationalParameters(scaleStats(stats, -weightExponent), o.covarianceType, o.regCovar, priors),
      lowerBound: (stats, next) =>
        bayesianLowerBound(
          next,
          o.weightConcentrationPriorType,
          timesPowerOfTwo(stats.sumRespLogResp, -weightExponent),
        ),
    };
  }

  protected emModel(weightExponent: number): EmModel<BayesianParams> {
    return this.modelWith(this.activePriors, weightExponent);
  }

  /** The statistics API's M-step uses the fitted model's priors (from fit or fromJSON). */
  protected override statisticsModel(weightExponent: number): EmModel<BayesianParams> {
    return this.modelWith(this.priors, weightExponent);
  }

  /** Fits the model to X (N x D). Resolves to this. (A chunk source is refused: the priors come from the whole table.) */
  override async fit(X: MatrixInput | ChunkSource, fitOptions: FitOptions | StreamFitOptions = {}): Promise<this> {
    await super.fit(X as MatrixInput, fitOptions as FitOptions);
    this.fittedPriors = this.currentPriors;
    return this;
  }

  override async fitPredict(
    ...args: Parameters<BaseMixture<BayesianParams, ResolvedBayesianOptions>['fitPredict']>
  ): Promise<Int32Array> {
    const labels = await super.fitPredict(...args);
    this.fittedPriors = this.currentPriors;
    return labels;
  }

  /**
   * Online EM is GaussianMixture's: this always rejects with an EmgpuInputError. The variational
   * M-step weighs its priors against the number of rows behind the statistics, which online EM's
   * running averages per unit weight do not have.
   */
  partialFit(_X: MatrixInput, _options: PartialFitOptions = {}): Promise<never> {
    return Promise.reject(
      new EmgpuInputError(
        "Online EM (partialFit) is for GaussianMixture only, since BayesianGaussianMixture's M-step weighs its priors against a number of rows that online EM's running averages do not keep; use GaussianMixture.partialFit, or fit the Bayesian model on all the data (in parts with statistics / mergeStatistics / mStep).",
      ),
    );
  }

  // ---- serialisation ----------------------------------------------------------------------

  toJSON(): BayesianGaussianMixtureJSON {
    const s = this.state;
    const p = s.params;
    const priors = this.priors;
    const k = p.nComponents;
    const d = p.nFeatures;
    const shape = COVARIANCE_MODELS[p.covarianceType].shape(k, d);
    const variational = variationalCovariance(p.covarianceType);
    const priorShape = variational.priorShape(d);
    const o = this.options;
    const wc = p.weightConcentration;
    return {
      format: BAYESIAN_FORMAT,
      version: 1,
      covarianceType: p.covarianceType,
      nComponents: k,
      nFeatures: d,
      weights: Array.from(p.weights),
      means: nest(p.means, [k, d]) as number[][],
      covariances: nest(p.covariances, shape),
      precisionsCholesky: nest(p.precisionsCholesky, shape),
      weightConcentrationPriorType: o.weightConcentrationPriorType,
      weightConcentration:
        o.weightConcentrationPriorType === 'dirichlet_process'
          ? [Array.from(wc.subarray(0, k)), Array.from(wc.subarray(k))]
          : Array.from(wc),
      meanPrecision: Array.from(p.meanPrecision),
      degreesOfFreedom: variational.sharedDegreesOfFreedom
        ? (p.degreesOfFreedom[0] as number)
        : Array.from(p.degreesOfFreedom),
      priors: {
        weightConcentrationPrior: priors.weightConcentrationPrior,
        meanPrecisionPrior: priors.meanPrecisionPrior,
        meanPrior: Array.from(priors.meanPrior),
        degreesOfFreedomPrior: priors.degreesOfFreedomPrior,
        covariancePrior:
          priorShape.length === 0 ? (priors.covariancePrior[0] as number) : nest(priors.covariancePrior, priorShape),
      },
      ...this.fitStateJSON(),
    };
  }

  /** Rebuilds a fitted model from toJSON() output (exact round trip); every field is checked first. */
  static fromJSON(
    json: unknown,
    options: Omit<
      BayesianGaussianMixtureOptions,
      'nComponents' | 'covarianceType' | 'weightConcentrationPriorType'
    > = {},
  ): BayesianGaussianMixture {
    const m = validateBayesianJson(json);
    const { covarianceType, nComponents: k, nFeatures: d } = m;
    const gm = new BayesianGaussianMixture({
      ...m.options,
      ...options,
      nComponents: k,
      covarianceType,
      weightConcentrationPriorType: m.weightConcentrationPriorType,
    });
    const covariances =
      m.covariances ?? COVARIANCE_MODELS[covarianceType].covariancesFromPrecisionCholesky(m.precisionsCholesky, k, d);
    const base = {
      covarianceType,
      nComponents: k,
      nFeatures: d,
      weights: m.weights,
      means: m.means,
      covariances,
      precisionsCholesky: m.precisionsCholesky,
      weightConcentration: m.weightConcentration,
      meanPrecision: m.meanPrecision,
      degreesOfFreedom: m.degreesOfFreedom,
    };
    const params: BayesianParams = { ...base, logWeights: eStepLogWeights(base, m.weightConcentrationPriorType) };
    gm.fitted = {
      params,
      converged: m.converged,
      nIter: m.nIter,
      lowerBound: m.lowerBound,
      lowerBounds: m.lowerBounds,
      backendName: m.backend,
      warnings: [],
    };
    gm.fittedPriors = m.priors;
    return gm;
  }
}
