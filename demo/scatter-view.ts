// The scatter panel: the point renderer, which columns are plotted, the view (home, pan and
// zoom), the point style, and the frame loop that draws the points and the overlay.

import { messageOf } from './format.ts';
import { drawOverlay } from './scatter-overlay.ts';
import { createPointRenderer, type PointRenderer, type PresentMode, type View } from './scatter.ts';
import { app, hook } from './state.ts';
import { $, showError, ui } from './ui.ts';

let renderer: PointRenderer | null = null;
let scatterCanvas: HTMLCanvasElement | null = null;
let view: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
let home: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
let dirty = true;
/** Dataset columns on the x and y axes (y −1: a random jitter, for one fitted column). */
let plotted: [number, number] = [0, 1];
let jitter: Float32Array | null = null;

/** Creates the renderer (WebGPU, else Canvas2D), says which in the page, and starts drawing. */
export async function startScatter(preferWebGpu: boolean, present: PresentMode | 'auto'): Promise<void> {
  const created = await createPointRenderer($<HTMLCanvasElement>('scatter'), preferWebGpu, present);
  renderer = created.renderer;
  // The fallback replaces the canvas element, so look it up again.
  scatterCanvas = $<HTMLCanvasElement>('scatter');
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
  homeView(xs, y);
  dirty = true;
}

/** Colours the points by component (null: all neutral). */
export function showLabels(labels: Int32Array | null): void {
  renderer?.setLabels(labels);
  dirty = true;
}

/** Draws again at the next frame (the model or the data changed). */
export function redraw(): void {
  dirty = true;
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

function homeView(xs: Float32Array, ys: Float32Array): void {
  const [x0, x1] = robustRange(xs);
  const [y0, y1] = robustRange(ys);
  const w = ui.wrap.clientWidth || 800;
  const h = ui.wrap.clientHeight || 500;
  const sx = (w * 0.9) / (x1 - x0);
  const sy = (h * 0.88) / (y1 - y0);
  // Same units on both axes when they are comparable (keeps circles round).
  const ratio = sx / sy;
  const uniform = ratio > 0.25 && ratio < 4 ? Math.min(sx, sy) : null;
  home = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, sx: uniform ?? sx, sy: uniform ?? sy };
  view = { ...home };
}

/** The 0.1 % and 99.9 % quantiles of a sample, so a few outliers do not shrink the picture. */
function robustRange(arr: Float32Array): [number, number] {
  const step = Math.max(1, Math.floor(arr.length / 20000));
  const vals: number[] = [];
  for (let i = 0; i < arr.length; i += step) vals.push(arr[i] as number);
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.001)] ?? 0;
  const hi = vals[Math.min(vals.length - 1, Math.ceil(vals.length * 0.999))] ?? 1;
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function resizeCanvases(): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(ui.wrap.clientWidth * dpr));
  const h = Math.max(1, Math.round(ui.wrap.clientHeight * dpr));
  for (const canvas of [scatterCanvas, ui.overlay]) {
    if (canvas !== null && (canvas.width !== w || canvas.height !== h)) {
      canvas.width = w;
      canvas.height = h;
    }
  }
  dirty = true;
}

function pointStyle(): { pointSize: number; alpha: number } {
  const dpr = window.devicePixelRatio || 1;
  const n = hook.points;
  // Zooming in spreads the points: let them grow a little and get more opaque.
  const zoom = Math.sqrt(view.sx / home.sx);
  const base = n <= 5_000 ? 5 : n <= 50_000 ? 3 : n <= 300_000 ? 2 : 1.25;
  const alpha = n <= 5_000 ? 0.9 : n <= 50_000 ? 0.7 : n <= 300_000 ? 0.45 : n <= 2_000_000 ? 0.22 : 0.12;
  return { pointSize: Math.min(8, base * Math.max(1, zoom)) * dpr, alpha: Math.min(0.95, alpha * Math.max(1, zoom)) };
}

function axisNames(): { x: string; y: string } {
  const [x, y] = plotted;
  return { x: app.columnNames[x] ?? '', y: y >= 0 ? (app.columnNames[y] ?? '') : '(jitter)' };
}

function frame(): void {
  if (dirty && renderer !== null) {
    dirty = false;
    try {
      renderer.draw(view, pointStyle());
      hook.frames++;
    } catch (error) {
      showError(`Drawing failed: ${messageOf(error)}`);
    }
    drawOverlay(ui.overlay, view, axisNames(), app.model);
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
    if (drag === null) return;
    view.cx = drag.cx - (e.clientX - drag.x) / view.sx;
    view.cy = drag.cy + (e.clientY - drag.y) / view.sy;
    dirty = true;
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
      // Keep the data point under the cursor fixed.
      const dx = view.cx + mx / view.sx;
      const dy = view.cy + my / view.sy;
      view.sx *= factor;
      view.sy *= factor;
      view.cx = dx - mx / view.sx;
      view.cy = dy - my / view.sy;
      dirty = true;
    },
    { passive: false },
  );
  ui.wrap.addEventListener('dblclick', () => {
    view = { ...home };
    dirty = true;
  });
}
