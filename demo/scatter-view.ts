// The scatter panel: the point renderer (WebGPU, else Canvas2D), which columns are plotted,
// the view (home, pan and zoom), the point style, and the frame loop that draws the points
// and the overlay, each only when what it shows has changed.

import { escapeHtml, formatNumber, messageOf } from './format.ts';
import { drawOverlay } from './scatter-overlay.ts';
import { CanvasPoints } from './scatter-canvas.ts';
import { WebGpuPoints, type PresentMode } from './scatter-webgpu.ts';
import { cssColour, type DrawStyle, type PointRenderer, type View } from './scatter.ts';
import { app, hook, type ViewMode } from './state.ts';
import { $, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

let renderer: PointRenderer | null = null;
let view: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
let home: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
/** What the next animation frame must draw again: the points (slow on software adapters), the overlay (cheap). */
let pointsDirty = true;
let overlayDirty = true;
/** Dataset columns on the x and y axes (y −1: a random jitter, for one fitted column). */
let plotted: [number, number] = [0, 1];
let jitter: Float32Array | null = null;
/** Labels handed to the renderer whose frame has not reached the page yet. */
let labelsPending = false;
/** Where the pointer hovers (CSS pixels in the scatter), to look up at the next frame; null: nothing to do. */
let hoverAt: { x: number; y: number } | null = null;
let hoverRow = -1;

/** Creates the renderer (WebGPU, else Canvas2D), says which in the page, and starts drawing. */
export async function startScatter(preferWebGpu: boolean, present: PresentMode | 'auto'): Promise<void> {
  const created = await createPointRenderer($<HTMLCanvasElement>('scatter'), preferWebGpu, present);
  renderer = created.renderer;
  renderer.onFrame = (frame) => {
    hook.frames++;
    hook.drawn = frame;
    if (frame.labelled && labelsPending) {
      labelsPending = false;
      showLabellingBadge(false);
    }
  };
  hook.renderer = created.renderer.kind;
  hook.rendererDescription = created.renderer.description;
  hook.adapter = created.adapterInfo || null;
  hook.webgpuAvailable = created.renderer.kind === 'webgpu';
  hook.webgpuReason = created.reason;
  // Short in the status bar; the whole description (adapter, read-back) in its tooltip.
  ui.renderer.textContent = created.renderer.kind === 'webgpu' ? 'WebGPU' : 'Canvas2D';
  ui.renderer.title = created.renderer.description;
  if (!hook.webgpuAvailable) {
    ui.gpuNotice.hidden = false;
    ui.gpuNotice.textContent = created.reason
      ? `WebGPU is not available here (${created.reason}). Fits run on the CPU engine and points are drawn with Canvas2D.`
      : 'Drawing with Canvas2D (asked for in the address).';
  }
  resizeCanvases();
  new ResizeObserver(resizeCanvases).observe(ui.wrap);
  setupPanZoom();
  requestAnimationFrame(frame);
}

/** Plots the first two fitted columns (one column: against a small random jitter). */
export function plotColumns(): void {
  const cols = app.fitColumns.length > 0 ? app.fitColumns : [0];
  const xIndex = cols[0] as number;
  const xs = app.columnData[xIndex];
  if (xs === undefined) return;
  const yIndex = cols[1];
  const ys = yIndex !== undefined ? app.columnData[yIndex] : undefined;
  plotted = [xIndex, ys !== undefined ? (yIndex as number) : -1];
  const y = ys ?? jitterFor(xs.length);
  renderer?.setPoints(xs, y);
  plottedChanged = true;
  homeView(xs, y);
  pointsDirty = overlayDirty = true;
}

/** Colours the points by component (null: all neutral); "colouring the points…" shows until the frame lands. */
export function showLabels(labels: Int32Array | null): void {
  renderer?.setLabels(labels);
  renderer?.setUncertainty(null);
  hook.uncertaintyShown = false;
  labelsPending = labels !== null;
  showLabellingBadge(labelsPending);
  hideTooltip();
  pointsDirty = overlayDirty = true;
}

/** The badge over the scatter saying the fitted labels are on their way to the points. */
export function showLabellingBadge(on: boolean): void {
  hook.labelling = on;
  ui.labelling.hidden = !on;
}

/** Each point's uncertainty (1 − max p) for the uncertainty view (null: none yet). */
export function showUncertainty(uncertainty: Float32Array | null): void {
  renderer?.setUncertainty(uncertainty);
  pointsDirty = true;
}

/** Points, uncertainty (size and opacity by 1 − max p) or density contours. */
export function setViewMode(mode: ViewMode): void {
  hook.viewMode = mode;
  pointsDirty = overlayDirty = true;
}

/** The scatter as one PNG: the points with the axes, ellipses or contours drawn over them. */
export function snapshotPng(): Promise<Blob> {
  const points = $<HTMLCanvasElement>('scatter');
  const copy = document.createElement('canvas');
  copy.width = points.width;
  copy.height = points.height;
  const ctx = copy.getContext('2d');
  if (ctx === null) return Promise.reject(new Error('The browser refused a 2D canvas for the picture.'));
  ctx.fillStyle = 'rgb(16, 20, 28)';
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(points, 0, 0);
  ctx.drawImage(ui.overlay, 0, 0, copy.width, copy.height);
  return new Promise((resolve, reject) =>
    copy.toBlob(
      (blob) => (blob === null ? reject(new Error('The picture could not be encoded as PNG.')) : resolve(blob)),
      'image/png',
    ),
  );
}

/** Draws the overlay again at the next frame (the model changed; the points did not). */
export function redrawOverlay(): void {
  overlayDirty = true;
}

/** A fixed pseudo-random column in [0, 1) (the same for every dataset of n rows). */
function jitterFor(n: number): Float32Array {
  if (jitter === null || jitter.length !== n) {
    jitter = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      jitter[i] = s / 4294967296;
    }
  }
  return jitter;
}

/** The data box the home view shows (kept to fit it again when the scatter is resized). */
let homeBox: [number, number, number, number] | null = null;
/** New data or columns: the next home fit resets the view. */
let plottedChanged = true;

function homeView(xs: Float32Array, ys: Float32Array): void {
  const [x0, x1] = robustRange(xs);
  const [y0, y1] = robustRange(ys);
  homeBox = [x0, x1, y0, y1];
  fitHome();
}

/** Fits the home view to the scatter's size; the view follows unless the user panned or zoomed. */
function fitHome(): void {
  if (homeBox === null) return;
  const [x0, x1, y0, y1] = homeBox;
  const atHome = view.cx === home.cx && view.cy === home.cy && view.sx === home.sx && view.sy === home.sy;
  const w = ui.wrap.clientWidth || 800;
  const h = ui.wrap.clientHeight || 500;
  const sx = (w * 0.9) / (x1 - x0);
  const sy = (h * 0.88) / (y1 - y0);
  // Same units on both axes when they are comparable (keeps circles round).
  const ratio = sx / sy;
  const uniform = ratio > 0.25 && ratio < 4 ? Math.min(sx, sy) : null;
  home = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, sx: uniform ?? sx, sy: uniform ?? sy };
  if (atHome || plottedChanged) view = { ...home };
  plottedChanged = false;
}

/** The 0.1 % and 99.9 % quantiles of a sample, so a few outliers do not shrink the picture. */
function robustRange(arr: Float32Array): [number, number] {
  const step = Math.max(1, Math.floor(arr.length / 20000));
  const vals: number[] = [];
  for (let i = 0; i < arr.length; i += step) if (!Number.isNaN(arr[i] as number)) vals.push(arr[i] as number); // missing values are not drawn
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.001)] ?? 0;
  const hi = vals[Math.min(vals.length - 1, Math.ceil(vals.length * 0.999))] ?? 1;
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function resizeCanvases(): void {
  fitHome();
  const dpr = window.devicePixelRatio || 1;
  renderer?.resize(
    Math.max(1, Math.round(ui.wrap.clientWidth * dpr)),
    Math.max(1, Math.round(ui.wrap.clientHeight * dpr)),
  );
  pointsDirty = overlayDirty = true; // the overlay sizes itself when drawn
}

function pointStyle(): DrawStyle {
  const dpr = window.devicePixelRatio || 1;
  const n = hook.points;
  // Zooming in spreads the points: let them grow a little and get more opaque.
  const zoom = Math.sqrt(view.sx / home.sx);
  const base = n <= 5_000 ? 5 : n <= 50_000 ? 3 : n <= 300_000 ? 2 : 1.25;
  const alpha = n <= 5_000 ? 0.9 : n <= 50_000 ? 0.7 : n <= 300_000 ? 0.45 : n <= 2_000_000 ? 0.22 : 0.12;
  const k = app.model?.weights.length ?? 1;
  return {
    pointSize: Math.min(8, base * Math.max(1, zoom)) * dpr,
    alpha: Math.min(0.95, alpha * Math.max(1, zoom)) * (hook.viewMode === 'density' ? 0.6 : 1),
    // 1 − max p is at most 1 − 1/K: scaled to [0, 1].
    uncertaintyScale: hook.viewMode === 'uncertainty' && k > 1 ? 1 / (1 - 1 / k) : 0,
  };
}

function axisNames(): { x: string; y: string } {
  const [x, y] = plotted;
  return { x: app.columnNames[x] ?? '', y: y >= 0 ? (app.columnNames[y] ?? '') : '(jitter)' };
}

function frame(): void {
  if (pointsDirty && renderer !== null) {
    pointsDirty = false;
    try {
      renderer.draw(view, pointStyle());
    } catch (error) {
      showError(`Drawing failed: ${messageOf(error)}`);
    }
  }
  if (overlayDirty) {
    overlayDirty = false;
    hook.contours = drawOverlay(ui.overlay, view, axisNames(), app.model, hook.viewMode);
  }
  if (hoverAt !== null) {
    const at = hoverAt;
    hoverAt = null;
    hover(at.x, at.y);
  }
  requestAnimationFrame(frame);
}

function setupPanZoom(): void {
  let drag: { x: number; y: number; cx: number; cy: number } | null = null;
  ui.wrap.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy };
    ui.wrap.setPointerCapture(e.pointerId);
    ui.wrap.classList.add('dragging');
  });
  ui.wrap.addEventListener('pointermove', (e) => {
    if (drag === null) {
      const rect = ui.wrap.getBoundingClientRect();
      hoverAt = { x: e.clientX - rect.left, y: e.clientY - rect.top };
      return;
    }
    hideTooltip();
    view.cx = drag.cx - (e.clientX - drag.x) / view.sx;
    view.cy = drag.cy + (e.clientY - drag.y) / view.sy;
    pointsDirty = overlayDirty = true;
  });
  const end = (): void => {
    drag = null;
    ui.wrap.classList.remove('dragging');
  };
  ui.wrap.addEventListener('pointerup', end);
  ui.wrap.addEventListener('pointerleave', () => {
    hoverAt = null;
    hideTooltip();
  });
  ui.wrap.addEventListener('pointercancel', end);
  ui.wrap.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const rect = ui.wrap.getBoundingClientRect();
      const mx = e.clientX - rect.left - rect.width / 2;
      const my = rect.height / 2 - (e.clientY - rect.top);
      const factor = Math.exp(-e.deltaY * 0.0015);
      // Keep the data point under the cursor fixed.
      const dx = view.cx + mx / view.sx;
      const dy = view.cy + my / view.sy;
      view.sx *= factor;
      view.sy *= factor;
      view.cx = dx - mx / view.sx;
      view.cy = dy - my / view.sy;
      pointsDirty = overlayDirty = true;
    },
    { passive: false },
  );
  ui.wrap.addEventListener('dblclick', () => {
    view = { ...home };
    pointsDirty = overlayDirty = true;
  });
}

function hideTooltip(): void {
  hoverRow = -1;
  hook.hover = null;
  ui.tooltip.hidden = true;
}

/** The point nearest to (x, y) in CSS pixels of the scatter, within 10 px; -1 if none. */
function nearestPoint(x: number, y: number): number {
  const xs = app.columnData[plotted[0]];
  const ys = plotted[1] >= 0 ? app.columnData[plotted[1]] : jitter;
  if (xs === undefined || ys === undefined || ys === null) return -1;
  const W = ui.wrap.clientWidth;
  const H = ui.wrap.clientHeight;
  const dx0 = view.cx + (x - W / 2) / view.sx;
  const dy0 = view.cy - (y - H / 2) / view.sy;
  let best = -1;
  let bestD = 100; // (10 px)²
  for (let i = 0; i < xs.length; i++) {
    const dx = ((xs[i] as number) - dx0) * view.sx;
    const dy = ((ys[i] as number) - dy0) * view.sy;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** The tooltip for the point under the pointer: its row's values, its component and its probabilities. */
function hover(x: number, y: number): void {
  const row = nearestPoint(x, y);
  if (row < 0) {
    hideTooltip();
    return;
  }
  const values = app.columnData.map((column) => column[row] as number);
  const label = app.labels?.[row];
  const component = label === undefined || label < 0 ? null : label;
  const show = (probabilities: number[] | null): void => {
    hook.hover = { row, values, component, probabilities };
    const lines = app.columnNames.map(
      (name, c) => `<tr><th>${escapeHtml(name)}</th><td>${formatNumber(values[c] as number)}</td></tr>`,
    );
    const head = `<div><strong>row ${row + 1}</strong>${component === null ? '' : ` · component <span class="swatch" style="background:${cssColour(component)}"></span>${component}`}</div>`;
    const probs =
      probabilities === null
        ? ''
        : `<div>p = ${probabilities.map((p, k) => `<span title="component ${k}" style="color:${cssColour(k)}">${p.toFixed(3)}</span>`).join(' ')}</div>`;
    ui.tooltip.innerHTML = `${head}<table>${lines.join('')}</table>${probs}`;
    ui.tooltip.hidden = false;
    const W = ui.wrap.clientWidth;
    const box = ui.tooltip.getBoundingClientRect();
    ui.tooltip.style.left = `${Math.max(4, Math.min(W - box.width - 4, x + 14))}px`;
    ui.tooltip.style.top = `${Math.max(4, y - box.height - 10)}px`;
  };
  hoverRow = row;
  show(null);
  if (hook.fitted && app.labels !== null) {
    void fitWorker.rowProbabilities(row).then((p) => {
      if (hoverRow === row && p !== null) show(p);
    });
  }
}

/** WebGPU when an adapter exists, else Canvas2D; `reason` says why the fallback was taken. */
async function createPointRenderer(
  canvas: HTMLCanvasElement,
  preferWebGpu: boolean,
  present: PresentMode | 'auto' = 'auto',
): Promise<{ renderer: PointRenderer; adapterInfo: string; reason: string }> {
  let reason = '';
  if (preferWebGpu && typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu) {
    try {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter === null) {
        reason = 'navigator.gpu.requestAdapter() returned no adapter';
      } else {
        const info = adapter.info;
        const adapterInfo =
          [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') +
          (info.isFallbackAdapter ? ' (software fallback adapter)' : '');
        const device = await adapter.requestDevice();
        device.lost
          .then((lost) =>
            console.warn(`scatter device lost at ${performance.now().toFixed(0)} ms: ${lost.reason} ${lost.message}`),
          )
          .catch(() => {});
        // Catch pipeline problems here rather than at the first frame.
        device.pushErrorScope('validation');
        const mode: PresentMode = present === 'auto' ? (info.isFallbackAdapter ? 'readback' : 'canvas') : present;
        const renderer = new WebGpuPoints(
          device,
          canvas,
          `WebGPU (${adapterInfo || 'unknown adapter'}${mode === 'readback' ? ', read back' : ''})`,
          mode,
        );
        const error = await device.popErrorScope();
        if (error !== null) throw new Error(error.message);
        return { renderer, adapterInfo: adapterInfo || 'unknown adapter', reason: '' };
      }
    } catch (error) {
      reason = `WebGPU set-up failed: ${messageOf(error)}`;
    }
  } else if (preferWebGpu) {
    reason = 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  }
  // A canvas that received a webgpu context cannot give a 2d one: use a fresh canvas.
  const fresh = canvas.cloneNode(false) as HTMLCanvasElement;
  canvas.replaceWith(fresh);
  return { renderer: new CanvasPoints(fresh, 'Canvas2D'), adapterInfo: '', reason };
}
