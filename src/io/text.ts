// Reading CSV/TSV text (papaparse; optional header) and JSON arrays of rows into a row-major
// Float64Array, the chosen columns only. Every error names the source, the row as numbered in
// the text (1-based, counting the header) and the column (1-based, as in the file), and says
// what to do. No Node dependencies: the command line (src/cli/data.ts) and emgpu/io share it.
// The parts: text-cells.ts (one cell as a number, and why not), text-csv.ts (CSV rows: delimiter,
// header, columns, line numbers); this file reads whole texts, texts in pieces, and JSON rows.

import { EmgpuInputError } from '../options.ts';
import { resolveColumns } from './columns.ts';
import { brief } from './printable.ts';
import { HINT, parseCell } from './text-cells.ts';
import { countLines, CsvReader, detectDelimiter, Growable, segmentEnd, type TextReadOptions } from './text-csv.ts';

export { isMissingCell } from './text-cells.ts';
export type { TextReadOptions } from './text-csv.ts';

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
