// The scan pass of a streamed fit, before the first EM iteration: counts the rows and their
// weight (for the weight scaling fit applies, src/matrix.ts), checks every chunk, and keeps a
// uniform reservoir sample (Vitter's algorithm R) on which the init method runs.

import { weightExponentFor, type Matrix } from './matrix.ts';
import { EmgpuInputError } from './options.ts';
import { Random } from './random.ts';
import { checkChunk, openPass, type ChunkSource, type PassSettings, type StreamShape } from './stream-source.ts';

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
