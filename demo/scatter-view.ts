// The scatter panel: the point renderer (WebGPU, else Canvas2D), which columns are plotted,
// the view (home, pan and zoom), the point style, and the frame loop that draws the points
// and the overlay, each only when what it shows has changed.

import { messageOf } from './format.ts';
import { drawOverlay } from './scatter-overlay.ts';
import { CanvasPoints } from './scatter-canvas.ts';
import { WebGpuPoints, type PresentMode } from './scatter-webgpu.ts';
import type { PointRenderer, View } from './scatter.ts';
import { app, hook } from './state.ts';
import { $, showError, ui } from './ui.ts';

let renderer: PointRenderer | null = null;
let view: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
let home: View = { cx: 0, cy: 0, sx: 1, sy: 1 };
/** What the next animation frame must draw again: the points (slow on software adapters), the overlay (cheap). */
let pointsDirty = true;
let overlayDirty = true;
/** Dataset columns on the x and y axes (y −1: a random jitter, for one fitted column). */
let plotted: [number, number] = [0, 1];
let jitter: Float32Array | null = null;

/** Creates the renderer (WebGPU, else Canvas2D), says which in the page, and starts drawing. */
export async function startScatter(preferWebGpu: boolean, present: PresentMode | 'auto'): Promise<void> {
  const created = await createPointRenderer($<HTMLCanvasElement>('scatter'), preferWebGpu, present);
  renderer = created.renderer;
  renderer.onFrame = (frame) => {
    hook.frames++;
    hook.drawn = frame;
  };
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
  pointsDirty = overlayDirty = true;
}

/** Colours the points by component (null: all neutral). */
export function showLabels(labels: Int32Array | null): void {
  renderer?.setLabels(labels);
  pointsDirty = true;
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
  for (let i = 0; i < arr.length; i += step) if (!Number.isNaN(arr[i] as number)) vals.push(arr[i] as number); // missing values are not drawn
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.001)] ?? 0;
  const hi = vals[Math.min(vals.length - 1, Math.ceil(vals.length * 0.999))] ?? 1;
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function resizeCanvases(): void {
  const dpr = window.devicePixelRatio || 1;
  renderer?.resize(
    Math.max(1, Math.round(ui.wrap.clientWidth * dpr)),
    Math.max(1, Math.round(ui.wrap.clientHeight * dpr)),
  );
  pointsDirty = overlayDirty = true; // the overlay sizes itself when drawn
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
    pointsDirty = overlayDirty = true;
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
      pointsDirty = overlayDirty = true;
    },
    { passive: false },
  );
  ui.wrap.addEventListener('dblclick', () => {
    view = { ...home };
    pointsDirty = overlayDirty = true;
  });
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
