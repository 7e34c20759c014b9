// `emgpu fit DATA --stream`: exact EM with DATA read from its file in chunks of --chunk-rows rows
// on every iteration (GaussianMixture.fit with a chunk source, src/stream.ts), so that memory is
// bounded by a chunk, not by the table. DATA must be a regular file (it is read once per
// iteration): a CSV/TSV file, read in blocks of text, or a Parquet file, read a row range at a time.

import { createReadStream } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { open, stat } from 'node:fs/promises';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { formatFromName, type TableFormat } from '../io/formats.ts';
import { csvChunks } from '../io/text.ts';
import type { IterationInfo } from '../options.ts';
import type { ChunkInput, ChunkSource, StreamChunk, StreamProgress } from '../stream.ts';
import { pause } from './abort.ts';
import { describeFsError, handleBuffer, type DataOptions } from './data.ts';
import { CliError, printable } from './errors.ts';
import { integerAtLeast } from './option-sets.ts';
import { shortBackend, type ErrStream } from './progress.ts';

export const DEFAULT_CHUNK_ROWS = 1_000_000;

export interface StreamOpts {
  stream?: boolean;
  chunkRows?: number;
  /** --spill DIR (a folder for the spill file), --no-spill (false); undefined: the OS temporary folder. */
  spill?: string | false;
}

export function streamOptions(): Option[] {
  return [
    new Option(
      '--stream',
      'exact EM with DATA (a CSV, TSV or Parquet file) read in chunks on every iteration: memory bounded by a chunk, not the table (a GaussianMixture)',
    ),
    new Option('--chunk-rows <N>', `with --stream: rows per chunk (default: ${DEFAULT_CHUNK_ROWS})`).argParser(
      integerAtLeast(1),
    ),
    new Option(
      '--spill <dir>',
      'with --stream: keep the decoded chunks of the first pass in a temporary file in this folder (default: the OS temporary folder) and read later passes from it; the file never outlives the process',
    ),
    new Option('--no-spill', 'with --stream: read and decode DATA again on every pass (no temporary file)'),
  ];
}

// Which flags need --stream, and which it refuses, is in src/cli/flag-rules.ts.

/** DATA opened for streaming: its chunks (a new pass on every call), and what it is. */
export interface StreamedFile {
  readonly label: string;
  readonly cols: number;
  /** Rows, when the file says (Parquet's footer); null for text. */
  readonly rows: number | null;
  readonly header: string[] | null;
  readonly source: ChunkSource;
  close(): Promise<void>;
}

/** What identifies a file's contents without reading them: device, inode, size, modification time. */
async function fingerprint(path: string): Promise<string> {
  const info = await stat(path);
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
}

/**
 * The source, checking before and after every pass that the file is the one the first pass read:
 * a file truncated, appended to or rewritten between passes would otherwise be mixed into the fit.
 */
async function unchangedSource(
  path: string,
  label: string,
  openPass: () => AsyncIterable<ChunkInput>,
): Promise<ChunkSource> {
  const first = await fingerprint(path);
  const check = async (): Promise<void> => {
    const now = await fingerprint(path).catch(() => 'gone');
    if (now !== first) {
      throw new CliError(
        `DATA changed during the fit: '${label}' ${now === 'gone' ? 'was removed' : 'has another size or modification time'} since the first pass over it, and --stream reads it once per iteration; fit a copy that stays as it is.`,
      );
    }
  };
  return async function* (): AsyncGenerator<ChunkInput> {
    await check();
    yield* openPass();
    await check();
  };
}

/** Opens DATA for --stream: a regular CSV, TSV or Parquet file. */
export async function openStreamedFile(
  path: string,
  opts: DataOptions & StreamOpts,
  signal: AbortSignal,
  note: (line: string) => void,
): Promise<StreamedFile> {
  const label = printable(path);
  const format: TableFormat = opts.format ?? formatFromName(path) ?? 'csv';
  if (format !== 'csv' && format !== 'tsv' && format !== 'parquet') {
    throw new CliError(
      `--stream reads CSV, TSV and Parquet files, and ${label} is ${format === 'json' ? 'JSON' : 'Arrow IPC'}; convert it to Parquet or CSV, or fit without --stream.`,
    );
  }
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new CliError(
        `--stream reads DATA once per iteration, so it must be a regular file, and ${label} is not (a FIFO or device cannot be read again); save the data to a file first.`,
      );
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read data file '${label}': ${describeFsError(error)}.`);
  }
  const chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const columns = opts.columns;
  const pauseHere = (): Promise<void> => pause(signal);
  if (format === 'parquet') {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const { openParquetChunks } = await import('../io/parquet.ts');
      const file = await openParquetChunks(handleBuffer(handle, size), {
        label,
        optionName: '--columns',
        ...(columns !== undefined ? { columns } : {}),
        pause: pauseHere,
      });
      return {
        label,
        cols: file.cols,
        rows: file.rows,
        header: file.columns,
        source: await unchangedSource(path, label, () => file.chunks(chunkRows)),
        close: () => handle.close(),
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  const textOptions = {
    ...(columns !== undefined ? { columns } : {}),
    ...(format === 'tsv' ? { delimiter: '\t' } : {}),
    pause: pauseHere,
  };
  const texts = (): AsyncIterable<string> =>
    createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>;
  // The first chunk, for the number of columns and the header (and its notes, said once).
  let cols = 0;
  let header: string[] | null = null;
  for await (const chunk of csvChunks(texts(), label, 1, { ...textOptions, note })) {
    cols = chunk.cols;
    header = chunk.header;
    break; // closes the file
  }
  const pass = async function* (): AsyncGenerator<StreamChunk> {
    for await (const chunk of csvChunks(texts(), label, chunkRows, textOptions))
      yield { data: chunk.data, rows: chunk.rows, cols: chunk.cols };
  };
  return {
    label,
    cols,
    rows: null,
    header,
    source: await unchangedSource(path, label, pass),
    close: async () => undefined,
  };
}

/**
 * V8's full garbage collection, or null where it cannot be had. Node exposes gc() only with
 * --expose-gc; the flag can be set at run time, and a new context then sees gc.
 */
function garbageCollector(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** Garbage a streamed fit lets the heap gather before it collects (see heapKeeper). */
export const HEAP_BUDGET_BYTES = 16 * 2 ** 20;

/**
 * For a streamed fit to call after each chunk: a full garbage collection whenever the heap (with
 * the ArrayBuffers its objects hold) has grown by more than `budget` bytes since the last one.
 * Each chunk leaves its decoded pages and numbers behind as garbage, and V8 lets the heap grow by
 * hundreds of MiB before it collects them (its growth is set by the live size, which is small):
 * collecting at a fixed budget keeps the peak near one row group's worth, at one collection per
 * few chunks rather than one per chunk. Null where gc() cannot be had (the fit then runs without).
 */
export function heapKeeper(budget = HEAP_BUDGET_BYTES): (() => void) | null {
  const gc = garbageCollector();
  if (gc === null) return null;
  // The heap's objects and the ArrayBuffers they hold (decoded blocks, file reads), which V8
  // counts apart and collects on its own schedule.
  const used = (): number => {
    const stats = getHeapStatistics();
    return stats.used_heap_size + stats.external_memory;
  };
  let floor = used();
  return () => {
    if (used() - floor <= budget) return;
    gc();
    floor = used();
  };
}

const formatBound = (value: number): string => (Number.isFinite(value) ? value.toFixed(6) : String(value));

/**
 * Progress of a streamed fit on stderr: a bar per pass over the file when stderr is a terminal
 * (the scan, then one per EM iteration), a line per pass with --verbose, nothing otherwise.
 */
export class StreamProgressBars {
  private bar: cliProgress.SingleBar | null = null;
  private barPass = 0;
  private readonly mode: 'lines' | 'bar' | 'quiet';
  private last: IterationInfo | null = null;
  private passStarted: number;
  /** Lines mode: the pass the last line was about, and when that line was written. */
  private linePass = 0;
  private lineAt: number;

  constructor(
    private readonly stderr: ErrStream,
    verbose: boolean,
    private readonly maxIter: number,
    private readonly knownRows: number | null,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.mode = verbose ? 'lines' : stderr.isTTY === true ? 'bar' : 'quiet';
    this.passStarted = clock();
    this.lineAt = this.passStarted;
  }

  readonly onProgress = (message: string): void => {
    if (this.mode === 'lines') this.stderr.write(`emgpu: ${message}\n`);
  };

  readonly onIteration = (info: IterationInfo): void => {
    this.last = info;
    if (this.mode === 'lines') {
      this.stderr.write(
        `emgpu: iter ${String(info.iteration).padStart(String(this.maxIter).length)}/${this.maxIter}  lower bound ${formatBound(info.lowerBound)}  change ${Number.isFinite(info.change) ? info.change.toExponential(2) : '—'}  ${(info.iterationTime / 1000).toFixed(2)} s/pass  ${shortBackend(info.backend)}\n`,
      );
    }
  };

  readonly onChunk = (progress: StreamProgress): void => {
    const total = progress.rows ?? this.knownRows;
    if (this.mode === 'lines') {
      this.progressLine(progress, total);
      return;
    }
    if (this.mode !== 'bar') return;
    const fresh = this.bar === null || progress.pass !== this.barPass;
    if (fresh) {
      this.bar?.stop();
      this.passStarted = this.clock();
      this.barPass = progress.pass;
    }
    const label =
      progress.phase === 'scan'
        ? 'scan   '
        : `EM ${String(progress.iteration).padStart(String(this.maxIter).length)}/${this.maxIter}`;
    const seconds = (this.clock() - this.passStarted) / 1000;
    const payload = {
      label,
      rate: seconds > 0 ? `${(progress.rowsDone / seconds / 1e6).toFixed(2)}M rows/s` : '',
      lowerBound: this.last === null ? '—' : formatBound(this.last.lowerBound),
    };
    if (fresh) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stderr,
          format:
            total === null
              ? '{label} {value} rows | {rate}'
              : '{label} [{bar}] {percentage}% | {value}/{total} rows | {rate} | lower bound {lowerBound}',
          barsize: 20,
          hideCursor: true,
          clearOnComplete: false,
          fps: 10,
        },
        cliProgress.Presets.legacy,
      );
      this.bar.start(total ?? 0, 0, payload);
    }
    this.bar?.update(progress.rowsDone, payload);
  };

  /**
   * --verbose (any stderr, a terminal or not): the end of the scan, and within a pass a line at
   * most every LINE_EVERY_MS, so a long pass over a big file shows it is moving, e.g.
   * "emgpu: EM  3/100  4000000/10000000 rows (40%)  1.25M rows/s".
   */
  private progressLine(progress: StreamProgress, total: number | null): void {
    const now = this.clock();
    if (progress.pass !== this.linePass) {
      this.linePass = progress.pass;
      this.passStarted = now;
      this.lineAt = now;
    }
    const seconds = (now - this.passStarted) / 1000;
    if (progress.phase === 'scan' && this.knownRows !== null && progress.rowsDone === this.knownRows) {
      this.stderr.write(
        `emgpu: scanned ${progress.rowsDone} rows in ${progress.chunks} chunks, ${seconds.toFixed(2)} s\n`,
      );
      return;
    }
    if (now - this.lineAt < LINE_EVERY_MS || (total !== null && progress.rowsDone >= total)) return;
    this.lineAt = now;
    const label =
      progress.phase === 'scan'
        ? 'scan'
        : `EM ${String(progress.iteration).padStart(String(this.maxIter).length)}/${this.maxIter}`;
    const done =
      total === null
        ? `${progress.rowsDone} rows`
        : `${progress.rowsDone}/${total} rows (${Math.floor((100 * progress.rowsDone) / Math.max(1, total))}%)`;
    const rate = seconds > 0 ? `  ${(progress.rowsDone / seconds / 1e6).toFixed(2)}M rows/s` : '';
    this.stderr.write(`emgpu: ${label}  ${done}${rate}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** With --verbose, a streamed pass prints a progress line at most this often (milliseconds). */
export const LINE_EVERY_MS = 10_000;
