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
//
// The parts: src/stream-source.ts (the source's types, passes and chunk checks),
// src/stream-scan.ts (the scan pass); this file has the streamed data the EM loop reads.

import type {
  AssignResult,
  Backend,
  ChunkSlot,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  PassTimings,
} from './backend.ts';
import { timesPowerOfTwo, type Dataset } from './matrix.ts';
import { EmgpuInputError } from './options.ts';
import type { StreamScan } from './stream-scan.ts';
import {
  checkChunk,
  openPass,
  pieces,
  type CheckedChunk,
  type ChunkSource,
  type PassSettings,
  type StreamProgress,
  type StreamShape,
} from './stream-source.ts';
import { addStats, type SufficientStats, type SecondMoments } from './sufficient-stats.ts';

export { scanStream, type StreamScan } from './stream-scan.ts';
export {
  isChunkSource,
  type ChunkInput,
  type ChunkIterable,
  type ChunkSource,
  type StreamChunk,
  type StreamProgress,
} from './stream-source.ts';

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

  async eStep(params: MixtureParams, moments: SecondMoments): Promise<SufficientStats> {
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
  private async chunkStats(dataset: Dataset, params: MixtureParams, moments: SecondMoments): Promise<SufficientStats> {
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
