// What the page lets one take away, built in the fit worker: the fitted model as the JSON that
// `emgpu predict --model` and `emgpu score --model` read, every point's label and membership
// probabilities as CSV, and the loaded data as CSV. Large outputs are built block by block, so
// no N × K matrix of probabilities is held whole.

import type { GaussianMixture } from '../src/index.ts';
import type { Dataset } from './datasets.ts';

/** Rows per predictProba call: bounds the N × K block held at once. */
const BLOCK_ROWS = 65_536;

type Matrix = { readonly data: Float32Array; readonly rows: number; readonly cols: number };

/** A float32 value as the shortest decimal that reads back to it; a missing value as an empty cell. */
function cell(v: number): string {
  return Number.isNaN(v) ? '' : String(Number(v.toPrecision(9)));
}

/** A CSV header cell: quoted when it holds a comma, a quote or a line break. */
function headerCell(name: string): string {
  return /[",\r\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/** The model file: GaussianMixture.toJSON(), as the CLI writes it. */
export function modelFile(model: GaussianMixture): Blob {
  return new Blob([`${JSON.stringify(model.toJSON(), null, 2)}\n`], { type: 'application/json' });
}

/** Every column of the dataset, with its header (the first line). */
export function dataCsv(ds: Dataset): Blob {
  const parts: string[] = [`${ds.columnNames.map(headerCell).join(',')}\n`];
  let lines: string[] = [];
  for (let r = 0; r < ds.rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < ds.cols; c++) row.push(cell(ds.data[r * ds.cols + c] as number));
    lines.push(row.join(','));
    if (lines.length === BLOCK_ROWS) {
      parts.push(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) parts.push(`${lines.join('\n')}\n`);
  return new Blob(parts, { type: 'text/csv' });
}

/** Calls `each` with the probabilities of every block of rows of X. */
async function forEachBlock(
  model: GaussianMixture,
  X: Matrix,
  each: (proba: Float64Array, first: number, rows: number) => void,
): Promise<void> {
  for (let first = 0; first < X.rows; first += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, X.rows - first);
    const block = X.data.subarray(first * X.cols, (first + rows) * X.cols);
    each(await model.predictProba({ data: block, rows, cols: X.cols }), first, rows);
  }
}

/**
 * `label,p0,…,p{K−1}` per row: the component of largest probability (predict's label) and the
 * probabilities, with 6 significant digits; a row the model cannot score gets −1 and empty cells.
 */
export async function labelsCsv(model: GaussianMixture, X: Matrix): Promise<Blob> {
  const k = model.nComponents;
  const header = ['label', ...Array.from({ length: k }, (_, j) => `p${j}`)].join(',');
  const parts: string[] = [`${header}\n`];
  await forEachBlock(model, X, (proba, _first, rows) => {
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      let best = -1;
      let bestP = -Infinity;
      const ps: string[] = [];
      for (let j = 0; j < k; j++) {
        const p = proba[i * k + j] as number;
        if (p > bestP) {
          bestP = p;
          best = j;
        }
        ps.push(Number.isFinite(p) ? String(Number(p.toPrecision(6))) : '');
      }
      lines.push(`${best},${ps.join(',')}`);
    }
    parts.push(`${lines.join('\n')}\n`);
  });
  return new Blob(parts, { type: 'text/csv' });
}

/** 1 − max_k p(k | x) for every row (NaN where the row cannot be scored): mclust's uncertainty. */
export async function maxProbabilityComplement(model: GaussianMixture, X: Matrix): Promise<Float32Array> {
  const k = model.nComponents;
  const out = new Float32Array(X.rows);
  await forEachBlock(model, X, (proba, first, rows) => {
    for (let i = 0; i < rows; i++) {
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, proba[i * k + j] as number);
      out[first + i] = Number.isFinite(m) ? 1 - m : NaN;
    }
  });
  return out;
}
