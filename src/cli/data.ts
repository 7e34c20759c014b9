// Reading data for the command line: files, FIFOs and stdin, in any format emgpu/io reads (CSV,
// TSV, JSON arrays of rows, Parquet, Arrow IPC), into a row-major Float64Array of the chosen
// columns. The parsing is src/io's; this adds the files, the formats chosen by extension or
// --format, and messages naming the file. Every error names the file, the row as numbered in
// the file (1-based, counting a CSV header) and the column, and says what to do.

import { constants } from 'node:buffer';
import { closeSync, constants as fsConstants, open as openFd } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import type { ColumnarOptions, ColumnarTable } from '../io/columnar.ts';
import { formatFromName, type TableFormat } from '../io/formats.ts';
import type { AsyncBuffer } from '../io/parquet.ts';
import { parseCsv, parseJsonRows, type TextReadOptions, type TextSource } from '../io/text.ts';
import type { MissingMode } from '../options.ts';
import { abortError, isAbortError, pause } from './abort.ts';
import { CliError, printable } from './errors.ts';

export { parseCsv, parseJsonRows, type TextSource } from '../io/text.ts';

export interface Table {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Names of the columns read: a CSV header's, or a Parquet or Arrow file's; null without a header. */
  readonly header: string[] | null;
  /** How messages name the source, e.g. "data.csv" or "stdin". */
  readonly label: string;
  /** The 1-based line (row in the file) of each data row; null when row i is line i + 1. */
  readonly lines: Int32Array | null;
  /** How each column was read, for Parquet and Arrow (e.g. 'int64'); null for text. */
  readonly types: string[] | null;
}

/** DATA's format and columns (--format, --columns). */
export interface DataOptions {
  format?: TableFormat;
  columns?: string[];
  /** --missing: with 'marginalize', missing values are read as NaN instead of refused. */
  missing?: MissingMode;
}

/** The longest string this JavaScript engine makes: the most text one input can hold. */
const MAX_TEXT_CHARS = constants.MAX_STRING_LENGTH;

/** How reading is told to stop (Ctrl-C) and where notes about the input go. */
export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** One line about how the input was read (e.g. a first row taken as a header). */
  readonly note?: (line: string) => void;
}

/** Reads a whole stream as UTF-8 text; stops (AbortError) when `signal` aborts, even if the stream never ends. */
export async function readStream(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<string> {
  return (await readStreamBytes(stream, signal)).toString('utf8'); // throws beyond the largest string (ERR_STRING_TOO_LONG)
}

/** Reads a whole stream; stops (AbortError) when `signal` aborts, even if the stream never ends. */
function readStreamBytes(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer | string): void =>
      void chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const cleanup = (): void => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onEnd = (): void => {
      cleanup();
      try {
        resolve(Buffer.concat(chunks));
      } catch (error) {
        reject(error); // longer than the largest buffer
      }
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    const onAbort = (): void => {
      cleanup();
      stream.pause(); // stop reading, so that the stream does not keep the process alive
      reject(abortError());
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    // A stream read to its end once emits no second 'end': a second read would wait forever.
    if ((stream as { readableEnded?: boolean }).readableEnded === true) {
      reject(new Error('it was already read to its end by another input of this command; give this input as a file'));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/**
 * A FIFO or a terminal, read through the event loop (a non-blocking descriptor): a blocking
 * open or read would hold a thread-pool thread, and with it the process, past Ctrl-C.
 */
async function readSpecialFile(path: string, signal: AbortSignal | undefined): Promise<Buffer | null> {
  const fd = await new Promise<number>((resolve, reject) =>
    openFd(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK, (error, value) =>
      error ? reject(error) : resolve(value),
    ),
  );
  let stream: NodeJS.ReadableStream & { destroy(): void };
  if (isatty(fd)) {
    stream = new TtyReadStream(fd);
  } else if ((await stat(path)).isFIFO()) {
    stream = new Socket({ fd, readable: true, writable: false });
  } else {
    closeSync(fd);
    return null; // another device (/dev/null): an ordinary read
  }
  try {
    return await readStreamBytes(stream, signal);
  } finally {
    stream.destroy();
  }
}

/** Reads a file ('-' reads `stdin`), with a one-line message naming the file when it cannot. */
export async function readSource(
  path: string,
  what: string,
  stdin: NodeJS.ReadableStream,
  signal?: AbortSignal,
): Promise<TextSource> {
  const label = path === '-' ? 'stdin' : printable(path);
  try {
    if (path === '-') return { label, text: stripBom(await readStream(stdin, signal)) };
    const info = await stat(path);
    const special = info.isFIFO() || info.isCharacterDevice() ? await readSpecialFile(path, signal) : null;
    return {
      label,
      text: stripBom(
        special?.toString('utf8') ?? (await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) })),
      ),
    };
  } catch (error) {
    if (isAbortError(error)) throw abortError();
    throw new CliError(
      `cannot read ${path === '-' ? `${what} from stdin` : `${what} '${label}'`}: ${describeFsError(error)}.`,
    );
  }
}

/** The bytes of a file ('-' reads `stdin`), with a one-line message naming the file when it cannot. */
async function readBytes(
  path: string,
  what: string,
  stdin: NodeJS.ReadableStream,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    if (path === '-') return await readStreamBytes(stdin, signal);
    const info = await stat(path);
    const special = info.isFIFO() || info.isCharacterDevice() ? await readSpecialFile(path, signal) : null;
    return special ?? (await readFile(path, signal ? { signal } : {}));
  } catch (error) {
    if (isAbortError(error)) throw abortError();
    throw new CliError(
      `cannot read ${path === '-' ? `${what} from stdin` : `${what} '${printable(path)}'`}: ${describeFsError(error, true)}.`,
    );
  }
}

/**
 * Runs `read` on a regular file as hyparquet's AsyncBuffer: only the byte ranges asked for
 * (the footer and the chosen columns) are read, with positioned reads. Null for anything that
 * is not a regular file (stdin, a FIFO): those are read whole.
 */
/** A file as hyparquet's AsyncBuffer over an open handle (positioned reads of the slices asked for). */
export function handleBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    slice: async (start: number, end: number = size) => {
      const bytes = new Uint8Array(Math.max(0, end - start));
      for (let done = 0; done < bytes.length;) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) throw new Error(`the file ends at byte ${start + done}, before byte ${end}`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

async function withFileBuffer<T>(
  path: string,
  what: string,
  read: (file: AsyncBuffer) => Promise<T>,
): Promise<T | null> {
  let handle;
  try {
    if (path === '-' || !(await stat(path)).isFile()) return null;
    handle = await open(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${what} '${printable(path)}': ${describeFsError(error, true)}.`);
  }
  try {
    const { size } = await handle.stat();
    return await read(handleBuffer(handle, size));
  } finally {
    await handle.close();
  }
}

export function describeFsError(error: unknown, binary = false): string {
  // A file longer than the longest string: a RangeError from readFile, a coded error elsewhere.
  const code =
    error instanceof RangeError && /string length/i.test(error.message)
      ? 'ERR_STRING_TOO_LONG'
      : (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ERR_STRING_TOO_LONG':
    case 'ERR_FS_FILE_TOO_LARGE':
      return binary
        ? 'it is too large to read whole (Arrow IPC, and Parquet from stdin or a FIFO, are read whole, up to 2 GiB); split it into smaller files'
        : `it is too large to read at once (the limit is ${Math.round(MAX_TEXT_CHARS / 2 ** 20)} MiB of text); split it into smaller files`;
    case 'ENOENT':
      return 'no such file or directory; check the path';
    case 'EISDIR':
      return 'it is a directory; pass a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; check the file permissions';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parsing options for text: Ctrl-C between segments, notes. */
function textOptions(options: ReadOptions): TextReadOptions {
  const { signal, note } = options;
  return { ...(signal !== undefined ? { pause: () => pause(signal) } : {}), ...(note !== undefined ? { note } : {}) };
}

const BINARY_NAMES: Record<string, string> = { parquet: 'a Parquet file', arrow: 'an Arrow IPC file or stream' };

/**
 * DATA: CSV (the default), TSV, a JSON array of rows, Parquet or Arrow IPC, by --format or the
 * file's extension; '-' reads stdin. Only the columns chosen by --columns are kept.
 */
export async function readData(
  path: string,
  stdin: NodeJS.ReadableStream,
  options: ReadOptions & DataOptions = {},
): Promise<Table> {
  const format = options.format ?? formatFromName(path) ?? 'csv';
  const label = path === '-' ? 'stdin' : printable(path);
  const columns = options.columns;
  if (format === 'parquet' || format === 'arrow') {
    const columnar: ColumnarOptions = {
      label,
      optionName: '--columns',
      ...(columns !== undefined ? { columns } : {}),
      ...(options.missing === 'marginalize' ? { missing: true } : {}),
      ...(options.signal !== undefined ? { pause: () => pause(options.signal as AbortSignal) } : {}),
    };
    // Loaded only for these formats: every other command starts without them.
    let table: ColumnarTable;
    if (format === 'parquet') {
      const { asyncBufferFromBytes, readParquet } = await import('../io/parquet.ts');
      table =
        (await withFileBuffer(path, 'data file', (file) => readParquet(file, columnar))) ??
        (await readParquet(asyncBufferFromBytes(await readBytes(path, 'data file', stdin, options.signal)), columnar));
    } else {
      const { readArrow } = await import('../io/arrow.ts');
      table = await readArrow(await readBytes(path, 'data file', stdin, options.signal), columnar);
    }
    return {
      data: table.data,
      rows: table.rows,
      cols: table.cols,
      header: table.columns,
      label,
      lines: null,
      types: table.columnTypes,
    };
  }
  const source = await readSource(path, 'data file', stdin, options.signal);
  // A binary table taken for text (by its name, or on stdin): say what it is, not a parse error.
  const start = source.text.slice(0, 6);
  const binary = start.startsWith('PAR1') ? 'parquet' : /^(?:ARROW1|FEA1|\ufffd{4})/.test(start) ? 'arrow' : null;
  if (binary !== null) {
    const fix =
      options.format === undefined ? `name it .${binary} or pass --format ${binary}` : `pass --format ${binary}`;
    throw new CliError(`${label} looks like ${BINARY_NAMES[binary]}, not ${format.toUpperCase()} text; ${fix}.`);
  }
  const table =
    format === 'json'
      ? parseJsonRows(source, {
          ...(columns !== undefined ? { columns } : {}),
          missing: options.missing === 'marginalize',
        })
      : await parseCsv(source, {
          ...textOptions(options),
          ...(columns !== undefined ? { columns } : {}),
          ...(format === 'tsv' ? { delimiter: '\t' } : {}),
          missing: options.missing === 'marginalize',
        });
  return { ...table, types: null };
}

/** A sample-weight file: one number per line or a one-column CSV (optional header). */
export async function readSampleWeights(
  path: string,
  stdin: NodeJS.ReadableStream,
  data: Table,
  options: ReadOptions = {},
): Promise<Float64Array> {
  const source = await readSource(path, 'sample-weight file', stdin, options.signal);
  const label = `sample-weight file ${source.label}`;
  const table = await parseCsv({ label, text: source.text }, textOptions(options));
  if (table.cols !== 1) {
    throw new CliError(`${label} has ${table.cols} columns; it needs one number per line (or a one-column CSV).`);
  }
  if (table.rows !== data.rows) {
    throw new CliError(
      `${label} has ${table.rows} weight${table.rows === 1 ? '' : 's'} but ${data.label} has ${data.rows} rows; give one weight per data row.`,
    );
  }
  let total = 0;
  for (let i = 0; i < table.rows; i++) {
    const w = table.data[i] as number;
    if (w < 0)
      throw new CliError(
        `${label}, row ${table.lines[i]}: the weight ${w} is negative; weights must be finite and ≥ 0.`,
      );
    total += w;
  }
  if (!(total > 0)) throw new CliError(`${label}: every weight is 0; at least one row needs a positive weight.`);
  return table.data;
}
