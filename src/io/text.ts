// Reading CSV/TSV text (papaparse; optional header) and JSON arrays of rows into a row-major
// Float64Array, the chosen columns only. Every error names the source, the row as numbered in
// the text (1-based, counting the header) and the column (1-based, as in the file), and says
// what to do. No Node dependencies: the command line (src/cli/data.ts) and emgpu/io share it.

import Papa from 'papaparse';
import { EmgpuInputError } from '../options.ts';
import { resolveColumns, type ColumnSpec } from './columns.ts';
import { brief, quoted } from './printable.ts';

/** A table read from text. */
export interface TextTable {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** The names of the chosen columns when the text had a header row. */
  readonly header: string[] | null;
  /** How messages name the source, e.g. "data.csv" or "stdin". */
  readonly label: string;
  /** The 1-based line (row in the text) of each data row. */
  readonly lines: Int32Array;
}

export interface TextSource {
  readonly label: string;
  readonly text: string;
}

export interface TextReadOptions {
  /** The delimiter; by default detected from the first non-blank line (tab, semicolon or comma). */
  readonly delimiter?: string;
  /** The columns to keep, in order: names (with a header row) or 0-based indices. */
  readonly columns?: readonly ColumnSpec[];
  /** How messages name the option that chose the columns (default '--columns'). */
  readonly optionName?: string;
  /** Awaited between segments of a large text (lets Ctrl-C through); rejects to stop. */
  readonly pause?: () => Promise<void>;
  /** One line about how the input was read (e.g. a first row taken as a header). */
  readonly note?: (line: string) => void;
  /**
   * Missing values (an empty cell, NaN, NA, N/A, null, None; JSON null) become NaN instead of
   * errors, for GaussianMixture's missing: 'marginalize'.
   */
  readonly missing?: boolean;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INFINITE = /^[+-]?(?:inf|infinity)$/i;
const MISSING = /^(?:|na|n\/a|null|none)$/i;
/** Whether a text cell is a missing value: empty, NA, N/A, NaN, null or None (any case). */
export function isMissingCell(cell: string): boolean {
  const t = cell.trim();
  return MISSING.test(t) || NAN.test(t);
}
/** What to do about a missing value, in every message that refuses one. */
const HINT = '(remove or impute missing values, or marginalise over them: --missing marginalize)';

/** Delimiter from the first non-blank line: tab, semicolon or (default) comma. */
function detectDelimiter(text: string): string {
  const match = /^[^\S\r\n]*\S[^\r\n]*/m.exec(text);
  const line = match?.[0] ?? '';
  if (line.includes('\t')) return '\t';
  if (line.includes(';') && !line.includes(',')) return ';';
  return ',';
}

/** A cell that starts like a number (a sign, a digit, a point) or that JavaScript reads as one (0x10, Infinity). */
function looksNumeric(cell: string): boolean {
  const t = cell.trim();
  return t !== '' && (/^[+-]?[.\d]/.test(t) || !Number.isNaN(Number(t)));
}

/** Whether a cell reads as a value (a number or a missing/non-finite marker) rather than a name. */
function isValueLike(cell: string): boolean {
  const t = cell.trim();
  return NUMBER.test(t) || NAN.test(t) || INFINITE.test(t) || MISSING.test(t);
}

function where(label: string, line: number, column: number, header: string[] | null): string {
  const name = header?.[column - 1];
  return `${label}, row ${line}, column ${column}${name ? ` (${quoted(name)})` : ''}`;
}

/** Parses one cell, or explains (one line) why it is not a finite number. */
function parseCell(cell: string, place: () => string, missing = false): number {
  const t = cell.trim();
  if (missing && isMissingCell(t)) return NaN;
  if (NUMBER.test(t)) {
    const value = Number(t);
    if (Number.isFinite(value)) return value;
    throw new EmgpuInputError(
      `${place()}: ${t} overflows to Infinity; every value must be a finite number (rescale the data).`,
    );
  }
  if (NAN.test(t))
    throw new EmgpuInputError(
      `${place()}: the value is ${quoted(t)} (not a number); every value must be a finite number ${HINT}.`,
    );
  if (INFINITE.test(t))
    throw new EmgpuInputError(
      `${place()}: the value is ${quoted(t)} (infinite); every value must be a finite number (remove that row or clip the value).`,
    );
  if (t === '')
    throw new EmgpuInputError(
      `${place()}: the cell is empty (a missing value); every value must be a finite number ${HINT}.`,
    );
  if (MISSING.test(t))
    throw new EmgpuInputError(
      `${place()}: the value is ${quoted(t)} (a missing value); every value must be a finite number ${HINT}.`,
    );
  throw new EmgpuInputError(
    `${place()}: ${quoted(t)} is not a number; every value must be a finite number (fix or remove that row).`,
  );
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
    if (c === 34)
      quotes++; // "
    else if (c === 10 && quotes % 2 === 0) return at + 1; // \n
  }
  return text.length;
}

/** The row-by-row state of reading CSV text (header, columns, line numbers), fed segment by segment. */
class CsvReader {
  header: string[] | null = null;
  cols = -1;
  pick: number[] = []; // the file's columns (0-based) that are kept, in order
  failure: unknown = null;
  private firstLine = 0;
  private line = 1; // of the current row, as numbered in the file

  constructor(
    private readonly label: string,
    private readonly delimiter: string,
    private readonly options: TextReadOptions,
  ) {}

  private choose(names: string[] | null): number[] {
    return resolveColumns(this.options.columns, names, this.cols, {
      label: this.label,
      optionName: this.options.optionName ?? '--columns',
    });
  }

  /** Parses whole rows (the segment starts and ends at row boundaries) into `out`; the segment's first line is `segmentLine`. */
  parseSegment(segment: string, segmentLine: number, out: Growable): void {
    const { label, options } = this;
    // Line numbers: count newlines up to the start of each row (quoted cells may span lines).
    let counted = 0;
    let rowStart = 0;
    this.line = segmentLine;
    Papa.parse<string[]>(segment, {
      delimiter: this.delimiter,
      skipEmptyLines: false,
      step: (result, parser) => {
        if (this.failure !== null) return;
        try {
          for (let at = segment.indexOf('\n', counted); at !== -1 && at < rowStart; at = segment.indexOf('\n', at + 1))
            this.line++;
          counted = Math.max(counted, rowStart);
          rowStart = result.meta.cursor;
          const line = this.line;
          const problem = result.errors.find((e) => e.type !== 'Delimiter');
          if (problem !== undefined) {
            throw new EmgpuInputError(
              `${label}, row ${line}: malformed CSV (${problem.message}); check the quotes on that row.`,
            );
          }
          const row = result.data;
          // A blank line is skipped; a line of delimiters only (",,") is a row whose every value is missing.
          if (row.length === 1 && (row[0] as string).trim() === '') return;
          if (this.cols === -1) {
            this.cols = row.length;
            this.firstLine = line;
            const name = row.findIndex((cell) => !isValueLike(cell));
            if (name !== -1) {
              this.header = row.map((cell) => cell.trim());
              this.pick = this.choose(this.header);
              // Said only when the row could have been meant as data: one of its cells starts like
              // a number or reads as one in another notation (0x10, 1e3x, 2019). A row of names
              // (sepal_length,…) is a header, silently.
              const numberish = row.findIndex((cell) => looksNumeric(cell));
              if (numberish !== -1) {
                const which = (row[name] as string).trim();
                options.note?.(
                  `${label}: row ${line} is read as a header, not as data (${quoted(which)} in column ${name + 1} is not a number as emgpu reads them); if it is data, write its values as plain decimals.`,
                );
              }
              return;
            }
            this.pick = this.choose(null);
          }
          const cols = this.cols;
          if (row.length !== cols) {
            throw new EmgpuInputError(
              `${label}, row ${line} has ${row.length} column${row.length === 1 ? '' : 's'} but row ${this.firstLine} has ${cols}; every row needs the same number of columns (look for a missing or extra delimiter).`,
            );
          }
          const header = this.header;
          for (let p = 0; p < this.pick.length; p++) {
            const j = this.pick[p] as number;
            out.push(
              parseCell(row[j] as string, () => where(label, line, j + 1, header), this.options.missing === true),
            );
          }
          out.endRow(line);
        } catch (error) {
          this.failure = error;
          parser.abort();
        }
      },
    });
  }

  /** The chosen columns' names (with a header row). */
  names(): string[] | null {
    const header = this.header;
    return header === null ? null : this.pick.map((j) => header[j] as string);
  }

  noRows(): EmgpuInputError {
    return new EmgpuInputError(
      `${this.label} has no data rows${this.header !== null ? ' (only a header row)' : ''}; pass at least one row of numbers.`,
    );
  }
}

/** Newlines in a string. */
function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/**
 * Parses CSV text: a header row is detected when the first non-blank row has a non-numeric
 * cell, and said so through `options.note` (a first row such as 0x10,2 is a header, not data).
 */
export async function parseCsv(source: TextSource, options: TextReadOptions = {}): Promise<TextTable> {
  const { text, label } = source;
  const { pause } = options;
  const reader = new CsvReader(label, options.delimiter ?? detectDelimiter(text), options);
  const out = new Growable();
  let segmentLine = 1;
  for (let start = 0; start < text.length && reader.failure === null;) {
    const end = segmentEnd(text, start);
    const segment = text.slice(start, end);
    reader.parseSegment(segment, segmentLine, out);
    segmentLine += countLines(segment);
    start = end;
    if (start < text.length && pause !== undefined) await pause();
  }
  if (reader.failure !== null) throw reader.failure;
  if (out.rows === 0) throw reader.noRows();
  return {
    data: out.data.slice(0, out.length),
    rows: out.rows,
    cols: reader.pick.length,
    header: reader.names(),
    label,
    lines: out.lines.slice(0, out.rows),
  };
}

/** A block of rows of CSV text read in chunks. */
export interface TextChunk {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** The names of the chosen columns when the text has a header row. */
  readonly header: string[] | null;
  /** The 1-based line (row in the text) of each data row. */
  readonly lines: Int32Array;
}

/**
 * Reads CSV text that arrives in pieces (a file read in blocks) as chunks of about `chunkRows`
 * rows each, with the same header detection, column choice and messages as parseCsv; only a
 * chunk's rows (and one piece of text) are held at once.
 */
export async function* csvChunks(
  pieces: AsyncIterable<string> | Iterable<string>,
  label: string,
  chunkRows: number,
  options: TextReadOptions = {},
): AsyncGenerator<TextChunk> {
  let reader: CsvReader | null = null;
  let pending = '';
  let segmentLine = 1;
  let quotes = 0; // quote characters in pending before `scanned`
  let scanned = 0;
  let rowsSeen = 0;
  let out = new Growable();
  const flush = (): TextChunk | null => {
    if (out.rows === 0) return null;
    const chunk = {
      data: out.data.slice(0, out.length),
      rows: out.rows,
      cols: (reader as CsvReader).pick.length,
      header: (reader as CsvReader).names(),
      lines: out.lines.slice(0, out.rows),
    };
    out = new Growable();
    return chunk;
  };
  const parse = (segment: string): void => {
    reader ??= new CsvReader(label, options.delimiter ?? detectDelimiter(segment), options);
    reader.parseSegment(segment, segmentLine, out);
    segmentLine += countLines(segment);
    if (reader.failure !== null) throw reader.failure;
  };
  let first = true;
  for await (const raw of pieces) {
    let piece = raw;
    if (first && piece.length > 0) {
      if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      first = false;
    }
    pending += piece;
    // The last newline outside quotes: everything before it is whole rows.
    let cut = -1;
    for (let at = scanned; at < pending.length; at++) {
      const c = pending.charCodeAt(at);
      if (c === 34) quotes++;
      else if (c === 10 && quotes % 2 === 0) cut = at + 1;
    }
    scanned = pending.length;
    if (cut === -1) continue;
    const segment = pending.slice(0, cut);
    pending = pending.slice(cut);
    scanned = pending.length;
    quotes = 0;
    for (let at = pending.indexOf('"'); at !== -1; at = pending.indexOf('"', at + 1)) quotes++;
    parse(segment);
    if (out.rows >= chunkRows) {
      const chunk = flush() as TextChunk;
      rowsSeen += chunk.rows;
      yield chunk;
      if (options.pause !== undefined) await options.pause();
    }
  }
  if (pending.length > 0) parse(pending);
  const last = flush();
  if (last !== null) {
    rowsSeen += last.rows;
    yield last;
  }
  if (rowsSeen === 0) throw (reader ?? new CsvReader(label, ',', options)).noRows();
}

/**
 * Parses a JSON array of rows, e.g. [[1.5, 2], [3, 4.5]], keeping the columns chosen by 0-based
 * index (JSON rows have no names). Rows and columns in messages are 1-based.
 */
export function parseJsonRows(
  source: TextSource,
  options: Pick<TextReadOptions, 'columns' | 'optionName' | 'missing'> = {},
): TextTable {
  const { text, label } = source;
  const example = 'a JSON data file must hold an array of rows, e.g. [[1.5, 2], [3, 4.5]]';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EmgpuInputError(
      `${label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${example}.`,
    );
  }
  if (!Array.isArray(value))
    throw new EmgpuInputError(
      `${label} holds a JSON ${value === null ? 'null' : typeof value}, not an array; ${example}.`,
    );
  if (value.length === 0)
    throw new EmgpuInputError(`${label} has no data rows (an empty array); pass at least one row of numbers.`);
  const first: unknown = value[0];
  if (!Array.isArray(first)) throw new EmgpuInputError(`${label}, row 1 is not an array; ${example}.`);
  const cols = first.length;
  if (cols === 0) throw new EmgpuInputError(`${label}, row 1 is empty; every row needs at least one number.`);
  const pick = resolveColumns(options.columns, null, cols, { label, optionName: options.optionName ?? '--columns' });
  const width = pick.length;
  const data = new Float64Array(value.length * width);
  const lines = new Int32Array(value.length);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new EmgpuInputError(`${label}, row ${i + 1} is not an array; ${example}.`);
    if (row.length !== cols) {
      throw new EmgpuInputError(
        `${label}, row ${i + 1} has ${row.length} columns but row 1 has ${cols}; every row needs the same number of columns.`,
      );
    }
    pick.forEach((j, p) => {
      const cell: unknown = row[j];
      if (typeof cell === 'number') {
        data[i * width + p] = cell; // JSON numbers are finite, except overflow such as 1e999
        if (!Number.isFinite(cell))
          throw new EmgpuInputError(
            `${label}, row ${i + 1}, column ${j + 1}: the value overflows to Infinity; every value must be a finite number.`,
          );
      } else if (typeof cell === 'string') {
        data[i * width + p] = parseCell(
          cell,
          () => `${label}, row ${i + 1}, column ${j + 1}`,
          options.missing === true,
        );
      } else if (cell === null && options.missing === true) {
        data[i * width + p] = NaN;
      } else {
        throw new EmgpuInputError(
          `${label}, row ${i + 1}, column ${j + 1}: the value is ${cell === null ? 'null (a missing value)' : brief(String(JSON.stringify(cell)))}; every value must be a finite number ${HINT}.`,
        );
      }
    });
    lines[i] = i + 1;
  });
  return { data, rows: value.length, cols: width, header: null, label, lines };
}
