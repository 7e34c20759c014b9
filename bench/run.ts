// `npm run bench`: seconds per EM iteration for every backend, with scikit-learn's ratio,
// a scale curve, and BENCHMARKS.md. Each measurement runs in its own process (bench/cell.ts)
// so its peak memory is its own; the browser backend runs in one headless Chromium.
//
//   npm run bench                 the full grid (tens of minutes on 2 cores)
//   npm run bench -- --quick      a reduced grid, under 2 minutes
//   options: --backends cpu-1,cpu,webgpu-node,webgpu-browser,cpu-browser  --no-sklearn  --no-scale
//            --budget SECONDS (skip cells whose estimated iteration time exceeds it)
//            --cells 1M:8:16:full,100k:32:16:diag  (only these cells: no scale curve, BENCHMARKS.md untouched)
//   npm run bench -- --choice    choosing the model instead: Bayesian vs Gaussian per iteration and
//                                the K × covariance-type grid (bench/choice.ts; its options follow)
//   npm run bench -- --tables    reading real tables: the 3M-row flights Parquet file to a fitted
//                                model against the same columns as CSV (bench/tables.ts)
//   npm run bench -- --online    online EM (partialFit, one pass in batches) against batch EM to
//                                convergence, time and mean log-likelihood (bench/online.ts; its options follow)
//   npm run bench -- --mclust    model selection against R mclust: best BIC, cells no worse and time per data set
//                                (bench/mclust.ts, answers from scripts/mclust_bic.R; its options follow)
//   npm run bench -- --stream    streamed EM (fit --stream): time and peak RSS against the in-memory fit on
//                                the flights Parquet file (with and without the spill file), peak RSS at 3M
//                                and 30M synthetic rows, and the Dask integration (bench/stream.ts)
//   npm run bench -- --serve     a Node start per `emgpu stats` call against one `emgpu serve` (bench/serve.ts)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { CovarianceType } from '../src/options.ts';
import { SKLEARN_COVARIANCE_TYPES } from '../src/options.ts';
import { COVARIANCE_MODELS } from '../src/model/covariance.ts';
import { initialParams, makeData, median, type Cell } from './workload.ts';
import { BrowserRunner } from './browser-runner.ts';
import { renderReport, type Measurement as SavedMeasurement, type SavedRun } from './report.ts';

type BackendName = 'cpu-1' | 'cpu' | 'webgpu-node' | 'webgpu-browser' | 'cpu-browser' | 'sklearn';

interface Measurement extends SavedMeasurement {
  backend: BackendName;
}

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
// The other benchmarks, each a program of its own (their options follow the flag): choosing the
// model (Bayesian per iteration, the selectModel grid), reading real tables (Parquet against CSV),
// streamed EM (memory and throughput) and online EM against batch EM.
const programs = {
  '--choice': './choice.ts',
  '--tables': './tables.ts',
  '--stream': './stream.ts',
  '--online': './online.ts',
  '--serve': './serve.ts',
  '--mclust': './mclust.ts',
} as const;
const program = (Object.keys(programs) as (keyof typeof programs)[]).find(flag);
if (program !== undefined) {
  await import(programs[program]);
  process.exit(0);
}
const quick = flag('--quick');
const reps = 5;
const warmup = 1;
const budget = Number(option('--budget') ?? (quick ? 1 : 4));
const requestedBackends = (option('--backends') ?? 'cpu-1,cpu,webgpu-node,webgpu-browser,cpu-browser').split(
  ',',
) as BackendName[];
const root = resolve(import.meta.dirname, '..');

// ---- the grid ---------------------------------------------------------------------------

/** `--cells 1M:8:16:full,100k:32:16:tied`: measure only these (no scale curve; BENCHMARKS.md left alone). */
function parseCells(spec: string): Cell[] {
  return spec.split(',').map((item) => {
    const match = /^(\d+(?:\.\d+)?)([kM]?):(\d+):(\d+):(full|tied|diag|spherical)$/.exec(item.trim());
    if (match === null)
      throw new Error(`--cells: "${item}" is not N:D:K:type (for example 1M:8:16:full); fix the list and run again.`);
    const [, count, unit, d, k, covarianceType] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      CovarianceType,
    ];
    const n = Math.round(Number(count) * (unit === 'M' ? 1e6 : unit === 'k' ? 1e3 : 1));
    return { n, d: Number(d), k: Number(k), covarianceType };
  });
}
const cellsOption = option('--cells');
const grid: Cell[] = [];
if (cellsOption !== undefined) {
  grid.push(...parseCells(cellsOption));
} else if (quick) {
  // A taste of each axis, under 2 minutes on 2 cores.
  for (const [n, d, k] of [
    [100_000, 2, 4],
    [100_000, 8, 16],
    [1_000_000, 2, 4],
    [1_000_000, 2, 16],
  ] as const) {
    grid.push({ n, d, k, covarianceType: 'full' });
  }
  for (const covarianceType of ['tied', 'diag', 'spherical'] as const)
    grid.push({ n: 100_000, d: 8, k: 16, covarianceType });
} else {
  for (const n of [100_000, 1_000_000, 4_000_000, 10_000_000]) {
    for (const d of [2, 8, 32]) for (const k of [4, 16, 64]) grid.push({ n, d, k, covarianceType: 'full' });
  }
  for (const covarianceType of SKLEARN_COVARIANCE_TYPES) {
    if (covarianceType !== 'full') grid.push({ n: 1_000_000, d: 8, k: 16, covarianceType });
  }
}
const scaleSizes = quick
  ? [10_000, 100_000, 1_000_000]
  : [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000];

/** Work units of one iteration: per point and component, the triangular solve and the moments. */
function workUnits(cell: Cell): number {
  const { n, d, k, covarianceType } = cell;
  const perPair = covarianceType === 'full' || covarianceType === 'tied' ? d * (d + 1) + 3 * d + 10 : 4 * d + 10;
  return n * k * perPair;
}

/** Rough seconds per work unit, measured on the 2-core development machine, to skip cells that would not finish in the budget. */
function secondsPerUnit(backend: BackendName, d: number): number {
  const oneThread = d <= 4 ? 0.8e-9 : d <= 48 ? 0.6e-9 : 2e-9;
  switch (backend) {
    case 'cpu-1':
      return oneThread;
    case 'cpu':
    case 'cpu-browser':
      return oneThread * 0.6;
    case 'webgpu-node':
      return d <= 4 ? 0.5e-9 : 3e-9;
    case 'webgpu-browser':
      return d <= 4 ? 3e-9 : 7e-9;
    case 'sklearn':
      return d <= 4 ? 2.5e-9 : 0.6e-9;
  }
}

function estimate(backend: BackendName, cell: Cell): number {
  return workUnits(cell) * secondsPerUnit(backend, cell.d);
}

// ---- runners ----------------------------------------------------------------------------

function runCellProcess(backend: 'cpu-1' | 'cpu' | 'webgpu-node', cell: Cell): Measurement {
  const request = JSON.stringify({ backend, ...cell, warmup, reps });
  const result = spawnSync(process.execPath, [join(root, 'bin/run-ts.js'), join(root, 'bench/cell.ts'), request], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, EGL_PLATFORM: 'surfaceless', XDG_RUNTIME_DIR: '/tmp' },
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined)
    return {
      backend,
      cell,
      ok: false,
      error: (result.stderr || `exit ${result.status}`).split('\n').slice(-3).join(' '),
    };
  const parsed = JSON.parse(line) as Omit<Measurement, 'backend' | 'cell'>;
  return { backend, cell, ...parsed };
}

function sklearnAvailable(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      return (
        execFileSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim() && python
      );
    } catch {
      // try the next one
    }
  }
  return null;
}

function runSklearn(python: string, cell: Cell, scratch: string): Measurement {
  const { data, centres } = makeData(cell);
  const start = initialParams(cell, centres);
  const model = COVARIANCE_MODELS[cell.covarianceType];
  const precisions = model.precisions(start.precisionsCholesky, cell.k, cell.d);
  const nest = (flat: Float64Array, shape: number[]): unknown => {
    if (shape.length <= 1) return Array.from(flat);
    const [first, ...rest] = shape as [number, ...number[]];
    const step = rest.reduce((a, b) => a * b, 1);
    return Array.from({ length: first }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
  };
  const dataPath = join(scratch, 'data.f64');
  const paramsPath = join(scratch, 'params.json');
  writeFileSync(dataPath, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(
    paramsPath,
    JSON.stringify({
      n: cell.n,
      d: cell.d,
      k: cell.k,
      covariance_type: cell.covarianceType,
      weights: Array.from(start.weights),
      means: nest(start.means, [cell.k, cell.d]),
      precisions: nest(precisions, model.shape(cell.k, cell.d)),
    }),
  );
  const result = spawnSync(python, [join(root, 'bench/sklearn_cell.py'), dataPath, paramsPath, String(reps)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  rmSync(dataPath, { force: true });
  const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined)
    return { backend: 'sklearn', cell, ok: false, error: result.stderr.split('\n').slice(-3).join(' ') };
  const parsed = JSON.parse(line) as { seconds: number[]; version: string };
  return {
    backend: 'sklearn',
    cell,
    ok: true,
    seconds: parsed.seconds,
    median: median(parsed.seconds),
    description: `scikit-learn ${parsed.version}`,
  };
}

// ---- main -------------------------------------------------------------------------------

const python = flag('--no-sklearn') ? null : sklearnAvailable();
const backends: BackendName[] = [...requestedBackends, ...(python ? (['sklearn'] as const) : [])];
const scratch = mkdtempSync(join(os.tmpdir(), 'emgpu-bench-'));
let browser: BrowserRunner | null = null;
if (backends.includes('webgpu-browser') || backends.includes('cpu-browser')) {
  try {
    browser = await BrowserRunner.start(root);
  } catch (error) {
    console.error(`browser backends: skipped (${(error as Error).message})`);
  }
}

async function measure(backend: BackendName, cell: Cell): Promise<Measurement> {
  const guess = estimate(backend, cell);
  if (guess > budget)
    return { backend, cell, ok: false, skipped: `estimated ${guess.toFixed(1)} s/iteration > budget ${budget} s` };
  if (backend === 'sklearn') return runSklearn(python as string, cell, scratch);
  if (backend === 'webgpu-browser' || backend === 'cpu-browser') {
    if (browser === null) return { backend, cell, ok: false, skipped: 'no browser' };
    try {
      return {
        backend,
        cell,
        ...(await browser.run({ ...cell, warmup, reps, engine: backend === 'cpu-browser' ? 'cpu' : 'webgpu' })),
      };
    } catch (error) {
      return { backend, cell, ok: false, error: (error as Error).message };
    }
  }
  return runCellProcess(backend, cell);
}

const label = (c: Cell): string =>
  `${c.n >= 1e6 ? `${c.n / 1e6}M` : `${c.n / 1e3}k`}×${c.d} K=${c.k} ${c.covarianceType}`;
const fmt = (s: number | undefined): string =>
  s === undefined ? '—' : s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : `${s.toFixed(3)} s`;

const results: Measurement[] = [];
console.log(
  `emgpu benchmark${quick ? ' (quick)' : ''}: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores; backends ${backends.join(', ')}`,
);
if (!python)
  console.log(
    flag('--no-sklearn')
      ? 'scikit-learn column omitted (--no-sklearn).'
      : 'scikit-learn not found (python3 with sklearn): its column is omitted.',
  );
for (const cell of grid) {
  const row: string[] = [label(cell)];
  for (const backend of backends) {
    const m = await measure(backend, cell);
    results.push(m);
    row.push(m.ok ? fmt(m.median) : m.skipped ? 'skip' : 'error');
    if (!m.ok && m.error) console.error(`  ${backend} ${label(cell)}: ${m.error}`);
  }
  console.log(row.join(' | '));
}

const scale: Measurement[] = [];
if (!flag('--no-scale') && cellsOption === undefined) {
  console.log('\nscale curve (D=2, K=16, full)');
  for (const backend of backends.filter((b) => b !== 'sklearn')) {
    for (const n of scaleSizes) {
      const m = await measure(backend, { n, d: 2, k: 16, covarianceType: 'full' });
      scale.push(m);
      console.log(`${backend} N=${n}: ${m.ok ? fmt(m.median) : (m.skipped ?? m.error)}`);
    }
  }
}
await browser?.close();
rmSync(scratch, { recursive: true, force: true });

// ---- report -----------------------------------------------------------------------------

const saved: SavedRun = {
  date: new Date().toISOString().slice(0, 10),
  quick,
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), memory: os.totalmem(), node: process.version },
  results,
  scale,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultFile = `bench/results/${stamp}${cellsOption !== undefined ? '-cells' : quick ? '-quick' : ''}.json`;
writeFileSync(join(root, resultFile), JSON.stringify(saved, null, 1));
if (cellsOption === undefined) {
  writeFileSync(join(root, 'BENCHMARKS.md'), renderReport(saved, root, resultFile));
  console.log(`\nwrote BENCHMARKS.md and ${resultFile}`);
} else {
  console.log(`\nwrote ${resultFile} (BENCHMARKS.md is only rewritten by a grid run)`);
}
