// What is drawn over the points: axis ticks, the plotted columns' names, and each component's
// mean with its 1/2/3-σ ellipses (one feature: the mean and ±1σ as vertical lines).

import { covariance2, ellipseAxes } from './analysis.ts';
import { fitCanvas } from './chart.ts';
import { formatTick, niceStep } from './format.ts';
import { cssColour, type View } from './scatter.ts';
import type { Model } from './state.ts';

/** Data -> CSS pixels of a W × H box (see View). */
function screenOf(view: View, W: number, H: number): (x: number, y: number) => [number, number] {
  return (x, y) => [(x - view.cx) * view.sx + W / 2, H / 2 - (y - view.cy) * view.sy];
}

export function drawOverlay(
  canvas: HTMLCanvasElement,
  view: View,
  axes: { x: string; y: string },
  model: Model | null,
): void {
  const ctx = fitCanvas(canvas);
  if (ctx === null) return;
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  ctx.clearRect(0, 0, W, H);
  const toScreen = screenOf(view, W, H);
  drawAxes(ctx, view, W, H, toScreen);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(`x: ${axes.x}   y: ${axes.y}`, W - 10, 8);
  if (model !== null) drawComponents(ctx, model, H, toScreen);
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
