// A fit on a chunk source (src/stream.ts): its options checked, the scan pass (counts, checks,
// weights and the reservoir sample for the init method), and the engine chosen for the whole
// stream, on which the estimator's EM then reads every chunk again each iteration.

import type { Backend, JobShape, LoadedData } from '../backend.ts';
import { onEngine, type EngineChoice } from '../engine-session.ts';
import { toDataset, type Dataset } from '../matrix.ts';
import { EmgpuInputError, type CovarianceType, type MissingMode } from '../options.ts';
import type { StatisticsEstimator } from '../statistics-api.ts';
import {
  DEFAULT_SAMPLE_SIZE,
  scanStream,
  StreamedData,
  type ChunkSource,
  type StreamFitOptions,
  type StreamScan,
} from '../stream.ts';

export interface StreamFitSettings {
  readonly estimatorName: StatisticsEstimator;
  readonly missing: MissingMode;
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  /** The fit's seed (randomState, else fresh), read once the options pass. */
  readonly seed: () => number;
  readonly engineChoice: EngineChoice;
  readonly throwIfAborted: () => void;
  readonly progress: (message: string) => void;
}

/**
 * EM over the stream: `streamed` reads every chunk through the engine, `sample` is the reservoir
 * sample loaded for the init method, `dataset` the whole table's weight scaling (with the sample's rows).
 */
export type StreamedFit = (
  run: { streamed: LoadedData; sample: LoadedData; dataset: Dataset; seed: number; scan: StreamScan },
  backend: Backend,
) => Promise<void>;

/** The reservoir's size, once fit(source, options)'s options are checked. */
function checkStreamOptions(options: StreamFitOptions, settings: StreamFitSettings): number {
  if (options === null || typeof options !== 'object')
    throw new EmgpuInputError(
      `The fit options of a chunk source must be an object such as { sampleSize, onChunk }, got ${String(options)}.`,
    );
  if (settings.missing === 'marginalize') {
    throw new EmgpuInputError(
      "missing: 'marginalize' does not work with a chunk source yet; fit the table in memory (fit(X)), or remove or impute the missing values.",
    );
  }
  const known = ['sampleSize', 'onChunk'];
  const stray = Object.keys(options).find((key) => !known.includes(key));
  if (stray !== undefined) {
    throw new EmgpuInputError(
      `fit(source) takes the options sampleSize and onChunk, not ${JSON.stringify(stray)}${stray === 'sampleWeight' || stray === 'resp' ? ` (with a chunk source, ${stray === 'sampleWeight' ? 'each chunk carries its sampleWeight' : 'start from weightsInit, meansInit and precisionsInit instead'})` : ''}.`,
    );
  }
  if (settings.estimatorName !== 'GaussianMixture') {
    throw new EmgpuInputError(
      `${settings.estimatorName} cannot fit a chunk source (its priors are taken from the whole table in memory); fit a GaussianMixture on the stream, or pass X as a matrix.`,
    );
  }
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const k = settings.nComponents;
  if (typeof sampleSize !== 'number' || !Number.isSafeInteger(sampleSize) || sampleSize < Math.max(1, k)) {
    throw new EmgpuInputError(`Option sampleSize must be an integer ≥ nComponents (${k}), got ${String(sampleSize)}.`);
  }
  return sampleSize;
}

/** Enough rows, and rows of positive weight, in the stream and in its sample for nComponents. */
function checkScan(scan: StreamScan, k: number): void {
  if (scan.rows < k)
    throw new EmgpuInputError(
      `The stream has ${scan.rows} rows but nComponents is ${k}; pass at least ${k} rows or lower nComponents.`,
    );
  if (scan.positiveRows < k)
    throw new EmgpuInputError(
      `The stream has ${scan.positiveRows} rows with a positive weight but nComponents is ${k}; give at least ${k} rows a positive weight.`,
    );
  if (scan.sampleWeights !== null && scan.sampleWeights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0) < k) {
    throw new EmgpuInputError(
      `The reservoir sample of ${scan.sample.rows} rows has fewer than ${k} rows with a positive weight, too few to initialise ${k} components; raise sampleSize.`,
    );
  }
}

/** Checks the options, scans the stream, and runs `fit` on the engine chosen for the whole stream. */
export async function fitChunkSource(
  source: ChunkSource,
  options: StreamFitOptions,
  settings: StreamFitSettings,
  fit: StreamedFit,
): Promise<void> {
  const sampleSize = checkStreamOptions(options, settings);
  const k = settings.nComponents;
  const seed = settings.seed();
  const passes = { throwIfAborted: settings.throwIfAborted, onChunk: options.onChunk ?? null };
  settings.progress('scanning the stream: counting, checking and sampling rows');
  // The reservoir's own random stream, so that the seeds of the initialisations are fit's.
  const scan = await scanStream(source, sampleSize, (seed ^ 0x2545f491) >>> 0, passes);
  checkScan(scan, k);
  const sampleDataset = toDataset(scan.sample, scan.sampleWeights);
  // What the fit needs of the whole table's dataset: its weight scaling (and, for the init, the sample).
  const dataset: Dataset = { ...sampleDataset, weightExponent: scan.weightExponent };
  const job: JobShape = {
    rows: scan.rows,
    cols: scan.cols,
    nComponents: k,
    covarianceType: settings.covarianceType,
    weighted: scan.weighted,
  };
  await onEngine(job, settings.engineChoice, async (backend) => {
    settings.progress(
      `backend: ${backend.description}; ${scan.rows} rows in ${scan.chunks} chunks of ≤ ${scan.largestChunk} rows, init on a sample of ${scan.sample.rows}`,
    );
    const streamed = new StreamedData(source, backend, scan, passes);
    let sample: LoadedData | null = null;
    try {
      sample = await backend.load(sampleDataset);
      await fit({ streamed, sample, dataset, seed, scan }, backend);
    } finally {
      sample?.dispose();
      streamed.dispose();
    }
  });
}
