// The fit's results beside and over the scatter: the lower-bound chart, the parameter table,
// the accuracy badge, and the CPU-vs-GPU and Choose-K panels.

import { covariance2, labelAccuracy } from './analysis.ts';
import { drawLineChart } from './chart.ts';
import { escapeHtml, fmtInt, fmtMs, formatNumber, median } from './format.ts';
import type { ChooseKResult, CompareLeg, CompareResult } from './protocol.ts';
import { cssColour } from './scatter.ts';
import { redrawOverlay, showLabels } from './scatter-view.ts';
import { clearSegmentation } from './segmentation.ts';
import { app, hook } from './state.ts';
import { $, ui } from './ui.ts';

/** Forgets the last fit: model, labels, charts and readouts (new data, columns, or a new fit). */
export function clearResults(): void {
  app.model = null;
  app.labels = null;
  app.lowerBounds = [];
  app.iterationTimes = [];
  Object.assign(hook, { iteration: 0, lowerBounds: [], iterationTimes: [], accuracy: null, nIter: 0, converged: null });
  ui.accuracy.hidden = true;
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
    (speedup !== null ? `<div><span class="big">${speedup.toFixed(2)}×</span> WebGPU speed-up per iteration (median)</div>` : '') +
    `<table><thead><tr><th></th><th>median / iter</th><th>iters</th><th>total</th></tr></thead><tbody>${row('CPU', r.cpu)}${r.gpu ? row('WebGPU', r.gpu) : ''}</tbody></table>` +
    (r.gpuError !== null ? `<p class="muted">WebGPU did not run: ${escapeHtml(r.gpuError)}</p>` : '');
  return speedup;
}

// ---- Choose K -----------------------------------------------------------------------------

/** BIC and AIC against K; `final` marks each criterion's minimum. */
export function drawChooseKChart(result: Pick<ChooseKResult, 'ks' | 'bic' | 'aic'>, final: boolean): void {
  const argmin = (v: number[]): number => v.reduce((best, x, i) => (x < (v[best] as number) ? i : best), 0);
  drawLineChart(
    ui.kChart,
    [
      { name: 'BIC', xs: result.ks, ys: result.bic, colour: '#b482ff', ...(final ? { highlight: argmin(result.bic) } : {}) },
      { name: 'AIC', xs: result.ks, ys: result.aic, colour: '#5ad278', dashed: true, ...(final ? { highlight: argmin(result.aic) } : {}) },
    ],
    { xLabel: 'K', yLabel: 'criterion (lower is better)', integerX: true },
  );
}

/** The best K by each criterion, with a button that fits the BIC's choice; returns that K. */
export function showChooseKSummary(r: ChooseKResult, useK: (k: number) => void): number {
  const best = (v: number[]): number => r.ks[v.indexOf(Math.min(...v))] ?? 1;
  const bestBic = best(r.bic);
  const bestAic = best(r.aic);
  hook.chooseK = { ...r, bestBic, bestAic };
  ui.kSummary.innerHTML =
    `Lowest BIC at <strong>K = ${bestBic}</strong>, lowest AIC at <strong>K = ${bestAic}</strong>` +
    (r.sampleRows < hook.points ? ` <span class="muted">(on a ${fmtInt(r.sampleRows)}-row subsample)</span>` : '') +
    `<br><button type="button" id="use-best-k">Use K = ${bestBic} and run</button>`;
  $('use-best-k').addEventListener('click', () => useK(bestBic));
  return bestBic;
}
