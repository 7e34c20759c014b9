// Seeded sample data for the demo: Gaussian blobs and friends, CSV tables, image pixels.
// Everything returns a row-major Float32Array (what the library reads without a copy).

import Papa from 'papaparse';
import { isMissingCell } from '../src/io/text.ts';
import type { GeneratorSpec } from './protocol.ts';

export const MAX_POINTS = 10_000_000;
/** Largest CSV the page accepts (bytes); beyond it the browser tab would struggle. */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;
/** Largest number of values (rows × numeric columns) the page keeps in memory. */
export const MAX_VALUES = 40_000_000;
/** Images are fitted at up to this many pixels (larger ones are scaled down). */
export const MAX_IMAGE_PIXELS = 1_000_000;

/** A user-facing problem with the input: the message says what is wrong and what to do. */
export class DemoInputError extends Error {
  override readonly name = 'DemoInputError';
}

export interface Dataset {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly columnNames: string[];
  readonly skipped: string[];
  readonly truth: Int32Array | null;
  /** Rows with at least one missing value (NaN in data); 0 for generated data and photos. */
  readonly missingRows?: number;
}

/** Rows of a row-major matrix with at least one NaN (a missing value). */
export function rowsWithMissing(data: Float32Array, rows: number, cols: number): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (Number.isNaN(data[r * cols + c] as number)) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** mulberry32: small, fast, good enough for drawing demo data. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Component {
  readonly mx: number;
  readonly my: number;
  /** Lower Cholesky factor of the 2 × 2 covariance: [l11, 0; l21, l22]. */
  readonly l11: number;
  readonly l21: number;
  readonly l22: number;
  readonly sigmaMax: number;
}

function makeComponents(spec: GeneratorSpec, uniform: () => number): Component[] {
  const out: Component[] = [];
  const box = 10 * Math.max(1, Math.sqrt(spec.k / 6));
  for (let c = 0; c < spec.k; c++) {
    let sx = spec.spread;
    let sy = spec.spread;
    let angle = 0;
    if (spec.shape === 'anisotropic') {
      sx = spec.spread * (1.6 + 1.4 * uniform());
      sy = spec.spread * (0.2 + 0.3 * uniform());
      angle = Math.PI * uniform();
    } else if (spec.shape === 'unequal') {
      const s = spec.spread * (0.5 + uniform());
      sx = s;
      sy = s * (0.7 + 0.6 * uniform());
    }
    // Σ = R diag(sx², sy²) Rᵀ, then its Cholesky factor.
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const a = cos * cos * sx * sx + sin * sin * sy * sy;
    const b = cos * sin * (sx * sx - sy * sy);
    const d = sin * sin * sx * sx + cos * cos * sy * sy;
    const l11 = Math.sqrt(a);
    const l21 = b / l11;
    const l22 = Math.sqrt(Math.max(d - l21 * l21, 1e-12));
    const sigmaMax = Math.max(sx, sy);
    // Rejection sampling keeps centres ~7 σ apart (so the clusters are separable), giving up
    // gracefully when the box is too crowded.
    let best = { x: 0, y: 0, gap: -Infinity };
    for (let attempt = 0; attempt < 400; attempt++) {
      const x = (uniform() * 2 - 1) * box;
      const y = (uniform() * 2 - 1) * box;
      let gap = Infinity;
      for (const o of out) {
        gap = Math.min(gap, Math.hypot(x - o.mx, y - o.my) / (sigmaMax + o.sigmaMax));
      }
      if (gap > best.gap) best = { x, y, gap };
      if (gap >= 3.6) break;
    }
    out.push({ mx: best.x, my: best.y, l11, l21, l22, sigmaMax });
  }
  return out;
}

/** Mixture weights: equal, or halving from one component to the next ('unequal'). */
function componentWeights(spec: GeneratorSpec): Float64Array {
  const w = new Float64Array(spec.k);
  for (let c = 0; c < spec.k; c++) w[c] = spec.shape === 'unequal' ? Math.pow(0.45, c) : 1;
  const total = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / total);
}

export function generate(spec: GeneratorSpec): Dataset {
  if (!Number.isInteger(spec.n) || spec.n < 1 || spec.n > MAX_POINTS) {
    throw new DemoInputError(
      `Points must be a whole number from 1 to ${MAX_POINTS.toLocaleString('en')}; got ${spec.n}.`,
    );
  }
  if (!Number.isInteger(spec.k) || spec.k < 1 || spec.k > 32) {
    throw new DemoInputError(`Clusters must be a whole number from 1 to 32; got ${spec.k}.`);
  }
  if (!(spec.spread > 0) || !Number.isFinite(spec.spread)) {
    throw new DemoInputError(`Spread must be a positive number; got ${spec.spread}.`);
  }
  const uniform = seededUniform(spec.seed);
  const components = makeComponents(spec, uniform);
  const weights = componentWeights(spec);
  const n = spec.n;
  const data = new Float32Array(n * 2);
  const truth = new Int32Array(n);
  // Exact counts per component (largest remainder), then a seeded shuffle-free layout: the
  // rows are grouped by component, which the EM fit does not care about.
  const noiseFraction = spec.shape === 'noise' ? 0.1 : 0;
  const clustered = Math.round(n * (1 - noiseFraction));
  const counts = Array.from(weights, (w) => Math.floor(w * clustered));
  let assigned = counts.reduce((s, v) => s + v, 0);
  for (let c = 0; assigned < clustered; c = (c + 1) % spec.k, assigned++) counts[c] = (counts[c] ?? 0) + 1;
  let row = 0;
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  components.forEach((comp, c) => {
    const count = counts[c] ?? 0;
    for (let i = 0; i < count; i++, row++) {
      // Box–Muller.
      const r = Math.sqrt(-2 * Math.log(1 - uniform()));
      const t = 2 * Math.PI * uniform();
      const z1 = r * Math.cos(t);
      const z2 = r * Math.sin(t);
      const x = comp.mx + comp.l11 * z1;
      const y = comp.my + comp.l21 * z1 + comp.l22 * z2;
      data[row * 2] = x;
      data[row * 2 + 1] = y;
      truth[row] = c;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  });
  // Uniform noise over the clusters' bounding box (label -1: not scored).
  const padX = (maxX - minX) * 0.1;
  const padY = (maxY - minY) * 0.1;
  for (; row < n; row++) {
    data[row * 2] = minX - padX + uniform() * (maxX - minX + 2 * padX);
    data[row * 2 + 1] = minY - padY + uniform() * (maxY - minY + 2 * padY);
    truth[row] = -1;
  }
  return { data, rows: n, cols: 2, columnNames: ['x', 'y'], skipped: [], truth };
}

// ---- CSV ------------------------------------------------------------------------------------

function parseNumber(cell: string): number {
  const text = cell.trim();
  if (text === '') return NaN;
  return Number(text);
}

/**
 * Parses a CSV table (with or without a header row). Numeric columns (every cell a finite
 * number or a missing value: empty, NA, N/A, NaN, null, None — read as NaN) become the dataset;
 * other columns are listed in `skipped`. Structural problems
 * (unbalanced quotes, rows of the wrong length) are errors naming the row.
 */
export function parseCsv(text: string, fileName: string): Dataset {
  if (text.trim() === '')
    throw new DemoInputError(`${fileName} is empty; choose a CSV file with at least one row of numbers.`);
  const parsed = Papa.parse<string[]>(text.replace(/\s+$/, ''), { skipEmptyLines: true, dynamicTyping: false });
  const structural = parsed.errors.find(
    (e) => e.type === 'Quotes' || e.type === 'FieldMismatch' || e.type === 'Delimiter',
  );
  const rowsAll = parsed.data;
  if (structural !== undefined && !(structural.code === 'UndetectableDelimiter' && (rowsAll[0]?.length ?? 0) === 1)) {
    const where = structural.row !== undefined ? ` (row ${structural.row + 1})` : '';
    throw new DemoInputError(
      `${fileName} is not a well-formed CSV file: ${structural.message}${where}. Check the quotes and that every row has the same number of fields.`,
    );
  }
  if (rowsAll.length === 0) throw new DemoInputError(`${fileName} has no rows.`);
  const first = rowsAll[0] as string[];
  const width = first.length;
  for (let r = 1; r < rowsAll.length; r++) {
    const len = (rowsAll[r] as string[]).length;
    if (len !== width) {
      throw new DemoInputError(
        `${fileName} is not a well-formed CSV file: row ${r + 1} has ${len} fields but row 1 has ${width}; every row needs the same number of fields.`,
      );
    }
  }
  const hasHeader = first.some((cell) => !Number.isFinite(parseNumber(cell)));
  const names = hasHeader ? first.map((c, i) => c.trim() || `column ${i + 1}`) : first.map((_, i) => `column ${i + 1}`);
  const body = hasHeader ? rowsAll.slice(1) : rowsAll;
  const rows = body.length;
  if (rows === 0) throw new DemoInputError(`${fileName} has a header but no data rows.`);
  const numeric: number[] = [];
  const skipped: string[] = [];
  for (let c = 0; c < width; c++) {
    // A numeric column: every cell a finite number or a missing value, and at least one number.
    let bad = -1;
    let numbers = 0;
    for (let r = 0; r < rows; r++) {
      const cell = (body[r] as string[])[c] ?? '';
      if (Number.isFinite(parseNumber(cell))) numbers++;
      else if (!isMissingCell(cell)) {
        bad = r;
        break;
      }
    }
    if (bad < 0 && numbers === 0) bad = 0;
    if (bad < 0) numeric.push(c);
    else {
      const cell = (body[bad] as string[])[c] ?? '';
      skipped.push(
        `${names[c]} (row ${bad + 1 + (hasHeader ? 1 : 0)}: ${cell.trim() === '' ? 'empty' : JSON.stringify(cell.slice(0, 20))})`,
      );
    }
  }
  if (numeric.length === 0) {
    throw new DemoInputError(
      `${fileName} has no numeric columns: ${skipped.slice(0, 4).join('; ')}. Every value of a fitted column must be a number.`,
    );
  }
  if (rows * numeric.length > MAX_VALUES) {
    throw new DemoInputError(
      `${fileName} is too large: ${rows.toLocaleString('en')} rows × ${numeric.length} numeric columns exceeds the demo's ${MAX_VALUES.toLocaleString('en')} values.`,
    );
  }
  const cols = numeric.length;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const line = body[r] as string[];
    for (let j = 0; j < cols; j++) {
      const value = parseNumber(line[numeric[j] as number] as string);
      data[r * cols + j] = Number.isFinite(value) ? value : NaN; // a missing value
    }
  }
  return {
    data,
    rows,
    cols,
    columnNames: numeric.map((c) => names[c] as string),
    skipped,
    truth: null,
    missingRows: rowsWithMissing(data, rows, cols),
  };
}

// ---- images ---------------------------------------------------------------------------------

/** Weight of the x, y features relative to colour when segmenting by colour + position. */
export const POSITION_WEIGHT = 0.5;

/** RGBA pixels -> rows of (r, g, b[, x, y]) in [0, 1]. */
export function imageToDataset(
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  withPosition: boolean,
): Dataset {
  const rows = width * height;
  if (rows === 0) throw new DemoInputError('The image has no pixels.');
  if (pixels.length !== rows * 4) throw new DemoInputError('The image data is truncated; try another image.');
  const cols = withPosition ? 5 : 3;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    data[i * cols] = (pixels[i * 4] as number) / 255;
    data[i * cols + 1] = (pixels[i * 4 + 1] as number) / 255;
    data[i * cols + 2] = (pixels[i * 4 + 2] as number) / 255;
    if (withPosition) {
      data[i * cols + 3] = ((i % width) / width) * POSITION_WEIGHT;
      data[i * cols + 4] = (Math.floor(i / width) / height) * POSITION_WEIGHT;
    }
  }
  const columnNames = withPosition ? ['red', 'green', 'blue', 'x', 'y'] : ['red', 'green', 'blue'];
  return { data, rows, cols, columnNames, skipped: [], truth: null };
}

/** Rows of the given columns, row-major (the data itself when all columns are kept in order). */
export function selectColumns(ds: Dataset, columns: readonly number[]): Float32Array {
  if (columns.length === ds.cols && columns.every((c, i) => c === i)) return ds.data;
  const out = new Float32Array(ds.rows * columns.length);
  const d = columns.length;
  for (let r = 0; r < ds.rows; r++) {
    for (let j = 0; j < d; j++) out[r * d + j] = ds.data[r * ds.cols + (columns[j] as number)] as number;
  }
  return out;
}
