// The page's elements, and the parts of it every action touches: the status line, the error
// banner and the busy state of the controls.

import { hook } from './state.ts';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}
export const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);
export const select = (id: string): HTMLSelectElement => $<HTMLSelectElement>(id);

export const ui = {
  error: $('error'),
  errorText: $('error-text'),
  status: $('status'),
  progress: $('progress'),
  backend: $('backend-name'),
  renderer: $('renderer'),
  gpuNotice: $('gpu-notice'),
  dataInfo: $('data-info'),
  columns: $('columns'),
  columnList: $('column-list'),
  wrap: $('scatter-wrap'),
  overlay: $<HTMLCanvasElement>('overlay'),
  accuracy: $('accuracy'),
  imagePanel: $('image-panel'),
  original: $<HTMLCanvasElement>('original'),
  segmented: $<HTMLCanvasElement>('segmented'),
  segmentedCaption: $('segmented-caption'),
  lbChart: $<HTMLCanvasElement>('lb-chart'),
  lbTitle: $('lb-title'),
  labelling: $('labelling'),
  tooltip: $('tooltip'),
  viewMode: $<HTMLSelectElement>('view-mode'),
  downloads: $<HTMLDetailsElement>('downloads'),
  downloadModel: $<HTMLButtonElement>('download-model'),
  downloadLabels: $<HTMLButtonElement>('download-labels'),
  downloadData: $<HTMLButtonElement>('download-data'),
  downloadPng: $<HTMLButtonElement>('download-png'),
  params: $<HTMLTableElement>('params'),
  comparePanel: $('compare-panel'),
  compareChart: $<HTMLCanvasElement>('compare-chart'),
  compareSummary: $('compare-summary'),
  modelCaption: $('model-caption'),
  selectPanel: $('select-panel'),
  selectChart: $<HTMLCanvasElement>('select-chart'),
  selectSummary: $('select-summary'),
  selectTable: $<HTMLTableElement>('select-table'),
  run: $<HTMLButtonElement>('run'),
  stop: $<HTMLButtonElement>('stop'),
  compare: $<HTMLButtonElement>('compare'),
  selectModel: $<HTMLButtonElement>('select-model'),
  stream: $<HTMLButtonElement>('stream'),
};

/** The covariance-type checkboxes of "Choose the model". */
export function typeBoxes(): HTMLInputElement[] {
  return [...document.querySelectorAll<HTMLInputElement>('#select-types input[type=checkbox]')];
}

export function showError(message: string): void {
  hook.error = message;
  ui.errorText.textContent = message;
  ui.error.hidden = false;
}

export function clearError(): void {
  hook.error = null;
  ui.error.hidden = true;
}

export function setStatus(text: string, busy = hook.running, fraction?: number): void {
  ui.status.textContent = text;
  ui.progress.hidden = !busy;
  // A known fraction fills the bar; otherwise it slides (work of unknown length).
  const bar = ui.progress.firstElementChild as HTMLElement | null;
  ui.progress.classList.toggle('determinate', fraction !== undefined);
  if (bar !== null)
    bar.style.width = fraction !== undefined ? `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%` : '';
}

/** Marks the page busy with a job (null: idle): disables what must not run meanwhile. */
export function setBusy(phase: string | null): void {
  hook.running = phase !== null;
  hook.phase = phase ?? 'idle';
  ui.stop.disabled = phase === null || phase === 'loading';
  for (const b of [ui.run, ui.compare, ui.selectModel, ui.stream, ui.downloadData]) b.disabled = phase !== null;
  // The fitted model's downloads need a fitted model and an idle worker.
  for (const b of [ui.downloadModel, ui.downloadLabels]) b.disabled = phase !== null || !hook.fitted;
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLButtonElement>(
    '.source input, .source button, .source select, .tab, #column-list input',
  )) {
    el.disabled = phase !== null;
  }
  ui.progress.hidden = phase === null;
}

/** Shows the backend a fit runs on in the status bar (and the test hook). */
export function describeBackend(backend: string): void {
  hook.backend = backend;
  ui.backend.textContent = backend;
  ui.backend.title = backend;
}
