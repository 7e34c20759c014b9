// What the buttons do: Run (one fit), Stop, Compare CPU vs GPU (the same fit on both engines
// from the same start), and Choose K (BIC and AIC for K = 1..10). Each is one worker job.

import { fmtInt, fmtMs, median, messageOf } from './format.ts';
import { isStopped, type FitSettings, type IterationMessage } from './protocol.ts';
import { clearResults, drawChooseKChart, drawCompareChart, drawLowerBound, renderParams, showAccuracy, showChooseKSummary, showCompareSummary } from './results.ts';
import { redrawOverlay, showLabels } from './scatter-view.ts';
import { paintSegmentation } from './segmentation.ts';
import { readFitSettings } from './settings.ts';
import { app, hook } from './state.ts';
import { clearError, describeBackend, input, setBusy, setStatus, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

/** Reads the settings, marks the page busy, runs `body`, and reports how it ended. */
async function runAction(phase: string, what: string, body: (settings: FitSettings) => Promise<void>, onFailure: () => void = () => {}): Promise<void> {
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
}

/** A live update of a running fit: its parameters so far go to the overlay. */
function onIteration(info: IterationMessage, settings: FitSettings, label = ''): void {
  hook.iteration = info.iteration;
  app.model = { covarianceType: settings.covarianceType, d: settings.columns.length, weights: info.weights, means: info.means, covariances: info.covariances };
  describeBackend(info.backend);
  setStatus(`${label}iteration ${info.iteration} · lower bound ${info.lowerBound.toFixed(5)} · ${fmtMs(info.iterationTime)} per iteration · ${fmtInt(hook.points)} points · ${fmtMs(info.elapsed)} elapsed`, true);
  redrawOverlay();
}

export function stop(): void {
  if (!hook.running) return;
  setStatus('Stopping…', true);
  fitWorker.stop();
}

export function runFit(): Promise<void> {
  return runAction('fit', 'The fit', async (settings) => {
    clearResults();
    setStatus(`Starting the fit (K = ${settings.nComponents}, ${settings.covarianceType}, backend ${settings.backend})…`, true);
    const reply = await fitWorker.run({ type: 'fit', settings }, 'fitted', (message) => {
      if (message.type === 'progress') setStatus(message.message, true);
      if (message.type === 'iteration') {
        app.lowerBounds.push(message.info.lowerBound);
        drawLowerBound();
        onIteration(message.info, settings);
      }
    });
    const r = reply.result;
    app.model = { covarianceType: r.covarianceType, d: r.nFeatures, weights: r.weights, means: r.means, covariances: r.covariances };
    app.labels = r.labels;
    app.lowerBounds = r.lowerBounds;
    app.iterationTimes = r.iterationTimes;
    showLabels(r.labels);
    redrawOverlay();
    describeBackend(r.backend);
    Object.assign(hook, { lowerBounds: [...r.lowerBounds], iterationTimes: [...r.iterationTimes], nIter: r.nIter, iteration: r.nIter, converged: r.converged });
    hook.fitCount++;
    drawLowerBound();
    renderParams();
    if (app.truth !== null) showAccuracy(app.truth, r.labels);
    if (app.lastSpec?.kind === 'image' && app.image !== null) paintSegmentation(r, app.image, app.fitColumns);
    const per = median(r.iterationTimes);
    setStatus(
      `${r.converged ? 'Converged' : 'Stopped at max iterations'} after ${r.nIter} iteration${r.nIter === 1 ? '' : 's'} · ` +
        `lower bound ${(r.lowerBounds.at(-1) ?? NaN).toFixed(5)} · ${Number.isFinite(per) ? `${fmtMs(per)} per iteration · ` : ''}${fmtInt(hook.points)} points · ${fmtMs(r.totalTime)} in all`,
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
      ui.compareSummary.textContent = 'Running the same fit (same data, same initial parameters) on the CPU, then on WebGPU…';
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
      setStatus(speedup !== null ? `Compare done: WebGPU ${speedup.toFixed(2)}× the CPU's speed per iteration.` : 'Compare done (CPU only: WebGPU unavailable).', false);
    },
    () => (ui.compareSummary.textContent = ''),
  );
}

export function runChooseK(maxK = 10): Promise<void> {
  return runAction(
    'choose-k',
    'Choose K',
    async (settings) => {
      hook.chooseK = null;
      ui.kPanel.hidden = false;
      const live = { ks: [] as number[], bic: [] as number[], aic: [] as number[] };
      ui.kSummary.textContent = `Fitting K = 1 … ${maxK}…`;
      drawChooseKChart(live, false);
      const reply = await fitWorker.run({ type: 'choose-k', settings, maxK }, 'chosen-k', (message) => {
        if (message.type === 'progress') setStatus(`Choose K: ${message.message}`, true);
        if (message.type === 'k-progress') {
          live.ks.push(message.k);
          live.bic.push(message.bic);
          live.aic.push(message.aic);
          drawChooseKChart(live, false);
        }
      });
      const r = reply.result;
      drawChooseKChart(r, true);
      const bestBic = showChooseKSummary(r, (k) => {
        input('k').value = String(k);
        void runFit();
      });
      setStatus(`Choose K done: BIC picks K = ${bestBic}.`, false);
    },
    () => (ui.kSummary.textContent = ''),
  );
}
