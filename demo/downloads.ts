// Take-away: the fitted model (the JSON `emgpu predict --model` reads), the labels with their
// probabilities, the data (CSV, built in the worker) and the view (PNG, from the scatter's canvases).

import { fmtInt, messageOf } from './format.ts';
import { isStopped, type ExportKind } from './protocol.ts';
import { snapshotPng } from './scatter-view.ts';
import { hook } from './state.ts';
import { clearError, setBusy, setStatus, showError, ui } from './ui.ts';
import { fitWorker } from './worker-client.ts';

export type DownloadKind = ExportKind | 'png';

/** The file names the page saves under. */
export const DOWNLOAD_NAMES: Record<DownloadKind, string> = {
  model: 'emgpu-model.json',
  labels: 'emgpu-labels.csv',
  data: 'emgpu-data.csv',
  png: 'emgpu-view.png',
};

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference by now; the URL is no longer needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  hook.downloads.push(name);
}

export async function download(kind: DownloadKind): Promise<void> {
  ui.downloads.open = false;
  const name = DOWNLOAD_NAMES[kind];
  if (kind === 'png') {
    try {
      save(await snapshotPng(), name);
    } catch (error) {
      showError(messageOf(error));
    }
    return;
  }
  if (hook.running) return;
  clearError();
  setBusy('export');
  setStatus(`Preparing ${name}…`, true);
  try {
    const reply = await fitWorker.run({ type: 'export', what: kind }, 'exported', (message) => {
      if (message.type === 'progress') setStatus(message.message, true);
    });
    save(reply.blob, name);
    setStatus(`Saved ${name} (${fmtInt(reply.blob.size)} bytes).`, false);
  } catch (error) {
    if (isStopped(error)) setStatus('The download was stopped.', false);
    else showError(messageOf(error));
  } finally {
    setBusy(null);
  }
}
