// The fit's results beside and over the scatter: the lower-bound chart, the parameter table,
// the accuracy badge, and the CPU-vs-GPU and "Choose the model" panels.

import { COVARIANCE_TYPES, type CovarianceType, type Criterion, type SelectionRow } from '../src/index.ts';
import { covariance2, labelAccuracy } from './analysis.ts';
import { drawLineChart } from './chart.ts';
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

export function drawLowerBound(): void {
  const xs = app.lowerBounds.map((_, i) => i + 1);
  drawLineChart(ui.lbChart, [{ name: 'lower bound', xs, ys: app.lowerBounds, colour: '#4ea0ff' }], {
    xLabel: 'iteration',
    yLabel: 'mean log-likelihood',
    integerX: true,
    empty: 'Run a fit: the lower bound appears here, iteration by iteration.',
  });
}

/** The weights, means (first three columns) and 2-D spread of each component, heaviest first. */
export function renderParams(): void {
  const model = app.model;
  const body = document.createElement('tbody');
  if (model === null) {
    body.innerHTML = '<tr><td class="muted">Run a fit to see the weights, means and covariances.</td></tr>';
    ui.params.replaceChildren(body);
    return;
  }
  const d = model.d;
  const shown = Math.min(d, 3);
  const names = app.fitColumns.slice(0, shown).map((c) => app.columnNames[c] ?? `x${c}`);
  const head = document.createElement('thead');
  const twoD = d >= 2;
  head.innerHTML = `<tr><th>#</th><th>weight</th>${names.map((n) => `<th>μ ${escapeHtml(n)}</th>`).join('')}<th>σ₁</th>${twoD ? '<th>σ₂</th><th>ρ</th>' : ''}</tr>`;
  const order = [...model.weights.keys()].sort((a, b) => (model.weights[b] as number) - (model.weights[a] as number));
  for (const c of order) {
    const tr = document.createElement('tr');
    const cells: string[] = [
      `<span class="swatch" style="background:${cssColour(c)}"></span>${c}`,
      (model.weights[c] as number).toFixed(3),
    ];
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
  drawLineChart(ui.compareChart, series, { xLabel: 'iteration', yLabel: 'ms per iteration', integerX: true });
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

const SKLEARN_COLOURS: Record<string, string> = {
  full: '#4ea0ff',
  tied: '#ff8c3c',
  diag: '#5ad278',
  spherical: '#b482ff',
};

/** sklearn's four by fixed colours; mclust's 14 models spread around the hue circle in their order. */
const TYPE_COLOURS = Object.fromEntries(
  COVARIANCE_TYPES.map((type, i) => [type, SKLEARN_COLOURS[type] ?? `hsl(${((i - 4) * 360) / 14} 70% 62%)`]),
) as Record<CovarianceType, string>;

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
    return { name: type, xs: ks, ys, colour: TYPE_COLOURS[type], ...highlight };
  });
  return drawLineChart(ui.selectChart, series, {
    xLabel: 'K',
    yLabel: `${criterionName(select.criterion)} (lower is better)`,
    integerX: true,
    legend: 'right',
    empty: 'The first models are being fitted…',
  });
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
      `<td style="color:${TYPE_COLOURS[row.covarianceType]}">${row.covarianceType}</td><td>${row.nComponents}</td>` +
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
