// CSV text row by row (Papa Parse): the delimiter, segments of whole rows (a pause between two
// lets Ctrl-C through), and the reader that keeps the state across segments — the header row
// (detected when a cell is not a value), the columns kept, and each row's line in the file.

import Papa from 'papaparse';
import { EmgpuInputError } from '../options.ts';
import { resolveColumns, type ColumnSpec } from './columns.ts';
import { parseCell, isValueLike, looksNumeric, where } from './text-cells.ts';
import { quoted } from './printable.ts';

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

/** Delimiter from the first non-blank line: tab, semicolon or (default) comma. */
export function detectDelimiter(text: string): string {
  const match = /^[^\S\r\n]*\S[^\r\n]*/m.exec(text);
  const line = match?.[0] ?? '';
  if (line.includes('\t')) return '\t';
  if (line.includes(';') && !line.includes(',')) return ';';
  return ',';
}

/** Rows of numbers as they are read: the values and each row's line, grown by doubling. */
export class Growable {
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
export function segmentEnd(text: string, start: number): number {
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
export class CsvReader {
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
export function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++;
  return n;
}
