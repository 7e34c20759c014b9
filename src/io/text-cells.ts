// One cell of text as a number: what reads as a number, as a missing value (empty, NA, N/A,
// NaN, null, None) or as a name (a header row), and the one-line message for a cell that is
// not a finite number, naming its row and column.

import { EmgpuInputError } from '../options.ts';
import { quoted } from './printable.ts';

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
export const HINT = '(remove or impute missing values, or marginalise over them: --missing marginalize)';

/** A cell that starts like a number (a sign, a digit, a point) or that JavaScript reads as one (0x10, Infinity). */
export function looksNumeric(cell: string): boolean {
  const t = cell.trim();
  return t !== '' && (/^[+-]?[.\d]/.test(t) || !Number.isNaN(Number(t)));
}

/** Whether a cell reads as a value (a number or a missing/non-finite marker) rather than a name. */
export function isValueLike(cell: string): boolean {
  const t = cell.trim();
  return NUMBER.test(t) || NAN.test(t) || INFINITE.test(t) || MISSING.test(t);
}

/** How a message names a cell: the source, its row and column (1-based) and the column's name. */
export function where(label: string, line: number, column: number, header: string[] | null): string {
  const name = header?.[column - 1];
  return `${label}, row ${line}, column ${column}${name ? ` (${quoted(name)})` : ''}`;
}

/** Parses one cell, or explains (one line) why it is not a finite number. */
export function parseCell(cell: string, place: () => string, missing = false): number {
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
