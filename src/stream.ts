// Exact EM over a table streamed in chunks (fit(source) with a chunk source): every EM iteration
// reads the source again from the start, and each chunk in turn is loaded onto the engine, its
// E-step statistics taken (while the next chunk is read) and added to the pass's sums in chunk
// order, and released — so memory is bounded by two chunks (plus a uniform reservoir sample for
// the initialisation), not by the table. The sums of a pass are those of the whole table, so the
// generic EM loop (src/em.ts) runs unchanged on them and the fit equals the in-memory fit from
// the same start up to float64 rounding.
//
// Before the first iteration one scan pass counts the rows and their weight (for the weight
// scaling fit applies, src/matrix.ts), checks every chunk, and keeps a uniform reservoir sample
// (Vitter's algorithm R) on which the init method (kmeans, k-means++, …) runs.

import type {
  AssignResult,
  Backend,
  ChunkSlot,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  PassTimings,
} from './backend.ts';
import { timesPowerOfTwo, toMatrix, weightExponentFor, type Dataset, type Matrix, type MatrixInput } from './matrix.ts';
import { EmgpuInputError } from './options.ts';
import { Random } from './random.ts';
import { addStats, type SufficientStats } from './sufficient-stats.ts';

/** One chunk of rows: a row-major matrix, optionally with one sample weight per row. */
export interface StreamChunk extends Matrix {
  /** One finite weight ≥ 0 per row of the chunk; give weights with every chunk or with none. */
  readonly sampleWeight?: ArrayLike<number> | null;
}

/** A chunk as a source may yield it: {data, rows, cols[, sampleWeight]} or number[][]. */
export type ChunkInput = StreamChunk | readonly (readonly number[])[];

/** What one pass over the source iterates. */
export type ChunkIterable = AsyncIterable<ChunkInput> | Iterable<ChunkInput>;

/**
 * A table as chunks of rows, read once per EM iteration (and once more before the first, to
 * count the rows and sample them for the initialisation). Either a function that opens the
 * source from its start and returns an (async) iterable of chunks, called once per pass, or an
 * object whose [Symbol.asyncIterator]() starts again from the first chunk on every call (an
 * async generator object does not: it can be iterated once; wrap it in a function). Every pass
 * must yield the same rows in the same order; an empty chunk is skipped.
 */
export type ChunkSource = (() => ChunkIterable | Promise<ChunkIterable>) | AsyncIterable<ChunkInput>;

/** Where a streamed fit is, after each chunk (progress bars). */
export interface StreamProgress {
  /** 'scan': the pass that counts, checks and samples the rows; 'em': an EM iteration's pass. */
  readonly phase: 'scan' | 'em';
  /** 1-based: the scan is pass 1, the n-th EM iteration (counted across nInit initialisations) reads pass n + 1. */
  readonly pass: number;
  /** EM iterations so far, this pass's included (pass − 1); 0 for the scan. */
  readonly iteration: number;
  /** Rows of this pass read so far, and the rows of a pass (null during the scan: not known yet). */
  readonly rowsDone: number;
  readonly rows: number | null;
  /** Chunks of this pass read so far. */
  readonly chunks: number;
}

/** Options of fit(source) for a chunk source. */
export interface StreamFitOptions {
  /**
   * Rows of the uniform reservoir sample the init method runs on (kmeans, k-means++, random,
   * random_from_data); default 100000. With at most this many rows in the source, the sample is
   * the whole table in order, and the initialisation is the in-memory fit's.
   */
  readonly sampleSize?: number;
  /** Called after each chunk of every pass. */
  readonly onChunk?: ((progress: StreamProgress) => void) | null;
}

export const DEFAULT_SAMPLE_SIZE = 100_000;

/** Whether fit's first argument is a chunk source rather than a matrix. */
export function isChunkSource(value: unknown): value is ChunkSource {
  if (typeof value === 'function') return true;
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** One pass's chunks, from the start of the source. */
async function* openPass(source: ChunkSource, pass: number): AsyncGenerator<ChunkInput> {
  let iterable: unknown = source;
  if (typeof source === 'function') {
    iterable = await source();
    const ok =
      iterable !== null &&
      typeof iterable === 'object' &&
      (typeof (iterable as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' ||
        typeof (iterable as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function');
    if (!ok)
      throw new EmgpuInputError(
        `The chunk source function returned ${iterable === null ? 'null' : typeof iterable} on pass ${pass}; it must return an iterable or async iterable of chunks.`,
      );
  }
  yield* iterable as ChunkIterable;
}

/** A chunk checked and in engine form, with its weights as given (or null). */
interface CheckedChunk {
  readonly matrix: Matrix;
  readonly weights: Float64Array | null;
}

function describe(value: number): string {
  return Number.isNaN(value) ? 'NaN' : String(value);
}

/** Shape of the stream, fixed by its first chunk, and checked on every later one. */
interface StreamShape {
  cols: number;
  weighted: boolean;
}

/**
 * Checks chunk `index` (0-based) whose first row is row `rowBase` (0-based) of the stream;
 * null for an empty chunk. Every error is one sentence naming the chunk and the row.
 */
function checkChunk(input: ChunkInput, index: number, rowBase: number, shape: StreamShape | null): CheckedChunk | null {
  const name = `chunk ${index} (0-based; its row 0 is row ${rowBase} of the stream)`;
  if (input === null || typeof input !== 'object')
    throw new EmgpuInputError(
      `${name} is ${input === null ? 'null' : typeof input}; each chunk must be {data, rows, cols} or number[][].`,
    );
  if (Array.isArray(input) ? input.length === 0 : (input as StreamChunk).rows === 0) return null;
  const matrix = toMatrix(input as MatrixInput, name);
  if (shape !== null && matrix.cols !== shape.cols) {
    throw new EmgpuInputError(
      `${name} has ${matrix.cols} columns but the chunks before it have ${shape.cols}; every chunk needs the same columns.`,
    );
  }
  const given = Array.isArray(input) ? undefined : (input as StreamChunk).sampleWeight;
  let weights: Float64Array | null = null;
  if (given != null) {
    if (typeof given !== 'object' || typeof given.length !== 'number')
      throw new EmgpuInputError(
        `${name} has sampleWeight of type ${typeof given}; give an array of numbers, one per row.`,
      );
    if (given.length !== matrix.rows)
      throw new EmgpuInputError(
        `${name} has ${given.length} sample weights for ${matrix.rows} rows; give one weight per row.`,
      );
    weights = new Float64Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i++) {
      const w = given[i] as unknown;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new EmgpuInputError(
          `${name}, row ${i}: the sample weight is ${typeof w === 'number' ? describe(w) : JSON.stringify(w)}; weights must be finite and ≥ 0.`,
        );
      }
      weights[i] = w;
    }
  }
  if (shape !== null && (weights !== null) !== shape.weighted) {
    throw new EmgpuInputError(
      `${name} ${weights === null ? 'has no sampleWeight but the chunks before it have' : 'has sampleWeight but the chunks before it have none'}; give weights with every chunk or with none.`,
    );
  }
  return { matrix, weights };
}

/** What the scan pass learnt. */
export interface StreamScan {
  readonly rows: number;
  readonly cols: number;
  readonly chunks: number;
  /** Rows of the largest chunk. */
  readonly largestChunk: number;
  readonly weighted: boolean;
  /** Σ w as given (rows when unweighted), summed in row order as fit sums them. */
  readonly totalWeight: number;
  /** Rows with a positive weight. */
  readonly positiveRows: number;
  /** The power of two fit scales these weights by (toDataset): the same for every chunk. */
  readonly weightExponent: number;
  /** The uniform reservoir sample, rows in stream order when the stream fits in it. */
  readonly sample: Matrix & { readonly data: Float64Array };
  /** The sample's weights as given (null when unweighted). */
  readonly sampleWeights: Float64Array | null;
}

export interface PassSettings {
  readonly throwIfAborted: () => void;
  readonly onChunk: ((progress: StreamProgress) => void) | null;
}

/**
 * The scan pass: counts and checks every chunk, sums the weights, and keeps a uniform sample of
 * `sampleSize` rows (algorithm R: row i ≥ m replaces a uniformly chosen slot with probability
 * m / (i + 1)), drawn with `seed`.
 */
export async function scanStream(
  source: ChunkSource,
  sampleSize: number,
  seed: number,
  settings: PassSettings,
): Promise<StreamScan> {
  const random = new Random(seed);
  let shape: StreamShape | null = null;
  let rows = 0;
  let chunks = 0;
  let largestChunk = 0;
  let totalWeight = 0;
  let positiveRows = 0;
  let sample = new Float64Array(0);
  let sampleWeights: Float64Array | null = null;
  let kept = 0;
  let index = 0;
  for await (const input of openPass(source, 1)) {
    settings.throwIfAborted();
    const chunk = checkChunk(input, index, rows, shape);
    index++;
    if (chunk === null) continue;
    const { matrix, weights } = chunk;
    const d = matrix.cols;
    if (shape === null) {
      shape = { cols: d, weighted: weights !== null };
      sample = new Float64Array(sampleSize * d);
      sampleWeights = weights !== null ? new Float64Array(sampleSize) : null;
    }
    for (let i = 0; i < matrix.rows; i++) {
      const w = weights === null ? 1 : (weights[i] as number);
      totalWeight += w;
      if (w > 0) positiveRows++;
      const seen = rows + i;
      const slot = seen < sampleSize ? seen : random.nextInt(seen + 1);
      if (slot < sampleSize) {
        for (let a = 0; a < d; a++) sample[slot * d + a] = matrix.data[i * d + a] as number;
        if (sampleWeights !== null) sampleWeights[slot] = w;
        if (seen < sampleSize) kept++;
      }
    }
    rows += matrix.rows;
    chunks++;
    largestChunk = Math.max(largestChunk, matrix.rows);
    settings.onChunk?.({ phase: 'scan', pass: 1, iteration: 0, rowsDone: rows, rows: null, chunks });
  }
  settings.throwIfAborted();
  if (shape === null) throw new EmgpuInputError('The chunk source gave no rows; pass at least one chunk with rows.');
  if (shape.weighted && !(totalWeight > 0))
    throw new EmgpuInputError('Every sample weight of the stream is 0; at least one row needs a positive weight.');
  if (!Number.isFinite(totalWeight))
    throw new EmgpuInputError(
      'The sample weights of the stream sum to Infinity; scale the weights down (only their ratios matter to the fit).',
    );
  const d = shape.cols;
  return {
    rows,
    cols: d,
    chunks,
    largestChunk,
    weighted: shape.weighted,
    totalWeight,
    positiveRows,
    weightExponent: shape.weighted ? weightExponentFor(totalWeight, rows) : 0,
    sample: { data: kept * d === sample.length ? sample : sample.slice(0, kept * d), rows: kept, cols: d },
    sampleWeights:
      sampleWeights === null ? null : kept === sampleWeights.length ? sampleWeights : sampleWeights.slice(0, kept),
  };
}

/** The chunk in pieces of at most `size` rows (the chunk itself when it has no more). */
function* pieces(chunk: CheckedChunk, size: number): Generator<CheckedChunk> {
  const { data, rows, cols } = chunk.matrix;
  if (rows <= size) {
    yield chunk;
    return;
  }
  for (let start = 0; start < rows; start += size) {
    const end = Math.min(rows, start + size);
    yield {
      matrix: { data: data.subarray(start * cols, end * cols), rows: end - start, cols },
      weights: chunk.weights === null ? null : chunk.weights.subarray(start, end),
    };
  }
}

/** A Float64Array in shared memory where the platform has it (Node; cross-origin isolated pages), else an ordinary one. */
function stagingArray(length: number): Float64Array {
  return typeof SharedArrayBuffer === 'undefined'
    ? new Float64Array(length)
    : new Float64Array(new SharedArrayBuffer(length * 8));
}

function notOnStream(what: string): Error {
  return new Error(
    `${what} is not available on a streamed table (internal: the initialisation runs on the reservoir sample).`,
  );
}

/**
 * The streamed table as the EM loop sees it: eStep reads one pass of the source, chunk by chunk
 * through the engine, and returns the statistics of all of it. Only eStep is defined: the
 * initialisation runs on the sample, loaded on its own.
 */
export class StreamedData implements LoadedData {
  readonly rows: number;
  readonly cols: number;
  readonly totalWeight: number;
  lastTimings: PassTimings | null = null;
  disposed = false;
  private pass = 1;
  /** Two of each (a chunk staged while the one before it is in flight): see dataset(). */
  private staging: (Float64Array | undefined)[] = [];
  private stagingWeights: (Float64Array | undefined)[] = [];
  private slot: ChunkSlot | null | undefined = undefined;

  constructor(
    private readonly source: ChunkSource,
    private readonly backend: Backend,
    private readonly scan: StreamScan,
    private readonly settings: PassSettings,
  ) {
    this.rows = scan.rows;
    this.cols = scan.cols;
    this.totalWeight = timesPowerOfTwo(scan.totalWeight, scan.weightExponent);
  }

  async eStep(params: MixtureParams, moments: 'full' | 'diag'): Promise<SufficientStats> {
    if (this.disposed) throw new Error('This streamed data was released.');
    const started = performance.now();
    const { scan, settings } = this;
    const pass = ++this.pass;
    const iteration = pass - 1;
    let shape: StreamShape = { cols: scan.cols, weighted: scan.weighted };
    let total: SufficientStats | null = null;
    /** Rows read (the next chunk's first row), and rows whose statistics are summed. */
    let seen = 0;
    let rows = 0;
    let index = 0;
    let chunks = 0;
    let tooMany = false;
    // One chunk in flight: its E-step runs (on the worker threads, or the GPU) while the next
    // chunk is read and decoded here, and its statistics are added in chunk order.
    let inFlight: { readonly stats: Promise<SufficientStats>; readonly rows: number } | null = null;
    const land = async (): Promise<void> => {
      if (inFlight === null) return;
      const { stats, rows: n } = inFlight;
      inFlight = null;
      const chunkStats = await stats;
      total = total === null ? chunkStats : addStats(total, chunkStats);
      rows += n;
      chunks++;
      settings.onChunk?.({ phase: 'em', pass, iteration, rowsDone: rows, rows: scan.rows, chunks });
    };
    try {
      let buffer = 0;
      for await (const input of openPass(this.source, pass)) {
        settings.throwIfAborted();
        const chunk = checkChunk(input, index, seen, shape);
        index++;
        if (chunk === null) continue;
        shape = { cols: chunk.matrix.cols, weighted: chunk.weights !== null };
        if (seen + chunk.matrix.rows > scan.rows) {
          tooMany = true;
          break;
        }
        seen += chunk.matrix.rows;
        // A pass may cut the rows into other chunks than the scan did (a reader's buffer size,
        // say): a chunk larger than the scan's largest goes through in pieces of that size, the
        // size the staging buffers and the engine's chunk slot were made for.
        for (const piece of pieces(chunk, scan.largestChunk)) {
          // Staged in the buffer the chunk before last used: that one has landed.
          const dataset = this.dataset(piece, buffer);
          buffer ^= 1;
          await land();
          const stats = this.chunkStats(dataset, params, moments);
          stats.catch(() => undefined); // land() awaits it; a pass that stops first waits below
          inFlight = { stats, rows: piece.matrix.rows };
        }
      }
      await land();
    } catch (error) {
      // Stopped (an abort, a bad chunk, a failed E-step): let the chunk in flight end first, so
      // that nothing of this pass runs on after the fit has failed.
      const pending = inFlight as { readonly stats: Promise<SufficientStats> } | null;
      if (pending !== null) await pending.stats.catch(() => undefined);
      throw error;
    }
    settings.throwIfAborted();
    if (total === null || tooMany || rows !== scan.rows) {
      throw new EmgpuInputError(
        `Pass ${pass} over the chunk source gave ${tooMany ? `more than ${scan.rows}` : rows} rows but pass 1 gave ${scan.rows}; the source must yield the same rows on every pass (a generator object can be read only once: pass a function that opens the source again).`,
      );
    }
    this.lastTimings = { kernelMs: null, wallMs: performance.now() - started };
    return total;
  }

  /** One chunk's E-step statistics: through the engine's chunk slot, or loaded and released. */
  private async chunkStats(
    dataset: Dataset,
    params: MixtureParams,
    moments: 'full' | 'diag',
  ): Promise<SufficientStats> {
    const slot = this.chunkSlot();
    if (slot !== null) return (await slot.load(dataset)).eStep(params, moments);
    const data = await this.backend.load(dataset);
    try {
      return await data.eStep(params, moments);
    } finally {
      data.dispose();
    }
  }

  /**
   * The engine's chunk slot (GPU: device buffers allocated once, for the largest chunk, and
   * written again for every chunk of every pass), or null where the engine has none (the CPU
   * engine shares the staging buffers below with its workers, which costs no copy).
   */
  private chunkSlot(): ChunkSlot | null {
    if (this.slot === undefined)
      this.slot = this.backend.openChunkSlot?.(this.scan.cols, this.scan.largestChunk, this.scan.weighted) ?? null;
    return this.slot;
  }

  /**
   * The chunk as the engine takes it, copied into staging buffer 0 or 1 (weights scaled by the
   * stream's power of two, as toDataset scales the whole table's): two, so that a chunk can be
   * staged while the E-step of the one before it still reads the other. The buffers are
   * allocated once, for the largest chunk, in shared memory where there is any: the CPU
   * engine's worker threads then see every chunk through the same two SharedArrayBuffers,
   * instead of a new copy per chunk that each worker would keep alive until its own garbage
   * collection.
   */
  private dataset(chunk: CheckedChunk, buffer: number): Dataset {
    const { data, rows, cols } = chunk.matrix;
    const size = this.scan.largestChunk;
    const staging = (this.staging[buffer] ??= stagingArray(size * cols));
    const staged = staging.subarray(0, rows * cols);
    staged.set(data);
    const e = this.scan.weightExponent;
    if (chunk.weights === null)
      return { data: staged, rows, cols, weights: null, totalWeight: rows, weightExponent: 0 };
    const weights = (this.stagingWeights[buffer] ??= stagingArray(size)).subarray(0, rows);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const w = e === 0 ? (chunk.weights[i] as number) : timesPowerOfTwo(chunk.weights[i] as number, e);
      weights[i] = w;
      total += w;
    }
    return { data: staged, rows, cols, weights, totalWeight: total, weightExponent: e };
  }

  assign(): Promise<AssignResult> {
    return Promise.reject(notOnStream('assign'));
  }
  randomResponsibilities(): Promise<SufficientStats> {
    return Promise.reject(notOnStream('randomResponsibilities'));
  }
  kmeansPlusPlus(): Promise<Int32Array> {
    return Promise.reject(notOnStream('kmeansPlusPlus'));
  }
  evaluate(): Promise<EvaluateResult> {
    return Promise.reject(notOnStream('evaluate'));
  }
  rowsAt(): Promise<Float64Array> {
    return Promise.reject(notOnStream('rowsAt'));
  }
  dispose(): void {
    this.disposed = true;
    this.slot?.dispose();
    this.slot = null;
    this.staging = [];
    this.stagingWeights = [];
  }
}
