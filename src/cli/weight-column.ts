// --weight-column NAME: the sample weights as a column of DATA itself (fit, fit --stream, stats,
// reservoir), for tables whose rows carry their weight (counts of identical rows, survey
// weights) and for partitions read on other machines, where a separate weight file per
// partition would have to travel with it. The column is read with the chosen --columns (after
// them) and split off: the model sees only the --columns.

import { EmgpuInputError } from '../options.ts';
import { quoted } from '../io/printable.ts';
import { resolveColumns } from '../io/columns.ts';
import type { ChunkIterable, ChunkSource, StreamChunk } from '../stream.ts';
import { CliError } from './errors.ts';

/** The columns to read for --columns LIST plus the weight column (null: every column, split afterwards). */
export function columnsWithWeight(columns: string[] | undefined, weightColumn: string): string[] | undefined {
  if (columns === undefined) return undefined;
  if (columns.includes(weightColumn))
    throw new CliError(
      `--weight-column ${quoted(weightColumn)} is also in --columns; the weights cannot be a feature too (drop it from --columns).`,
    );
  return [...columns, weightColumn];
}

/** Where the weight column is among the columns read: the last with --columns, else found by name or index. */
export function weightColumnIndex(
  header: readonly string[] | null,
  cols: number,
  weightColumn: string,
  columnsGiven: boolean,
  label: string,
): number {
  if (columnsGiven) return cols - 1;
  let index: number;
  try {
    [index] = resolveColumns([weightColumn], header, cols, { label, optionName: '--weight-column' }) as [number];
  } catch (error) {
    if (error instanceof EmgpuInputError) throw new CliError(error.message);
    throw error;
  }
  if (cols < 2)
    throw new CliError(
      `${label} has only the weight column ${quoted(weightColumn)}; it needs at least one more column of features.`,
    );
  return index;
}

/** A block of rows with column `w` taken out as weights, each checked (finite, ≥ 0). */
export interface SplitRows {
  readonly data: Float64Array;
  readonly cols: number;
  readonly weights: Float64Array;
}

/**
 * Splits column `w` off `rows` × `cols` row-major values; `where(i)` names row i for messages
 * (e.g. "data.csv, row 7").
 */
export function splitWeightColumn(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  w: number,
  name: string,
  where: (i: number) => string,
): SplitRows {
  const d = cols - 1;
  const data = new Float64Array(rows * d);
  const weights = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    const weight = values[base + w] as number;
    if (!Number.isFinite(weight) || weight < 0)
      throw new CliError(
        `${where(i)}: the weight in column ${quoted(name)} is ${Number.isNaN(weight) ? 'missing' : String(weight)}; weights must be finite and ≥ 0 (fix that row, or choose another --weight-column).`,
      );
    weights[i] = weight;
    let at = i * d;
    for (let j = 0; j < cols; j++) if (j !== w) data[at++] = values[base + j] as number;
  }
  return { data, cols: d, weights };
}

/** A streamed file's chunks with column `w` split off as each chunk's sampleWeight. */
export function weightedChunks(source: ChunkSource, w: number, name: string, label: string): ChunkSource {
  return async function* (): AsyncGenerator<StreamChunk> {
    const iterable: ChunkIterable = typeof source === 'function' ? await source() : source;
    let row = 0;
    for await (const input of iterable) {
      const chunk = input as StreamChunk;
      const first = row;
      const split = splitWeightColumn(
        chunk.data,
        chunk.rows,
        chunk.cols,
        w,
        name,
        (i) => `${label}, data row ${first + i + 1}`,
      );
      row += chunk.rows;
      yield { data: split.data, rows: chunk.rows, cols: split.cols, sampleWeight: split.weights };
    }
  };
}
