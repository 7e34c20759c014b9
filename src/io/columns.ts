// Choosing columns of a table by name or 0-based index: one rule for every format, shared by
// readTable (emgpu/io) and the command line's --columns.

import { EmgpuInputError } from '../options.ts';
import { quoted } from './printable.ts';

/** A column by name, or by 0-based index (a number, or a string of digits that is not a name). */
export type ColumnSpec = string | number;

/** How messages name the option that chose the columns: '--columns' on the command line, 'the columns option' in emgpu/io. */
export interface ColumnContext {
  /** How messages name the table, e.g. "data.parquet". */
  readonly label: string;
  readonly optionName: string;
}

const MAX_LISTED = 12;

/** "a", "b", "c" … (the first few names, quoted), for messages. */
export function listNames(names: readonly string[]): string {
  const shown = names
    .slice(0, MAX_LISTED)
    .map((name) => quoted(name))
    .join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

/** An example of choosing columns, as the option is written: --columns a,b or columns: 'a,b'. */
export function columnsExample(optionName: string, list: string): string {
  return optionName.startsWith('--') ? `${optionName} ${list}` : `columns: '${list}'`;
}

/** Splits "a,b,2" into its items (spaces around each trimmed; empty items refused). */
export function parseColumnList(text: string, optionName: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new EmgpuInputError(
      `${optionName} ${quoted(text)} has an empty item; list column names or 0-based indices separated by commas, e.g. ${columnsExample(optionName, 'delay,distance')} or ${columnsExample(optionName, '1,2')}.`,
    );
  }
  return items;
}

/**
 * The 0-based indices of the chosen columns, in the order given. `names` is null when the table
 * has no column names (CSV without a header, JSON rows): columns are then chosen by index only.
 * A string that is a column's name is that column (a name wins over an index); otherwise a
 * string of digits is an index. Without a selection, every column in order.
 */
export function resolveColumns(
  selection: readonly ColumnSpec[] | undefined,
  names: readonly string[] | null,
  count: number,
  context: ColumnContext,
): number[] {
  if (selection === undefined) return Array.from({ length: count }, (_, j) => j);
  const { label, optionName } = context;
  if (selection.length === 0)
    throw new EmgpuInputError(`${optionName} is empty; choose at least one column of ${label}.`);
  const indexRange = count === 1 ? 'index 0' : `indices 0 to ${count - 1}`;
  const picked: number[] = [];
  for (const item of selection) {
    let index: number;
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 0 || item >= count) {
        throw new EmgpuInputError(
          `${label} has ${count} column${count === 1 ? '' : 's'}, so column index ${item} does not exist; use 0-based ${indexRange}.`,
        );
      }
      index = item;
    } else {
      const first = names === null ? -1 : names.indexOf(item);
      if (first !== -1) {
        const again = (names as readonly string[]).indexOf(item, first + 1);
        if (again !== -1) {
          throw new EmgpuInputError(
            `${label} has two columns named ${quoted(item)} (0-based ${first} and ${again}); choose one by index in ${optionName}.`,
          );
        }
        index = first;
      } else if (/^\d+$/.test(item)) {
        index = Number(item);
        if (index >= count) {
          throw new EmgpuInputError(
            `${label} has ${count} column${count === 1 ? '' : 's'}, so column index ${item} does not exist${names === null ? '' : ` (and no column is named ${quoted(item)})`}; use 0-based ${indexRange}${names === null ? '' : ' or a name'}.`,
          );
        }
      } else if (names === null) {
        throw new EmgpuInputError(
          `${label} has no column names (no header row), so ${quoted(item)} names no column; choose columns by 0-based index (${indexRange}).`,
        );
      } else {
        throw new EmgpuInputError(
          `${label} has no column named ${quoted(item)}; its columns are ${listNames(names)} (${optionName} takes names or 0-based indices).`,
        );
      }
    }
    if (picked.includes(index)) {
      const name = names?.[index];
      throw new EmgpuInputError(
        `${optionName} chooses column ${index}${name !== undefined ? ` (${quoted(name)})` : ''} twice; list each column once.`,
      );
    }
    picked.push(index);
  }
  return picked;
}
