// DATA as the commands read it: the table (through serve's cache when there is one), with what
// --verbose says about it, and its sample weights from --sample-weight FILE or --weight-column.

import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { readData, readSampleWeights, type DataOptions, type Table } from './data.ts';
import { readOptions, say, type Context } from './context.ts';
import { printable, quoted } from './errors.ts';
import { columnsWithWeight, splitWeightColumn, weightColumnIndex } from './weight-column.ts';

/** DATA as a table (from serve's cache when the same unchanged file was read with the same options), said with --verbose. */
export async function readTable(ctx: Context, path: string, opts: DataOptions): Promise<Table> {
  say(ctx, path === '-' ? 'reading data from stdin' : `reading data file ${printable(path)}`);
  const read = (): Promise<Table> => readData(path, ctx.stdin, { ...readOptions(ctx), ...opts });
  const info = ctx.tableCache === null || path === '-' ? null : await stat(path).catch(() => null);
  const table =
    ctx.tableCache === null || info === null || !info.isFile()
      ? await read()
      : await ctx.tableCache.get(
          JSON.stringify([
            resolvePath(path),
            info.size,
            info.mtimeMs,
            info.ino,
            opts.format,
            opts.columns,
            opts.missing,
          ]),
          (t: Table) => t.data.byteLength,
          read,
        );
  say(ctx, `read ${table.rows} × ${table.cols} from ${table.label}`);
  const { header, types } = table;
  if (header !== null && types !== null) {
    say(ctx, `columns: ${header.map((name, j) => `${quoted(name)} ${types[j] ?? ''}`).join(', ')}`);
    const times = header.filter((_, j) => types[j]?.includes('since epoch') === true);
    if (times.length > 0) {
      say(
        ctx,
        `note: ${times.map((name) => quoted(name)).join(', ')} ${times.length === 1 ? 'is a date or timestamp, read' : 'are dates or timestamps, read'} as milliseconds since the Unix epoch (1970-01-01 00:00 UTC)`,
      );
    }
  }
  return table;
}

/** The weights file of --sample-weight, one per row of `table`. */
export function readWeights(ctx: Context, path: string, table: Table): Promise<Float64Array> {
  return readSampleWeights(path, ctx.stdin, table, readOptions(ctx));
}

/**
 * DATA with its sample weights: from --weight-column (a column of DATA), --sample-weight FILE, or
 * none. (The two together are refused before the command runs: src/cli/flag-rules.ts.)
 */
export async function readTableAndWeights(
  ctx: Context,
  path: string,
  opts: DataOptions & { weightColumn?: string; sampleWeight?: string },
): Promise<{ table: Table; weights: Float64Array | null }> {
  const { weightColumn } = opts;
  if (weightColumn === undefined) {
    const table = await readTable(ctx, path, opts);
    const weights = opts.sampleWeight === undefined ? null : await readWeights(ctx, opts.sampleWeight, table);
    return { table, weights };
  }
  const columns = columnsWithWeight(opts.columns, weightColumn);
  const { columns: _omitted, ...rest } = opts;
  const read = await readTable(ctx, path, columns === undefined ? rest : { ...rest, columns });
  const w = weightColumnIndex(read.header, read.cols, weightColumn, columns !== undefined, read.label);
  const split = splitWeightColumn(
    read.data,
    read.rows,
    read.cols,
    w,
    read.header?.[w] ?? weightColumn,
    (i) => `${read.label}, row ${read.lines?.[i] ?? i + 1}`,
  );
  const table: Table = {
    ...read,
    data: split.data,
    cols: split.cols,
    header: read.header?.filter((_, j) => j !== w) ?? null,
    types: read.types?.filter((_, j) => j !== w) ?? null,
  };
  return { table, weights: split.weights };
}

/** The table as the estimators take it. */
export const matrixOf = (t: Table): { data: Float64Array; rows: number; cols: number } => ({
  data: t.data,
  rows: t.rows,
  cols: t.cols,
});

/**
 * The rows of the table in consecutive views small enough that evaluating one takes a moment
 * (Ctrl-C is seen between them) and its K values per row stay within a few megabytes.
 */
export function* rowBlocks(table: Table, k: number): Generator<{ data: Float64Array; rows: number; cols: number }> {
  const d = table.cols;
  const rowsPerBlock = Math.max(64, Math.min(65536, Math.floor(2 ** 26 / (k * d * (d + 1))), Math.floor(2 ** 21 / k)));
  for (let start = 0; start < table.rows; start += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, table.rows - start);
    yield { data: table.data.subarray(start * d, (start + rows) * d), rows, cols: d };
  }
}
