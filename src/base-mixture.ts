// What every mixture estimator shares (sklearn's BaseMixture), read as one fit path: X checked
// and loaded onto an engine, nInit initialisations of the EM loop (src/em.ts), the best run kept;
// then what a fitted model does: predict, predictProba, scoreSamples, score, sample, and the
// statistics API (statistics, mStep). A subclass brings its initial parameters and its EmModel
// (M-step and lower bound): GaussianMixture and BayesianGaussianMixture. Off the path, in
// src/estimator/: the checks of X and the fit options (fit-input.ts), a fit on a chunk source
// (stream-fit.ts), the fitted state, warnings, JSON fields and samples (fitted.ts), and the
// statistics API's step (statistics-step.ts).

import type { Backend, EvaluateRequest, EvaluateResult, LoadedData } from './backend.ts';
import { runEm, type EmModel, type EmRunResult, type FittedParams } from './em.ts';
import { jobOf, onEngine, withFittedInput, withInput, type EngineChoice } from './engine-session.ts';
import { abortErrorOf } from './errors.ts';
import { prepareFit, type FitOptions } from './estimator/fit-input.ts';
import {
  drawSamples,
  fitStateJSON,
  fitWarnings,
  meanLogLikelihood,
  type FitStateJSON,
  type Fitted,
  type SampleResult,
} from './estimator/fitted.ts';
import { statisticsJSON, statisticsRequest, statisticsStep, type EStepRun } from './estimator/statistics-step.ts';
import { fitChunkSource } from './estimator/stream-fit.ts';
import { toSampleWeight, type Dataset, type MatrixInput } from './matrix.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { EmgpuInputError, type CovarianceType, type MissingMode, type ResolvedBaseOptions } from './options.ts';
import { freshSeed, Random } from './random.ts';
import { isChunkSource, type ChunkSource, type StreamFitOptions } from './stream.ts';
import { momentsFor, type SufficientStats } from './sufficient-stats.ts';
import type {
  MixtureStatistics,
  MStepOptions,
  MStepResult,
  StatisticsEstimator,
  StatisticsOptions,
} from './statistics-api.ts';

export type { FitOptions } from './estimator/fit-input.ts';
export { emptyComponents, type Fitted, type MixtureJSONCommon, type SampleResult } from './estimator/fitted.ts';

/** How one initialisation starts: its seed, and the caller's responsibilities (as statistics) if any. */
export interface InitRequest {
  readonly seed: number;
  readonly responsibilities: SufficientStats | null;
  readonly dataset: Dataset;
}

export abstract class BaseMixture<P extends FittedParams, O extends ResolvedBaseOptions> {
  protected fitted: Fitted<P> | null = null;

  protected constructor(readonly options: O) {}

  /** The estimator's name in messages and statistics ('GaussianMixture'). */
  protected abstract readonly estimatorName: StatisticsEstimator;

  /** What a NaN in X does: refused ('error'), or a missing value ('marginalize'; GaussianMixture's `missing` option). */
  protected missingMode(): MissingMode {
    return 'error';
  }

  /** Which engine runs this estimator's calls, and where a restart after a lost device is told. */
  protected get engineChoice(): EngineChoice {
    return {
      backend: this.options.backend,
      cpuThreads: this.options.cpuThreads,
      onProgress: (message) => this.progress(message),
    };
  }

  /** Per-fit preparation on the loaded data (the Bayesian model resolves its priors from the data). */
  protected async beforeFit(_data: LoadedData, _dataset: Dataset): Promise<void> {}

  /** Parameters to start one initialisation's EM from. */
  protected abstract initialParams(data: LoadedData, request: InitRequest): Promise<P>;

  /** The model's M-step and lower bound for this fit, for statistics of weights scaled by 2^weightExponent. */
  protected abstract emModel(weightExponent: number): EmModel<P>;

  /** The M-step and lower bound mStep applies to a fitted model (the fit's, by default). */
  protected statisticsModel(weightExponent: number): EmModel<P> {
    return this.emModel(weightExponent);
  }

  // ---- fitted attributes -------------------------------------------------------------------

  protected get state(): Fitted<P> {
    if (this.fitted === null) {
      throw new EmgpuInputError(
        `This ${this.estimatorName} is not fitted yet; call fit(X) first (or load one with ${this.estimatorName}.fromJSON).`,
      );
    }
    return this.fitted;
  }

  get isFitted(): boolean {
    return this.fitted !== null;
  }
  get covarianceType(): CovarianceType {
    return this.options.covarianceType;
  }
  get nComponents(): number {
    return this.options.nComponents;
  }
  get nFeatures(): number {
    return this.state.params.nFeatures;
  }
  /** K mixture weights. */
  get weights(): Float64Array {
    return Float64Array.from(this.state.params.weights);
  }
  /** K x D, row-major. */
  get means(): Float64Array {
    return Float64Array.from(this.state.params.means);
  }
  /** full K x D x D, tied D x D, diag K x D, spherical K. */
  get covariances(): Float64Array {
    return Float64Array.from(this.state.params.covariances);
  }
  get precisions(): Float64Array {
    const p = this.state.params;
    return COVARIANCE_MODELS[p.covarianceType].precisions(p.precisionsCholesky, p.nComponents, p.nFeatures);
  }
  get precisionsCholesky(): Float64Array {
    return Float64Array.from(this.state.params.precisionsCholesky);
  }
  get converged(): boolean {
    return this.state.converged;
  }
  get nIter(): number {
    return this.state.nIter;
  }
  /** The lower bound of the best run's last iteration (GaussianMixture: its mean log-likelihood). */
  get lowerBound(): number {
    return this.state.lowerBound;
  }
  /** lowerBound per iteration of the best run. */
  get lowerBounds(): number[] {
    return [...this.state.lowerBounds];
  }
  /** Warnings the fit gave (components left without weight); empty for a clean fit. */
  get warnings(): string[] {
    return [...this.state.warnings];
  }
  /** The backend that fitted the model, e.g. "cpu (1 thread)" or "webgpu (...)". */
  get backend(): string {
    return this.state.backendName;
  }
  /** The fitted parameters in the backend-facing form. */
  get params(): P {
    return this.state.params;
  }

  /** The fields of the model JSON that say how the fit went and with which options (both estimators write them). */
  protected fitStateJSON(): FitStateJSON {
    return fitStateJSON(this.state, this.options);
  }

  // ---- fitting ----------------------------------------------------------------------------

  protected throwIfAborted = (): void => {
    const signal = this.options.signal;
    if (signal?.aborted) throw abortErrorOf(signal, 'The fit was aborted.');
  };

  protected progress(message: string): void {
    this.options.onProgress?.(message);
  }

  /**
   * Fits the model to X (N x D). Resolves to this.
   *
   * X can also be a chunk source (src/stream.ts: a function returning an async iterable of row
   * chunks, called once per pass, or a re-iterable async iterable): exact EM streamed from it,
   * every iteration reading all the chunks again through the engine, so memory is bounded by a
   * chunk rather than the table. Sample weights then come with the chunks (chunk.sampleWeight).
   * The init method runs on a uniform reservoir sample of options.sampleSize rows; from the same
   * start (weightsInit, meansInit and precisionsInit, or a warm start) the result is the
   * in-memory fit's up to float64 rounding. GaussianMixture only.
   */
  fit(X: MatrixInput, fitOptions?: FitOptions): Promise<this>;
  fit(source: ChunkSource, options?: StreamFitOptions): Promise<this>;
  async fit(X: MatrixInput | ChunkSource, fitOptions: FitOptions | StreamFitOptions = {}): Promise<this> {
    if (isChunkSource(X)) await this.fitStream(X, fitOptions as StreamFitOptions);
    else await this.fitInternal(X, fitOptions as FitOptions, false);
    return this;
  }

  /** Fits and returns the labels of X from a final E-step (equal to fit(X).predict(X)). */
  async fitPredict(X: MatrixInput, fitOptions: FitOptions = {}): Promise<Int32Array> {
    return (await this.fitInternal(X, fitOptions, true)) as Int32Array;
  }

  private async fitInternal(X: MatrixInput, fitOptions: FitOptions, wantLabels: boolean): Promise<Int32Array | null> {
    this.throwIfAborted();
    const k = this.options.nComponents;
    const { input, responsibilities, warnings } = prepareFit(X, fitOptions, {
      missing: this.missingMode(),
      nComponents: k,
      covarianceType: this.options.covarianceType,
      progress: (message) => this.progress(message),
    });
    const seed = this.options.randomState ?? freshSeed();
    // Typed X stays loaded for the next call on it (another fit, predict, score, bic …).
    return onEngine(jobOf(input, k, this.options.covarianceType), this.engineChoice, (backend) => {
      this.progress(`backend: ${backend.description}`);
      return withInput(backend, input, 'fit', async (data) => {
        const result = await this.runFit(data, backend, seed, input.dataset, responsibilities);
        const labels = wantLabels ? ((await data.evaluate(result.params, { labels: true })).labels ?? null) : null;
        this.keep(result, backend, [...fitWarnings(result.params, input.kept.matrix), ...warnings]);
        return labels;
      });
    });
  }

  /** Keeps the best run as the fitted model and gives its warnings. */
  private keep(result: EmRunResult<P>, backend: Backend, warnings: string[]): void {
    this.fitted = { ...result, backendName: backend.description, warnings };
    for (const warning of warnings) this.options.onWarning?.(warning);
  }

  private async fitStream(source: ChunkSource, options: StreamFitOptions): Promise<void> {
    this.throwIfAborted();
    const settings = {
      estimatorName: this.estimatorName,
      missing: this.missingMode(),
      nComponents: this.options.nComponents,
      covarianceType: this.options.covarianceType,
      seed: () => this.options.randomState ?? freshSeed(),
      engineChoice: this.engineChoice,
      throwIfAborted: this.throwIfAborted,
      progress: (message: string) => this.progress(message),
    };
    await fitChunkSource(source, options, settings, async ({ streamed, sample, dataset, seed, scan }, backend) => {
      const result = await this.runFit(streamed, backend, seed, dataset, null, sample);
      this.keep(result, backend, fitWarnings(result.params, scan.sample));
    });
  }

  /** nInit runs of EM on `data`; the init method runs on `initData` (a streamed fit's reservoir sample; else the data itself). */
  private async runFit(
    data: LoadedData,
    backend: Backend,
    seed: number,
    dataset: Dataset,
    responsibilities: SufficientStats | null,
    initData: LoadedData = data,
  ): Promise<EmRunResult<P>> {
    const opts = this.options;
    const d = data.cols;
    const previous = opts.warmStart ? this.fitted : null;
    if (previous !== null && previous.params.nFeatures !== d) {
      throw new EmgpuInputError(
        `X has ${d} columns but the warm-started model has ${previous.params.nFeatures} features; pass data with ${previous.params.nFeatures} columns or set warmStart to false.`,
      );
    }
    await this.beforeFit(data, dataset);
    const model = this.emModel(dataset.weightExponent);
    const nInit = previous !== null ? 1 : opts.nInit;
    const random = new Random(seed);
    const startTime = performance.now();
    let best: EmRunResult<P> | null = null;
    for (let init = 0; init < nInit; init++) {
      this.throwIfAborted();
      const initSeed = random.nextSeed();
      const start =
        previous !== null
          ? previous.params
          : await this.initialParams(initData, { seed: initSeed, responsibilities, dataset });
      if (nInit > 1) this.progress(`initialisation ${init + 1} of ${nInit}`);
      const run = await runEm(data, start, model, {
        covarianceType: opts.covarianceType,
        tol: opts.tol,
        relativeTo: opts.convergence === 'mclust' ? data.totalWeight : null,
        maxIter: opts.maxIter,
        init,
        startTime,
        backendName: backend.description,
        // sklearn: a warm start continues from the previous lower bound.
        initialLowerBound: previous !== null ? previous.lowerBound : -Infinity,
        throwIfAborted: this.throwIfAborted,
        onIteration: opts.onIteration,
      });
      if (best === null || run.lowerBound > best.lowerBound) best = run;
    }
    return best as EmRunResult<P>;
  }

  // ---- inference --------------------------------------------------------------------------

  /**
   * Runs fn on X loaded onto the engine (the cached copy when X is the typed array loaded last);
   * with `weights`, loaded with those sample weights (a weighted pass), else any copy of X, or
   * with use 'fit' a copy loaded without weights.
   */
  protected async withData<T>(
    X: MatrixInput,
    fn: (data: LoadedData, backend: Backend) => Promise<T>,
    weights: Float64Array | null = null,
    use: 'fit' | 'evaluate' = weights === null ? 'evaluate' : 'fit',
  ): Promise<T> {
    const load = {
      missing: this.missingMode(),
      sampleWeight: weights,
      use: use === 'fit' ? 'statistics' : 'evaluate',
    } as const;
    return withFittedInput(X, this.state.params, load, this.engineChoice, fn);
  }

  /** One pass of the engine over X with the fitted parameters, returning what `request` asks for. */
  protected async evaluate(X: MatrixInput, request: EvaluateRequest): Promise<EvaluateResult> {
    const params = this.state.params;
    return this.withData(X, (data) => data.evaluate(params, request));
  }

  /** The most likely component of each row. */
  async predict(X: MatrixInput): Promise<Int32Array> {
    return (await this.evaluate(X, { labels: true })).labels as Int32Array;
  }

  /** Responsibilities, N x K row-major. */
  async predictProba(X: MatrixInput): Promise<Float64Array> {
    return (await this.evaluate(X, { proba: true })).proba as Float64Array;
  }

  /** log p(x) of each row. */
  async scoreSamples(X: MatrixInput): Promise<Float64Array> {
    return (await this.evaluate(X, { logLik: true })).logLik as Float64Array;
  }

  /** Mean log-likelihood (weighted mean with sampleWeight). */
  async score(X: MatrixInput, fitOptions: FitOptions = {}): Promise<number> {
    return (await this.scoreAndCount(X, fitOptions)).score;
  }

  /** The (weighted) mean log-likelihood and the (weighted) number of samples, from one pass. */
  protected async scoreAndCount(X: MatrixInput, fitOptions: FitOptions): Promise<{ score: number; n: number }> {
    const logLik = await this.scoreSamples(X);
    return meanLogLikelihood(logLik, toSampleWeight(fitOptions.sampleWeight, logLik.length));
  }

  // ---- the statistics API ------------------------------------------------------------------

  /**
   * The E-step's sufficient statistics of X (with its sample weights) under the fitted
   * parameters: a plain JSON-serialisable object. Statistics of parts of a data set, computed
   * anywhere under the same model and summed with mergeStatistics, give mStep what fit would
   * compute from the whole table in one iteration. The model must be fitted: fit it on a
   * sample (maxIter: 0 for just the initialisation), or load one with fromJSON.
   */
  async statistics(X: MatrixInput, options: StatisticsOptions = {}): Promise<MixtureStatistics> {
    this.throwIfAborted();
    const request = statisticsRequest(X, options, () => this.state.params);
    const params = request.params;
    // Unweighted statistics need a copy of X loaded without weights ('fit'), not any copy.
    const run = async (data: LoadedData, engine: Backend): Promise<EStepRun> => ({
      stats: await data.eStep(params, momentsFor(params.covarianceType)),
      backend: engine.description,
    });
    return statisticsJSON(request, await this.withData(X, run, request.weights, 'fit'), this.estimatorName);
  }

  /**
   * One M-step from statistics of this model's parameters (gm.statistics on every part of the
   * data, summed by mergeStatistics): the model takes the next parameters — the same float64
   * M-step fit runs, on the same sums — and its lowerBound, lowerBounds, nIter and converged
   * advance as one more iteration of fit would advance them. Returns that iteration's lower
   * bound and whether it converged (|change| < tol). Statistics computed under other
   * parameters, or for another K, D, covariance type or estimator, are refused.
   */
  mStep(statistics: MixtureStatistics, options: MStepOptions = {}): MStepResult {
    const { fitted, result } = statisticsStep(this.state, statistics, options, {
      estimatorName: this.estimatorName,
      tol: this.options.tol,
      convergence: this.options.convergence,
      model: (weightExponent) => this.statisticsModel(weightExponent),
    });
    this.fitted = fitted;
    for (const warning of fitted.warnings) this.options.onWarning?.(warning);
    return result;
  }

  /** n samples from the fitted mixture, seeded by `seed` (default: randomState, else fresh). */
  sample(n = 1, seed?: number | null): SampleResult {
    return drawSamples(
      () => this.state.params,
      n,
      seed,
      () => this.options.randomState ?? freshSeed(),
    );
  }
}
