// The fit worker: owns the dataset and runs every fit off the page's thread.
//
// Stopping: the library checks `signal.aborted` before every EM iteration (and every k-means
// pass), but a fit on the CPU engine never yields to this worker's event loop, so a 'stop'
// message would only be read after the fit ends. The page therefore also shares one Int32Array
// cell (SharedArrayBuffer; the page is cross-origin isolated) and the signal's `aborted`
// reads it, so Stop takes effect within one iteration.

/// <reference lib="webworker" />

import { GaussianMixture, selectModel, type IterationInfo } from '../src/index.ts';
import { formatFromName, readTable, sniffFormat } from '../src/io/index.ts';
import { permutation, Random } from '../src/random.ts';
import { fmtInt } from './format.ts';
import { dataCsv, labelsCsv, maxProbabilityComplement, modelFile } from './exports.ts';
import {
  DemoInputError,
  MAX_CSV_BYTES,
  MAX_VALUES,
  rowsWithMissing,
  generate,
  imageToDataset,
  parseCsv,
  selectColumns,
  type Dataset,
} from './datasets.ts';
import {
  isStopped,
  stoppedError,
  type CompareLeg,
  type ExportKind,
  type FitResult,
  type FitSettings,
  type FromWorker,
  type SelectSettings,
  type ToWorker,
} from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let dataset: Dataset | null = null;
/**
 * The last fitted model (a Run's, a stream's, or the best of "Choose the model") as a CPU-engine
 * copy, and the dataset columns it was fitted on: what the downloads, the uncertainty view and
 * the tooltip's probabilities use.
 */
let fitted: { model: GaussianMixture; columns: readonly number[] } | null = null;
let stopFlag: Int32Array | null = null;
let activeJob: { id: number; controller: AbortController } | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** An AbortSignal whose `aborted` also reads the shared stop cell (see the note at the top). */
function stoppableSignal(controller: AbortController): AbortSignal {
  const signal = controller.signal;
  if (stopFlag !== null) {
    const flag = stopFlag;
    // An own property shadows AbortSignal.prototype.aborted for this one signal.
    Object.defineProperty(signal, 'aborted', {
      configurable: true,
      get(): boolean {
        if (Atomics.load(flag, 0) === 1) {
          // Record the reason once; abort() sets the internal flag, not this getter.
          if (!stopRequested.has(controller)) {
            stopRequested.add(controller);
            controller.abort(stoppedError());
          }
          return true;
        }
        return stopRequested.has(controller);
      },
    });
  }
  return signal;
}
const stopRequested = new WeakSet<AbortController>();

function requireData(): Dataset {
  if (dataset === null)
    throw new DemoInputError('No data is loaded yet; generate data, or choose a CSV file or an image.');
  return dataset;
}

function matrixFor(settings: FitSettings): { data: Float32Array; rows: number; cols: number } {
  const ds = requireData();
  if (settings.columns.length === 0) throw new DemoInputError('Choose at least one column to fit.');
  for (const c of settings.columns) {
    if (!Number.isInteger(c) || c < 0 || c >= ds.cols)
      throw new DemoInputError(`Column ${c} does not exist in this dataset.`);
  }
  if (settings.nComponents > ds.rows) {
    throw new DemoInputError(
      `K = ${settings.nComponents} is larger than the number of points (${ds.rows}); lower K or load more data.`,
    );
  }
  return { data: selectColumns(ds, settings.columns), rows: ds.rows, cols: settings.columns.length };
}

function baseOptions(settings: FitSettings, controller: AbortController) {
  return {
    nComponents: settings.nComponents,
    covarianceType: settings.covarianceType,
    ...fitControls(settings, controller),
    ...(settings.marginalize ? { missing: 'marginalize' as const } : {}),
  };
}

/** The settings every fit shares, whatever its K and covariance type. */
function fitControls(settings: FitSettings, controller: AbortController) {
  return {
    initParams: settings.initParams,
    maxIter: settings.maxIter,
    tol: settings.tol,
    randomState: settings.randomState,
    backend: settings.backend,
    signal: stoppableSignal(controller),
  };
}

function iterationMessage(info: IterationInfo) {
  return {
    iteration: info.iteration,
    lowerBound: info.lowerBound,
    change: info.change,
    iterationTime: info.iterationTime,
    elapsed: info.elapsed,
    backend: info.backend,
    weights: info.weights,
    means: info.means,
    covariances: info.covariances,
  };
}

/** Parquet or Arrow: by the file's name, else by its first bytes. */
async function isColumnar(file: File): Promise<boolean> {
  const format = formatFromName(file.name) ?? sniffFormat(new Uint8Array(await file.slice(0, 4096).arrayBuffer()));
  return format === 'parquet' || format === 'arrow';
}

/**
 * A Parquet or Arrow file through emgpu/io's readTable: every numeric column (others listed
 * as skipped), a Parquet file read a row group at a time from the File, with progress.
 */
async function readColumnar(id: number, file: File): Promise<Dataset> {
  let lastPost = -Infinity;
  const table = await readTable(file, {
    skipNonNumeric: true,
    missing: true,
    onProgress: (done, rows) => {
      const now = performance.now();
      if (done < rows && now - lastPost < 100) return;
      lastPost = now;
      post({
        type: 'progress',
        id,
        message: `${fmtInt(done)} of ${fmtInt(rows)} rows read`,
        fraction: rows > 0 ? done / rows : 1,
      });
    },
  }).catch((error: unknown) => {
    // The library's one-line message, shown as the demo's own input errors are.
    throw error instanceof Error && error.name === 'EmgpuInputError' ? new DemoInputError(error.message) : error;
  });
  if (table.rows * table.cols > MAX_VALUES) {
    throw new DemoInputError(
      `${file.name} is too large: ${fmtInt(table.rows)} rows × ${table.cols} numeric columns exceeds the demo's ${fmtInt(MAX_VALUES)} values.`,
    );
  }
  const data = Float32Array.from(table.data);
  return {
    data,
    rows: table.rows,
    cols: table.cols,
    columnNames: table.columns,
    skipped: table.skipped.map((c) => `${c.name} (${c.reason})`),
    truth: null,
    missingRows: rowsWithMissing(data, table.rows, table.cols),
  };
}

async function load(id: number, spec: Extract<ToWorker, { type: 'load' }>['spec']): Promise<void> {
  const began = performance.now();
  let ds: Dataset;
  if (spec.kind === 'generator') {
    ds = generate(spec);
  } else if (spec.kind === 'csv' && (await isColumnar(spec.file))) {
    ds = await readColumnar(id, spec.file);
  } else if (spec.kind === 'csv') {
    if (spec.file.size > MAX_CSV_BYTES) {
      throw new DemoInputError(
        `${spec.file.name} is too large (${(spec.file.size / 2 ** 20).toFixed(0)} MB); the demo reads CSV files up to ${MAX_CSV_BYTES / 2 ** 20} MB.`,
      );
    }
    let text: string;
    try {
      text = await spec.file.text();
    } catch {
      throw new DemoInputError(`${spec.file.name} could not be read; check the file and try again.`);
    }
    ds = parseCsv(text, spec.file.name);
  } else {
    ds = imageToDataset(spec.pixels, spec.width, spec.height, spec.withPosition);
  }
  dataset = ds;
  fitted = null;
  // Column copies for the page to draw (transferred, so each is copied exactly once).
  const columns: Float32Array[] = [];
  for (let c = 0; c < ds.cols; c++) {
    const col = new Float32Array(ds.rows);
    for (let r = 0; r < ds.rows; r++) col[r] = ds.data[r * ds.cols + c] as number;
    columns.push(col);
  }
  const truth = ds.truth === null ? null : ds.truth.slice();
  const transfer: Transferable[] = columns.map((c) => c.buffer as ArrayBuffer);
  if (truth !== null) transfer.push(truth.buffer as ArrayBuffer);
  post(
    {
      type: 'loaded',
      id,
      millis: performance.now() - began,
      info: {
        rows: ds.rows,
        columnNames: ds.columnNames,
        skipped: ds.skipped,
        truth,
        columns,
        missingRows: ds.missingRows ?? 0,
      },
    },
    transfer,
  );
}

async function fit(id: number, settings: FitSettings, controller: AbortController): Promise<void> {
  const X = matrixFor(settings);
  const began = performance.now();
  const times: number[] = [];
  let lastPost = 0;
  const gm = new GaussianMixture({
    ...baseOptions(settings, controller),
    onProgress: (message) => post({ type: 'progress', id, message }),
    onIteration: (info) => {
      times.push(info.iterationTime);
      // Animation frames: at most ~30 messages a second (every one when iterations are slow).
      const now = performance.now();
      if (now - lastPost > 30 || info.iteration === 1) {
        lastPost = now;
        post({ type: 'iteration', id, phase: 'fit', info: iterationMessage(info) });
      }
    },
  });
  await gm.fit(X);
  remember(gm, settings);
  post({ type: 'progress', id, message: 'labelling every point (predict)…' });
  const labels = await gm.predict(X);
  post({ type: 'fitted', id, result: fitResult(gm, labels, times, performance.now() - began) }, [
    labels.buffer as ArrayBuffer,
  ]);
}

/** Batches of a stream reach the page at most this often, so the ellipses can be watched moving. */
const STREAM_BATCH_MS = 40;

/**
 * "Stream": online EM (the library's partialFit) over one pass of the rows in batches, as if
 * they arrived from a stream. Rows are taken in a seeded random order (a file sorted by time or
 * by cluster would otherwise feed one cluster at a time); the first batch initialises the
 * model. Each batch is paced to at least STREAM_BATCH_MS so the animation is visible; then
 * every point is labelled, as after a Run.
 */
async function stream(
  id: number,
  settings: FitSettings,
  batchSize: number,
  controller: AbortController,
): Promise<void> {
  const X = matrixFor(settings);
  const { rows, cols } = X;
  if (!Number.isInteger(batchSize) || batchSize < settings.nComponents) {
    throw new DemoInputError(
      `The stream's batch size must be a whole number of at least K = ${settings.nComponents} rows, got ${batchSize}.`,
    );
  }
  const began = performance.now();
  const order = permutation(rows, new Random(settings.randomState ?? 0));
  const gm = new GaussianMixture({
    ...baseOptions(settings, controller),
    onProgress: (message) => post({ type: 'progress', id, message }),
  });
  const signal = stoppableSignal(controller);
  const batches = Math.ceil(rows / batchSize);
  const times: number[] = [];
  const batch = new Float32Array(Math.min(batchSize, rows) * cols);
  for (let b = 0; b < batches; b++) {
    signal.throwIfAborted();
    const start = b * batchSize;
    const n = Math.min(batchSize, rows - start);
    for (let i = 0; i < n; i++) {
      const row = order[start + i] as number;
      batch.set(X.data.subarray(row * cols, (row + 1) * cols), i * cols);
    }
    const t0 = performance.now();
    await gm.partialFit({ data: batch.subarray(0, n * cols), rows: n, cols });
    const now = performance.now();
    times.push(now - t0);
    post({
      type: 'iteration',
      id,
      phase: 'stream',
      info: {
        iteration: b + 1,
        lowerBound: gm.lowerBound,
        change: (gm.lowerBounds.at(-1) ?? NaN) - (gm.lowerBounds.at(-2) ?? NaN),
        iterationTime: now - t0,
        elapsed: now - began,
        backend: gm.backend,
        weights: gm.weights,
        means: gm.means,
        covariances: gm.covariances,
      },
    });
    post({
      type: 'progress',
      id,
      message: `batch ${b + 1} of ${batches} (${fmtInt(start + n)} of ${fmtInt(rows)} rows seen)`,
      fraction: (start + n) / rows,
    });
    const wait = STREAM_BATCH_MS - (performance.now() - t0);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  remember(gm, settings);
  post({ type: 'progress', id, message: 'labelling every point (predict)…' });
  const labels = await gm.predict(X);
  post({ type: 'fitted', id, result: fitResult(gm, labels, times, performance.now() - began) }, [
    labels.buffer as ArrayBuffer,
  ]);
}

/** Keeps a CPU copy of a fitted model for the downloads, the uncertainty view and the tooltip. */
function remember(gm: GaussianMixture, settings: FitSettings): void {
  const options = { backend: 'cpu' as const, ...(settings.marginalize ? { missing: 'marginalize' as const } : {}) };
  fitted = { model: GaussianMixture.fromJSON(gm.toJSON(), options), columns: [...settings.columns] };
}

function requireFitted(): { model: GaussianMixture; columns: readonly number[] } {
  if (fitted === null) throw new DemoInputError('There is no fitted model yet; press Run first.');
  return fitted;
}

/** The rows of the dataset's columns that the last model was fitted on. */
function fittedMatrix(columns: readonly number[]): { data: Float32Array; rows: number; cols: number } {
  const ds = requireData();
  return { data: selectColumns(ds, columns), rows: ds.rows, cols: columns.length };
}

async function exportFile(id: number, what: ExportKind): Promise<void> {
  const ds = requireData();
  if (what === 'data') {
    post({ type: 'exported', id, blob: dataCsv(ds) });
    return;
  }
  const { model, columns } = requireFitted();
  if (what === 'model') {
    post({ type: 'exported', id, blob: modelFile(model) });
    return;
  }
  post({ type: 'progress', id, message: 'computing the probabilities of every point (predictProba)…' });
  post({ type: 'exported', id, blob: await labelsCsv(model, fittedMatrix(columns)) });
}

async function uncertainty(id: number): Promise<void> {
  const { model, columns } = requireFitted();
  post({ type: 'progress', id, message: 'computing the uncertainty of every point (1 − max p)…' });
  const u = await maxProbabilityComplement(model, fittedMatrix(columns));
  post({ type: 'uncertain', id, uncertainty: u }, [u.buffer as ArrayBuffer]);
}

async function rowProbabilities(id: number, row: number): Promise<void> {
  let probabilities: number[] | null = null;
  try {
    if (fitted !== null && dataset !== null && Number.isInteger(row) && row >= 0 && row < dataset.rows) {
      const cols = fitted.columns;
      const x = new Float32Array(cols.map((c) => dataset?.data[row * (dataset?.cols ?? 0) + c] as number));
      const p = await fitted.model.predictProba({ data: x, rows: 1, cols: cols.length });
      probabilities = Array.from(p);
      if (probabilities.some((v) => !Number.isFinite(v))) probabilities = null;
    }
  } catch {
    probabilities = null;
  }
  post({ type: 'row-proba', id, row, probabilities });
}

/** What the page shows of a fitted model (a Run's, or the best of "Choose the model"). */
function fitResult(gm: GaussianMixture, labels: Int32Array, iterationTimes: number[], totalTime: number): FitResult {
  return {
    backend: gm.backend,
    lowerBounds: gm.lowerBounds,
    iterationTimes,
    nIter: gm.nIter,
    converged: gm.converged,
    weights: gm.weights,
    means: gm.means,
    covariances: gm.covariances,
    covarianceType: gm.covarianceType,
    nFeatures: gm.nFeatures,
    labels,
    totalTime,
  };
}

async function compare(id: number, settings: FitSettings, controller: AbortController): Promise<void> {
  const X = matrixFor(settings);
  // One initialisation (k-means etc. on the CPU), shared by both legs: maxIter 0 stops right
  // after it, and its weights / means / precisions become the *Init options of both fits.
  post({ type: 'progress', id, message: 'computing the shared initial parameters…' });
  const init = new GaussianMixture({ ...baseOptions(settings, controller), backend: 'cpu', maxIter: 0 });
  await init.fit(X);
  const start = { weightsInit: init.weights, meansInit: init.means, precisionsInit: init.precisions };
  const leg = async (backend: 'cpu' | 'webgpu'): Promise<CompareLeg> => {
    const times: number[] = [];
    const began = performance.now();
    const gm = new GaussianMixture({
      ...baseOptions(settings, controller),
      ...start,
      backend,
      onProgress: (message) => post({ type: 'progress', id, message: `${backend}: ${message}` }),
      onIteration: (info) => {
        times.push(info.iterationTime);
        post({ type: 'iteration', id, phase: backend, info: iterationMessage(info) });
      },
    });
    await gm.fit(X);
    return {
      backend: gm.backend,
      iterationTimes: times,
      lowerBounds: gm.lowerBounds,
      totalTime: performance.now() - began,
    };
  };
  const cpu = await leg('cpu');
  let gpu: CompareLeg | null = null;
  let gpuError: string | null = null;
  try {
    gpu = await leg('webgpu');
  } catch (error) {
    if (isStopped(error)) throw error;
    gpuError = error instanceof Error ? error.message : String(error);
  }
  post({ type: 'compared', id, result: { cpu, gpu, gpuError } });
}

/**
 * "Choose the model": the library's selectModel over K = 1..maxK × the chosen covariance types,
 * on all the rows (X is loaded onto the engine once for the whole grid), one message per fitted
 * cell; then the best model labels every point and is sent like a Run's result.
 */
async function chooseModel(
  id: number,
  settings: FitSettings,
  select: SelectSettings,
  controller: AbortController,
): Promise<void> {
  const X = matrixFor({ ...settings, nComponents: 1 });
  const began = performance.now();
  const ks = Array.from({ length: Math.min(select.maxK, X.rows) }, (_, i) => i + 1);
  const cells = ks.length * select.covarianceTypes.length;
  post({
    type: 'progress',
    id,
    message: `fitting ${cells} models (K = 1 … ${ks.length} × ${select.covarianceTypes.join(', ')})…`,
  });
  // 'page': each cell from the page's init method, maxIter and tol, as its Run does (the default:
  // selectModel's own starts took 9× as long on 100,000 generated points,
  // bench/results/demo-select-2026-12-07.txt).
  // 'select': selectModel's defaults (hc and emEM starts, tol 1e-5), `emgpu select`'s answer.
  const controls = fitControls(settings, controller);
  const starts =
    select.starts === 'page'
      ? { ...controls, strategy: 'init' as const }
      : { randomState: controls.randomState, backend: controls.backend, signal: controls.signal };
  const selection = await selectModel(X, {
    ...starts,
    nComponents: ks,
    covarianceTypes: select.covarianceTypes,
    criterion: select.criterion,
    onProgress: ({ done, total, row }) => post({ type: 'select-progress', id, done, total, row }),
  });
  remember(selection.best, settings);
  post({ type: 'progress', id, message: 'labelling every point with the best model (predict)…' });
  const labels = await selection.best.predict(X);
  const best = fitResult(selection.best, labels, [], selection.bestRow.seconds * 1000);
  post(
    {
      type: 'selected',
      id,
      result: {
        criterion: selection.criterion,
        table: selection.table,
        bestIndex: selection.table.indexOf(selection.bestRow),
        best,
        totalTime: performance.now() - began,
      },
    },
    [labels.buffer as ArrayBuffer],
  );
}

async function runJob(id: number, job: (controller: AbortController) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  activeJob = { id, controller };
  if (stopFlag !== null) Atomics.store(stopFlag, 0, 0);
  try {
    await job(controller);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    post({ type: 'error', id, name, message });
  } finally {
    if (activeJob?.id === id) activeJob = null;
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'stop-flag':
      stopFlag = msg.flag;
      break;
    case 'stop':
      if (activeJob?.id === msg.id) {
        stopRequested.add(activeJob.controller);
        activeJob.controller.abort(stoppedError());
      }
      break;
    case 'load':
      void runJob(msg.id, () => load(msg.id, msg.spec));
      break;
    case 'fit':
      void runJob(msg.id, (c) => fit(msg.id, msg.settings, c));
      break;
    case 'compare':
      void runJob(msg.id, (c) => compare(msg.id, msg.settings, c));
      break;
    case 'select-model':
      void runJob(msg.id, (c) => chooseModel(msg.id, msg.settings, msg.select, c));
      break;
    case 'stream':
      void runJob(msg.id, (c) => stream(msg.id, msg.settings, msg.batchSize, c));
      break;
    case 'export':
      void runJob(msg.id, () => exportFile(msg.id, msg.what));
      break;
    case 'uncertainty':
      void runJob(msg.id, () => uncertainty(msg.id));
      break;
    case 'row-proba':
      void rowProbabilities(msg.id, msg.row);
      break;
  }
};
