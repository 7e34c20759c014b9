// A small line chart on a canvas: a few series, each with its colour, marker and dash, ticks
// whose labels always differ, the axis titles outside the tick labels, and a legend outside the
// plot (right of it, or above it) so that it covers no data. Points that are not finite (not
// computed yet) are gaps. Every text it draws is recorded as a box (chartTextBoxes), so the
// browser tests can check that no two overlap.

import { niceTicks } from './format.ts';

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'down' | 'cross' | 'plus';

export interface Series {
  readonly name: string;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly colour: string;
  /** Index of a point to mark (e.g. the minimum). */
  readonly highlight?: number;
  readonly dashed?: boolean;
  readonly marker?: Marker;
}

export interface ChartOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly integerX?: boolean;
  /** Shown in the middle when there is nothing to draw. */
  readonly empty?: string;
  /** Where the legend goes, outside the plot (default 'top'); none for a single series. */
  readonly legend?: 'top' | 'right';
}

/** A text drawn on a chart, in CSS pixels of its canvas. */
export interface TextBox {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const textBoxes = new WeakMap<HTMLCanvasElement, TextBox[]>();

/** The texts the last drawing of `canvas` put on it. */
export function chartTextBoxes(canvas: HTMLCanvasElement): TextBox[] {
  return textBoxes.get(canvas) ?? [];
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

const FONT_PX = 11;

/** Draws text aligned as given and records its box. */
function label(
  ctx: CanvasRenderingContext2D,
  boxes: TextBox[],
  text: string,
  x: number,
  y: number,
  align: 'left' | 'center' | 'right',
  baseline: 'top' | 'middle',
): void {
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
  ctx.fillText(text, x, y);
  const width = ctx.measureText(text).width;
  const left = align === 'left' ? x : align === 'right' ? x - width : x - width / 2;
  const top = baseline === 'top' ? y : y - FONT_PX / 2;
  boxes.push({ text, x: left, y: top, width, height: FONT_PX });
}

/** Splits `text` into lines no wider than `width`. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function drawMarker(ctx: CanvasRenderingContext2D, marker: Marker, x: number, y: number, r: number): void {
  ctx.beginPath();
  switch (marker) {
    case 'circle':
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      return;
    case 'square':
      ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      return;
    case 'triangle':
    case 'down': {
      const s = marker === 'triangle' ? 1 : -1;
      ctx.moveTo(x, y - s * r * 1.2);
      ctx.lineTo(x + r * 1.1, y + s * r * 0.8);
      ctx.lineTo(x - r * 1.1, y + s * r * 0.8);
      ctx.closePath();
      ctx.fill();
      return;
    }
    case 'diamond':
      ctx.moveTo(x, y - r * 1.3);
      ctx.lineTo(x + r * 1.1, y);
      ctx.lineTo(x, y + r * 1.3);
      ctx.lineTo(x - r * 1.1, y);
      ctx.closePath();
      ctx.fill();
      return;
    case 'cross':
    case 'plus': {
      const d = marker === 'cross' ? r * 0.9 : r * 1.2;
      const lw = ctx.lineWidth;
      ctx.lineWidth = 1.8;
      if (marker === 'cross') {
        ctx.moveTo(x - d, y - d);
        ctx.lineTo(x + d, y + d);
        ctx.moveTo(x - d, y + d);
        ctx.lineTo(x + d, y - d);
      } else {
        ctx.moveTo(x - d, y);
        ctx.lineTo(x + d, y);
        ctx.moveTo(x, y - d);
        ctx.lineTo(x, y + d);
      }
      ctx.stroke();
      ctx.lineWidth = lw;
      return;
    }
  }
}

/** Draws the series; returns the names of those it drew a point of. */
export function drawLineChart(canvas: HTMLCanvasElement, series: readonly Series[], options: ChartOptions): string[] {
  const boxes: TextBox[] = [];
  textBoxes.set(canvas, boxes);
  const ctx = fitCanvas(canvas);
  if (ctx === null) return [];
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  ctx.clearRect(0, 0, W, H);
  if (W < 20 || H < 20) return [];
  const style = getComputedStyle(canvas);
  const text = style.getPropertyValue('--chart-text').trim() || '#9aa4b5';
  const grid = style.getPropertyValue('--chart-grid').trim() || 'rgba(255,255,255,0.08)';
  ctx.font = `${FONT_PX}px system-ui, sans-serif`;
  ctx.fillStyle = text;
  const finite = series
    .flatMap((s) => s.xs.map((x, i) => [x, s.ys[i] as number] as const))
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length === 0) {
    const lines = wrap(ctx, options.empty ?? 'no data yet', W - 24);
    lines.forEach((line, i) =>
      label(ctx, boxes, line, W / 2, H / 2 + (i - (lines.length - 1) / 2) * 15, 'center', 'middle'),
    );
    return [];
  }
  let x0 = Math.min(...finite.map((p) => p[0]));
  let x1 = Math.max(...finite.map((p) => p[0]));
  let y0 = Math.min(...finite.map((p) => p[1]));
  let y1 = Math.max(...finite.map((p) => p[1]));
  if (x1 === x0) {
    x0 -= options.integerX ? 0 : 0.5;
    x1 += options.integerX ? 1 : 0.5;
  }
  // A span below a few units in the ninth digit is rounding noise (a fit that converged at once):
  // show at least that much, so the tick labels stay short.
  const minSpan = Math.max(Math.abs(y0), Math.abs(y1)) * 1e-8;
  if (y1 - y0 < minSpan) {
    const mid = (y0 + y1) / 2;
    const pad = minSpan / 2 || 1;
    y0 = mid - pad;
    y1 = mid + pad;
  } else {
    const pad = (y1 - y0) * 0.06;
    y0 -= pad;
    y1 += pad;
  }
  const yTicks = niceTicks(y0, y1, 4);
  const xTicks = niceTicks(x0, x1, 6, options.integerX === true);
  const yLabelWidth = Math.max(...yTicks.labels.map((t) => ctx.measureText(t).width));
  const left = Math.ceil(yLabelWidth) + 12;
  // The legend's box, outside the plot.
  const legendRows = series.length > 1 ? series.map((s) => ({ s, w: 30 + ctx.measureText(s.name).width })) : [];
  const legendRight = options.legend === 'right' && legendRows.length > 0;
  const rowH = 14;
  let legendWidth = 0;
  let legendColumns = 1;
  if (legendRight) {
    const fitRows = Math.max(1, Math.floor((H - 24) / rowH));
    legendColumns = Math.ceil(legendRows.length / fitRows);
    legendWidth = legendColumns * (Math.max(...legendRows.map((r) => r.w)) + 6);
  }
  // A top legend wraps into as many lines as it needs.
  const topLines: (typeof legendRows)[] = [];
  if (!legendRight && legendRows.length > 0) {
    let line: typeof legendRows = [];
    let used = 0;
    for (const row of legendRows) {
      if (line.length > 0 && used + row.w > W - left - 8) {
        topLines.push(line);
        line = [];
        used = 0;
      }
      line.push(row);
      used += row.w + 8;
    }
    topLines.push(line);
  }
  const right = 10 + (legendRight ? legendWidth + 8 : 0);
  // Above the plot: the legend lines (top legend), then the y axis's title.
  const top = 6 + topLines.length * rowH + FONT_PX + 12;
  const bottom = 36;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  if (plotW < 20 || plotH < 20) return [];
  const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number): number => top + (1 - (y - y0) / (y1 - y0)) * plotH;
  ctx.strokeStyle = grid;
  ctx.fillStyle = text;
  ctx.lineWidth = 1;
  yTicks.values.forEach((y, i) => {
    ctx.beginPath();
    ctx.moveTo(left, py(y));
    ctx.lineTo(left + plotW, py(y));
    ctx.stroke();
    label(ctx, boxes, yTicks.labels[i] as string, left - 6, py(y), 'right', 'middle');
  });
  // X tick labels: skip any that would touch the previous one.
  let lastRight = -Infinity;
  xTicks.values.forEach((x, i) => {
    const t = xTicks.labels[i] as string;
    const w = ctx.measureText(t).width;
    if (px(x) - w / 2 < lastRight + 6) return;
    lastRight = px(x) + w / 2;
    label(ctx, boxes, t, px(x), top + plotH + 5, 'center', 'top');
  });
  label(ctx, boxes, options.xLabel, left + plotW / 2, H - FONT_PX - 4, 'center', 'top');
  label(ctx, boxes, options.yLabel, Math.max(2, left - yLabelWidth - 6), top - FONT_PX - 8, 'left', 'top');
  // Series, clipped to the plot.
  ctx.save();
  ctx.beginPath();
  ctx.rect(left - 8, top - 8, plotW + 16, plotH + 16);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    let started = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i] as number;
      if (!Number.isFinite(y)) {
        started = false;
        return;
      }
      if (started) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      started = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.xs.length <= 60) {
      s.xs.forEach((x, i) => {
        const y = s.ys[i] as number;
        if (Number.isFinite(y)) drawMarker(ctx, s.marker ?? 'circle', px(x), py(y), 2.8);
      });
    }
    if (s.highlight !== undefined) {
      const x = s.xs[s.highlight];
      const y = s.ys[s.highlight];
      if (x !== undefined && y !== undefined && Number.isFinite(y)) {
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(px(x), py(y), 7, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
  }
  ctx.restore();
  // Legend, outside the plot.
  const legendEntry = (s: Series, x: number, y: number): void => {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 20, y);
    ctx.stroke();
    ctx.setLineDash([]);
    drawMarker(ctx, s.marker ?? 'circle', x + 10, y, 3);
    ctx.fillStyle = text;
    label(ctx, boxes, s.name, x + 25, y, 'left', 'middle');
  };
  if (legendRight) {
    const perColumn = Math.ceil(legendRows.length / legendColumns);
    const colW = legendWidth / legendColumns;
    legendRows.forEach((row, i) => {
      const col = Math.floor(i / perColumn);
      legendEntry(row.s, W - legendWidth - 4 + col * colW, top + (i % perColumn) * rowH + 4);
    });
  } else {
    topLines.forEach((line, j) => {
      let x = left;
      for (const row of line) {
        legendEntry(row.s, x, 6 + j * rowH + rowH / 2);
        x += row.w + 8;
      }
    });
  }
  return series.filter((s) => s.ys.some((y, i) => Number.isFinite(y) && Number.isFinite(s.xs[i]))).map((s) => s.name);
}
