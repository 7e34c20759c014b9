// Loading data: generated blobs, a table file (CSV, TSV, Parquet, Arrow) or a photo go to the fit worker, which keeps the
// dataset; the page keeps float32 copies of the columns to draw, and lets CSV columns be chosen.

import { fmtInt, fmtMs, messageOf } from './format.ts';
import type { DataSpec, ImageSpec } from './protocol.ts';
import { clearResults } from './results.ts';
import { plotColumns } from './scatter-view.ts';
import { decodeImage } from './segmentation.ts';
import { app, hook, type ImageSource, type SourceKind } from './state.ts';
import { $, clearError, setBusy, setStatus, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

/** Sends a data source to the worker and shows what it holds; rethrows after showing a failure. */
export async function loadData(spec: DataSpec, transfer: Transferable[] = []): Promise<void> {
  clearError();
  setBusy('loading');
  const what =
    spec.kind === 'generator' ? `${fmtInt(spec.n)} points` : spec.kind === 'csv' ? spec.file.name : spec.name;
  setStatus(`Loading ${what}…`, true);
  try {
    const reply = await fitWorker.run(
      { type: 'load', spec },
      'loaded',
      (message) => {
        if (message.type === 'progress') setStatus(`Loading ${what}: ${message.message}`, true, message.fraction);
      },
      transfer,
    );
    app.lastSpec = spec.kind === 'image' ? { ...spec, pixels: new Uint8ClampedArray(0) } : spec;
    const info = reply.info;
    app.columnNames = info.columnNames;
    app.columnData = info.columns;
    app.truth = info.truth;
    hook.points = info.rows;
    hook.columns = info.columnNames;
    const d = info.columnNames.length;
    app.fitColumns = spec.kind === 'image' ? info.columnNames.map((_, i) => i) : d >= 2 ? [0, 1] : [0];
    clearResults();
    renderColumnChoices(spec.kind === 'csv');
    plotColumns();
    const skipped = info.skipped.length > 0 ? ` Skipped non-numeric columns: ${info.skipped.join('; ')}.` : '';
    const holes =
      info.missingRows > 0
        ? ` ${fmtInt(info.missingRows)} row${info.missingRows === 1 ? ' has' : 's have'} missing values: tick “Marginalise missing values” to fit ${info.missingRows === 1 ? 'it' : 'them'}.`
        : '';
    ui.dataInfo.textContent = `${fmtInt(info.rows)} rows × ${d} column${d === 1 ? '' : 's'} (${info.columnNames.join(', ')}), ready in ${fmtMs(reply.millis)}.${skipped}${holes}`;
    hook.missingRows = info.missingRows;
    ui.imagePanel.hidden = spec.kind !== 'image';
    setStatus(`${fmtInt(info.rows)} points loaded. Press Run to fit.`, false);
  } catch (error) {
    setStatus('No data loaded.', false);
    showError(messageOf(error));
    throw error;
  } finally {
    setBusy(null);
  }
}

/** loadData for a control's event: a failure is already in the error banner. */
export function loadFromControl(spec: DataSpec, transfer: Transferable[] = []): Promise<void> {
  return loadData(spec, transfer).catch(() => {});
}

/** The worker's spec for a decoded photo, with its own copy of the pixels (transferred). */
function imageSpec(image: ImageSource, withPosition: boolean): ImageSpec {
  return {
    kind: 'image',
    name: image.name,
    width: image.width,
    height: image.height,
    pixels: image.pixels.slice(),
    withPosition,
  };
}

export function loadImageSource(image: ImageSource, withPosition: boolean): Promise<void> {
  const spec = imageSpec(image, withPosition);
  return loadFromControl(spec, [spec.pixels.buffer]);
}

export async function loadImage(blob: Blob, name: string, withPosition: boolean): Promise<void> {
  clearError();
  try {
    app.image = await decodeImage(blob, name);
  } catch (error) {
    showError(messageOf(error));
    return;
  }
  await loadImageSource(app.image, withPosition);
}

export async function loadSampleImage(withPosition: boolean): Promise<void> {
  try {
    const response = await fetch('china.jpg');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await loadImage(await response.blob(), 'china.jpg', withPosition);
  } catch (error) {
    showError(`The sample photo could not be loaded (${messageOf(error)}).`);
  }
}

/** After Stop replaced the worker: images and CSV files are re-sent from what the page kept; generators are re-run. */
export async function reloadAfterRestart(): Promise<void> {
  const spec = app.lastSpec;
  if (spec === null) return;
  try {
    if (spec.kind === 'image' && app.image !== null) {
      const again = imageSpec(app.image, spec.withPosition);
      await fitWorker.run({ type: 'load', spec: again }, 'loaded', undefined, [again.pixels.buffer]);
    } else {
      await fitWorker.run({ type: 'load', spec }, 'loaded');
    }
  } catch (error) {
    showError(`Reloading the data after Stop failed: ${messageOf(error)}`);
  }
}

/** Shows the data tab of one source (generator, CSV, image). */
export function selectSource(source: SourceKind): void {
  app.source = source;
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab'))
    tab.setAttribute('aria-selected', String(tab.dataset.source === source));
  for (const s of ['generator', 'csv', 'image'] as const) $(`source-${s}`).hidden = s !== source;
}

/** A checkbox per CSV column: which ones are fitted (the first two checked are plotted). */
function renderColumnChoices(show: boolean): void {
  ui.columns.hidden = !show;
  ui.columnList.replaceChildren();
  if (!show) return;
  app.columnNames.forEach((name, i) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = String(i);
    box.checked = app.fitColumns.includes(i);
    box.addEventListener('change', () => {
      app.fitColumns = [...ui.columnList.querySelectorAll<HTMLInputElement>('input:checked')].map((b) =>
        Number(b.value),
      );
      clearResults();
      plotColumns();
    });
    label.append(box, document.createTextNode(name));
    ui.columnList.append(label);
  });
}
