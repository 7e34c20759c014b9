// Reading data for the command line: CSV (papaparse; optional header), JSON arrays of rows and
// stdin, into a row-major Float64Array. Every error names the file, the row as numbered in the
// file (1-based, counting the header) and the column, and says what to do.

import { constants } from 'node:buffer';
import { closeSync, constants as fsConstants, open as openFd } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import Papa from 'papaparse';
import { abortError, isAbortError, pause } from './abort.ts';
import { brief, CliError, printable, quoted } from './errors.ts';

export interface Table {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Column names when the file had a header row. */
  readonly header: string[] | null;
  /** How messages name the source, e.g. "data.csv" or "stdin". */
  readonly label: string;
  /** The 1-based line (row in the file) of each data row. */
  readonly lines: Int32Array;
}

export interface TextSource {
  readonly label: string;
  readonly text: string;
}

/** The longest string this JavaScript engine makes: the most text one input can hold. */
const MAX_TEXT_CHARS = constants.MAX_STRING_LENGTH;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INFINITE = /^[+-]?(?:inf|infinity)$/i;
const MISSING = /^(?:|na|n\/a|null|none)$/i;

/** How reading is told to stop (Ctrl-C) and where notes about the input go. */
export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** One line about how the input was read (e.g. a first row taken as a header). */
  readonly note?: (line: string) => void;
}

/** Reads a whole stream as UTF-8 text; stops (AbortError) when `signal` aborts, even if the stream never ends. */
export function readStream(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer | string): void => void chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const cleanup = (): void => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onEnd = (): void => {
      cleanup();
      try {
        resolve(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        reject(error); // longer than the largest string (ERR_STRING_TOO_LONG)
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
async function readSpecialFile(path: string, signal: AbortSignal | undefined): Promise<string | null> {
  const fd = await new Promise<number>((resolve, reject) => openFd(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK, (error, value) => (error ? reject(error) : resolve(value))));
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
    return await readStream(stream, signal);
  } finally {
    stream.destroy();
  }
}

/** Reads a file ('-' reads `stdin`), with a one-line message naming the file when it cannot. */
export async function readSource(path: string, what: string, stdin: NodeJS.ReadableStream, signal?: AbortSignal): Promise<TextSource> {
  const label = path === '-' ? 'stdin' : printable(path);
  try {
    if (path === '-') return { label, text: stripBom(await readStream(stdin, signal)) };
    const info = await stat(path);
    const special = info.isFIFO() || info.isCharacterDevice() ? await readSpecialFile(path, signal) : null;
    return { label, text: stripBom(special ?? (await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) }))) };
  } catch (error) {
    if (isAbortError(error)) throw abortError();
    throw new CliError(`cannot read ${path === '-' ? `${what} from stdin` : `${what} '${label}'`}: ${describeFsError(error)}.`);
  }
}

export function describeFsError(error: unknown): string {
  // A file longer than the longest string: a RangeError from readFile, a coded error elsewhere.
  const code = error instanceof RangeError && /string length/i.test(error.message) ? 'ERR_STRING_TOO_LONG' : (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ERR_STRING_TOO_LONG':
    case 'ERR_FS_FILE_TOO_LARGE':
      return `it is too large to read at once (the limit is ${Math.round(MAX_TEXT_CHARS / 2 ** 20)} MiB of text); split it into smaller files`;
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

/** Delimiter from the first non-blank line: tab, semicolon or (default) comma. */
function detectDelimiter(text: string): string {
  const match = /^[^\S\r\n]*\S[^\r\n]*/m.exec(text);
  const line = match?.[0] ?? '';
  if (line.includes('\t')) return '\t';
  if (line.includes(';') && !line.includes(',')) return ';';
  return ',';
}

/** Whether a cell reads as a value (a number or a missing/non-finite marker) rather than a name. */
/** A cell that starts like a number (a sign, a digit, a point) or that JavaScript reads as one (0x10, Infinity). */
function looksNumeric(cell: string): boolean {
  const t = cell.trim();
  return t !== '' && (/^[+-]?[.\d]/.test(t) || !Number.isNaN(Number(t)));
}

function isValueLike(cell: string): boolean {
  const t = cell.trim();
  return NUMBER.test(t) || NAN.test(t) || INFINITE.test(t) || MISSING.test(t);
}

function where(label: string, line: number, column: number, header: string[] | null): string {
  const name = header?.[column - 1];
  return `${label}, row ${line}, column ${column}${name ? ` (${quoted(name)})` : ''}`;
}

/** Parses one cell, or explains (one line) why it is not a finite number. */
function parseCell(cell: string, place: () => string): number {
  const t = cell.trim();
  if (NUMBER.test(t)) {
    const value = Number(t);
    if (Number.isFinite(value)) return value;
    throw new CliError(`${place()}: ${t} overflows to Infinity; every value must be a finite number (rescale the data).`);
  }
  if (NAN.test(t)) throw new CliError(`${place()}: the value is ${quoted(t)} (not a number); every value must be a finite number (remove or impute missing values).`);
  if (INFINITE.test(t)) throw new CliError(`${place()}: the value is ${quoted(t)} (infinite); every value must be a finite number (remove that row or clip the value).`);
  if (t === '') throw new CliError(`${place()}: the cell is empty (a missing value); every value must be a finite number (remove or impute missing values).`);
  throw new CliError(`${place()}: ${quoted(t)} is not a number; every value must be a finite number (fix or remove that row).`);
}

class Growable {
  data = new Float64Array(1024);
  lines = new Int32Array(256);
  length = 0;
  rows = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  endRow(line: number): void {
    if (this.rows === this.lines.length) {
      const next = new Int32Array(this.lines.length * 2);
      next.set(this.lines);
      this.lines = next;
    }
    this.lines[this.rows++] = line;
  }
}

/** Characters parsed between two pauses (a pause lets Ctrl-C through on a large file). */
const SEGMENT_CHARS = 1 << 20;

/**
 * Where the segment of `text` starting at `start` ends: just after the first newline at least
 * SEGMENT_CHARS on that is outside quotes (an even number of quote characters since `start`,
 * which is itself such a place), or at the end. Papa Parse's own pause/resume re-splits the
 * rest of the text on every resume, quadratic on a large file; segments keep it linear.
 */
function segmentEnd(text: string, start: number): number {
  const from = start + SEGMENT_CHARS;
  if (from >= text.length) return text.length;
  let quotes = 0;
  for (let at = text.indexOf('"', start); at !== -1 && at < from; at = text.indexOf('"', at + 1)) quotes++;
  for (let at = from; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 34) quotes++; // "
    else if (c === 10 && quotes % 2 === 0) return at + 1; // \n
  }
  return text.length;
}

/**
 * Parses CSV text: a header row is detected when the first non-blank row has a non-numeric
 * cell, and said so through `options.note` (a first row such as 0x10,2 is a header, not data).
 */
export async function parseCsv(source: TextSource, options: ReadOptions = {}): Promise<Table> {
  const { text, label } = source;
  const { signal, note } = options;
  const delimiter = detectDelimiter(text);
  const out = new Growable();
  let header: string[] | null = null;
  let cols = -1;
  let firstLine = 0;
  let failure: unknown = null;
  let line = 1; // of the current row, as numbered in the file
  const parseSegment = (segment: string, segmentLine: number): void => {
    // Line numbers: count newlines up to the start of each row (quoted cells may span lines).
    let counted = 0;
    let rowStart = 0;
    line = segmentLine;
    Papa.parse<string[]>(segment, {
      delimiter,
      skipEmptyLines: false,
      step: (result, parser) => {
        if (failure !== null) return;
        try {
          for (let at = segment.indexOf('\n', counted); at !== -1 && at < rowStart; at = segment.indexOf('\n', at + 1)) line++;
          counted = Math.max(counted, rowStart);
          rowStart = result.meta.cursor;
          const problem = result.errors.find((e) => e.type !== 'Delimiter');
          if (problem !== undefined) {
            throw new CliError(`${label}, row ${line}: malformed CSV (${problem.message}); check the quotes on that row.`);
          }
          const row = result.data;
          if (row.every((cell) => cell.trim() === '')) return; // blank line
          if (cols === -1) {
            cols = row.length;
            firstLine = line;
            const name = row.findIndex((cell) => !isValueLike(cell));
            if (name !== -1) {
              header = row.map((cell) => cell.trim());
              // Said only when the row could have been meant as data: one of its cells starts like
              // a number or reads as one in another notation (0x10, 1e3x, 2019). A row of names
              // (sepal_length,…) is a header, silently.
              const numberish = row.findIndex((cell) => looksNumeric(cell));
              if (numberish !== -1) {
                const which = (row[name] as string).trim();
                note?.(`${label}: row ${line} is read as a header, not as data (${quoted(which)} in column ${name + 1} is not a number as emgpu reads them); if it is data, write its values as plain decimals.`);
              }
              return;
            }
          }
          if (row.length !== cols) {
            throw new CliError(
              `${label}, row ${line} has ${row.length} column${row.length === 1 ? '' : 's'} but row ${firstLine} has ${cols}; every row needs the same number of columns (look for a missing or extra delimiter).`,
            );
          }
          for (let j = 0; j < cols; j++) out.push(parseCell(row[j] as string, () => where(label, line, j + 1, header)));
          out.endRow(line);
        } catch (error) {
          failure = error;
          parser.abort();
        }
      },
    });
  };
  let segmentLine = 1;
  for (let start = 0; start < text.length && failure === null; ) {
    const end = segmentEnd(text, start);
    const segment = text.slice(start, end);
    parseSegment(segment, segmentLine);
    for (let at = segment.indexOf('\n'); at !== -1; at = segment.indexOf('\n', at + 1)) segmentLine++;
    start = end;
    if (start < text.length && signal !== undefined) await pause(signal);
  }
  if (failure !== null) throw failure;
  if (out.rows === 0) {
    throw new CliError(`${label} has no data rows${header !== null ? ' (only a header row)' : ''}; pass at least one row of numbers.`);
  }
  return { data: out.data.slice(0, out.length), rows: out.rows, cols, header, label, lines: out.lines.slice(0, out.rows) };
}

/** Parses a JSON array of rows, e.g. [[1.5, 2], [3, 4.5]]. Rows and columns in messages are 1-based. */
export function parseJsonRows(source: TextSource): Table {
  const { text, label } = source;
  const example = 'a JSON data file must hold an array of rows, e.g. [[1.5, 2], [3, 4.5]]';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${example}.`);
  }
  if (!Array.isArray(value)) throw new CliError(`${label} holds a JSON ${value === null ? 'null' : typeof value}, not an array; ${example}.`);
  if (value.length === 0) throw new CliError(`${label} has no data rows (an empty array); pass at least one row of numbers.`);
  const first: unknown = value[0];
  if (!Array.isArray(first)) throw new CliError(`${label}, row 1 is not an array; ${example}.`);
  const cols = first.length;
  if (cols === 0) throw new CliError(`${label}, row 1 is empty; every row needs at least one number.`);
  const data = new Float64Array(value.length * cols);
  const lines = new Int32Array(value.length);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new CliError(`${label}, row ${i + 1} is not an array; ${example}.`);
    if (row.length !== cols) {
      throw new CliError(`${label}, row ${i + 1} has ${row.length} columns but row 1 has ${cols}; every row needs the same number of columns.`);
    }
    row.forEach((cell: unknown, j) => {
      if (typeof cell === 'number') {
        data[i * cols + j] = cell; // JSON numbers are finite, except overflow such as 1e999
        if (!Number.isFinite(cell)) throw new CliError(`${label}, row ${i + 1}, column ${j + 1}: the value overflows to Infinity; every value must be a finite number.`);
      } else if (typeof cell === 'string') {
        data[i * cols + j] = parseCell(cell, () => `${label}, row ${i + 1}, column ${j + 1}`);
      } else {
        throw new CliError(
          `${label}, row ${i + 1}, column ${j + 1}: the value is ${cell === null ? 'null (a missing value)' : brief(String(JSON.stringify(cell)))}; every value must be a finite number (remove or impute missing values).`,
        );
      }
    });
    lines[i] = i + 1;
  });
  return { data, rows: value.length, cols, header: null, label, lines };
}

/** DATA: a CSV file, a .json file holding an array of rows, or '-' for CSV on stdin. */
export async function readData(path: string, stdin: NodeJS.ReadableStream, options: ReadOptions = {}): Promise<Table> {
  const source = await readSource(path, 'data file', stdin, options.signal);
  return /\.json$/i.test(path) ? parseJsonRows(source) : parseCsv(source, options);
}

/** A sample-weight file: one number per line or a one-column CSV (optional header). */
export async function readSampleWeights(path: string, stdin: NodeJS.ReadableStream, data: Table, options: ReadOptions = {}): Promise<Float64Array> {
  const source = await readSource(path, 'sample-weight file', stdin, options.signal);
  const label = `sample-weight file ${source.label}`;
  const table = await parseCsv({ label, text: source.text }, options);
  if (table.cols !== 1) {
    throw new CliError(`${label} has ${table.cols} columns; it needs one number per line (or a one-column CSV).`);
  }
  if (table.rows !== data.rows) {
    throw new CliError(`${label} has ${table.rows} weight${table.rows === 1 ? '' : 's'} but ${data.label} has ${data.rows} rows; give one weight per data row.`);
  }
  let total = 0;
  for (let i = 0; i < table.rows; i++) {
    const w = table.data[i] as number;
    if (w < 0) throw new CliError(`${label}, row ${table.lines[i]}: the weight ${w} is negative; weights must be finite and ≥ 0.`);
    total += w;
  }
  if (!(total > 0)) throw new CliError(`${label}: every weight is 0; at least one row needs a positive weight.`);
  return table.data;
}
