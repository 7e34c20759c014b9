// The demo page: data sources, settings, the fit worker, the scatter view, charts and tables.

import { BACKEND_CHOICES, COVARIANCE_TYPES, INIT_METHODS, type BackendChoice, type CovarianceType, type InitMethod } from '../src/index.ts';
import { countColours, covariance2, ellipseAxes, labelAccuracy } from './analysis.ts';
import { drawLineChart, fitCanvas, formatNumber, formatTick } from './chart.ts';
import { MAX_IMAGE_PIXELS, MAX_POINTS } from './datasets.ts';
import type { ChooseKResult, CompareResult, DataSpec, FitResult, FitSettings, FromWorker, GeneratorShape, IterationMessage, ToWorker } from './protocol.ts';
import { createPointRenderer, cssColour, type PointRenderer, type View } from './scatter.ts';

// ---- the test hook ------------------------------------------------------------------------

export interface DemoState {
  ready: boolean;
  running: boolean;
  /** 'idle' | 'loading' | 'fit' | 'compare' | 'choose-k'. */
  phase: string;
  /** The library backend of the last fit, e.g. "webgpu (...)" or "cpu (1 thread): reason". */
  backend: string | null;
  /** The WebGPU adapter the page found (for drawing), or null. */
  adapter: string | null;
  webgpuAvailable: boolean;
  webgpuReason: string;
  renderer: 'webgpu' | 'canvas2d' | null;
  rendererDescription: string;
  points: number;
  columns: string[];
  iteration: number;
  lowerBounds: number[];
  iterationTimes: number[];
  nIter: number;
  converged: boolean | null;
  /** Fraction of points labelled with their generating component, up to relabelling. */
  accuracy: number | null;
  fitCount: number;
  stoppedCount: number;
  compare: (CompareResult & { speedup: number | null; cpuMedian: number; gpuMedian: number | null }) | null;
  chooseK: (ChooseKResult & { bestBic: number; bestAic: number }) | null;
  segmentationColours: number | null;
  error: string | null;
  /** Frames drawn by the scatter view. */
  frames: number;
}

const hook: DemoState = {
  ready: false,
  running: false,
  phase: 'loading',
  backend: null,
  adapter: null,
  webgpuAvailable: false,
  webgpuReason: '',
  renderer: null,
  rendererDescription: '',
  points: 0,
  columns: [],
  iteration: 0,
  lowerBounds: [],
  iterationTimes: [],
  nIter: 0,
  converged: null,
  accuracy: null,
  fitCount: 0,
  stoppedCount: 0,
  compare: null,
  chooseK: null,
  segmentationColours: null,
  error: null,
  frames: 0,
};
(window as unknown as { __emgpuDemo: DemoState }).__emgpuDemo = hook;

// ---- DOM ----------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}
const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);
const select = (id: string): HTMLSelectElement => $<HTMLSelectElement>(id);

const ui = {
  error: $('error'),
  errorText: $('error-text'),
  status: $('status'),
  progress: $('progress'),
  backend: $('backend-name'),
  renderer: $('renderer'),
  gpuNotice: $('gpu-notice'),
  dataInfo: $('data-info'),
  columns: $('columns'),
  columnList: $('column-list'),
  wrap: $('scatter-wrap'),
  overlay: $<HTMLCanvasElement>('overlay'),
  accuracy: $('accuracy'),
  imagePanel: $('image-panel'),
  original: $<HTMLCanvasElement>('original'),
  segmented: $<HTMLCanvasElement>('segmented'),
  segmentedCaption: $('segmented-caption'),
  lbChart: $<HTMLCanvasElement>('lb-chart'),
  params: $<HTMLTableElement>('params'),
  comparePanel: $('compare-panel'),
  compareChart: $<HTMLCanvasElement>('compare-chart'),
  compareSummary: $('compare-summary'),
  kPanel: $('choose-k-panel'),
  kChart: $<HTMLCanvasElement>('k-chart'),
  kSummary: $('k-summary'),
  run: $<HTMLButtonElement>('run'),
  stop: $<HTMLButtonElement>('stop'),
  compare: $<HTMLButtonElement>('compare'),
  chooseK: $<HTMLButtonElement>('choose-k'),
};

function showError(message: string): void {
  hook.error = message;
  ui.errorText.textContent = message;
  ui.error.hidden = false;
}
function clearError(): void {
  hook.error = null;
  ui.error.hidden = true;
}
$('error-close').addEventListener('click', clearError);
window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => {
  const reason: unknown = e.reason;
  showError(`Unexpected error: ${reason instanceof Error ? reason.message : String(reason)}`);
});

function setStatus(text: string, busy = hook.running): void {
  ui.status.textContent = text;
  ui.progress.hidden = !busy;
}

const fmtInt = (n: number): string => n.toLocaleString('en');
const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

// ---- page state ---------------------------------------------------------------------------

interface Model {
  readonly covarianceType: CovarianceType;
  readonly d: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

interface ImageSource {
  readonly width: number;
  readonly height: number;
  readonly name: string;
  readonly pixels: Uint8ClampedArray;
}

const page = {
  renderer: null as PointRenderer | null,
  scatter: null as HTMLCanvasElement | null,
  columnNames: [] as string[],
  columnData: [] as Float32Array[],
  jitter: null as Float32Array | null,
  truth: null as Int32Array | null,
  fitColumns: [0, 1] as number[],
  /** Columns of the model's features 0 and 1 in the dataset (what is plotted). */
  plotted: [0, 1] as number[],
  model: null as Model | null,
  labels: null as Int32Array | null,
  view: { cx: 0, cy: 0, sx: 1, sy: 1 } as View,
  home: { cx: 0, cy: 0, sx: 1, sy: 1 } as View,
  dirty: true,
  source: 'generator' as 'generator' | 'csv' | 'image',
  lastSpec: null as DataSpec | null,
  image: null as ImageSource | null,
  lowerBounds: [] as number[],
  iterationTimes: [] as number[],
  compareLive: { cpu: [] as number[], webgpu: [] as number[] },
};

// ---- the worker ---------------------------------------------------------------------------

type Handler = (message: FromWorker) => void;
let worker: Worker;
let nextId = 1;
const handlers = new Map<number, Handler>();
const stopFlag = typeof SharedArrayBuffer !== 'undefined' && self.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
let currentJob: { id: number; reject: (e: Error) => void } | null = null;

function startWorker(): void {
  worker = new Worker(new URL('./fit-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => handlers.get(event.data.id)?.(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    showError(`The fit worker failed: ${event.message || 'it could not start'}.`);
    currentJob?.reject(new Error('The fit worker failed.'));
  };
  if (stopFlag !== null) post({ type: 'stop-flag', flag: stopFlag });
}

function post(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

class JobError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Sends one job; `onMessage` sees its streamed messages; resolves with the final one. */
function job<T extends FromWorker['type']>(
  make: (id: number) => ToWorker,
  done: T,
  onMessage: Handler = () => {},
  transfer: Transferable[] = [],
): Promise<Extract<FromWorker, { type: T }>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    currentJob = { id, reject };
    handlers.set(id, (message) => {
      if (message.type === done) {
        handlers.delete(id);
        resolve(message as Extract<FromWorker, { type: T }>);
      } else if (message.type === 'error') {
        handlers.delete(id);
        reject(new JobError(message.name, message.message));
      } else {
        onMessage(message);
      }
    });
    if (stopFlag !== null) Atomics.store(stopFlag, 0, 0);
    post(make(id), transfer);
  });
}

let stopTimer: number | undefined;
function stop(): void {
  if (!hook.running || currentJob === null) return;
  const jobId = currentJob.id;
  setStatus('Stopping…', true);
  if (stopFlag !== null) Atomics.store(stopFlag, 0, 1);
  post({ type: 'stop', id: jobId });
  // A worker that cannot see the shared flag (no cross-origin isolation) and is busy in a
  // long synchronous pass is replaced; the data is loaded again from the last source.
  window.clearTimeout(stopTimer);
  stopTimer = window.setTimeout(() => {
    if (currentJob?.id !== jobId) return;
    worker.terminate();
    handlers.delete(jobId);
    const reject = currentJob.reject;
    startWorker();
    const error = new Error('Stopped by the user.');
    error.name = 'AbortError';
    reject(error);
    if (page.lastSpec !== null) void reloadAfterRestart(page.lastSpec);
  }, 4000);
}

async function reloadAfterRestart(spec: DataSpec): Promise<void> {
  // Images and CSV files are re-sent from what the page kept; generators are re-run.
  try {
    if (spec.kind === 'image' && page.image !== null) {
      const pixels = page.image.pixels.slice();
      await job((id) => ({ type: 'load', id, spec: { ...spec, pixels } }), 'loaded', undefined, [pixels.buffer]);
    } else {
      await job((id) => ({ type: 'load', id, spec }), 'loaded');
    }
  } catch (error) {
    showError(`Reloading the data after Stop failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ---- settings -----------------------------------------------------------------------------

function intFrom(id: string, name: string, min: number, max: number): number {
  const raw = input(id).value.trim();
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${fmtInt(min)} to ${fmtInt(max)}; got “${raw}”.`);
  }
  return value;
}

function readSettings(): FitSettings {
  const nComponents = intFrom('k', 'K', 1, 64);
  const maxIter = intFrom('max-iter', 'Max iterations', 0, 100000);
  const tolText = input('tol').value.trim();
  const tol = Number(tolText);
  if (tolText === '' || !Number.isFinite(tol) || tol < 0) throw new Error(`Tolerance must be a number ≥ 0 (e.g. 1e-3); got “${tolText}”.`);
  const seedText = input('seed').value.trim();
  const randomState = seedText === '' ? null : intFrom('seed', 'Seed', 0, 0xffffffff);
  if (page.fitColumns.length === 0) throw new Error('Choose at least one column to fit.');
  if (hook.points > 0 && nComponents > hook.points) {
    throw new Error(`K = ${nComponents} is larger than the number of points (${fmtInt(hook.points)}); lower K or load more data.`);
  }
  return {
    nComponents,
    covarianceType: select('covariance-type').value as CovarianceType,
    initParams: select('init-params').value as InitMethod,
    maxIter,
    tol,
    randomState,
    backend: select('backend').value as BackendChoice,
    columns: [...page.fitColumns],
  };
}

/** Settings from the address bar (?n=…&k=…&backend=…&maxIter=…&tol=…&autorun=0), for links and tests. */
function applyUrlSettings(): void {
  const q = new URLSearchParams(location.search);
  const set = (key: string, id: string): void => {
    const v = q.get(key);
    if (v !== null) input(id).value = v;
  };
  set('n', 'n');
  set('clusters', 'true-k');
  set('spread', 'spread');
  set('dataSeed', 'data-seed');
  set('k', 'k');
  set('maxIter', 'max-iter');
  set('tol', 'tol');
  set('seed', 'seed');
  const choose = (key: string, id: string, allowed: readonly string[]): void => {
    const v = q.get(key);
    if (v !== null && allowed.includes(v)) select(id).value = v;
  };
  choose('backend', 'backend', BACKEND_CHOICES);
  choose('cov', 'covariance-type', COVARIANCE_TYPES);
  choose('init', 'init-params', INIT_METHODS);
  choose('shape', 'shape', ['blobs', 'anisotropic', 'unequal', 'noise']);
}

function setBusy(phase: string | null): void {
  hook.running = phase !== null;
  hook.phase = phase ?? 'idle';
  ui.stop.disabled = phase === null || phase === 'loading';
  for (const b of [ui.run, ui.compare, ui.chooseK]) b.disabled = phase !== null;
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLButtonElement>('.source input, .source button, .source select, .tab, #column-list input')) {
    el.disabled = phase !== null;
  }
  ui.progress.hidden = phase === null;
}

// ---- data ---------------------------------------------------------------------------------

function generatorSpec(): DataSpec {
  return {
    kind: 'generator',
    shape: select('shape').value as GeneratorShape,
    n: intFrom('n', 'Points', 1, MAX_POINTS),
    k: intFrom('true-k', 'Clusters', 1, 32),
    spread: Number(input('spread').value),
    seed: intFrom('data-seed', 'Data seed', 0, 0xffffffff),
  };
}

async function loadData(spec: DataSpec, transfer: Transferable[] = []): Promise<void> {
  clearError();
  setBusy('loading');
  const what = spec.kind === 'generator' ? `${fmtInt(spec.n)} points` : spec.kind === 'csv' ? spec.file.name : spec.name;
  setStatus(`Loading ${what}…`, true);
  try {
    const reply = await job((id) => ({ type: 'load', id, spec }), 'loaded', undefined, transfer);
    page.lastSpec = spec.kind === 'image' ? { ...spec, pixels: new Uint8ClampedArray(0) } : spec;
    const info = reply.info;
    page.columnNames = info.columnNames;
    page.columnData = info.columns;
    page.truth = info.truth;
    page.jitter = null;
    hook.points = info.rows;
    hook.columns = info.columnNames;
    const d = info.columnNames.length;
    page.fitColumns = spec.kind === 'image' ? info.columnNames.map((_, i) => i) : d >= 2 ? [0, 1] : [0];
    resetFitOutputs();
    renderColumnChoices(spec.kind === 'csv');
    setPlotColumns();
    const skipped = info.skipped.length > 0 ? ` Skipped non-numeric columns: ${info.skipped.join('; ')}.` : '';
    ui.dataInfo.textContent = `${fmtInt(info.rows)} rows × ${d} column${d === 1 ? '' : 's'} (${info.columnNames.join(', ')}), ready in ${fmtMs(reply.millis)}.${skipped}`;
    ui.imagePanel.hidden = spec.kind !== 'image';
    setStatus(`${fmtInt(info.rows)} points loaded. Press Run to fit.`, false);
  } catch (error) {
    setStatus('No data loaded.', false);
    showError(error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    setBusy(null);
  }
}

function resetFitOutputs(): void {
  page.model = null;
  page.labels = null;
  page.lowerBounds = [];
  page.iterationTimes = [];
  hook.iteration = 0;
  hook.lowerBounds = [];
  hook.iterationTimes = [];
  hook.accuracy = null;
  hook.nIter = 0;
  hook.converged = null;
  hook.segmentationColours = null;
  ui.accuracy.hidden = true;
  page.renderer?.setLabels(null);
  renderParams();
  drawLowerBound();
  const ctx = ui.segmented.getContext('2d');
  ctx?.clearRect(0, 0, ui.segmented.width, ui.segmented.height);
  page.dirty = true;
}

function renderColumnChoices(show: boolean): void {
  ui.columns.hidden = !show;
  ui.columnList.replaceChildren();
  if (!show) return;
  page.columnNames.forEach((name, i) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = String(i);
    box.checked = page.fitColumns.includes(i);
    box.addEventListener('change', () => {
      const chosen = [...ui.columnList.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => Number(b.value));
      page.fitColumns = chosen;
      resetFitOutputs();
      setPlotColumns();
    });
    label.append(box, document.createTextNode(name));
    ui.columnList.append(label);
  });
}

/** Plots the first two fitted columns (one column: against a small random jitter). */
function setPlotColumns(): void {
  const renderer = page.renderer;
  const cols = page.fitColumns.length > 0 ? page.fitColumns : [0];
  const xIndex = cols[0] as number;
  const xs = page.columnData[xIndex];
  if (xs === undefined) return;
  let ys: Float32Array;
  const yIndex = cols[1];
  if (yIndex !== undefined && page.columnData[yIndex] !== undefined) {
    ys = page.columnData[yIndex];
  } else {
    if (page.jitter === null || page.jitter.length !== xs.length) {
      page.jitter = new Float32Array(xs.length);
      let s = 12345;
      for (let i = 0; i < xs.length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        page.jitter[i] = s / 4294967296;
      }
    }
    ys = page.jitter;
  }
  page.plotted = [xIndex, yIndex ?? -1];
  renderer?.setPoints(xs, ys);
  homeView(xs, ys);
  page.dirty = true;
}

function homeView(xs: Float32Array, ys: Float32Array): void {
  // Bounds from the 0.1 % and 99.9 % quantiles of a sample, so a few outliers do not shrink the picture.
  const sample = (arr: Float32Array): [number, number] => {
    const step = Math.max(1, Math.floor(arr.length / 20000));
    const vals: number[] = [];
    for (let i = 0; i < arr.length; i += step) vals.push(arr[i] as number);
    vals.sort((a, b) => a - b);
    const lo = vals[Math.floor(vals.length * 0.001)] ?? 0;
    const hi = vals[Math.min(vals.length - 1, Math.ceil(vals.length * 0.999))] ?? 1;
    return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
  };
  const [x0, x1] = sample(xs);
  const [y0, y1] = sample(ys);
  const w = ui.wrap.clientWidth || 800;
  const h = ui.wrap.clientHeight || 500;
  const sx = (w * 0.9) / (x1 - x0);
  const sy = (h * 0.88) / (y1 - y0);
  // Same units on both axes when they are comparable (keeps circles round).
  const ratio = sx / sy;
  const uniform = ratio > 0.25 && ratio < 4 ? Math.min(sx, sy) : null;
  page.home = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, sx: uniform ?? sx, sy: uniform ?? sy };
  page.view = { ...page.home };
}

// ---- images -------------------------------------------------------------------------------

async function decodeImage(blob: Blob, name: string): Promise<ImageSource> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(`${name} could not be read as an image; choose a PNG, JPEG, GIF or WebP file.`);
  }
  let { width, height } = bitmap;
  if (width === 0 || height === 0) throw new Error(`${name} has no pixels.`);
  const scale = Math.min(1, Math.sqrt(MAX_IMAGE_PIXELS / (width * height)));
  width = Math.max(1, Math.round(width * scale));
  height = Math.max(1, Math.round(height * scale));
  ui.original.width = width;
  ui.original.height = height;
  ui.segmented.width = width;
  ui.segmented.height = height;
  const ctx = ui.original.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('The browser refused a 2D canvas for the image.');
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, width, height).data;
  return { width, height, name: scale < 1 ? `${name} (scaled to ${width}×${height})` : name, pixels };
}

async function loadImage(blob: Blob, name: string): Promise<void> {
  clearError();
  let image: ImageSource;
  try {
    image = await decodeImage(blob, name);
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  page.image = image;
  const pixels = image.pixels.slice(); // the worker gets its own copy, transferred
  await loadData(
    { kind: 'image', name: image.name, width: image.width, height: image.height, pixels, withPosition: input('with-position').checked },
    [pixels.buffer],
  ).catch(() => {});
}

async function loadSampleImage(): Promise<void> {
  try {
    const response = await fetch('china.jpg');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await loadImage(await response.blob(), 'china.jpg');
  } catch (error) {
    showError(`The sample photo could not be loaded (${error instanceof Error ? error.message : String(error)}).`);
  }
}

function paintSegmentation(result: FitResult): void {
  const image = page.image;
  if (image === null) return;
  const ctx = ui.segmented.getContext('2d', { willReadFrequently: true });
  if (ctx === null) return;
  const out = ctx.createImageData(image.width, image.height);
  const d = result.nFeatures;
  const k = result.weights.length;
  // Colour columns may be a subset: fall back to the pixels' own mean where one is not fitted.
  const rgbIndex = [0, 1, 2].map((c) => page.fitColumns.indexOf(c));
  const colours = new Uint8ClampedArray(k * 3);
  for (let c = 0; c < k; c++) {
    for (let ch = 0; ch < 3; ch++) {
      const j = rgbIndex[ch] as number;
      colours[c * 3 + ch] = j >= 0 ? Math.round((result.means[c * d + j] as number) * 255) : 128;
    }
  }
  const labels = result.labels;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    out.data[i * 4] = colours[c * 3] as number;
    out.data[i * 4 + 1] = colours[c * 3 + 1] as number;
    out.data[i * 4 + 2] = colours[c * 3 + 2] as number;
    out.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
  hook.segmentationColours = countColours(out.data);
  ui.segmentedCaption.textContent = `Segmented into ${hook.segmentationColours} colours: each pixel in its component's mean colour`;
}

// ---- drawing ------------------------------------------------------------------------------

function resizeCanvases(): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(ui.wrap.clientWidth * dpr));
  const h = Math.max(1, Math.round(ui.wrap.clientHeight * dpr));
  for (const canvas of [page.scatter, ui.overlay]) {
    if (canvas !== null && (canvas.width !== w || canvas.height !== h)) {
      canvas.width = w;
      canvas.height = h;
    }
  }
  page.dirty = true;
}

function pointStyle(): { pointSize: number; alpha: number } {
  const dpr = window.devicePixelRatio || 1;
  const n = hook.points;
  // Zooming in spreads the points: let them grow a little and get more opaque.
  const zoom = Math.sqrt(page.view.sx / page.home.sx);
  const base = n <= 5_000 ? 5 : n <= 50_000 ? 3 : n <= 300_000 ? 2 : 1.25;
  const alpha = n <= 5_000 ? 0.9 : n <= 50_000 ? 0.7 : n <= 300_000 ? 0.45 : n <= 2_000_000 ? 0.22 : 0.12;
  return { pointSize: Math.min(8, base * Math.max(1, zoom)) * dpr, alpha: Math.min(0.95, alpha * Math.max(1, zoom)) };
}

function toScreen(x: number, y: number): [number, number] {
  const v = page.view;
  return [(x - v.cx) * v.sx + ui.wrap.clientWidth / 2, ui.wrap.clientHeight / 2 - (y - v.cy) * v.sy];
}

function drawOverlay(): void {
  const ctx = fitCanvas(ui.overlay);
  if (ctx === null) return;
  const W = ui.wrap.clientWidth;
  const H = ui.wrap.clientHeight;
  ctx.clearRect(0, 0, W, H);
  // Axis ticks along the bottom and left edges.
  const v = page.view;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = 'rgba(200, 210, 230, 0.55)';
  ctx.strokeStyle = 'rgba(200, 210, 230, 0.25)';
  const tick = (range: number): number => {
    const raw = range / 6;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  };
  const xMin = v.cx - W / 2 / v.sx;
  const xMax = v.cx + W / 2 / v.sx;
  const yMin = v.cy - H / 2 / v.sy;
  const yMax = v.cy + H / 2 / v.sy;
  const xs = tick(xMax - xMin);
  const ys = tick(yMax - yMin);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  for (let x = Math.ceil(xMin / xs) * xs; x <= xMax; x += xs) {
    const [px] = toScreen(x, 0);
    ctx.beginPath();
    ctx.moveTo(px, H);
    ctx.lineTo(px, H - 5);
    ctx.stroke();
    ctx.fillText(formatTick(x, xs), px, H - 6);
  }
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (let y = Math.ceil(yMin / ys) * ys; y <= yMax; y += ys) {
    const [, py] = toScreen(0, y);
    ctx.beginPath();
    ctx.moveTo(0, py);
    ctx.lineTo(5, py);
    ctx.stroke();
    ctx.fillText(formatTick(y, ys), 7, py);
  }
  const xName = page.columnNames[page.plotted[0] ?? 0] ?? '';
  const yName = (page.plotted[1] ?? -1) >= 0 ? (page.columnNames[page.plotted[1] as number] ?? '') : '(jitter)';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(`x: ${xName}   y: ${yName}`, W - 10, 8);

  const model = page.model;
  if (model === null) return;
  const k = model.weights.length;
  const d = model.d;
  for (let c = 0; c < k; c++) {
    const mx = model.means[c * d] as number;
    const my = d >= 2 ? (model.means[c * d + 1] as number) : 0.5;
    if (d >= 2) {
      const [a, b, cc] = covariance2(model.covarianceType, model.covariances, c, d);
      const { r1, r2, angle } = ellipseAxes(a, b, cc);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (const sigma of [3, 2, 1]) {
        const path = new Path2D();
        for (let s = 0; s <= 72; s++) {
          const t = (s / 72) * Math.PI * 2;
          const ex = sigma * r1 * Math.cos(t);
          const ey = sigma * r2 * Math.sin(t);
          const [px, py] = toScreen(mx + cos * ex - sin * ey, my + sin * ex + cos * ey);
          if (s === 0) path.moveTo(px, py);
          else path.lineTo(px, py);
        }
        // A dark halo under a light line keeps the ellipse visible over its own points.
        ctx.setLineDash(sigma === 3 ? [5, 4] : []);
        ctx.strokeStyle = 'rgba(5, 8, 14, 0.55)';
        ctx.lineWidth = 3.5;
        ctx.stroke(path);
        ctx.strokeStyle = sigma === 1 ? 'rgba(255, 255, 255, 0.95)' : cssColour(c, sigma === 2 ? 0.95 : 0.8);
        ctx.lineWidth = sigma === 1 ? 1.75 : 1.5;
        ctx.stroke(path);
      }
      ctx.setLineDash([]);
    } else {
      // One feature: the mean and ±1σ as vertical lines.
      const sd = Math.sqrt(model.covarianceType === 'tied' ? (model.covariances[0] as number) : (model.covariances[c] as number));
      ctx.strokeStyle = cssColour(c, 0.8);
      for (const x of [mx - sd, mx, mx + sd]) {
        const [px] = toScreen(x, 0);
        ctx.beginPath();
        ctx.moveTo(px, 0);
        ctx.lineTo(px, H);
        ctx.stroke();
      }
    }
    const [px, py] = toScreen(mx, my);
    ctx.fillStyle = cssColour(c);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}

function frame(): void {
  if (page.dirty && page.renderer !== null) {
    page.dirty = false;
    try {
      page.renderer.draw(page.view, pointStyle());
      hook.frames++;
    } catch (error) {
      showError(`Drawing failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    drawOverlay();
  }
  requestAnimationFrame(frame);
}

function setupPanZoom(): void {
  let drag: { x: number; y: number; cx: number; cy: number } | null = null;
  ui.wrap.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, cx: page.view.cx, cy: page.view.cy };
    ui.wrap.setPointerCapture(e.pointerId);
    ui.wrap.classList.add('dragging');
  });
  ui.wrap.addEventListener('pointermove', (e) => {
    if (drag === null) return;
    page.view.cx = drag.cx - (e.clientX - drag.x) / page.view.sx;
    page.view.cy = drag.cy + (e.clientY - drag.y) / page.view.sy;
    page.dirty = true;
  });
  const end = (): void => {
    drag = null;
    ui.wrap.classList.remove('dragging');
  };
  ui.wrap.addEventListener('pointerup', end);
  ui.wrap.addEventListener('pointercancel', end);
  ui.wrap.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const rect = ui.wrap.getBoundingClientRect();
      const mx = e.clientX - rect.left - rect.width / 2;
      const my = rect.height / 2 - (e.clientY - rect.top);
      const factor = Math.exp(-e.deltaY * 0.0015);
      const v = page.view;
      // Keep the data point under the cursor fixed.
      const dx = v.cx + mx / v.sx;
      const dy = v.cy + my / v.sy;
      v.sx *= factor;
      v.sy *= factor;
      v.cx = dx - mx / v.sx;
      v.cy = dy - my / v.sy;
      page.dirty = true;
    },
    { passive: false },
  );
  ui.wrap.addEventListener('dblclick', () => {
    page.view = { ...page.home };
    page.dirty = true;
  });
}

function drawLowerBound(): void {
  const xs = page.lowerBounds.map((_, i) => i + 1);
  drawLineChart(ui.lbChart, [{ name: 'lower bound', xs, ys: page.lowerBounds, colour: '#4ea0ff' }], {
    xLabel: 'iteration',
    yLabel: 'mean log-likelihood',
    integerX: true,
    empty: 'Run a fit: the lower bound appears here, iteration by iteration.',
  });
}

function renderParams(): void {
  const model = page.model;
  const body = document.createElement('tbody');
  if (model === null) {
    body.innerHTML = '<tr><td class="muted">Run a fit to see the weights, means and covariances.</td></tr>';
    ui.params.replaceChildren(body);
    return;
  }
  const d = model.d;
  const shown = Math.min(d, 3);
  const names = page.fitColumns.slice(0, shown).map((c) => page.columnNames[c] ?? `x${c}`);
  const head = document.createElement('thead');
  const twoD = d >= 2;
  head.innerHTML = `<tr><th>#</th><th>weight</th>${names.map((n) => `<th>μ ${escapeHtml(n)}</th>`).join('')}<th>σ₁</th>${twoD ? '<th>σ₂</th><th>ρ</th>' : ''}</tr>`;
  const order = [...model.weights.keys()].sort((a, b) => (model.weights[b] as number) - (model.weights[a] as number));
  for (const c of order) {
    const tr = document.createElement('tr');
    const cells: string[] = [`<span class="swatch" style="background:${cssColour(c)}"></span>${c}`, (model.weights[c] as number).toFixed(3)];
    for (let j = 0; j < shown; j++) cells.push(formatNumber(model.means[c * d + j] as number));
    if (twoD) {
      const [a, b, cc] = covariance2(model.covarianceType, model.covariances, c, d);
      cells.push(formatNumber(Math.sqrt(a)), formatNumber(Math.sqrt(cc)), (b / Math.sqrt(a * cc)).toFixed(2));
    } else {
      const v = model.covarianceType === 'tied' ? model.covariances[0] : model.covariances[c];
      cells.push(formatNumber(Math.sqrt(v as number)));
    }
    tr.innerHTML = cells.map((x) => `<td>${x}</td>`).join('');
    body.append(tr);
  }
  ui.params.replaceChildren(head, body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// ---- actions ------------------------------------------------------------------------------

function describeBackend(backend: string): void {
  hook.backend = backend;
  ui.backend.textContent = backend;
  ui.backend.title = backend;
}

function onIteration(info: IterationMessage, settings: FitSettings, label = ''): void {
  hook.iteration = info.iteration;
  page.model = { covarianceType: settings.covarianceType, d: settings.columns.length, weights: info.weights, means: info.means, covariances: info.covariances };
  describeBackend(info.backend);
  setStatus(`${label}iteration ${info.iteration} · lower bound ${info.lowerBound.toFixed(5)} · ${fmtMs(info.iterationTime)} per iteration · ${fmtInt(hook.points)} points · ${fmtMs(info.elapsed)} elapsed`, true);
  page.dirty = true;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function reportFailure(error: unknown, what: string): void {
  if (isAbort(error)) {
    hook.stoppedCount++;
    setStatus(`${what} stopped.`, false);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  setStatus(`${what} failed.`, false);
  showError(message);
}

/** The form's settings, or null after showing what is wrong with them. */
function settingsOrShowError(): FitSettings | null {
  try {
    return readSettings();
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return null;
  }
}

async function runFit(): Promise<void> {
  const settings = settingsOrShowError();
  if (settings === null) return;
  clearError();
  resetFitOutputs();
  setBusy('fit');
  setStatus(`Starting the fit (K = ${settings.nComponents}, ${settings.covarianceType}, backend ${settings.backend})…`, true);
  try {
    const reply = await job(
      (id) => ({ type: 'fit', id, settings }),
      'fitted',
      (message) => {
        if (message.type === 'progress') setStatus(message.message, true);
        if (message.type === 'iteration') {
          page.lowerBounds.push(message.info.lowerBound);
          drawLowerBound();
          onIteration(message.info, settings);
        }
      },
    );
    const r = reply.result;
    page.model = { covarianceType: r.covarianceType, d: r.nFeatures, weights: r.weights, means: r.means, covariances: r.covariances };
    page.labels = r.labels;
    page.lowerBounds = r.lowerBounds;
    page.iterationTimes = r.iterationTimes;
    page.renderer?.setLabels(r.labels);
    page.dirty = true;
    describeBackend(r.backend);
    Object.assign(hook, { lowerBounds: [...r.lowerBounds], iterationTimes: [...r.iterationTimes], nIter: r.nIter, iteration: r.nIter, converged: r.converged });
    hook.fitCount++;
    drawLowerBound();
    renderParams();
    if (page.truth !== null) {
      hook.accuracy = labelAccuracy(page.truth, r.labels);
      ui.accuracy.textContent = `${(hook.accuracy * 100).toFixed(3)}% of points labelled with their generating cluster (up to relabelling)`;
      ui.accuracy.hidden = false;
    }
    if (page.lastSpec?.kind === 'image') paintSegmentation(r);
    const per = median(r.iterationTimes);
    setStatus(
      `${r.converged ? 'Converged' : 'Stopped at max iterations'} after ${r.nIter} iteration${r.nIter === 1 ? '' : 's'} · ` +
        `lower bound ${(r.lowerBounds.at(-1) ?? NaN).toFixed(5)} · ${Number.isFinite(per) ? `${fmtMs(per)} per iteration · ` : ''}${fmtInt(hook.points)} points · ${fmtMs(r.totalTime)} in all`,
      false,
    );
  } catch (error) {
    reportFailure(error, 'The fit');
  } finally {
    setBusy(null);
  }
}

async function runCompare(): Promise<void> {
  const settings = settingsOrShowError();
  if (settings === null) return;
  clearError();
  setBusy('compare');
  hook.compare = null;
  ui.comparePanel.hidden = false;
  ui.compareSummary.textContent = 'Running the same fit (same data, same initial parameters) on the CPU, then on WebGPU…';
  page.compareLive = { cpu: [], webgpu: [] };
  const drawCompare = (): void => {
    const series = [
      { name: 'CPU', xs: page.compareLive.cpu.map((_, i) => i + 1), ys: page.compareLive.cpu, colour: '#ff8c3c' },
      { name: 'WebGPU', xs: page.compareLive.webgpu.map((_, i) => i + 1), ys: page.compareLive.webgpu, colour: '#4ea0ff' },
    ];
    drawLineChart(ui.compareChart, series, { xLabel: 'iteration', yLabel: 'ms per iteration', integerX: true });
  };
  try {
    const reply = await job(
      (id) => ({ type: 'compare', id, settings }),
      'compared',
      (message) => {
        if (message.type === 'progress') setStatus(`Compare: ${message.message}`, true);
        if (message.type === 'iteration') {
          const leg = message.phase === 'webgpu' ? 'webgpu' : 'cpu';
          page.compareLive[leg].push(message.info.iterationTime);
          onIteration(message.info, settings, `Compare (${leg === 'cpu' ? 'CPU' : 'WebGPU'}): `);
          drawCompare();
        }
      },
    );
    const r = reply.result;
    page.compareLive = { cpu: r.cpu.iterationTimes, webgpu: r.gpu?.iterationTimes ?? [] };
    drawCompare();
    const cpuMedian = median(r.cpu.iterationTimes);
    const gpuMedian = r.gpu === null ? null : median(r.gpu.iterationTimes);
    const speedup = gpuMedian !== null && gpuMedian > 0 ? cpuMedian / gpuMedian : null;
    hook.compare = { ...r, cpuMedian, gpuMedian, speedup };
    const row = (name: string, leg: CompareResult['cpu']): string =>
      `<tr><td>${name}</td><td>${fmtMs(median(leg.iterationTimes))}</td><td>${leg.iterationTimes.length}</td><td>${fmtMs(leg.totalTime)}</td></tr>` +
      `<tr><td colspan="4" class="muted">${escapeHtml(leg.backend)}</td></tr>`;
    ui.compareSummary.innerHTML =
      (speedup !== null ? `<div><span class="big">${speedup.toFixed(2)}×</span> WebGPU speed-up per iteration (median)</div>` : '') +
      `<table><thead><tr><th></th><th>median / iter</th><th>iters</th><th>total</th></tr></thead><tbody>${row('CPU', r.cpu)}${r.gpu ? row('WebGPU', r.gpu) : ''}</tbody></table>` +
      (r.gpuError !== null ? `<p class="muted">WebGPU did not run: ${escapeHtml(r.gpuError)}</p>` : '');
    setStatus(speedup !== null ? `Compare done: WebGPU ${speedup.toFixed(2)}× the CPU's speed per iteration.` : 'Compare done (CPU only: WebGPU unavailable).', false);
  } catch (error) {
    ui.compareSummary.textContent = '';
    reportFailure(error, 'Compare');
  } finally {
    setBusy(null);
  }
}

async function runChooseK(): Promise<void> {
  const settings = settingsOrShowError();
  if (settings === null) return;
  clearError();
  setBusy('choose-k');
  hook.chooseK = null;
  ui.kPanel.hidden = false;
  const live = { ks: [] as number[], bic: [] as number[], aic: [] as number[] };
  const drawK = (result: { ks: number[]; bic: number[]; aic: number[] }, final: boolean): void => {
    const argmin = (v: number[]): number => v.reduce((best, x, i) => (x < (v[best] as number) ? i : best), 0);
    drawLineChart(
      ui.kChart,
      [
        { name: 'BIC', xs: result.ks, ys: result.bic, colour: '#b482ff', ...(final ? { highlight: argmin(result.bic) } : {}) },
        { name: 'AIC', xs: result.ks, ys: result.aic, colour: '#5ad278', dashed: true, ...(final ? { highlight: argmin(result.aic) } : {}) },
      ],
      { xLabel: 'K', yLabel: 'criterion (lower is better)', integerX: true },
    );
  };
  ui.kSummary.textContent = 'Fitting K = 1 … 10…';
  drawK(live, false);
  try {
    const reply = await job(
      (id) => ({ type: 'choose-k', id, settings, maxK: 10 }),
      'chosen-k',
      (message) => {
        if (message.type === 'progress') setStatus(`Choose K: ${message.message}`, true);
        if (message.type === 'k-progress') {
          live.ks.push(message.k);
          live.bic.push(message.bic);
          live.aic.push(message.aic);
          drawK(live, false);
        }
      },
    );
    const r = reply.result;
    drawK(r, true);
    const best = (v: number[]): number => r.ks[v.indexOf(Math.min(...v))] ?? 1;
    const bestBic = best(r.bic);
    const bestAic = best(r.aic);
    hook.chooseK = { ...r, bestBic, bestAic };
    ui.kSummary.innerHTML =
      `Lowest BIC at <strong>K = ${bestBic}</strong>, lowest AIC at <strong>K = ${bestAic}</strong>` +
      (r.sampleRows < hook.points ? ` <span class="muted">(on a ${fmtInt(r.sampleRows)}-row subsample)</span>` : '') +
      `<br><button type="button" id="use-best-k">Use K = ${bestBic} and run</button>`;
    $('use-best-k').addEventListener('click', () => {
      input('k').value = String(bestBic);
      void runFit();
    });
    setStatus(`Choose K done: BIC picks K = ${bestBic}.`, false);
  } catch (error) {
    ui.kSummary.textContent = '';
    reportFailure(error, 'Choose K');
  } finally {
    setBusy(null);
  }
}

function selectSource(source: 'generator' | 'csv' | 'image'): void {
  page.source = source;
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) tab.setAttribute('aria-selected', String(tab.dataset.source === source));
  for (const s of ['generator', 'csv', 'image'] as const) $(`source-${s}`).hidden = s !== source;
}

// ---- start --------------------------------------------------------------------------------

async function probeWebGpu(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const present = q.get('present');
  const created = await createPointRenderer(
    $<HTMLCanvasElement>('scatter'),
    q.get('renderer') !== 'canvas2d',
    present === 'canvas' || present === 'readback' ? present : 'auto',
  );
  page.renderer = created.renderer;
  page.scatter = $<HTMLCanvasElement>('scatter');
  hook.renderer = created.renderer.kind;
  hook.rendererDescription = created.renderer.description;
  hook.adapter = created.adapterInfo || null;
  hook.webgpuAvailable = created.renderer.kind === 'webgpu';
  hook.webgpuReason = created.reason;
  ui.renderer.textContent = created.renderer.description;
  if (!hook.webgpuAvailable) {
    ui.gpuNotice.hidden = false;
    ui.gpuNotice.textContent = created.reason
      ? `WebGPU is not available here (${created.reason}). Fits run on the CPU engine and points are drawn with Canvas2D.`
      : 'Drawing with Canvas2D (asked for in the address).';
  }
}

async function main(): Promise<void> {
  applyUrlSettings();
  startWorker();
  await probeWebGpu();
  resizeCanvases();
  new ResizeObserver(() => {
    resizeCanvases();
    drawLowerBound();
  }).observe(ui.wrap);
  setupPanZoom();
  requestAnimationFrame(frame);
  drawLowerBound();

  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
    tab.addEventListener('click', () => selectSource(tab.dataset.source as 'generator' | 'csv' | 'image'));
  }
  $('generate').addEventListener('click', () => {
    let spec: DataSpec;
    try {
      spec = generatorSpec();
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
      return;
    }
    void loadData(spec).catch(() => {});
  });
  input('csv-file').addEventListener('change', () => {
    const file = input('csv-file').files?.[0];
    if (file !== undefined) void loadData({ kind: 'csv', file }).catch(() => {});
  });
  input('image-file').addEventListener('change', () => {
    const file = input('image-file').files?.[0];
    if (file !== undefined) void loadImage(file, file.name);
  });
  $('sample-image').addEventListener('click', () => void loadSampleImage());
  input('with-position').addEventListener('change', () => {
    if (page.source === 'image' && page.image !== null) {
      const pixels = page.image.pixels.slice();
      const { width, height, name } = page.image;
      void loadData({ kind: 'image', name, width, height, pixels, withPosition: input('with-position').checked }, [pixels.buffer]).catch(() => {});
    }
  });
  ui.run.addEventListener('click', () => void runFit());
  ui.stop.addEventListener('click', stop);
  ui.compare.addEventListener('click', () => void runCompare());
  ui.chooseK.addEventListener('click', () => void runChooseK());

  const q = new URLSearchParams(location.search);
  try {
    await loadData(generatorSpec());
  } catch {
    // shown in the error banner
  }
  hook.ready = true;
  if (q.get('autorun') !== '0' && hook.points > 0) void runFit();
}

void main().catch((error: unknown) => showError(`The demo could not start: ${error instanceof Error ? error.message : String(error)}`));
