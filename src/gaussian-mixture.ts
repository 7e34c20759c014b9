// The estimator: scikit-learn's GaussianMixture in camelCase, on the CPU or WebGPU engine.

import type { Backend, EvaluateRequest, EvaluateResult, JobShape, LoadedData, MixtureParams } from './backend.ts';
import { runEm, type EmRunResult, type FittedParams } from './em.ts';
import { initializeParameters, type UserInit } from './init/initialize.ts';
import { keepLoaded, withLoaded } from './loaded-cache.ts';
import { checkFinite, toDataset, toMatrix, toSampleWeight, type Matrix, type MatrixInput } from './matrix.ts';
import { COVARIANCE_MODELS, nParameters } from './model/covariance.ts';
import { sampleBlocks } from './model/sample.ts';
import { validateModelJson } from './model/validate-json.ts';
import {
  EmgpuInputError,
  resolveOptions,
  type CovarianceType,
  type GaussianMixtureOptions,
  type Nested,
  type NumericArray,
  type ResolvedOptions,
} from './options.ts';
import { freshSeed, Random } from './random.ts';
import { cpuBackend, forgetBackend, selectBackend } from './select-backend.ts';

export interface FitOptions {
  /** One non-negative finite weight per row; an integer weight w acts as w copies of the row. */
  readonly sampleWeight?: ArrayLike<number> | null;
}

/** The model as JSON: sklearn's attribute names in camelCase and sklearn's nested shapes. */
export interface GaussianMixtureJSON {
  readonly format: 'emgpu-gaussian-mixture';
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
    readonly initParams: ResolvedOptions['initParams'];
    readonly randomState: number | null;
  };
}

export interface SampleResult {
  /** n x D samples, grouped by component as sklearn returns them. */
  readonly X: Matrix & { data: Float64Array };
  /** The component of each sample. */
  readonly labels: Int32Array;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The fit was aborted.');
  error.name = 'AbortError';
  return error;
}

function isDeviceLost(error: unknown): boolean {
  return error instanceof Error && error.name === 'DeviceLostError';
}

/** Flattens a nested or flat numeric array, checking it has `expected` finite numbers. */
function flattenParameter(name: string, value: Nested | NumericArray, expectedShape: number[]): Float64Array {
  const expected = expectedShape.reduce((a, b) => a * b, 1);
  const shapeText = expectedShape.join(' × ');
  let flat: number[];
  if (value instanceof Float64Array || value instanceof Float32Array) {
    flat = Array.from(value);
  } else {
    const out: number[] = [];
    const shapeOf: number[] = [];
    const walk = (node: Nested, depth: number): void => {
      if (Array.isArray(node)) {
        if (shapeOf[depth] === undefined) shapeOf[depth] = node.length;
        else if (shapeOf[depth] !== node.length) {
          throw new EmgpuInputError(`Option ${name} is ragged; it must have shape ${shapeText}.`);
        }
        for (const child of node as readonly Nested[]) walk(child, depth + 1);
      } else {
        out.push(node as number);
      }
    };
    walk(value as Nested, 0);
    // A nested value must have the exact shape; a flat one just the right length.
    if (shapeOf.length > 1 && shapeOf.join(',') !== expectedShape.join(',')) {
      throw new EmgpuInputError(`Option ${name} has shape ${shapeOf.join(' × ')} but must have shape ${shapeText}.`);
    }
    flat = out;
  }
  if (flat.length !== expected) {
    throw new EmgpuInputError(`Option ${name} has ${flat.length} values but must have shape ${shapeText} (${expected} values).`);
  }
  flat.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new EmgpuInputError(`Option ${name} value ${i} is ${String(v)}; every value must be a finite number.`);
    }
  });
  return Float64Array.from(flat);
}

/** Flat row-major -> nested array of the given shape. */
export function nest(flat: ArrayLike<number>, shape: readonly number[]): Nested {
  if (shape.length <= 1) return Array.from(flat);
  const [first, ...rest] = shape as [number, ...number[]];
  const step = rest.reduce((a, b) => a * b, 1);
  const out: Nested[] = [];
  for (let i = 0; i < first; i++) out.push(nest(Array.prototype.slice.call(flat, i * step, (i + 1) * step) as number[], rest));
  return out;
}

/** A fitted model's state: the best run, the engine that ran it, and the warnings it gave. */
interface Fitted extends EmRunResult {
  readonly backendName: string;
  readonly warnings: readonly string[];
}

/**
 * Warnings about a fitted model, as sklearn warns: components left with no weight (about
 * 10·eps of a row), most often because X has fewer distinct rows than nComponents.
 */
function fitWarnings(params: MixtureParams, matrix: Matrix): string[] {
  const empty: number[] = [];
  params.weights.forEach((w, c) => {
    if (!(w > 1e-12)) empty.push(c);
  });
  if (empty.length === 0) return [];
  const k = params.nComponents;
  const d = matrix.cols;
  const distinct = new Set<string>();
  for (let i = 0; i < matrix.rows && distinct.size < k; i++) distinct.add(Array.prototype.join.call(matrix.data.subarray(i * d, (i + 1) * d), ','));
  const which = `component${empty.length === 1 ? '' : 's'} ${empty.join(', ')} of ${k} ended with no weight`;
  return [
    distinct.size < k
      ? `${which}: X has fewer distinct rows (${distinct.size}) than nComponents; lower nComponents (sklearn warns the same).`
      : `${which}: no row is nearer to ${empty.length === 1 ? 'it' : 'them'} than to another component; lower nComponents or try another initialisation (initParams, randomState).`,
  ];
}

export class GaussianMixture {
  readonly options: ResolvedOptions;

  private fitted: Fitted | null = null;

  constructor(options: GaussianMixtureOptions = {}) {
    this.options = resolveOptions(options);
  }

  // ---- fitted attributes -------------------------------------------------------------------

  private get state(): Fitted {
    if (this.fitted === null) {
      throw new EmgpuInputError('This GaussianMixture is not fitted yet; call fit(X) first (or load one with GaussianMixture.fromJSON).');
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
  /** Mean log-likelihood from the last E-step of the best run (lags the parameters by one M-step). */
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

  // ---- fitting ----------------------------------------------------------------------------

  private throwIfAborted = (): void => {
    const signal = this.options.signal;
    if (signal?.aborted) throw abortError(signal);
  };

  private progress(message: string): void {
    this.options.onProgress?.(message);
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
      if (covarianceType === 'full' || covarianceType === 'tied') {
        const count = covarianceType === 'full' ? k : 1;
        for (let c = 0; c < count; c++) {
          for (let i = 0; i < d; i++) {
            for (let j = 0; j < i; j++) {
              const a = precisions[c * d * d + i * d + j] as number;
              const b = precisions[c * d * d + j * d + i] as number;
              if (Math.abs(a - b) > 1e-8 * Math.max(1, Math.abs(a), Math.abs(b))) {
                throw new EmgpuInputError(`Option precisionsInit${covarianceType === 'full' ? `[${c}]` : ''} is not symmetric (entry ${i},${j} is ${a} but ${j},${i} is ${b}).`);
              }
            }
          }
        }
      }
      try {
        model.precisionCholeskyFromPrecisions(precisions, k, d);
      } catch {
        throw new EmgpuInputError(`Option precisionsInit is not positive definite; every precision must be symmetric positive definite (diag/spherical: every value > 0).`);
      }
    }
    return { weights, means, precisions };
  }

  private async runFit(data: LoadedData, backend: Backend, seed: number): Promise<EmRunResult> {
    const opts = this.options;
    const d = data.cols;
    const warm = opts.warmStart && this.fitted !== null;
    if (warm && this.fitted!.params.nFeatures !== d) {
      throw new EmgpuInputError(`X has ${d} columns but the warm-started model has ${this.fitted!.params.nFeatures} features; pass data with ${this.fitted!.params.nFeatures} columns or set warmStart to false.`);
    }
    const user = warm ? { weights: null, means: null, precisions: null } : this.userInit(d);
    const nInit = warm ? 1 : opts.nInit;
    const random = new Random(seed);
    const startTime = performance.now();
    let best: EmRunResult | null = null;
    for (let init = 0; init < nInit; init++) {
      this.throwIfAborted();
      const initSeed = random.nextSeed();
      const start: FittedParams = warm
        ? this.fitted!.params
        : await initializeParameters(data, {
            covarianceType: opts.covarianceType,
            nComponents: opts.nComponents,
            regCovar: opts.regCovar,
            method: opts.initParams,
            seed: initSeed,
            user,
            throwIfAborted: this.throwIfAborted,
            onProgress: (m) => this.progress(m),
          });
      if (nInit > 1) this.progress(`initialisation ${init + 1} of ${nInit}`);
      const run = await runEm(data, start, {
        covarianceType: opts.covarianceType,
        tol: opts.tol,
        regCovar: opts.regCovar,
        maxIter: opts.maxIter,
        init,
        startTime,
        backendName: backend.description,
        throwIfAborted: this.throwIfAborted,
        onIteration: opts.onIteration,
      });
      if (best === null || run.lowerBound > best.lowerBound) best = run;
    }
    return best as EmRunResult;
  }

  /** Fits the model to X (N x D). Resolves to this. */
  async fit(X: MatrixInput, fitOptions: FitOptions = {}): Promise<this> {
    await this.fitInternal(X, fitOptions, false);
    return this;
  }

  /** Fits and returns the labels of X from a final E-step (equal to fit(X).predict(X)). */
  async fitPredict(X: MatrixInput, fitOptions: FitOptions = {}): Promise<Int32Array> {
    return (await this.fitInternal(X, fitOptions, true)) as Int32Array;
  }

  private async fitInternal(X: MatrixInput, fitOptions: FitOptions, wantLabels: boolean): Promise<Int32Array | null> {
    this.throwIfAborted();
    const matrix = toMatrix(X);
    const k = this.options.nComponents;
    if (matrix.rows < k) {
      throw new EmgpuInputError(`X has ${matrix.rows} rows but nComponents is ${k}; pass at least ${k} rows or lower nComponents.`);
    }
    const weights = toSampleWeight(fitOptions.sampleWeight, matrix.rows);
    if (weights !== null) {
      let positive = 0;
      for (const w of weights) if (w > 0) positive++;
      if (positive < k) {
        throw new EmgpuInputError(`sampleWeight has ${positive} positive weights but nComponents is ${k}; give at least ${k} rows a positive weight.`);
      }
    }
    const dataset = toDataset(matrix, weights);
    const seed = this.options.randomState ?? freshSeed();
    const job: JobShape = { rows: matrix.rows, cols: matrix.cols, nComponents: k, covarianceType: this.options.covarianceType, weighted: weights !== null };
    let backend = await selectBackend(this.options.backend, this.options.cpuThreads, job);
    this.progress(`backend: ${backend.description}`);
    for (;;) {
      let data: LoadedData | null = null;
      let kept = false;
      try {
        data = await backend.load(dataset);
        const result = await this.runFit(data, backend, seed);
        let labels: Int32Array | null = null;
        if (wantLabels) {
          labels = (await data.evaluate(result.params, { labels: true })).labels ?? null;
        }
        const warnings = fitWarnings(result.params, matrix);
        this.fitted = { ...result, backendName: backend.description, warnings };
        for (const warning of warnings) this.options.onWarning?.(warning);
        // predict / score / bic / aic on the same X reuse what the fit loaded.
        if (!Array.isArray(X)) {
          keepLoaded(matrix, backend, data);
          kept = true;
        }
        return labels;
      } catch (error) {
        if (isDeviceLost(error)) await forgetBackend(backend);
        if (isDeviceLost(error) && this.options.backend === 'auto' && backend.kind === 'webgpu') {
          const reason = error instanceof Error ? error.message : String(error);
          backend = await cpuBackend(this.options.cpuThreads, `the WebGPU device was lost (${reason}); the fit restarted on the CPU`);
          this.progress(`WebGPU device lost; restarting the fit on ${backend.description}`);
          continue;
        }
        throw error;
      } finally {
        if (!kept) data?.dispose();
      }
    }
  }

  // ---- inference --------------------------------------------------------------------------

  private async evaluate(X: MatrixInput, request: EvaluateRequest): Promise<EvaluateResult> {
    const params = this.state.params;
    // Typed input is checked for shape here and for values only when it is not the data already
    // loaded (the same array with the same contents); nested arrays are checked and copied.
    const typed = !Array.isArray(X);
    const matrix = toMatrix(X, 'X', !typed);
    if (matrix.cols !== params.nFeatures) {
      throw new EmgpuInputError(`X has ${matrix.cols} columns but the model was fitted with ${params.nFeatures} features; pass data with ${params.nFeatures} columns.`);
    }
    const job: JobShape = { rows: matrix.rows, cols: matrix.cols, nComponents: params.nComponents, covarianceType: params.covarianceType, weighted: false };
    const backend = await selectBackend(this.options.backend, this.options.cpuThreads, job);
    const load = (): Promise<LoadedData> => {
      if (typed) checkFinite(matrix.data, matrix.cols);
      return backend.load(toDataset(matrix, null));
    };
    if (typed) return withLoaded(matrix, backend, load, (data) => data.evaluate(params, request));
    const data = await load();
    try {
      return await data.evaluate(params, request);
    } finally {
      data.dispose();
    }
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
  private async scoreAndCount(X: MatrixInput, fitOptions: FitOptions): Promise<{ score: number; n: number }> {
    const logLik = await this.scoreSamples(X);
    const weights = toSampleWeight(fitOptions.sampleWeight, logLik.length);
    let sum = 0;
    let total = 0;
    for (let i = 0; i < logLik.length; i++) {
      const w = weights === null ? 1 : (weights[i] as number);
      sum += w * (logLik[i] as number);
      total += w;
    }
    return { score: sum / total, n: total };
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

  /** Akaike information criterion: −2·N·score + 2p. */
  async aic(X: MatrixInput, fitOptions: FitOptions = {}): Promise<number> {
    const { score, n } = await this.scoreAndCount(X, fitOptions);
    return -2 * score * n + 2 * this.nParameters();
  }

  /** n samples from the fitted mixture, seeded by `seed` (default: randomState, else fresh). */
  sample(n = 1, seed?: number | null): SampleResult {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new EmgpuInputError(`sample(n) needs an integer n ≥ 1, got ${String(n)}.`);
    if (seed != null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
      throw new EmgpuInputError(`sample(n, seed) needs a seed from 0 to 4294967295 (or undefined for randomState), got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}.`);
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
      throw new EmgpuInputError(`sample(${n}) needs ${n} × ${d} numbers, more than can be allocated here; draw fewer samples per call.`);
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

  // ---- serialisation ----------------------------------------------------------------------

  toJSON(): GaussianMixtureJSON {
    const s = this.state;
    const p = s.params;
    const model = COVARIANCE_MODELS[p.covarianceType];
    const shape = model.shape(p.nComponents, p.nFeatures);
    const o = this.options;
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
      converged: s.converged,
      nIter: s.nIter,
      lowerBound: Number.isFinite(s.lowerBound) ? s.lowerBound : null,
      lowerBounds: [...s.lowerBounds],
      backend: s.backendName,
      options: { tol: o.tol, regCovar: o.regCovar, maxIter: o.maxIter, nInit: o.nInit, initParams: o.initParams, randomState: o.randomState },
    };
  }

  /**
   * Rebuilds a fitted model from toJSON() output (exact round trip). Every field is checked
   * first (validateModelJson): a model that would predict NaN is refused with an EmgpuInputError
   * naming the field.
   */
  static fromJSON(json: unknown, options: Omit<GaussianMixtureOptions, 'nComponents' | 'covarianceType'> = {}): GaussianMixture {
    const m = validateModelJson(json);
    const { covarianceType, nComponents: k, nFeatures: d, weights, means, precisionsCholesky } = m;
    const covariances = m.covariances ?? COVARIANCE_MODELS[covarianceType].covariancesFromPrecisionCholesky(precisionsCholesky, k, d);
    const gm = new GaussianMixture({ ...m.options, ...options, nComponents: k, covarianceType });
    const params: FittedParams = { covarianceType, nComponents: k, nFeatures: d, weights, means, precisionsCholesky, covariances };
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

  /** The fitted parameters in the backend-facing form. */
  get params(): MixtureParams {
    return this.state.params;
  }
}
