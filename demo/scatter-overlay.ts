// What is drawn over the points: axis ticks, the plotted columns' names, and each component's
// mean with its 1/2/3-σ ellipses (one feature: the mean and ±1σ as vertical lines), or, in the
// density view, contour lines of the fitted mixture's density over the two plotted columns.

import { contourSegments, covariance2, ellipseAxes, mixtureDensity2 } from './analysis.ts';
import { fitCanvas } from './chart.ts';
import { formatTick, niceStep } from './format.ts';
import { cssColour, type View } from './scatter.ts';
import type { Model, ViewMode } from './state.ts';

/** Data -> CSS pixels of a W × H box (see View). */
function screenOf(view: View, W: number, H: number): (x: number, y: number) => [number, number] {
  return (x, y) => [(x - view.cx) * view.sx + W / 2, H / 2 - (y - view.cy) * view.sy];
}

export function drawOverlay(
  canvas: HTMLCanvasElement,
  view: View,
  axes: { x: string; y: string },
  model: Model | null,
  mode: ViewMode = 'points',
): number {
  const ctx = fitCanvas(canvas);
  if (ctx === null) return 0;
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  ctx.clearRect(0, 0, W, H);
  const toScreen = screenOf(view, W, H);
  drawAxes(ctx, view, W, H, toScreen);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(`x: ${axes.x}   y: ${axes.y}`, W - 10, 8);
  if (model === null) return 0;
  if (mode === 'density' && model.d >= 2) {
    const levels = drawDensity(ctx, model, view, W, H);
    drawMeans(ctx, model, toScreen);
    return levels;
  }
  drawComponents(ctx, model, H, toScreen);
  return 0;
}

/** Density levels drawn: fractions of the largest density on the screen, about evenly spaced in log density. */
const DENSITY_LEVELS = [0.7, 0.35, 0.12, 0.04, 0.01, 0.002];
/** CSS pixels per cell of the grid the density is evaluated on. */
const DENSITY_CELL = 5;

/** Contours of the mixture's density (its marginal over the plotted columns) on a grid over the view; returns the levels drawn. */
function drawDensity(ctx: CanvasRenderingContext2D, model: Model, v: View, W: number, H: number): number {
  const nx = Math.max(2, Math.ceil(W / DENSITY_CELL) + 1);
  const ny = Math.max(2, Math.ceil(H / DENSITY_CELL) + 1);
  const xs = Float64Array.from({ length: nx }, (_, i) => v.cx + (i * DENSITY_CELL - W / 2) / v.sx);
  const ys = Float64Array.from({ length: ny }, (_, j) => v.cy - (j * DENSITY_CELL - H / 2) / v.sy);
  const grid = mixtureDensity2(model, xs, ys);
  let max = 0;
  for (const g of grid) max = Math.max(max, g);
  if (!(max > 0)) return 0;
  let drawn = 0;
  DENSITY_LEVELS.forEach((fraction, i) => {
    const segments = contourSegments(grid, nx, ny, fraction * max);
    if (segments.length === 0) return;
    drawn++;
    const path = new Path2D();
    for (let s = 0; s < segments.length; s += 4) {
      path.moveTo((segments[s] as number) * DENSITY_CELL, (segments[s + 1] as number) * DENSITY_CELL);
      path.lineTo((segments[s + 2] as number) * DENSITY_CELL, (segments[s + 3] as number) * DENSITY_CELL);
    }
    const t = i / (DENSITY_LEVELS.length - 1);
    ctx.strokeStyle = 'rgba(5, 8, 14, 0.6)';
    ctx.lineWidth = 3;
    ctx.stroke(path);
    ctx.strokeStyle = `hsla(${50 - 40 * t}, 95%, ${80 - 35 * t}%, ${0.95 - 0.4 * t})`;
    ctx.lineWidth = 1.5;
    ctx.stroke(path);
  });
  return drawn;
}

function drawMeans(
  ctx: CanvasRenderingContext2D,
  model: Model,
  toScreen: (x: number, y: number) => [number, number],
): void {
  const d = model.d;
  for (let c = 0; c < model.weights.length; c++) {
    const [px, py] = toScreen(model.means[c * d] as number, model.means[c * d + 1] as number);
    ctx.fillStyle = cssColour(c);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px, py, 4, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}

/** Ticks along the bottom and left edges. */
function drawAxes(
  ctx: CanvasRenderingContext2D,
  v: View,
  W: number,
  H: number,
  toScreen: (x: number, y: number) => [number, number],
): void {
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = 'rgba(200, 210, 230, 0.55)';
  ctx.strokeStyle = 'rgba(200, 210, 230, 0.25)';
  const xMin = v.cx - W / 2 / v.sx;
  const xMax = v.cx + W / 2 / v.sx;
  const yMin = v.cy - H / 2 / v.sy;
  const yMax = v.cy + H / 2 / v.sy;
  const xs = niceStep(xMax - xMin, 6);
  const ys = niceStep(yMax - yMin, 6);
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
}

function drawComponents(
  ctx: CanvasRenderingContext2D,
  model: Model,
  H: number,
  toScreen: (x: number, y: number) => [number, number],
): void {
  const d = model.d;
  for (let c = 0; c < model.weights.length; c++) {
    const mx = model.means[c * d] as number;
    const my = d >= 2 ? (model.means[c * d + 1] as number) : 0.5;
    if (d >= 2) drawEllipses(ctx, model, c, mx, my, toScreen);
    else {
      const sd = Math.sqrt(
        model.covarianceType === 'tied' ? (model.covariances[0] as number) : (model.covariances[c] as number),
      );
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

function drawEllipses(
  ctx: CanvasRenderingContext2D,
  model: Model,
  c: number,
  mx: number,
  my: number,
  toScreen: (x: number, y: number) => [number, number],
): void {
  const [a, b, cc] = covariance2(model.covarianceType, model.covariances, c, model.d);
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
}
