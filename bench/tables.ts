// Reading real tables, timed (`npm run bench -- --tables`, or `node bin/run-ts.js bench/tables.ts`):
// the 3,000,000-row flights Parquet file of the vega-datasets devDependency to a fitted model
// through the command line, end to end (process start, reading, K = 6, 10 iterations, model
// written), against the same two columns written once as CSV and fitted the same way.
// Reading alone (bytes in memory to the matrix, readTable in this process) is timed too.
// Both fits start from the same k-means initialisation (--seed), so their models must agree to
// rounding: the table shows the largest relative difference of any parameter.
//
// Options: --columns delay,distance   --components 6   --max-iter 10   --reps 3   --backend cpu
// Prints a table and writes bench/results/tables-<time>.json.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTable } from '../src/io/index.ts';
import { pairedModelArrays } from './model-arrays.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const columns = option('--columns') ?? 'delay,distance';
const components = option('--components') ?? '6';
const maxIter = option('--max-iter') ?? '10';
const reps = Number(option('--reps') ?? 3);
const backend = option('--backend') ?? 'cpu';

const root = resolve(import.meta.dirname, '..');
const parquet = join(root, 'node_modules/vega-datasets/data/flights-3m.parquet');
const work = mkdtempSync(join(tmpdir(), 'emgpu-tables-'));
const csv = join(work, 'flights.csv');

try {
  // The CSV holds exactly the numbers the Parquet reader gives, so both fits see the same data.
  const table = await readTable(readFileSync(parquet), { columns });
  const lines = [table.columns.join(',')];
  for (let i = 0; i < table.rows; i++)
    lines.push(Array.from(table.data.subarray(i * table.cols, (i + 1) * table.cols), String).join(','));
  writeFileSync(csv, `${lines.join('\n')}\n`);
  console.log(
    `${table.rows} rows × ${table.cols} columns (${table.columns.join(', ')}); Parquet ${(statSync(parquet).size / 2 ** 20).toFixed(1)} MiB (all columns), CSV ${(statSync(csv).size / 2 ** 20).toFixed(1)} MiB`,
  );

  const fit = (data: string, out: string): number => {
    const extra = data.endsWith('.parquet') ? ['--columns', columns] : [];
    const start = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'bin/emgpu.js'),
        'fit',
        data,
        ...extra,
        '-k',
        components,
        '--max-iter',
        maxIter,
        '--tol',
        '0',
        '--seed',
        '0',
        '--backend',
        backend,
        '--output',
        out,
      ],
      { encoding: 'utf8' },
    );
    const seconds = (performance.now() - start) / 1000;
    if (run.status !== 0) throw new Error(`emgpu fit ${data} failed (exit ${run.status}): ${run.stderr.trim()}`);
    return seconds;
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // Reading alone, in this process: the file's bytes to the row-major matrix.
  const reads = { parquet: [] as number[], csv: [] as number[] };
  for (let r = 0; r < reps; r++) {
    for (const [name, path, options] of [
      ['parquet', parquet, { columns }],
      ['csv', csv, {}],
    ] as const) {
      const start = performance.now();
      await readTable(readFileSync(path), { ...options, name: path });
      reads[name].push((performance.now() - start) / 1000);
    }
  }
  console.log(`reading only: parquet ${median(reads.parquet).toFixed(2)} s, csv ${median(reads.csv).toFixed(2)} s`);
  const times = { parquet: [] as number[], csv: [] as number[] };
  const parquetModel = join(work, 'parquet.json');
  const csvModel = join(work, 'csv.json');
  for (let r = 0; r < reps; r++) {
    // Alternate, so warm-up and other load fall on both alike.
    times.parquet.push(fit(parquet, parquetModel));
    times.csv.push(fit(csv, csvModel));
    console.log(`round ${r + 1}: parquet ${times.parquet[r]!.toFixed(2)} s, csv ${times.csv[r]!.toFixed(2)} s`);
  }

  let maxRel = 0;
  for (const [, x, y] of pairedModelArrays(parquetModel, csvModel)) {
    for (let i = 0; i < x.length; i++)
      maxRel = Math.max(maxRel, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(y[i]!), 1e-300));
  }

  const result = {
    date: new Date().toISOString(),
    host: `${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'} × ${cpus().length}`,
    rows: table.rows,
    columns: table.columns,
    components: Number(components),
    maxIter: Number(maxIter),
    backend,
    reps,
    readParquetMedian: median(reads.parquet),
    readCsvMedian: median(reads.csv),
    parquetSeconds: times.parquet,
    csvSeconds: times.csv,
    parquetMedian: median(times.parquet),
    csvMedian: median(times.csv),
    maxRelativeDifference: maxRel,
  };
  console.log('');
  console.log(
    `flights-3m to a fitted model (emgpu fit, K = ${components}, ${maxIter} iterations, --backend ${backend}): median of ${reps}, seconds end to end`,
  );
  console.log('');
  console.log(
    '| input | reading (s) | end to end (s) | CSV / Parquet, end to end | largest relative difference of the models |',
  );
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| Parquet (--columns ${columns}) | ${result.readParquetMedian.toFixed(2)} | ${result.parquetMedian.toFixed(2)} | ${(result.csvMedian / result.parquetMedian).toFixed(2)}× | ${maxRel.toExponential(1)} |`,
  );
  console.log(`| CSV (the same columns) | ${result.readCsvMedian.toFixed(2)} | ${result.csvMedian.toFixed(2)} | | |`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/tables-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\nwrote ${file}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
