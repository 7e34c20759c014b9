// The demo page: start-up and the wiring of its controls. Where the rest lives:
//
//   state.ts           the page's data, fitted model and the test hook (window.__emgpuDemo)
//   ui.ts              element lookups, status line, error banner, busy state
//   settings.ts        the address bar's settings and the form
//   worker-client.ts   jobs for the fit worker (fit-worker.ts, messages in protocol.ts)
//   data-source.ts     loading generated data, table files (CSV, Parquet, Arrow) and photos (datasets.ts parses CSV)
//   actions.ts         Run, Stop, Compare CPU vs GPU, Choose the model, Stream (online EM)
//   results.ts         lower-bound chart, parameter table, accuracy, compare and model-choice panels
//   segmentation.ts    photo in, segmented photo out
//   scatter-view.ts    the scatter panel: view, pan/zoom, frame loop (scatter-overlay.ts
//                      draws axes and ellipses; scatter.ts draws the points)

import { runCompare, runFit, runSelectModel, runStream, stop } from './actions.ts';
import {
  loadData,
  loadFromControl,
  loadImage,
  loadImageSource,
  loadSampleImage,
  reloadAfterRestart,
  selectSource,
} from './data-source.ts';
import { messageOf } from './format.ts';
import { drawLowerBound } from './results.ts';
import { startScatter } from './scatter-view.ts';
import { applyUrlSettings, pageOptions, readGeneratorSpec } from './settings.ts';
import { app, hook, type SourceKind } from './state.ts';
import { $, clearError, input, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

function wireControls(): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
    tab.addEventListener('click', () => selectSource(tab.dataset.source as SourceKind));
  }
  $('generate').addEventListener('click', () => {
    try {
      void loadFromControl(readGeneratorSpec());
    } catch (error) {
      showError(messageOf(error));
    }
  });
  input('csv-file').addEventListener('change', () => {
    const file = input('csv-file').files?.[0];
    if (file !== undefined) void loadFromControl({ kind: 'csv', file });
  });
  const withPosition = (): boolean => input('with-position').checked;
  // A file dropped anywhere on the page: a photo goes to the photo tab, anything else is read as a table.
  document.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files') === true) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    const file = event.dataTransfer?.files[0];
    if (file === undefined) return;
    event.preventDefault();
    if (hook.running) {
      showError('A job is running; press Stop (or wait) before dropping another file.');
      return;
    }
    if (file.type.startsWith('image/')) {
      selectSource('image');
      void loadImage(file, file.name, withPosition());
    } else {
      selectSource('csv');
      void loadFromControl({ kind: 'csv', file });
    }
  });
  input('image-file').addEventListener('change', () => {
    const file = input('image-file').files?.[0];
    if (file !== undefined) void loadImage(file, file.name, withPosition());
  });
  $('sample-image').addEventListener('click', () => void loadSampleImage(withPosition()));
  input('with-position').addEventListener('change', () => {
    if (app.source === 'image' && app.image !== null) void loadImageSource(app.image, withPosition());
  });
  ui.run.addEventListener('click', () => void runFit());
  ui.stop.addEventListener('click', stop);
  ui.compare.addEventListener('click', () => void runCompare());
  ui.selectModel.addEventListener('click', () => void runSelectModel());
  ui.stream.addEventListener('click', () => void runStream());
}

async function main(): Promise<void> {
  $('error-close').addEventListener('click', clearError);
  window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${messageOf(e.reason)}`));
  const options = pageOptions();
  applyUrlSettings();
  fitWorker.start({ onCrash: showError, onRestart: () => void reloadAfterRestart() });
  await startScatter(options.preferWebGpu, options.present);
  new ResizeObserver(() => drawLowerBound()).observe(ui.wrap);
  drawLowerBound();
  wireControls();
  try {
    await loadData(readGeneratorSpec());
  } catch {
    // shown in the error banner
  }
  hook.ready = true;
  if (options.autorun && hook.points > 0) void runFit();
}

void main().catch((error: unknown) => showError(`The demo could not start: ${messageOf(error)}`));
