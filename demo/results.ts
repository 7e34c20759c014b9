// The fit's results beside and over the scatter: the lower-bound chart, the parameter table,
// the accuracy badge, and the CPU-vs-GPU and "Choose the model" panels.

import { COVARIANCE_TYPES, type CovarianceType, type Criterion, type SelectionRow } from '../src/index.ts';
import { covariance2, labelAccuracy } from './analysis.ts';
import { chartTextBoxes, drawLineChart, type Marker } from './chart.ts';
import { escapeHtml, fmtMs, formatNumber, median } from './format.ts';
import type { CompareLeg, CompareResult, SelectSettings } from './protocol.ts';
import { cssColour } from './scatter.ts';
import { redrawOverlay, showLabels } from './scatter-view.ts';
import { clearSegmentation } from './segmentation.ts';
import { app, hook } from './state.ts';
import { ui } from './ui.ts';

/** Forgets the last fit: model, labels, charts and readouts (new data, columns, or a new fit). */
export function clearResults(): void {
  app.model = null;
  app.labels = null;
  app.uncertainty = null;
  hook.fitted = false;
  app.lowerBounds = [];
  app.iterationTimes = [];
  Object.assign(hook, { iteration: 0, lowerBounds: [], iterationTimes: [], accuracy: null, nIter: 0, converged: null });
  ui.accuracy.hidden = true;
  ui.modelCaption.textContent = '';
  showLabels(null);
  renderParams();
  drawLowerBound();
  clearSegmentation();
  redrawOverlay();
}

/** What the lower-bound chart plots: one value per EM iteration, or per batch of a stream. */
let lowerBoundUnit: 'iteration' | 'batch' = 'iteration';

export function setLowerBoundUnit(unit: 'iteration' | 'batch'): void {
  lowerBoundUnit = unit;
  ui.lbTitle.textContent = unit === 'batch' ? 'Mean log-likelihood per batch (stream)' : 'Lower bound per iteration';
}

export function drawLowerBound(): void {
  const xs = app.lowerBounds.map((_, i) => i + 1);
  const batch = lowerBoundUnit === 'batch';
  drawLineChart(ui.lbChart, [{ name: 'lower bound', xs, ys: app.lowerBounds, colour: '#4ea0ff' }], {
    xLabel: batch ? 'batch' : 'EM iteration',
    yLabel: batch ? "batch's mean log-likelihood" : 'lower bound (mean log-likelihood)',
    integerX: true,
    empty: 'Run a fit: the lower bound appears here, iteration by iteration.',
  });
  recordChart(ui.lbChart);
}

/** Keeps the texts a chart drew in the test hook (the tests check that none overlap). */
function recordChart(canvas: HTMLCanvasElement): void {
  hook.charts[canvas.id] = chartTextBoxes(canvas);
}

/** The weights, means (every fitted column, the table scrolls) and 2-D spread of each component, in component order. */
export function renderParams(): void {
  const model = app.model;
  const body = document.createElement('tbody');
  if (model === null) {
    body.innerHTML = '<tr><td class="muted">Run a fit to see the weights, means and covariances.</td></tr>';
    ui.params.replaceChildren(body);
    return;
  }
  const d = model.d;
  const shown = Math.min(d, 12);
  const names = app.fitColumns.slice(0, shown).map((c) => app.columnNames[c] ?? `x${c}`);
  const head = document.createElement('thead');
  const twoD = d >= 2;
  const [n0, n1] = [names[0] ?? 'x', names[1] ?? 'y'].map(escapeHtml);
  head.innerHTML =
    `<tr><th>#</th><th>weight</th>${names.map((n) => `<th title="mean of ${escapeHtml(n)}">μ ${escapeHtml(n)}</th>`).join('')}` +
    `<th title="standard deviation of ${n0}">σ ${n0}</th>` +
    (twoD
      ? `<th title="standard deviation of ${n1}">σ ${n1}</th><th title="correlation of ${n0} and ${n1}">ρ</th>`
      : '') +
    '</tr>';
  for (let c = 0; c < model.weights.length; c++) {
    const tr = document.createElement('tr');
    const cells: string[] = [
      `<span class="swatch" style="background:${cssColour(c)}"></span>${c}`,
      (model.weights[c] as number).toFixed(3),
    ];
    for (let j = 0; j < shown; j++) cells.push(formatNumber(model.means[c * d + j] as number));
    if (twoD) {
      const [a, b, cc] = covariance2(model.covarianceType, model.covariances, c, d);
      const rho = b / Math.sqrt(a * cc);
      cells.push(formatNumber(Math.sqrt(a)), formatNumber(Math.sqrt(cc)), rho.toFixed(3).replace(/^-(0\.000)$/, '$1'));
    } else {
      const v = model.covarianceType === 'tied' ? model.covariances[0] : model.covariances[c];
      cells.push(formatNumber(Math.sqrt(v as number)));
    }
    tr.innerHTML = cells.map((x) => `<td>${x}</td>`).join('');
    body.append(tr);
  }
  ui.params.replaceChildren(head, body);
}

/** Names the model the parameter table shows (e.g. "full, K = 4 · best by BIC of 8"). */
export function setModelCaption(text: string): void {
  ui.modelCaption.textContent = text;
}

/** For generated data: how many points got their generating cluster (shown as a badge). */
export function showAccuracy(truth: Int32Array, labels: Int32Array): void {
  hook.accuracy = labelAccuracy(truth, labels);
  ui.accuracy.textContent = `${(hook.accuracy * 100).toFixed(3)}% of points labelled with their generating cluster (up to relabelling)`;
  ui.accuracy.hidden = false;
}

// ---- Compare CPU vs GPU -------------------------------------------------------------------

export function drawCompareChart(cpu: readonly number[], webgpu: readonly number[]): void {
  const series = [
    { name: 'CPU', xs: cpu.map((_, i) => i + 1), ys: cpu, colour: '#ff8c3c' },
    { name: 'WebGPU', xs: webgpu.map((_, i) => i + 1), ys: webgpu, colour: '#4ea0ff' },
  ];
  drawLineChart(ui.compareChart, series, { xLabel: 'EM iteration', yLabel: 'ms per iteration', integerX: true });
  recordChart(ui.compareChart);
}

/** Median time per iteration of each leg, and the speed-up; returns the speed-up (null: no GPU leg). */
export function showCompareSummary(r: CompareResult): number | null {
  const cpuMedian = median(r.cpu.iterationTimes);
  const gpuMedian = r.gpu === null ? null : median(r.gpu.iterationTimes);
  const speedup = gpuMedian !== null && gpuMedian > 0 ? cpuMedian / gpuMedian : null;
  hook.compare = { ...r, cpuMedian, gpuMedian, speedup };
  const row = (name: string, leg: CompareLeg): string =>
    `<tr><td>${name}</td><td>${fmtMs(median(leg.iterationTimes))}</td><td>${leg.iterationTimes.length}</td><td>${fmtMs(leg.totalTime)}</td></tr>` +
    `<tr><td colspan="4" class="muted">${escapeHtml(leg.backend)}</td></tr>`;
  ui.compareSummary.innerHTML =
    (speedup !== null
      ? `<div><span class="big">${speedup.toFixed(2)}×</span> WebGPU speed-up per iteration (median)</div>`
      : '') +
    `<table><thead><tr><th></th><th>median / iter</th><th>iters</th><th>total</th></tr></thead><tbody>${row('CPU', r.cpu)}${r.gpu ? row('WebGPU', r.gpu) : ''}</tbody></table>` +
    (r.gpuError !== null ? `<p class="muted">WebGPU did not run: ${escapeHtml(r.gpuError)}</p>` : '');
  return speedup;
}

// ---- Choose the model ---------------------------------------------------------------------

/** Fourteen colours that stay apart on the dark background, one per covariance model. */
const SERIES_COLOURS = [
  '#4ea0ff',
  '#ff8c3c',
  '#5ad278',
  '#b482ff',
  '#f05a64',
  '#fad246',
  '#3cd7d7',
  '#ff78c8',
  '#aac85a',
  '#c8a078',
  '#8c9bff',
  '#ffb4a0',
  '#50b48c',
  '#e6e6e6',
];
const SERIES_MARKERS: readonly Marker[] = ['circle', 'square', 'triangle', 'diamond', 'down', 'cross', 'plus'];

/** The colour, marker and dash of a covariance type's line, by its place in COVARIANCE_TYPES (distinct for 28). */
export function typeStyle(type: CovarianceType): { colour: string; marker: Marker; dashed: boolean } {
  const i = Math.max(0, (COVARIANCE_TYPES as readonly string[]).indexOf(type));
  return {
    colour: SERIES_COLOURS[i % SERIES_COLOURS.length] as string,
    marker: SERIES_MARKERS[i % SERIES_MARKERS.length] as Marker,
    // Past fourteen types (sklearn's names beside mclust's), the colours repeat with dashed lines.
    dashed: Math.floor(i / SERIES_COLOURS.length) % 2 === 1,
  };
}

export function criterionName(criterion: Criterion): string {
  return criterion.toUpperCase();
}

/**
 * The criterion against K, one line per covariance type (mclust's BIC picture), the best cell
 * ringed once known; cells not fitted yet are gaps. Returns the lines drawn.
 */
export function drawSelectionChart(
  rows: readonly SelectionRow[],
  select: SelectSettings,
  best: SelectionRow | null,
): string[] {
  const ks = Array.from({ length: select.maxK }, (_, i) => i + 1);
  const series = select.covarianceTypes.map((type) => {
    const ys = ks.map(
      (k) => rows.find((r) => r.covarianceType === type && r.nComponents === k)?.[select.criterion] ?? NaN,
    );
    const highlight = best !== null && best.covarianceType === type ? { highlight: best.nComponents - 1 } : {};
    return { name: type, xs: ks, ys, ...typeStyle(type), ...highlight };
  });
  const drawn = drawLineChart(ui.selectChart, series, {
    xLabel: 'K (number of components)',
    yLabel: `${criterionName(select.criterion)} (lower is better)`,
    integerX: true,
    legend: 'right',
    empty: 'The first models are being fitted…',
  });
  recordChart(ui.selectChart);
  return drawn;
}

/** A criterion's value for the table: whole numbers once they are large, with thousands marked. */
function formatCriterion(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : v.toFixed(1);
}

/** The grid's table (type, K, BIC, AIC, ICL, iterations, seconds); the best row highlighted. */
export function renderSelectionTable(
  rows: readonly SelectionRow[],
  criterion: Criterion,
  bestIndex: number | null,
): void {
  const head = document.createElement('thead');
  const crit = (['bic', 'aic', 'icl'] as const).map(
    (c) =>
      `<th${c === criterion ? ' class="criterion" title="the criterion that picks the best"' : ''}>${criterionName(c)}${c === criterion ? ' ▾' : ''}</th>`,
  );
  head.innerHTML = `<tr><th>type</th><th>K</th>${crit.join('')}<th>iter</th><th>s</th></tr>`;
  const body = document.createElement('tbody');
  rows.forEach((row, i) => {
    const tr = document.createElement('tr');
    if (i === bestIndex) tr.className = 'best';
    const value = (c: Criterion): string =>
      `<td data-column="${c}" data-value="${row[c]}">${formatCriterion(row[c])}</td>`;
    const iters = row.converged
      ? String(row.nIter)
      : `<span title="did not converge within max iterations">${row.nIter}*</span>`;
    tr.innerHTML =
      `<td style="color:${typeStyle(row.covarianceType).colour}">${row.covarianceType}</td><td>${row.nComponents}</td>` +
      `${value('bic')}${value('aic')}${value('icl')}<td>${iters}</td><td>${row.seconds.toFixed(1)}</td>`;
    body.append(tr);
  });
  ui.selectTable.replaceChildren(head, body);
}

/** The line under the chart: progress while the grid runs, then the choice. */
export function showSelectionSummary(html: string): void {
  ui.selectSummary.innerHTML = html;
}

/** Text for a row: "full, K = 4". */
export function describeCell(row: Pick<SelectionRow, 'covarianceType' | 'nComponents'>): string {
  return `${row.covarianceType}, K = ${row.nComponents}`;
}
