// A small line chart on a canvas: a few series (a legend when more than one), nice ticks,
// optional highlighted points; points that are not finite (not computed yet) are skipped.

import { formatTick, niceStep } from './format.ts';

export interface Series {
  readonly name: string;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly colour: string;
  /** Index of a point to mark (e.g. the minimum). */
  readonly highlight?: number;
  readonly dashed?: boolean;
}

export interface ChartOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly integerX?: boolean;
  /** Shown in the middle when there is nothing to draw. */
  readonly empty?: string;
  /** Where the legend goes (default 'left'): the top corner the lines are least likely to cross. */
  readonly legend?: 'left' | 'right';
}

/** Sizes the canvas's backing store to its CSS box; returns a 2D context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Draws the series; returns the names of those it drew a point of. */
export function drawLineChart(canvas: HTMLCanvasElement, series: readonly Series[], options: ChartOptions): string[] {
  const ctx = fitCanvas(canvas);
  if (ctx === null) return [];
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  ctx.clearRect(0, 0, W, H);
  const style = getComputedStyle(canvas);
  const text = style.getPropertyValue('--chart-text').trim() || '#9aa4b5';
  const grid = style.getPropertyValue('--chart-grid').trim() || 'rgba(255,255,255,0.08)';
  ctx.font = '11px system-ui, sans-serif';
  const finite = series
    .flatMap((s) => s.xs.map((x, i) => [x, s.ys[i] as number] as const))
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length === 0) {
    ctx.fillStyle = text;
    ctx.textAlign = 'center';
    ctx.fillText(options.empty ?? 'no data yet', W / 2, H / 2);
    return [];
  }
  let x0 = Math.min(...finite.map((p) => p[0]));
  let x1 = Math.max(...finite.map((p) => p[0]));
  let y0 = Math.min(...finite.map((p) => p[1]));
  let y1 = Math.max(...finite.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    const pad = Math.abs(y0) * 0.01 || 1;
    y0 -= pad;
    y1 += pad;
  } else {
    const pad = (y1 - y0) * 0.06;
    y0 -= pad;
    y1 += pad;
  }
  const left = 62;
  const right = 10;
  const top = 10;
  const bottom = 32;
  const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * (W - left - right);
  const py = (y: number): number => top + (1 - (y - y0) / (y1 - y0)) * (H - top - bottom);
  // Grid and ticks.
  ctx.strokeStyle = grid;
  ctx.fillStyle = text;
  ctx.lineWidth = 1;
  const yStep = niceStep(y1 - y0, 4);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let y = Math.ceil(y0 / yStep) * yStep; y <= y1; y += yStep) {
    ctx.beginPath();
    ctx.moveTo(left, py(y));
    ctx.lineTo(W - right, py(y));
    ctx.stroke();
    ctx.fillText(formatTick(y, yStep), left - 6, py(y));
  }
  let xStep = niceStep(x1 - x0, 6);
  if (options.integerX) xStep = Math.max(1, Math.round(xStep));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let x = Math.ceil(x0 / xStep) * xStep; x <= x1 + 1e-9; x += xStep) {
    ctx.fillText(formatTick(x, xStep), px(x), H - bottom + 5);
  }
  ctx.fillText(options.xLabel, left + (W - left - right) / 2, H - 13);
  ctx.save();
  ctx.translate(11, top + (H - top - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(options.yLabel, 0, 0);
  ctx.restore();
  // Series.
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    let started = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i] as number;
      if (!Number.isFinite(y)) return;
      if (started) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      started = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.xs.length <= 40) {
      s.xs.forEach((x, i) => {
        const y = s.ys[i] as number;
        if (!Number.isFinite(y)) return;
        ctx.beginPath();
        ctx.arc(px(x), py(y), 2.5, 0, Math.PI * 2);
        ctx.fill();
      });
    }
    if (s.highlight !== undefined) {
      const x = s.xs[s.highlight];
      const y = s.ys[s.highlight];
      if (x !== undefined && y !== undefined && Number.isFinite(y)) {
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(px(x), py(y), 6, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
  }
  // Legend.
  if (series.length > 1) {
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const widths = series.map((s) => 24 + ctx.measureText(s.name).width);
    let lx = options.legend === 'right' ? W - right - widths.reduce((a, b) => a + b, 0) : left + 8;
    for (const s of series) {
      ctx.fillStyle = s.colour;
      ctx.fillRect(lx, top + 6, 12, 3);
      ctx.fillStyle = text;
      ctx.fillText(s.name, lx + 16, top + 8);
      lx += 24 + ctx.measureText(s.name).width;
    }
  }
  return series.filter((s) => s.ys.some((y, i) => Number.isFinite(y) && Number.isFinite(s.xs[i]))).map((s) => s.name);
}
