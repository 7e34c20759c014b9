// What every mixture estimator shares (sklearn's BaseMixture): the fit — input checks, choosing
// and loading onto an engine, nInit initialisations, the EM loop, warm starts, device-loss
// fallback — and everything done with a fitted model: predict, predictProba, scoreSamples,
// score, sample — and the statistics API (statistics, mStep: EM over data split across processes
// or machines, src/statistics-api.ts). A subclass brings its initial parameters and its EmModel
// (M-step and lower bound); GaussianMixture and BayesianGaussianMixture are the two.

import type { Backend, EvaluateRequest, EvaluateResult, JobShape, LoadedData } from './backend.ts';
import { runEm, type EmModel, type EmRunResult, type FittedParams } from './em.ts';
import { responsibilityStatistics, toResponsibilities } from './init/resp.ts';
import {
  sumOfWeights,
  toDataset,
  toSampleWeight,
  weightExponentFor,
  type Dataset,
  type Matrix,
  type MatrixInput,
} from './matrix.ts';
import { COVARIANCE_MODELS } from './model/covariance.ts';
import { sampleBlocks } from './model/sample.ts';
import {
  EmgpuInputError,
  type CovarianceType,
  type InitMethod,
  type MissingMode,
  type Nested,
  type ResolvedBaseOptions,
} from './options.ts';
import { freshSeed, Random } from './random.ts';
import {
  DEFAULT_SAMPLE_SIZE,
  isChunkSource,
  scanStream,
  StreamedData,
  type ChunkSource,
  type StreamFitOptions,
} from './stream.ts';
import { momentsFor, scaleStats, type SufficientStats } from './sufficient-stats.ts';
import {
  parametersFingerprint,
  readStatistics,
  toStatisticsJSON,
  type MixtureStatistics,
  type MStepOptions,
  type MStepResult,
  type StatisticsEstimator,
  type StatisticsOptions,
} from './statistics-api.ts';
import { abortErrorOf } from './errors.ts';
import { jobOf, onEngine, prepareInput, withInput, type EngineChoice } from './engine-session.ts';

export interface FitOptions {
  /** One non-negative finite weight per row; an integer weight w acts as w copies of the row. */
  readonly sampleWeight?: ArrayLike<number> | null;
  /**
   * Initial responsibilities (N × K, flat row-major or nested; each row ≥ 0 and summing to 1)
   * in place of the init method: what sklearn's _initialize(X, resp) starts from.
   */
  readonly resp?: ArrayLike<number> | readonly (readonly number[])[] | null;
}

export interface SampleResult {
  /** n x D samples, grouped by component as sklearn returns them. */
  readonly X: Matrix & { data: Float64Array };
  /** The component of each sample. */
  readonly labels: Int32Array;
}

/** A fitted model's state: the best run, the engine that ran it, and the warnings it gave. */
export interface Fitted<P extends FittedParams> extends EmRunResult<P> {
  readonly backendName: string;
  readonly warnings: readonly string[];
}

/** How one initialisation starts: its seed, and the caller's responsibilities (as statistics) if any. */
export interface InitRequest {
  readonly seed: number;
  readonly responsibilities: SufficientStats | null;
  readonly dataset: Dataset;
}

const abortError = (signal: AbortSignal): Error => abortErrorOf(signal, 'The fit was aborted.');

/**
 * Warnings about a fitted model, as sklearn warns: components left with no weight (about
 * 10·eps of a row), most often because X has fewer distinct rows than nComponents.
 */
export function emptyComponents(params: FittedParams): number[] {
  const empty: number[] = [];
  params.weights.forEach((w, c) => {
    if (!(w > 1e-12)) empty.push(c);
  });
  return empty;
}

function fitWarnings(params: FittedParams, matrix: Matrix): string[] {
  const empty = emptyComponents(params);
  if (empty.length === 0) return [];
  const k = params.nComponents;
  const d = matrix.cols;
  const distinct = new Set<string>();
  for (let i = 0; i < matrix.rows && distinct.size < k; i++)
    distinct.add(Array.prototype.join.call(matrix.data.subarray(i * d, (i + 1) * d), ','));
  const which = `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${k} ended with no weight`;
  return [
    distinct.size < k
      ? `${which}: X has fewer distinct rows (${distinct.size}) than nComponents; lower nComponents (sklearn warns the same).`
      : `${which}: no row is nearer to ${empty.length === 1 ? 'it' : 'them'} than to another component; lower nComponents or try another initialisation (initParams, randomState).`,
  ];
}

/** The JSON fields every mixture model writes (sklearn's attribute names in camelCase and shapes). */
export interface MixtureJSONCommon {
  readonly version: 1;
  readonly covarianceType: CovarianceType;
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly weights: number[];
  readonly means: number[][];
  readonly covariances: Nested;
  readonly precisionsCholesky: Nested;
  readonly converged: boolean;
  readonly nIter: number;
  /** null stands for −Infinity (maxIter = 0). */
  readonly lowerBound: number | null;
  readonly lowerBounds: number[];
  readonly backend: string;
  readonly options: {
    readonly tol: number;
    readonly regCovar: number;
    readonly maxIter: number;
    readonly nInit: number;
    readonly initParams: InitMethod;
    readonly randomState: number | null;
  };
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
  protected fitStateJSON(): Pick<
    MixtureJSONCommon,
    'converged' | 'nIter' | 'lowerBound' | 'lowerBounds' | 'backend' | 'options'
  > {
    const s = this.state;
    const o = this.options;
    return {
      converged: s.converged,
      nIter: s.nIter,
      // null stands for −Infinity (maxIter = 0).
      lowerBound: Number.isFinite(s.lowerBound) ? s.lowerBound : null,
      lowerBounds: [...s.lowerBounds],
      backend: s.backendName,
      options: {
        tol: o.tol,
        regCovar: o.regCovar,
        maxIter: o.maxIter,
        nInit: o.nInit,
        initParams: o.initParams,
        randomState: o.randomState,
      },
    };
  }

  // ---- fitting ----------------------------------------------------------------------------

  protected throwIfAborted = (): void => {
    const signal = this.options.signal;
    if (signal?.aborted) throw abortError(signal);
  };

  protected progress(message: string): void {
    this.options.onProgress?.(message);
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

  private async fitStream(source: ChunkSource, options: StreamFitOptions): Promise<void> {
    this.throwIfAborted();
    if (options === null || typeof options !== 'object')
      throw new EmgpuInputError(
        `The fit options of a chunk source must be an object such as { sampleSize, onChunk }, got ${String(options)}.`,
      );
    if (this.missingMode() === 'marginalize') {
      throw new EmgpuInputError(
        "missing: 'marginalize' does not work with a chunk source yet; fit the table in memory (fit(X)), or remove or impute the missing values.",
      );
    }
    const known = ['sampleSize', 'onChunk'];
    const stray = Object.keys(options).find((key) => !known.includes(key));
    if (stray !== undefined) {
      throw new EmgpuInputError(
        `fit(source) takes the options sampleSize and onChunk, not ${JSON.stringify(stray)}${stray === 'sampleWeight' || stray === 'resp' ? ` (with a chunk source, ${stray === 'sampleWeight' ? 'each chunk carries its sampleWeight' : 'start from weightsInit, meansInit and precisionsInit instead'})` : ''}.`,
      );
    }
    if (this.estimatorName !== 'GaussianMixture') {
      throw new EmgpuInputError(
        `${this.estimatorName} cannot fit a chunk source (its priors are taken from the whole table in memory); fit a GaussianMixture on the stream, or pass X as a matrix.`,
      );
    }
    const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    const k = this.options.nComponents;
    if (typeof sampleSize !== 'number' || !Number.isSafeInteger(sampleSize) || sampleSize < Math.max(1, k)) {
      throw new EmgpuInputError(
        `Option sampleSize must be an integer ≥ nComponents (${k}), got ${String(sampleSize)}.`,
      );
    }
    const seed = this.options.randomState ?? freshSeed();
    const settings = { throwIfAborted: this.throwIfAborted, onChunk: options.onChunk ?? null };
    this.progress('scanning the stream: counting, checking and sampling rows');
    // The reservoir's own random stream, so that the seeds of the initialisations are fit's.
    const scan = await scanStream(source, sampleSize, (seed ^ 0x2545f491) >>> 0, settings);
    if (scan.rows < k)
      throw new EmgpuInputError(
        `The stream has ${scan.rows} rows but nComponents is ${k}; pass at least ${k} rows or lower nComponents.`,
      );
    if (scan.positiveRows < k)
      throw new EmgpuInputError(
        `The stream has ${scan.positiveRows} rows with a positive weight but nComponents is ${k}; give at least ${k} rows a positive weight.`,
      );
    if (scan.sampleWeights !== null && scan.sampleWeights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0) < k) {
      throw new EmgpuInputError(
        `The reservoir sample of ${scan.sample.rows} rows has fewer than ${k} rows with a positive weight, too few to initialise ${k} components; raise sampleSize.`,
      );
    }
    const sampleDataset = toDataset(scan.sample, scan.sampleWeights);
    // What runFit needs of the whole table's dataset: its weight scaling (and, for the init, the sample).
    const dataset: Dataset = { ...sampleDataset, weightExponent: scan.weightExponent };
    const job: JobShape = {
      rows: scan.rows,
      cols: scan.cols,
      nComponents: k,
      covarianceType: this.options.covarianceType,
      weighted: scan.weighted,
    };
    await onEngine(job, this.engineChoice, async (backend) => {
      this.progress(
        `backend: ${backend.description}; ${scan.rows} rows in ${scan.chunks} chunks of ≤ ${scan.largestChunk} rows, init on a sample of ${scan.sample.rows}`,
      );
      const streamed = new StreamedData(source, backend, scan, settings);
      let sample: LoadedData | null = null;
      try {
        sample = await backend.load(sampleDataset);
        const result = await this.runFit(streamed, backend, seed, dataset, null, sample);
        const warnings = fitWarnings(result.params, scan.sample);
        this.fitted = { ...result, backendName: backend.description, warnings };
        for (const warning of warnings) this.options.onWarning?.(warning);
      } finally {
        sample?.dispose();
        streamed.dispose();
      }
    });
  }

  /** Fits and returns the labels of X from a final E-step (equal to fit(X).predict(X)). */
  async fitPredict(X: MatrixInput, fitOptions: FitOptions = {}): Promise<Int32Array> {
    return (await this.fitInternal(X, fitOptions, true)) as Int32Array;
  }

  private async fitInternal(X: MatrixInput, fitOptions: FitOptions, wantLabels: boolean): Promise<Int32Array | null> {
    this.throwIfAborted();
    if (fitOptions === null || typeof fitOptions !== 'object')
      throw new EmgpuInputError(
        `The fit options must be an object such as { sampleWeight }, got ${String(fitOptions)}.`,
      );
    const input = prepareInput(X, {
      missing: this.missingMode(),
      sampleWeight: fitOptions.sampleWeight,
      checkValues: true,
    });
    const { layout, dataset } = input;
    const k = this.options.nComponents;
    // With holes: the rows with at least one value (the others are dropped and counted).
    const { matrix, weights } = input.kept;
    if (layout !== null && layout.dropped > 0)
      this.progress(`${layout.dropped} row${layout.dropped === 1 ? '' : 's'} with every value missing left out`);
    if (matrix.rows < k) {
      const dropped = layout !== null && layout.dropped > 0 ? ` (${layout.dropped} more have every value missing)` : '';
      throw new EmgpuInputError(
        `X has ${matrix.rows} rows${dropped} but nComponents is ${k}; pass at least ${k} rows or lower nComponents.`,
      );
    }
    if (layout !== null && fitOptions.resp != null) {
      throw new EmgpuInputError(
        'Initial responsibilities (resp) cannot start a fit with missing values; start from initParams or from weightsInit / meansInit / precisionsInit instead.',
      );
    }
    if (weights !== null) {
      let positive = 0;
      for (const w of weights) if (w > 0) positive++;
      if (positive < k) {
        throw new EmgpuInputError(
          `sampleWeight has ${positive} positive weights but nComponents is ${k}; give at least ${k} rows a positive weight.`,
        );
      }
    }
    const responsibilities =
      fitOptions.resp == null
        ? null
        : responsibilityStatistics(
            dataset,
            toResponsibilities(fitOptions.resp, matrix.rows, k),
            k,
            momentsFor(this.options.covarianceType),
          );
    const seed = this.options.randomState ?? freshSeed();
    const fitOn = async (data: LoadedData, backend: Backend): Promise<Int32Array | null> => {
      const result = await this.runFit(data, backend, seed, dataset, responsibilities);
      let labels: Int32Array | null = null;
      if (wantLabels) {
        labels = (await data.evaluate(result.params, { labels: true })).labels ?? null;
      }
      const warnings = fitWarnings(result.params, matrix);
      if (layout !== null && layout.dropped > 0) {
        warnings.push(
          `${layout.dropped} row${layout.dropped === 1 ? '' : 's'} of X had every value missing and ${layout.dropped === 1 ? 'was' : 'were'} left out of the fit.`,
        );
      }
      this.fitted = { ...result, backendName: backend.description, warnings };
      for (const warning of warnings) this.options.onWarning?.(warning);
      return labels;
    };
    // Typed X stays loaded for the next call on it (another fit, predict, score, bic …).
    return onEngine(jobOf(input, k, this.options.covarianceType), this.engineChoice, (backend) => {
      this.progress(`backend: ${backend.description}`);
      return withInput(backend, input, 'fit', (data) => fitOn(data, backend));
    });
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
    const params = this.state.params;
    // Typed input is checked for shape here and for values only when it is not the data already
    // loaded (the same array with the same contents); nested arrays are checked and copied.
    const input = prepareInput(X, { missing: this.missingMode(), sampleWeight: weights, checkValues: false });
    const { matrix } = input;
    if (matrix.cols !== params.nFeatures) {
      throw new EmgpuInputError(
        `X has ${matrix.cols} columns but the model was fitted with ${params.nFeatures} features; pass data with ${params.nFeatures} columns.`,
      );
    }
    // Rows with holes: the complete ones on the engine, the others here; not cached.
    const job = jobOf(input, params.nComponents, params.covarianceType);
    return onEngine(job, this.engineChoice, (backend) =>
      withInput(backend, input, use === 'fit' ? 'statistics' : 'evaluate', (data) => fn(data, backend)),
    );
  }

  private async evaluate(X: MatrixInput, request: EvaluateRequest): Promise<EvaluateResult> {
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
    const weights = toSampleWeight(fitOptions.sampleWeight, logLik.length);
    let sum = 0;
    let total = 0;
    for (let i = 0; i < logLik.length; i++) {
      // A row with every value missing (missing: 'marginalize') has no likelihood: left out.
      if (Number.isNaN(logLik[i] as number)) continue;
      const w = weights === null ? 1 : (weights[i] as number);
      sum += w * (logLik[i] as number);
      total += w;
    }
    return { score: sum / total, n: total };
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
    if (options === null || typeof options !== 'object')
      throw new EmgpuInputError(
        `The statistics options must be an object such as { sampleWeight }, got ${String(options)}.`,
      );
    const params = this.state.params;
    const rows = Array.isArray(X) ? X.length : (X as { rows: number }).rows;
    const weights = toSampleWeight(options.sampleWeight, rows);
    // The engine sees the weights scaled as toDataset scales them; statistics are in the caller's units.
    const exponent = weights === null ? 0 : weightExponentFor(sumOfWeights(weights), rows);
    // Unweighted statistics need a copy of X loaded without weights ('fit'), not any copy.
    const { stats, backend } = await this.withData(
      X,
      async (data, engine) => ({
        stats: await data.eStep(params, momentsFor(params.covarianceType)),
        backend: engine.description,
      }),
      weights,
      'fit',
    );
    return toStatisticsJSON(scaleStats(stats, -exponent), {
      estimator: this.estimatorName,
      covarianceType: params.covarianceType,
      parameters: parametersFingerprint(params),
      backend,
      nRows: rows,
    });
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
    const state = this.state;
    if (options === null || typeof options !== 'object')
      throw new EmgpuInputError(
        `The mStep options must be an object such as { previousLowerBound }, got ${String(options)}.`,
      );
    const { source, stats } = readStatistics(statistics, 'The statistics object');
    const p = state.params;
    const mismatch = (what: string, theirs: string | number, ours: string | number): void => {
      if (theirs !== ours)
        throw new EmgpuInputError(
          `The statistics have ${what} ${JSON.stringify(theirs)} but this model has ${JSON.stringify(ours)}; compute the statistics with this model.`,
        );
    };
    mismatch('estimator', source.estimator, this.estimatorName);
    mismatch('covarianceType', source.covarianceType, p.covarianceType);
    mismatch('nComponents', stats.nComponents, p.nComponents);
    mismatch('nFeatures', stats.nFeatures, p.nFeatures);
    const own = parametersFingerprint(p);
    if (source.parameters !== own) {
      throw new EmgpuInputError(
        `The statistics were computed under other parameters (fingerprint ${source.parameters}) than this model's (${own}); compute every part with this model (the current iteration's), then merge them.`,
      );
    }
    if (stats.totalWeight === 0)
      throw new EmgpuInputError(
        'The statistics have totalWeight 0 (their rows all have weight 0 or no observed value), so there is nothing to take a step from; merge them with the statistics of the other parts first.',
      );
    let previous = state.lowerBound;
    if (options.previousLowerBound !== undefined) {
      const given = options.previousLowerBound;
      if (given !== null && (typeof given !== 'number' || Number.isNaN(given) || given === Infinity)) {
        throw new EmgpuInputError(
          `Option previousLowerBound must be a number (or null for −Infinity), got ${String(given)}.`,
        );
      }
      previous = given ?? -Infinity;
    }
    // Scaled as fit's engine would see the whole table's weights (exact powers of two), so the
    // M-step is fit's to the last bit of the sums.
    const exponent = weightExponentFor(stats.totalWeight, source.nRows);
    const scaled = scaleStats(stats, exponent);
    const model = this.statisticsModel(exponent);
    const params = model.maximize(scaled, p);
    const lowerBound = model.lowerBound(scaled, params);
    const change = lowerBound - previous;
    const converged = Math.abs(change) < this.options.tol;
    const empty = emptyComponents(params);
    const warnings =
      empty.length === 0
        ? []
        : [
            `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${params.nComponents} ended with no weight; lower nComponents or start from other parameters.`,
          ];
    this.fitted = {
      params,
      lowerBound,
      lowerBounds: [...state.lowerBounds, lowerBound],
      nIter: state.nIter + 1,
      converged,
      backendName: source.backend,
      warnings,
    };
    for (const warning of warnings) this.options.onWarning?.(warning);
    return { lowerBound, change, converged, nIter: state.nIter + 1 };
  }

  /** n samples from the fitted mixture, seeded by `seed` (default: randomState, else fresh). */
  sample(n = 1, seed?: number | null): SampleResult {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
      throw new EmgpuInputError(`sample(n) needs an integer n ≥ 1, got ${String(n)}.`);
    if (seed != null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
      throw new EmgpuInputError(
        `sample(n, seed) needs a seed from 0 to 4294967295 (or undefined for randomState), got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}.`,
      );
    }
    const p = this.state.params;
    const d = p.nFeatures;
    let data: Float64Array;
    let labels: Int32Array;
    try {
      data = new Float64Array(n * d);
      labels = new Int32Array(n);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new EmgpuInputError(
        `sample(${n}) needs ${n} × ${d} numbers, more than can be allocated here; draw fewer samples per call.`,
      );
    }
    let row = 0;
    for (const block of sampleBlocks(p, n, new Random(seed ?? this.options.randomState ?? freshSeed()), 65536)) {
      if (block === null) continue;
      data.set(block.data.subarray(0, block.rows * d), row * d);
      labels.set(block.labels.subarray(0, block.rows), row);
      row += block.rows;
    }
    return { X: { data, rows: n, cols: d }, labels };
  }
}
