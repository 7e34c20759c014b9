// The chunk source of a streamed fit (src/stream.ts): the types a caller gives, opening one pass
// over the source, and checking each chunk (columns, weights) with one-sentence errors that name
// the chunk and the row.

import { toMatrix, type Matrix, type MatrixInput } from './matrix.ts';
import { EmgpuInputError } from './options.ts';

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

export interface PassSettings {
  readonly throwIfAborted: () => void;
  readonly onChunk: ((progress: StreamProgress) => void) | null;
}

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
export async function* openPass(source: ChunkSource, pass: number): AsyncGenerator<ChunkInput> {
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
export interface CheckedChunk {
  readonly matrix: Matrix;
  readonly weights: Float64Array | null;
}

function describe(value: number): string {
  return Number.isNaN(value) ? 'NaN' : String(value);
}

/** Shape of the stream, fixed by its first chunk, and checked on every later one. */
export interface StreamShape {
  cols: number;
  weighted: boolean;
}

/**
 * Checks chunk `index` (0-based) whose first row is row `rowBase` (0-based) of the stream;
 * null for an empty chunk. Every error is one sentence naming the chunk and the row.
 */
export function checkChunk(
  input: ChunkInput,
  index: number,
  rowBase: number,
  shape: StreamShape | null,
): CheckedChunk | null {
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

/** The chunk in pieces of at most `size` rows (the chunk itself when it has no more). */
export function* pieces(chunk: CheckedChunk, size: number): Generator<CheckedChunk> {
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
