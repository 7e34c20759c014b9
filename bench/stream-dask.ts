// Parts of `npm run bench -- --stream` (bench/stream.ts): where a streamed pass over a Parquet
// file goes, and the Dask integration (integrations/dask/emgpu_dask.py) against the
// single-machine fit of the same rows.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { asyncBufferFromBytes, openParquetChunks } from '../src/io/parquet.ts';
import { Random } from '../src/random.ts';
import { pairedModelArrays } from './model-arrays.ts';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bench/dist-cli.mjs');

export interface PassBreakdown {
  /** Reading the file's bytes (from the page cache after the first pass). */
  readonly readSeconds: number;
  /** A pass as --no-spill does it: the bytes read, decompressed and decoded by hyparquet into chunks (no E-step). */
  readonly decodeSeconds: number;
  readonly chunkRows: number;
}

/** Times a read of the file and a decoding pass over `delay,distance` in chunks, in this process. */
export async function passBreakdown(path: string, chunkRows: number): Promise<PassBreakdown> {
  let started = performance.now();
  const bytes = readFileSync(path);
  const readSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const file = await openParquetChunks(asyncBufferFromBytes(new Uint8Array(bytes)), {
    label: path,
    optionName: '--columns',
    columns: ['delay', 'distance'],
  });
  let rows = 0;
  for await (const chunk of file.chunks(chunkRows)) rows += chunk.rows;
  const decodeSeconds = (performance.now() - started) / 1000;
  if (rows !== file.rows) throw new Error(`decoded ${rows} rows of ${file.rows}`);
  return { readSeconds, decodeSeconds, chunkRows };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function relativeDifference(fileA: string, fileB: string): number {
  let worst = 0;
  for (const [, x, y] of pairedModelArrays(fileA, fileB)) {
    const scale = Math.max(...y.map(Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}

function emgpu(argv: string[]): string {
  const run = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`emgpu ${argv.join(' ')} failed: ${run.stderr.trim()}`);
  return run.stderr;
}

export interface DaskResult {
  readonly rows: number;
  readonly partitions: number;
  readonly workers: number;
  readonly iterations: number;
  readonly secondsPerIteration: number;
  readonly iterationSeconds: number[];
  readonly secondsEndToEnd: number;
  readonly singleMachineSecondsPerIteration: number;
  readonly singleMachineStreamSecondsPerPass: number;
  readonly maxRelativeDifference: number;
}

/**
 * 3M rows (4 well-separated clusters) as 4 Parquet partitions and as one file; K = 4 from the
 * same --init file: the Dask integration on 2 local worker processes against `emgpu fit` in
 * memory and `emgpu fit --stream` on the one file. Null (with a line) where /usr/bin/python3
 * cannot import distributed.
 */
export function measureDask(work: string, backend: string, iterations: string, rows = 3_000_000): DaskResult | null {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import distributed']).status !== 0) {
    console.log('Dask: skipped (/usr/bin/python3 cannot import distributed; apt-get install python3-distributed)');
    return null;
  }
  const partitions = 4;
  const random = new Random(3);
  const x = new Float64Array(rows);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % 4;
    x[i] = 6 * (c % 2) + random.nextGaussian();
    y[i] = 5 * Math.floor(c / 2) + 0.4 * x[i]! + random.nextGaussian();
  }
  const write = (path: string, from: number, to: number): void =>
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'x', data: Array.from(x.subarray(from, to)), type: 'DOUBLE' },
        { name: 'y', data: Array.from(y.subarray(from, to)), type: 'DOUBLE' },
      ],
      rowGroupSize: 250_000,
    });
  const whole = join(work, 'dask-whole.parquet');
  write(whole, 0, rows);
  const parts: string[] = [];
  for (let p = 0; p < partitions; p++) {
    parts.push(join(work, `dask-part-${p}.parquet`));
    write(parts[p]!, (p * rows) / partitions, ((p + 1) * rows) / partitions);
  }
  const start = join(work, 'dask-start.json');
  emgpu(['fit', whole, '-k', '4', '--max-iter', '1', '--seed', '0', '--backend', backend, '-o', start]);
  const fit = ['-k', '4', '--init', start, '--max-iter', iterations, '--tol', '0', '--backend', backend];
  const single = join(work, 'dask-single.json');
  const memory = emgpu(['fit', whole, ...fit, '--verbose', '-o', single]);
  const perIteration = [...memory.matchAll(/ (\d+\.\d+) ms\/iter /g)].map((m) => Number(m[1]) / 1000);
  const streamed = emgpu(['fit', whole, ...fit, '--stream', '--verbose', '-o', join(work, 'dask-stream.json')]);
  const perPass = [...streamed.matchAll(/ (\d+\.\d+) s\/pass /g)].map((m) => Number(m[1]));
  const model = join(work, 'dask-model.json');
  const started = performance.now();
  const run = spawnSync(
    python,
    [
      join(root, 'integrations/dask/emgpu_dask.py'),
      'fit',
      ...parts,
      ...fit,
      '--local-workers',
      '2',
      '--emgpu',
      `${process.execPath} ${cli}`,
      '-o',
      model,
    ],
    { encoding: 'utf8' },
  );
  const secondsEndToEnd = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`emgpu_dask.py failed: ${run.stderr.trim()}`);
  const iterationSeconds = [...run.stderr.matchAll(/iteration \d+: .* (\d+\.\d+) s/g)].map((m) => Number(m[1]));
  return {
    rows,
    partitions,
    workers: 2,
    iterations: Number(iterations),
    secondsPerIteration: median(iterationSeconds),
    iterationSeconds,
    secondsEndToEnd,
    singleMachineSecondsPerIteration: median(perIteration),
    singleMachineStreamSecondsPerPass: median(perPass),
    maxRelativeDifference: relativeDifference(model, single),
  };
}
