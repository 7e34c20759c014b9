// The table formats emgpu reads, and telling them apart by a file's name or its first bytes.

export const TABLE_FORMATS = ['csv', 'tsv', 'json', 'parquet', 'arrow'] as const;
/** csv (comma, tab or semicolon, detected), tsv (tab), json (an array of rows), parquet, arrow (IPC file or stream, Feather v2). */
export type TableFormat = (typeof TABLE_FORMATS)[number];

const EXTENSIONS: Record<string, TableFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  parquet: 'parquet',
  arrow: 'arrow',
  feather: 'arrow',
  ipc: 'arrow',
  arrows: 'arrow',
};

/** The format a file name's extension says, or null. */
export function formatFromName(name: string): TableFormat | null {
  const match = /\.([A-Za-z]+)$/.exec(name);
  return match === null ? null : (EXTENSIONS[(match[1] as string).toLowerCase()] ?? null);
}

const startsWith = (bytes: Uint8Array, text: string): boolean =>
  bytes.length >= text.length && [...text].every((c, i) => bytes[i] === c.charCodeAt(0));

/**
 * The format the first bytes show: 'PAR1' is Parquet, 'ARROW1' an Arrow IPC file, 0xFFFFFFFF
 * (an IPC continuation marker) an Arrow IPC stream; text starting with '[' is JSON; else CSV.
 */
export function sniffFormat(bytes: Uint8Array): TableFormat {
  if (startsWith(bytes, 'PAR1')) return 'parquet';
  if (startsWith(bytes, 'ARROW1') || startsWith(bytes, 'FEA1')) return 'arrow'; // FEA1 (Feather v1) is refused there, by name
  if (bytes.length >= 8 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff)
    return 'arrow';
  for (
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    i < Math.min(bytes.length, 4096);
    i++
  ) {
    const c = bytes[i] as number;
    if (c === 0x5b) return 'json'; // [
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
  }
  return 'csv';
}
