// The demo page: start-up and the wiring of its controls. Where the rest lives:
//
//   state.ts           the page's data, fitted model and the test hook (window.__emgpuDemo)
//   ui.ts              element lookups, status line, error banner, busy state
//   settings.ts        the address bar's settings and the form
//   worker-client.ts   jobs for the fit worker (fit-worker.ts, messages in protocol.ts)
//   data-source.ts     loading generated data, table files (CSV, Parquet, Arrow) and photos (datasets.ts parses CSV)
//   actions.ts         Run, Stop, Compare CPU vs GPU, Choose the model, Stream (online EM)
//   downloads.ts       Download model / labels / data / view (the files built in exports.ts, in the worker)
//   results.ts         lower-bound chart, parameter table, accuracy, compare and model-choice panels
//   segmentation.ts    photo in, segmented photo out
//   scatter-view.ts    the scatter panel: view, pan/zoom, frame loop (scatter-overlay.ts
//                      draws axes and ellipses; scatter.ts draws the points)

import { COVARIANCE_TYPES } from '../src/index.ts';
import { loadUncertainty, runCompare, runFit, runSelectModel, runStream, stop } from './actions.ts';
import { download } from './downloads.ts';
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
import { drawLowerBound, typeStyle } from './results.ts';
import { setViewMode, startScatter } from './scatter-view.ts';
import { applyUrlSettings, pageOptions, readGeneratorSpec } from './settings.ts';
import { app, hook, type SourceKind, type ViewMode } from './state.ts';
import { $, clearError, input, select, setStatus, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

const VIEW_DESCRIPTIONS: Record<ViewMode, string> = {
  points: "Points view: each point in its component's colour, each component's 1-, 2- and 3-σ ellipses.",
  uncertainty: 'Uncertainty view: each point drawn larger and more opaque the less certain its component (1 − max p).',
  density: "Density view: contour lines of the fitted mixture's density over the plotted columns.",
};

/** scikit-learn's four names, ticked by default for "Choose the model". */
const DEFAULT_SELECT_TYPES: readonly string[] = ['full', 'tied', 'diag', 'spherical'];

/** The covariance-type menu and the checkboxes of "Choose the model", from the library's list. */
function buildTypeControls(): void {
  const menu = select('covariance-type');
  const boxes = $('select-types');
  for (const type of COVARIANCE_TYPES) {
    menu.append(new Option(type, type));
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = type;
    box.checked = DEFAULT_SELECT_TYPES.includes(type);
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = typeStyle(type).colour;
    label.append(box, swatch, type);
    boxes.append(label);
  }
}

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
  ui.viewMode.addEventListener('change', () => {
    setViewMode(ui.viewMode.value as ViewMode);
    if (!hook.running) setStatus(VIEW_DESCRIPTIONS[hook.viewMode], false);
    if (hook.viewMode === 'uncertainty') void loadUncertainty();
  });
  ui.downloadModel.addEventListener('click', () => void download('model'));
  ui.downloadLabels.addEventListener('click', () => void download('labels'));
  ui.downloadData.addEventListener('click', () => void download('data'));
  ui.downloadPng.addEventListener('click', () => void download('png'));
}

async function main(): Promise<void> {
  $('error-close').addEventListener('click', clearError);
  window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${messageOf(e.reason)}`));
  const options = pageOptions();
  buildTypeControls();
  applyUrlSettings();
  fitWorker.start({ onCrash: showError, onRestart: () => void reloadAfterRestart() });
  await startScatter(options.preferWebGpu, options.present);
  setViewMode(ui.viewMode.value as ViewMode);
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
