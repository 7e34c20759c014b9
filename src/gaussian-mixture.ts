// The estimator: scikit-learn's GaussianMixture in camelCase, on the CPU or WebGPU engine. The
// fit and everything done with a fitted model live in BaseMixture; this adds the Gaussian
// mixture's start (an init method, or weightsInit / meansInit / precisionsInit), BIC / AIC and
// the model JSON.

import type { LoadedData } from './backend.ts';
import {
  BaseMixture,
  emptyComponents,
  type FitOptions,
  type InitRequest,
  type MixtureJSONCommon,
} from './base-mixture.ts';
import { estimateGaussianMixture, gaussianModel, type EmModel, type FittedParams } from './em.ts';
import { initializeParameters, type UserInit } from './init/initialize.ts';
import { toSampleWeight, weightExponentFor, type MatrixInput } from './matrix.ts';
import { flattenParameter, nest } from './model/arrays.ts';
import { COVARIANCE_MODELS, nParameters } from './model/covariance.ts';
import { validateModelJson } from './model/validate-json.ts';
import { advance, type OnlineState, type PartialFitOptions } from './online.ts';
import { freshSeed, Random } from './random.ts';
import { momentsFor, scaleStats } from './sufficient-stats.ts';
import { mixtureCriteria, summarise, uncertaintyOf, type MixtureSummary } from './summary.ts';
import {
  EmgpuInputError,
  resolveOptions,
  type GaussianMixtureOptions,
  type MissingMode,
  type ResolvedOptions,
} from './options.ts';
import { jobOf, onEngine, prepareInput, withInput } from './engine-session.ts';

export type { FitOptions, SampleResult } from './base-mixture.ts';
export { nest } from './model/arrays.ts';
export type { PartialFitOptions } from './online.ts';

/** The model as JSON: sklearn's attribute names in camelCase and sklearn's nested shapes. */
export interface GaussianMixtureJSON extends MixtureJSONCommon {
  readonly format: 'emgpu-gaussian-mixture';
}

export class GaussianMixture extends BaseMixture<FittedParams, ResolvedOptions> {
  protected readonly estimatorName = 'GaussianMixture';

  protected override missingMode(): MissingMode {
    return this.options.missing;
  }
  /** Online EM's running statistics (partialFit), or null before the first batch. */
  private online: OnlineState | null = null;
  private partialFitRunning = false;

  constructor(options: GaussianMixtureOptions = {}) {
    super(resolveOptions(options));
  }

  private userInit(d: number): UserInit {
    const { nComponents: k, covarianceType, weightsInit, meansInit, precisionsInit } = this.options;
    let weights: Float64Array | null = null;
    if (weightsInit !== null) {
      weights = flattenParameter('weightsInit', weightsInit, [k]);
      let sum = 0;
      for (const w of weights) {
        if (w < 0 || w > 1) throw new EmgpuInputError(`Option weightsInit must lie in [0, 1], got ${w}.`);
        sum += w;
      }
      if (Math.abs(1 - sum) > 1e-8) {
        throw new EmgpuInputError(`Option weightsInit must sum to 1, but sums to ${sum.toPrecision(8)}; normalise it.`);
      }
    }
    const means = meansInit === null ? null : flattenParameter('meansInit', meansInit, [k, d]);
    let precisions: Float64Array | null = null;
    if (precisionsInit !== null) {
      const model = COVARIANCE_MODELS[covarianceType];
      precisions = flattenParameter('precisionsInit', precisionsInit, model.shape(k, d));
      if (model.form === 'full' || model.form === 'tied') {
        const count = model.form === 'full' ? k : 1;
        for (let c = 0; c < count; c++) {
          for (let i = 0; i < d; i++) {
            for (let j = 0; j < i; j++) {
              const a = precisions[c * d * d + i * d + j] as number;
              const b = precisions[c * d * d + j * d + i] as number;
              if (Math.abs(a - b) > 1e-8 * Math.max(1, Math.abs(a), Math.abs(b))) {
                throw new EmgpuInputError(
                  `Option precisionsInit${model.form === 'full' ? `[${c}]` : ''} is not symmetric (entry ${i},${j} is ${a} but ${j},${i} is ${b}).`,
                );
              }
            }
          }
        }
      }
      try {
        model.precisionCholeskyFromPrecisions(precisions, k, d);
      } catch {
        throw new EmgpuInputError(
          `Option precisionsInit is not positive definite; every precision must be symmetric positive definite (diag/spherical: every value > 0).`,
        );
      }
    }
    return { weights, means, precisions };
  }

  protected initialParams(data: LoadedData, request: InitRequest): Promise<FittedParams> {
    const opts = this.options;
    return initializeParameters(
      data,
      {
        covarianceType: opts.covarianceType,
        nComponents: opts.nComponents,
        regCovar: opts.regCovar,
        method: opts.initParams,
        seed: request.seed,
        hcSubset: opts.hcSubset,
        user: this.userInit(data.cols),
        throwIfAborted: this.throwIfAborted,
        onProgress: (m) => this.progress(m),
      },
      request.responsibilities,
    );
  }

  protected emModel(_weightExponent: number): EmModel<FittedParams> {
    return gaussianModel(this.options.covarianceType, this.options.regCovar);
  }

  /** Free parameters of the model. */
  nParameters(): number {
    const p = this.state.params;
    return nParameters(p.covarianceType, p.nComponents, p.nFeatures);
  }

  /** Bayesian information criterion: −2·N·score + p·ln N. */
  async bic(X: MatrixInput, fitOptions: FitOptions = {}): Promise<number> {
    const { score, n } = await this.scoreAndCount(X, fitOptions);
    return -2 * score * n + this.nParameters() * Math.log(n);
  }

  /**
   * BIC, AIC and ICL of X, and its mean log-likelihood, from one evaluate pass at the fitted
   * parameters on the engine (reusing X loaded by the fit), computed by mixtureCriteria
   * (src/summary.ts): ICL is mclust's, BIC − 2·Σ w·log max_k z_k; smaller is better.
   */
  async criteria(
    X: MatrixInput,
    fitOptions: FitOptions = {},
  ): Promise<{ bic: number; aic: number; icl: number; score: number; n: number }> {
    const { logLik, proba, weights } = await this.rowsAndWeights(X, fitOptions);
    const c = mixtureCriteria(this.nParameters(), logLik, proba, this.state.params.nComponents, weights);
    return { bic: c.bic, aic: c.aic, icl: c.icl, score: c.score, n: c.n };
  }

  /**
   * mclust's summary() of the model on X: its mclust name, log-likelihood, n, df, BIC, ICL (mclust's
   * hard-classification ICL), mixing proportions and the MAP cluster sizes (src/summary.ts).
   */
  async summary(X: MatrixInput, fitOptions: FitOptions = {}): Promise<MixtureSummary> {
    const { logLik, proba, weights } = await this.rowsAndWeights(X, fitOptions);
    return summarise({ ...this.state.params, df: this.nParameters() }, logLik, proba, weights);
  }

  /** Each row's log p(x) and responsibilities in one pass over X, and the sample weights checked. */
  private async rowsAndWeights(
    X: MatrixInput,
    fitOptions: FitOptions,
  ): Promise<{ logLik: Float64Array; proba: Float64Array; weights: Float64Array | null }> {
    const { logLik, proba } = await this.evaluate(X, { logLik: true, proba: true });
    const rows = (logLik as Float64Array).length;
    return {
      logLik: logLik as Float64Array,
      proba: proba as Float64Array,
      weights: toSampleWeight(fitOptions.sampleWeight, rows),
    };
  }

  /** Classification uncertainty of each row: 1 − its largest posterior probability (mclust's uncertainty). */
  async uncertainty(X: MatrixInput): Promise<Float64Array> {
    return uncertaintyOf(await this.predictProba(X), this.state.params.nComponents);
  }

  /** Akaike information criterion: −2·N·score + 2p. */
  async aic(X: MatrixInput, fitOptions: FitOptions = {}): Promise<number> {
    const { score, n } = await this.scoreAndCount(X, fitOptions);
    return -2 * score * n + 2 * this.nParameters();
  }

  // ---- online EM --------------------------------------------------------------------------

  /** Online EM's state when it belongs to the current fitted model (a fit, mStep or fromJSON since starts afresh). */
  private get onlineState(): OnlineState | null {
    return this.online !== null && this.fitted !== null && this.online.model === this.fitted ? this.online : null;
  }

  /** Batches taken by online EM (partialFit) since it started on this model; 0 before. */
  get nBatches(): number {
    return this.onlineState?.batches ?? 0;
  }

  /** Rows of those batches (zero-weight rows included); 0 before. */
  get nSeen(): number {
    return this.onlineState?.rows ?? 0;
  }

  /** γ_t with which the last batch entered online EM's statistics; null during the burn-in and before. */
  get stepSize(): number | null {
    return this.onlineState?.stepSize ?? null;
  }

  /**
   * Online EM (stepwise EM, Cappé & Moulines 2009): takes one batch of rows. The batch's E-step
   * statistics under the current parameters, per unit weight (s̄), enter the running
   * statistics s as s ← s + γ_t·(s̄ − s) with γ_t = (t + 2)^(−stepDecay) for batch t (from 0);
   * the first `burnIn` batches are summed instead, under the starting parameters. After the
   * burn-in and after every later batch the parameters become fit's float64 M-step of s.
   *
   * Starts from the fitted model (fit, fromJSON, mStep), or, unfitted, initialises on the first
   * batch with the configured initParams (or weightsInit / meansInit / precisionsInit) and
   * randomState, as fit would on that batch; nInit, maxIter, tol and warmStart are not used.
   * A later fit, mStep or fromJSON model starts online EM afresh from its parameters.
   *
   * Afterwards lowerBound is the batch's mean log-likelihood under the parameters it was
   * scored with (before this batch's M-step, as fit's lags), lowerBounds has one entry per
   * batch, nIter counts M-steps, converged is false (online EM has no stopping rule), nBatches
   * and nSeen count batches and rows. Calls must not overlap: await each before the next.
   * The same seed and batch sequence give the same model, bit for bit, on the same engine.
   */
  async partialFit(X: MatrixInput, options: PartialFitOptions = {}): Promise<this> {
    this.throwIfAborted();
    if (options === null || typeof options !== 'object')
      throw new EmgpuInputError(
        `The partialFit options must be an object such as { sampleWeight }, got ${String(options)}.`,
      );
    if (this.partialFitRunning) {
      throw new EmgpuInputError(
        'partialFit is already running on this model; await each call before passing the next batch (online EM takes batches in order).',
      );
    }
    this.partialFitRunning = true;
    try {
      await this.partialFitBatch(X, options);
    } finally {
      this.partialFitRunning = false;
    }
    return this;
  }

  private async partialFitBatch(X: MatrixInput, options: PartialFitOptions): Promise<void> {
    const opts = this.options;
    const input = prepareInput(X, {
      missing: 'error',
      sampleWeight: options.sampleWeight,
      checkValues: true,
      cache: false,
    });
    const { matrix, weights, dataset } = input;
    const current = this.fitted;
    const k = opts.nComponents;
    if (current === null) {
      if (matrix.rows < k) {
        throw new EmgpuInputError(
          `The first batch has ${matrix.rows} rows but nComponents is ${k}; online EM initialises on the first batch, so give it at least ${k} rows (or start from a fitted model).`,
        );
      }
      if (weights !== null && weights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0) < k) {
        throw new EmgpuInputError(
          `The first batch has fewer than ${k} rows with a positive weight but nComponents is ${k}; online EM initialises on the first batch, so give at least ${k} of its rows a positive weight.`,
        );
      }
    } else if (matrix.cols !== current.params.nFeatures) {
      throw new EmgpuInputError(
        `The batch has ${matrix.cols} columns but the model has ${current.params.nFeatures} features; pass batches with ${current.params.nFeatures} columns.`,
      );
    }
    const state = this.onlineState;
    // The seed of fit's first initialisation, so that the first batch starts as fit on it would.
    const seed = current === null ? new Random(opts.randomState ?? freshSeed()).nextSeed() : 0;
    const { start, engineStats, backend } = await onEngine(
      jobOf(input, k, opts.covarianceType),
      this.engineChoice,
      (backend) => {
        if (state === null) this.progress(`online EM on ${backend.description}`);
        return withInput(backend, input, 'fit', async (data) => {
          const start =
            current === null
              ? await this.initialParams(data, { seed, responsibilities: null, dataset })
              : current.params;
          this.throwIfAborted();
          return { start, engineStats: await data.eStep(start, momentsFor(opts.covarianceType)), backend };
        });
      },
    );
    this.throwIfAborted();
    // In the caller's weight units (the engine saw them scaled by a power of two).
    const batch = scaleStats(engineStats, -dataset.weightExponent);
    const next = advance(state, batch, matrix.rows, { stepDecay: opts.stepDecay, burnIn: opts.burnIn });
    const sums = next.state.sums;
    // fit's M-step, on the sums scaled as fit would scale weights W over the burn-in's rows.
    const params = next.mStepDue
      ? estimateGaussianMixture(
          scaleStats(sums, weightExponentFor(sums.totalWeight, next.state.burnInRows)),
          opts.covarianceType,
          opts.regCovar,
          start.covariances,
        )
      : start;
    const lowerBound = batch.sumLogLik / batch.totalWeight;
    const empty = emptyComponents(params);
    const warnings =
      empty.length === 0
        ? []
        : [
            `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${k} ended with no weight in online EM; lower nComponents or use larger batches.`,
          ];
    const previousWarnings = current?.warnings ?? [];
    // One entry per batch; while online EM continues, its own array grows in place (copied
    // once when it starts), so a long stream of batches stays linear.
    const lowerBounds = state !== null && current !== null ? current.lowerBounds : [...(current?.lowerBounds ?? [])];
    lowerBounds.push(lowerBound);
    this.fitted = {
      params,
      lowerBound,
      lowerBounds,
      nIter: (current?.nIter ?? 0) + (next.mStepDue ? 1 : 0),
      converged: false,
      backendName: backend.description,
      warnings,
    };
    this.online = { ...next.state, model: this.fitted };
    for (const warning of warnings) if (!previousWarnings.includes(warning)) this.options.onWarning?.(warning);
  }

  // ---- serialisation ----------------------------------------------------------------------

  toJSON(): GaussianMixtureJSON {
    const s = this.state;
    const p = s.params;
    const model = COVARIANCE_MODELS[p.covarianceType];
    const shape = model.shape(p.nComponents, p.nFeatures);
    return {
      format: 'emgpu-gaussian-mixture',
      version: 1,
      covarianceType: p.covarianceType,
      nComponents: p.nComponents,
      nFeatures: p.nFeatures,
      weights: Array.from(p.weights),
      means: nest(p.means, [p.nComponents, p.nFeatures]) as number[][],
      covariances: nest(p.covariances, shape),
      precisionsCholesky: nest(p.precisionsCholesky, shape),
      ...this.fitStateJSON(),
    };
  }

  /**
   * Rebuilds a fitted model from toJSON() output (exact round trip). Every field is checked
   * first (validateModelJson): a model that would predict NaN is refused with an EmgpuInputError
   * naming the field.
   */
  static fromJSON(
    json: unknown,
    options: Omit<GaussianMixtureOptions, 'nComponents' | 'covarianceType'> = {},
  ): GaussianMixture {
    const m = validateModelJson(json);
    const { covarianceType, nComponents: k, nFeatures: d, weights, means, precisionsCholesky } = m;
    const covariances =
      m.covariances ?? COVARIANCE_MODELS[covarianceType].covariancesFromPrecisionCholesky(precisionsCholesky, k, d);
    const gm = new GaussianMixture({ ...m.options, ...options, nComponents: k, covarianceType });
    const params: FittedParams = {
      covarianceType,
      nComponents: k,
      nFeatures: d,
      weights,
      means,
      precisionsCholesky,
      covariances,
    };
    gm.fitted = {
      params,
      converged: m.converged,
      nIter: m.nIter,
      lowerBound: m.lowerBound,
      lowerBounds: m.lowerBounds,
      backendName: m.backend,
      warnings: [],
    };
    return gm;
  }
}
