// What the buttons do: Run (one fit), Stop, Compare CPU vs GPU (the same fit on both engines
// from the same start), and Choose the model (the library's selectModel over K × covariance
// types, the best shown as the result). Each is one worker job.

import { fmtInt, fmtMs, median, messageOf } from './format.ts';
import type { SelectionRow } from '../src/index.ts';
import { isStopped, type FitResult, type FitSettings, type IterationMessage, type SelectSettings } from './protocol.ts';
import {
  clearResults,
  criterionName,
  describeCell,
  drawCompareChart,
  drawLowerBound,
  drawSelectionChart,
  renderParams,
  renderSelectionTable,
  setLowerBoundUnit,
  setModelCaption,
  showAccuracy,
  showCompareSummary,
  showSelectionSummary,
} from './results.ts';
import { redrawOverlay, showLabellingBadge, showLabels, showUncertainty } from './scatter-view.ts';
import { paintSegmentation } from './segmentation.ts';
import { readFitSettings, readSelectSettings, readStreamBatch } from './settings.ts';
import { app, hook } from './state.ts';
import { clearError, describeBackend, input, select, setBusy, setStatus, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

/** Reads the settings, marks the page busy, runs `body`, and reports how it ended. */
async function runAction(
  phase: string,
  what: string,
  body: (settings: FitSettings) => Promise<void>,
  onFailure: () => void = () => {},
): Promise<void> {
  let settings: FitSettings;
  try {
    settings = readFitSettings(app.fitColumns, hook.points);
  } catch (error) {
    showError(messageOf(error));
    return;
  }
  clearError();
  setBusy(phase);
  try {
    await body(settings);
  } catch (error) {
    onFailure();
    showLabellingBadge(false);
    if (isStopped(error)) {
      hook.stoppedCount++;
      setStatus(`${what} stopped.`, false);
    } else {
      setStatus(`${what} failed.`, false);
      showError(messageOf(error));
    }
  } finally {
    setBusy(null);
  }
  if (hook.viewMode === 'uncertainty') await loadUncertainty();
}

/** On a wide screen the side panel scrolls by itself: show the lower-bound chart at its top. */
function showLowerBoundChart(): void {
  if (window.matchMedia('(min-width: 1101px)').matches) ui.lbChart.closest('.panel')?.scrollTo({ top: 0 });
}

/** A live update of a running fit: its parameters so far go to the overlay. */
function onIteration(info: IterationMessage, settings: FitSettings, label = ''): void {
  hook.iteration = info.iteration;
  app.model = {
    covarianceType: settings.covarianceType,
    d: settings.columns.length,
    weights: info.weights,
    means: info.means,
    covariances: info.covariances,
  };
  describeBackend(info.backend);
  setStatus(
    `${label}iteration ${info.iteration} · lower bound ${info.lowerBound.toFixed(5)} · ${fmtMs(info.iterationTime)} per iteration · ${fmtInt(hook.points)} points · ${fmtMs(info.elapsed)} elapsed`,
    true,
  );
  redrawOverlay();
}

/** A fitted model as the page's result: labels on the scatter, ellipses, parameters, charts. */
function showFitResult(r: FitResult, caption: string): void {
  app.model = {
    covarianceType: r.covarianceType,
    d: r.nFeatures,
    weights: r.weights,
    means: r.means,
    covariances: r.covariances,
  };
  app.labels = r.labels;
  app.uncertainty = null;
  hook.fitted = true;
  app.lowerBounds = r.lowerBounds;
  app.iterationTimes = r.iterationTimes;
  showLabels(r.labels);
  redrawOverlay();
  describeBackend(r.backend);
  Object.assign(hook, {
    lowerBounds: [...r.lowerBounds],
    iterationTimes: [...r.iterationTimes],
    nIter: r.nIter,
    iteration: r.nIter,
    converged: r.converged,
  });
  drawLowerBound();
  renderParams();
  setModelCaption(caption);
  if (app.truth !== null) showAccuracy(app.truth, r.labels);
  if (app.lastSpec?.kind === 'image' && app.image !== null) paintSegmentation(r, app.image, app.fitColumns);
}

/** A worker progress line; the one before labelling also puts up the "colouring the points…" badge. */
function progress(message: string, prefix = '', fraction?: number): void {
  if (message.startsWith('labelling every point')) showLabellingBadge(true);
  setStatus(`${prefix}${message}`, true, fraction);
}

/** The uncertainty view's 1 − max p of every point, from the worker (once per fitted model). */
export async function loadUncertainty(): Promise<void> {
  if (!hook.fitted || app.uncertainty !== null || hook.running) return;
  setBusy('uncertainty');
  try {
    const reply = await fitWorker.run({ type: 'uncertainty' }, 'uncertain', (message) => {
      if (message.type === 'progress') setStatus(message.message, true);
    });
    app.uncertainty = reply.uncertainty;
    showUncertainty(reply.uncertainty);
    hook.uncertaintyShown = true;
    setStatus(
      'Uncertainty view: each point drawn larger and more opaque the less certain its component (1 − max p).',
      false,
    );
  } catch (error) {
    if (!isStopped(error)) showError(messageOf(error));
  } finally {
    setBusy(null);
  }
}

export function stop(): void {
  if (!hook.running) return;
  setStatus('Stopping…', true);
  fitWorker.stop();
}

export function runFit(): Promise<void> {
  return runAction('fit', 'The fit', async (settings) => {
    clearResults();
    setLowerBoundUnit('iteration');
    showLowerBoundChart();
    setStatus(
      `Starting the fit (K = ${settings.nComponents}, ${settings.covarianceType}, backend ${settings.backend})…`,
      true,
    );
    const reply = await fitWorker.run({ type: 'fit', settings }, 'fitted', (message) => {
      if (message.type === 'progress') progress(message.message);
      if (message.type === 'iteration') {
        app.lowerBounds.push(message.info.lowerBound);
        drawLowerBound();
        onIteration(message.info, settings);
      }
    });
    const r = reply.result;
    showFitResult(r, `${r.covarianceType}, K = ${r.weights.length}`);
    hook.fitCount++;
    const per = median(r.iterationTimes);
    setStatus(
      `${r.converged ? 'Converged' : 'Stopped at max iterations'} after ${r.nIter} iteration${r.nIter === 1 ? '' : 's'} · ` +
        `lower bound ${(r.lowerBounds.at(-1) ?? NaN).toFixed(5)} · ${Number.isFinite(per) ? `${fmtMs(per)} per iteration · ` : ''}${fmtInt(hook.points)} points · ${fmtMs(r.totalTime)} in all`,
      false,
    );
  });
}

/** "Stream": online EM over one pass of shuffled batches; the ellipses move after each batch. */
export function runStream(): Promise<void> {
  return runAction('stream', 'The stream', async (settings) => {
    const batchSize = readStreamBatch(settings.nComponents);
    clearResults();
    setLowerBoundUnit('batch');
    showLowerBoundChart();
    setStatus(
      `Streaming batches of ${fmtInt(batchSize)} rows (online EM, K = ${settings.nComponents}, ${settings.covarianceType})…`,
      true,
    );
    const reply = await fitWorker.run({ type: 'stream', settings, batchSize }, 'fitted', (message) => {
      if (message.type === 'iteration') {
        app.lowerBounds.push(message.info.lowerBound);
        drawLowerBound();
        onIteration(message.info, settings, 'Stream: ');
      }
      if (message.type === 'progress') progress(message.message, 'Stream: ', message.fraction);
    });
    const r = reply.result;
    showFitResult(r, `${r.covarianceType}, K = ${r.weights.length}, online EM`);
    hook.fitCount++;
    setStatus(
      `Stream done: ${r.lowerBounds.length} batch${r.lowerBounds.length === 1 ? '' : 'es'} of up to ${fmtInt(batchSize)} rows · last batch's mean log-likelihood ${(r.lowerBounds.at(-1) ?? NaN).toFixed(5)} · ${fmtInt(hook.points)} points · ${fmtMs(r.totalTime)} in all`,
      false,
    );
  });
}

export function runCompare(): Promise<void> {
  return runAction(
    'compare',
    'Compare',
    async (settings) => {
      hook.compare = null;
      ui.comparePanel.hidden = false;
      ui.compareSummary.textContent =
        'Running the same fit (same data, same initial parameters) on the CPU, then on WebGPU…';
      const live = { cpu: [] as number[], webgpu: [] as number[] };
      const reply = await fitWorker.run({ type: 'compare', settings }, 'compared', (message) => {
        if (message.type === 'progress') setStatus(`Compare: ${message.message}`, true);
        if (message.type === 'iteration') {
          const leg = message.phase === 'webgpu' ? 'webgpu' : 'cpu';
          live[leg].push(message.info.iterationTime);
          onIteration(message.info, settings, `Compare (${leg === 'cpu' ? 'CPU' : 'WebGPU'}): `);
          drawCompareChart(live.cpu, live.webgpu);
        }
      });
      const r = reply.result;
      drawCompareChart(r.cpu.iterationTimes, r.gpu?.iterationTimes ?? []);
      const speedup = showCompareSummary(r);
      setStatus(
        speedup !== null
          ? `Compare done: WebGPU ${speedup.toFixed(2)}× the CPU's speed per iteration.`
          : 'Compare done (CPU only: WebGPU unavailable).',
        false,
      );
    },
    () => (ui.compareSummary.textContent = ''),
  );
}

export function runSelectModel(): Promise<void> {
  let grid: SelectSettings;
  try {
    grid = readSelectSettings();
  } catch (error) {
    showError(messageOf(error));
    return Promise.resolve();
  }
  const name = criterionName(grid.criterion);
  return runAction(
    'select',
    'Choose the model',
    async (settings) => {
      clearResults();
      setLowerBoundUnit('iteration');
      ui.selectPanel.hidden = false;
      // On a wide screen the side panel scrolls by itself: bring the chart into it.
      if (window.matchMedia('(min-width: 1101px)').matches) ui.selectPanel.scrollIntoView({ block: 'start' });
      const rows: SelectionRow[] = [];
      const selection = {
        criterion: grid.criterion,
        total: 0,
        table: rows,
        best: null,
        series: [] as string[],
        totalTime: null,
      };
      hook.selection = selection;
      renderSelectionTable(rows, grid.criterion, null);
      drawSelectionChart(rows, grid, null);
      showSelectionSummary(
        `Fitting K = 1 … ${grid.maxK} × ${grid.covarianceTypes.join(', ')} on all ${fmtInt(hook.points)} points…`,
      );
      setStatus(
        `Choose the model: fitting K = 1 … ${grid.maxK} × ${grid.covarianceTypes.length} covariance types (backend ${settings.backend}; ${grid.starts === 'select' ? "emgpu select's hc and emEM starts" : "the page's init"})…`,
        true,
      );
      const reply = await fitWorker.run({ type: 'select-model', settings, select: grid }, 'selected', (message) => {
        if (message.type === 'progress') progress(message.message, 'Choose the model: ');
        if (message.type === 'select-progress') {
          rows.push(message.row);
          selection.total = message.total;
          const text = `fitted ${message.done} of ${message.total} (${message.row.covarianceType}, K = ${message.row.nComponents})`;
          setStatus(`Choose the model: ${text}…`, true);
          showSelectionSummary(`${text[0]?.toUpperCase()}${text.slice(1)}…`);
          selection.series = drawSelectionChart(rows, grid, null);
          renderSelectionTable(rows, grid.criterion, null);
        }
      });
      const r = reply.result;
      const best = r.table[r.bestIndex] as SelectionRow;
      hook.selection = {
        criterion: r.criterion,
        total: r.table.length,
        table: [...r.table],
        best: { covarianceType: best.covarianceType, nComponents: best.nComponents, index: r.bestIndex },
        series: drawSelectionChart(r.table, grid, best),
        totalTime: r.totalTime,
      };
      renderSelectionTable(r.table, r.criterion, r.bestIndex);
      // The best model becomes the result, and the form's K and covariance, so Run refits it.
      showFitResult(r.best, `${describeCell(best)} · best by ${name} of ${r.table.length} models`);
      input('k').value = String(best.nComponents);
      select('covariance-type').value = best.covarianceType;
      showSelectionSummary(
        `Lowest ${name}: <strong>${describeCell(best)}</strong> — shown as the result (K and covariance set in the form). ` +
          `<span class="muted">${r.table.length} models in ${fmtMs(r.totalTime)}, started ${grid.starts === 'select' ? 'as emgpu select does (hc and emEM)' : "from the page's init"}.</span>`,
      );
      setStatus(
        `Choose the model done: ${name} picks ${describeCell(best)} · ${r.table.length} models · ${fmtInt(hook.points)} points · ${fmtMs(r.totalTime)} in all`,
        false,
      );
    },
    () => showSelectionSummary(''),
  );
}
