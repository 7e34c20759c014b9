// Streamed EM, measured (`npm run bench -- --stream`, or `node bin/run-ts.js bench/stream.ts`):
//
// Every figure is of the built command line (`npm run build` first, then bench/dist-cli.mjs: what
// an installed package runs), each command in a process of its own.
//
// 0. The floor: peak RSS of `emgpu --version` (Node and the command line's code, no data).
// 1. The 3,000,000-row flights Parquet file (vega-datasets devDependency, columns delay,distance)
//    fitted through the command line in memory and with --stream, both from the same --init file
//    (one k-means iteration, written first): peak RSS of each process (worker threads included),
//    seconds end to end, and the largest relative difference of the two models (exact EM: rounding);
//    and the streamed fit's fixed part alone (--max-iter 0: the scan and the init on the sample).
//    The streamed fit runs twice: with the spill file (the default: later passes read the first
//    pass's decoded chunks from a temporary file) and with --no-spill (every pass decodes the
//    Parquet file again); each one's wall time over the in-memory fit's is the streamed/in-memory
//    ratio. Where a pass goes: reading the file's bytes, a pass of hyparquet's decompression and
//    decoding (in this process), and the E-step (the in-memory fit's seconds per iteration).
// 2. Synthetic Parquet tables of --rows rows each (a comma list, default 3M and 30M;
//    bench/make-synthetic.ts, hyparquet-writer, row groups of 1M rows, x and y DOUBLE
//    uncompressed; written to a temporary folder and removed) fitted with --stream: rows per
//    second of an EM pass, and peak RSS, whose ratio from the smallest to the largest table says
//    whether the streamed fit's memory is flat in N.
// 4. Dask (integrations/dask/emgpu_dask.py, 2 local worker processes, where /usr/bin/python3
//    imports distributed; --no-dask skips): the 3M-row synthetic table as 4 Parquet partitions,
//    seconds per EM iteration against the single-machine fit of the same rows in one file.
// 3. WebGPU, where an adapter is found: an E-step pass over 1,000,000 rows in chunks with the
//    engine's chunk slot against a fresh upload per chunk (bench/stream-slot.ts; --no-gpu skips).
//
// Options: --rows 3000000,30000000  --chunk-rows 1000000 (synthetic)  --flights-chunk-rows 100000
//          --synthetic-iter 2  --flights-iter 10  --components 6  --backend cpu  --repeat 3 (flights)
//          --dask-iter 5  --no-synthetic  --no-build  --no-gpu  --no-dask
// Prints a table and writes bench/results/stream-<time>.json.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSynthetic } from './make-synthetic.ts';
import { pairedModelArrays } from './model-arrays.ts';
import { measureDask, passBreakdown } from './stream-dask.ts';
import { measureSlot } from './stream-slot.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const syntheticRowsList = (option('--rows') ?? '3000000,30000000').split(',').map(Number);
const chunkRows = option('--chunk-rows') ?? '1000000';
const flightsChunkRows = option('--flights-chunk-rows') ?? '100000';
const syntheticIter = option('--synthetic-iter') ?? '2';
const flightsIter = option('--flights-iter') ?? '10';
const daskIter = option('--dask-iter') ?? '5';
const dask = !args.includes('--no-dask');
// --skip-no-spill: leave out the flights fit that decodes the file on every pass (the slowest run).
const withNoSpill = !args.includes('--skip-no-spill');
const components = option('--components') ?? '6';
const backend = option('--backend') ?? 'cpu';
const synthetic = !args.includes('--no-synthetic');
const repeat = Math.max(1, Number(option('--repeat') ?? 3));

const root = resolve(import.meta.dirname, '..');
const flights = join(root, 'node_modules/vega-datasets/data/flights-3m.parquet');
const work = mkdtempSync(join(tmpdir(), 'emgpu-stream-'));

interface Run {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stderr: string;
}

/** Runs `emgpu ARGS` in its own process; its peak RSS comes from bench/maxrss.mjs. */
function emgpu(argv: string[]): Run {
  const rssFile = join(work, 'maxrss.txt');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ['--import', join(root, 'bench/maxrss.mjs'), join(root, 'bench/dist-cli.mjs'), ...argv],
    {
      encoding: 'utf8',
      env: { ...process.env, EMGPU_MAXRSS_FILE: rssFile },
      maxBuffer: 1 << 28,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`emgpu ${argv.join(' ')} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return { seconds, peakRssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024, stderr: run.stderr };
}

/** Seconds of each EM iteration, from --verbose's lines: "… X.XX s/pass" (--stream) or "… X.X ms/iter" (in memory). */
function passSeconds(stderr: string): number[] {
  return [...stderr.matchAll(/ (\d+\.\d+) (s\/pass|ms\/iter) /g)].map(
    (m) => Number(m[1]) / (m[2] === 'ms/iter' ? 1000 : 1),
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The same commands run `repeat` times, taking turns (so a busy moment of the machine falls on each alike). */
interface Repeated {
  /** Medians over the runs. */
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly runs: { seconds: number; peakRssMiB: number }[];
  /** Seconds of every EM pass of every run (--verbose lines). */
  readonly passSeconds: number[];
}

function repeated(commands: string[][]): Repeated[] {
  const runs: Run[][] = commands.map(() => []);
  for (let r = 0; r < repeat; r++) commands.forEach((argv, i) => runs[i]!.push(emgpu(argv)));
  return runs.map((list) => ({
    seconds: median(list.map((x) => x.seconds)),
    peakRssMiB: median(list.map((x) => x.peakRssMiB)),
    runs: list.map((x) => ({ seconds: x.seconds, peakRssMiB: x.peakRssMiB })),
    passSeconds: list.flatMap((x) => passSeconds(x.stderr)),
  }));
}

const range = (r: Repeated): string => {
  const rss = r.runs.map((x) => x.peakRssMiB);
  return r.runs.length > 1 ? ` (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)})` : '';
};

function maxRelativeDifference(fileA: string, fileB: string): number {
  let worst = 0;
  for (const [, x, y] of pairedModelArrays(fileA, fileB)) {
    // Relative to the largest entry of the array (a covariance entry near 0 is not a precision problem).
    const scale = Math.max(...y.map(Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}

try {
  if (!args.includes('--no-build')) {
    console.log('npm run build …');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr.trim()}`);
  }

  // ---- 0. the floor: Node and the command line, no data -----------------------------------
  const columns = ['--columns', 'delay,distance'];
  const init = join(work, 'init.json');
  emgpu([
    'fit',
    flights,
    ...columns,
    '-k',
    components,
    '--max-iter',
    '1',
    '--seed',
    '0',
    '--backend',
    backend,
    '-o',
    init,
  ]);
  const common = [
    'fit',
    flights,
    ...columns,
    '--init',
    init,
    '--max-iter',
    flightsIter,
    '--tol',
    '0',
    '--backend',
    backend,
    '--verbose',
  ];
  const memoryModel = join(work, 'memory.json');
  const streamModel = join(work, 'stream.json');
  // The streamed fit's fixed part: the scan pass (read, decode, count, sample) and the k-means
  // start on the sample (the worker threads start), no EM pass.
  const scanArgs = [
    'fit',
    flights,
    ...columns,
    '-k',
    components,
    '--max-iter',
    '0',
    '--seed',
    '0',
    '--backend',
    backend,
    '--stream',
    '--chunk-rows',
    flightsChunkRows,
    '-o',
    join(work, 'scan.json'),
  ];
  const noSpillModel = join(work, 'no-spill.json');
  const flightsRuns = repeated([
    ['--version'],
    [...common, '-o', memoryModel],
    [...common, '--stream', '--chunk-rows', flightsChunkRows, '-o', streamModel],
    scanArgs,
    ...(withNoSpill
      ? [[...common, '--stream', '--chunk-rows', flightsChunkRows, '--no-spill', '-o', noSpillModel]]
      : []),
  ]);
  const [floor, inMemory, streamed, scanOnly] = flightsRuns as [Repeated, Repeated, Repeated, Repeated];
  const noSpill = flightsRuns[4] ?? null;
  console.log(`emgpu --version: peak RSS ${floor.peakRssMiB.toFixed(0)} MiB${range(floor)}`);
  console.log(
    `flights in memory: ${inMemory.seconds.toFixed(2)} s, peak RSS ${inMemory.peakRssMiB.toFixed(0)} MiB${range(inMemory)}`,
  );
  console.log(
    `flights streamed:  ${streamed.seconds.toFixed(2)} s, peak RSS ${streamed.peakRssMiB.toFixed(0)} MiB${range(streamed)}`,
  );
  if (noSpill !== null)
    console.log(
      `flights streamed --no-spill: ${noSpill.seconds.toFixed(2)} s, peak RSS ${noSpill.peakRssMiB.toFixed(0)} MiB${range(noSpill)}`,
    );
  const breakdown = await passBreakdown(flights, Number(flightsChunkRows));
  console.log(
    `a pass over flights: read ${breakdown.readSeconds.toFixed(2)} s, read + decompress + decode ${breakdown.decodeSeconds.toFixed(2)} s`,
  );
  console.log(
    `flights scan + init only (--stream --max-iter 0): ${scanOnly.seconds.toFixed(2)} s, peak RSS ${scanOnly.peakRssMiB.toFixed(0)} MiB${range(scanOnly)}`,
  );
  const flightsResult = {
    file: 'node_modules/vega-datasets/data/flights-3m.parquet',
    rows: 3_000_000,
    columns: 'delay,distance',
    components: Number(components),
    iterations: Number(flightsIter),
    chunkRows: Number(flightsChunkRows),
    repeat,
    inMemory: {
      seconds: inMemory.seconds,
      peakRssMiB: inMemory.peakRssMiB,
      passSecondsMedian: median(inMemory.passSeconds),
      runs: inMemory.runs,
    },
    streamed: {
      seconds: streamed.seconds,
      peakRssMiB: streamed.peakRssMiB,
      passSecondsMedian: median(streamed.passSeconds),
      runs: streamed.runs,
    },
    noSpill:
      noSpill === null
        ? null
        : {
            seconds: noSpill.seconds,
            peakRssMiB: noSpill.peakRssMiB,
            passSecondsMedian: median(noSpill.passSeconds),
            runs: noSpill.runs,
          },
    /** Wall time end to end, streamed over in memory (the goal: ≤ 1.5 with the spill file). */
    timeRatio: streamed.seconds / inMemory.seconds,
    timeRatioNoSpill: noSpill === null ? null : noSpill.seconds / inMemory.seconds,
    /** Where a pass goes: the file's bytes read, and a whole pass of decoding (in this process); the E-step is the in-memory seconds per iteration. */
    passBreakdown: {
      ...breakdown,
      eStepSeconds: median(inMemory.passSeconds),
      spillPassSeconds: median(streamed.passSeconds),
    },
    rssRatio: streamed.peakRssMiB / inMemory.peakRssMiB,
    scanAndInitOnly: { seconds: scanOnly.seconds, peakRssMiB: scanOnly.peakRssMiB, runs: scanOnly.runs },
    maxRelativeDifference: maxRelativeDifference(streamModel, memoryModel),
    maxRelativeDifferenceNoSpill: noSpill === null ? null : maxRelativeDifference(noSpillModel, memoryModel),
  };

  // ---- 2. synthetic tables: rows per second of a streamed pass, and peak RSS against N --------
  const syntheticResults: Record<string, unknown>[] = [];
  if (synthetic) {
    for (const syntheticRows of syntheticRowsList) {
      const table = join(work, 'synthetic.parquet');
      const generateSeconds = makeSynthetic(table, syntheticRows);
      const bytes = statSync(table).size;
      console.log(
        `synthetic: ${syntheticRows} rows, ${(bytes / 2 ** 30).toFixed(2)} GiB, written in ${generateSeconds.toFixed(1)} s`,
      );
      const run = emgpu([
        'fit',
        table,
        '-k',
        '4',
        '--stream',
        '--chunk-rows',
        chunkRows,
        '--max-iter',
        syntheticIter,
        '--tol',
        '0',
        '--seed',
        '0',
        '--backend',
        backend,
        '--verbose',
        '-o',
        join(work, 'synthetic.json'),
      ]);
      rmSync(table, { force: true });
      const passes = passSeconds(run.stderr);
      const pass = median(passes);
      syntheticResults.push({
        rows: syntheticRows,
        fileBytes: bytes,
        generateSeconds,
        components: 4,
        iterations: Number(syntheticIter),
        chunkRows: Number(chunkRows),
        seconds: run.seconds,
        passSeconds: passes,
        rowsPerSecond: syntheticRows / pass,
        peakRssMiB: run.peakRssMiB,
      });
      console.log(
        `synthetic streamed: ${run.seconds.toFixed(1)} s end to end (scan + ${syntheticIter} passes), ${(syntheticRows / pass / 1e6).toFixed(2)}M rows/s per pass, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      );
    }
  }
  const rssGrowth =
    syntheticResults.length > 1
      ? (syntheticResults.at(-1)!.peakRssMiB as number) / (syntheticResults[0]!.peakRssMiB as number)
      : null;

  // ---- 4. Dask: 4 partitions on 2 local workers against the single-machine fit -------------
  const daskResult = dask ? await measureDask(work, backend, daskIter) : null;

  // ---- 3. WebGPU: the chunk slot against an upload per chunk --------------------------------
  const gpuChunkSlot = args.includes('--no-gpu') ? null : await measureSlot();

  const result = {
    date: new Date().toISOString(),
    command: `npm run bench -- --stream${args.length > 1 ? ` ${args.filter((a) => a !== '--stream').join(' ')}` : ''}`,
    host: `${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'} × ${cpus().length}`,
    backend,
    cli: 'dist/cli.js (npm run build), through bench/dist-cli.mjs',
    floorPeakRssMiB: floor.peakRssMiB,
    floorRuns: floor.runs,
    flights: flightsResult,
    synthetic: syntheticResults,
    /** Peak RSS of the largest synthetic table's streamed fit over the smallest's (the goal: ≤ 1.15). */
    syntheticRssGrowth: rssGrowth,
    dask: daskResult,
    gpuChunkSlot,
  };
  console.log('');
  console.log(
    `Streamed EM (emgpu fit --stream; --chunk-rows ${flightsChunkRows} on flights, ${chunkRows} on the synthetic table; --backend ${backend}); flights rows: medians of ${repeat} runs, peak RSS range in brackets`,
  );
  console.log('');
  console.log('| table | fit | seconds end to end | s per EM pass | peak RSS (MiB) |');
  console.log('|---|---|---:|---:|---:|');
  console.log(
    `| none (\`emgpu --version\`: Node and the command line) | — | ${floor.seconds.toFixed(2)} | — | ${floor.peakRssMiB.toFixed(0)}${range(floor)} |`,
  );
  console.log(
    `| flights-3m (K = ${components}, ${flightsIter} iterations) | in memory | ${inMemory.seconds.toFixed(2)} | ${flightsResult.inMemory.passSecondsMedian.toFixed(2)} | ${inMemory.peakRssMiB.toFixed(0)}${range(inMemory)} |`,
  );
  console.log(
    `| flights-3m | --stream | ${streamed.seconds.toFixed(2)} | ${flightsResult.streamed.passSecondsMedian.toFixed(2)} | ${streamed.peakRssMiB.toFixed(0)}${range(streamed)}: ${(100 * flightsResult.rssRatio).toFixed(0)}% |`,
  );
  console.log(
    `| flights-3m | --stream --max-iter 0 (scan and init only) | ${scanOnly.seconds.toFixed(2)} | — | ${scanOnly.peakRssMiB.toFixed(0)}${range(scanOnly)} |`,
  );
  if (noSpill !== null && flightsResult.noSpill !== null)
    console.log(
      `| flights-3m | --stream --no-spill | ${noSpill.seconds.toFixed(2)} | ${flightsResult.noSpill.passSecondsMedian.toFixed(2)} | ${noSpill.peakRssMiB.toFixed(0)}${range(noSpill)} |`,
    );
  for (const r of syntheticResults) {
    console.log(
      `| synthetic ${r.rows as number} rows (K = 4, ${syntheticIter} iterations) | --stream | ${(r.seconds as number).toFixed(1)} | ${median(r.passSeconds as number[]).toFixed(2)} (${((r.rowsPerSecond as number) / 1e6).toFixed(2)}M rows/s) | ${(r.peakRssMiB as number).toFixed(0)} |`,
    );
  }
  console.log('');
  console.log(
    `flights, wall time streamed / in memory: ${flightsResult.timeRatio.toFixed(2)} with the spill file, ${flightsResult.timeRatioNoSpill?.toFixed(2) ?? '(not run)'} with --no-spill`,
  );
  const bd = flightsResult.passBreakdown;
  console.log(
    `a pass over flights: read the file ${bd.readSeconds.toFixed(2)} s; read + decompress + decode ${bd.decodeSeconds.toFixed(2)} s; E-step (in memory) ${bd.eStepSeconds.toFixed(2)} s; a spilled pass (read back + E-step) ${bd.spillPassSeconds.toFixed(2)} s`,
  );
  if (rssGrowth !== null)
    console.log(`streamed peak RSS, largest synthetic table over smallest: ${rssGrowth.toFixed(3)}`);
  if (daskResult !== null)
    console.log(
      `Dask, ${daskResult.partitions} partitions of ${daskResult.rows} rows on ${daskResult.workers} local workers: ${daskResult.secondsPerIteration.toFixed(2)} s per iteration against ${daskResult.singleMachineSecondsPerIteration.toFixed(2)} (fit in memory) and ${daskResult.singleMachineStreamSecondsPerPass.toFixed(2)} (fit --stream); models differ by ${daskResult.maxRelativeDifference.toExponential(1)}`,
    );
  if (gpuChunkSlot !== null) {
    console.log('');
    console.log(
      `WebGPU E-step pass over ${gpuChunkSlot.rows} rows × ${gpuChunkSlot.cols} (K = ${gpuChunkSlot.components}, full), median of ${gpuChunkSlot.passes}; ${gpuChunkSlot.adapter}`,
    );
    console.log('');
    console.log('| rows per chunk | chunk slot (ms) | upload per chunk (ms) |');
    console.log('|---:|---:|---:|');
    for (const row of gpuChunkSlot.chunks)
      console.log(`| ${row.chunkRows} | ${row.slotPassMs.toFixed(0)} | ${row.uploadPassMs.toFixed(0)} |`);
  }
  console.log(
    `\nflights: largest difference of the streamed and in-memory models, relative to each array's largest entry: ${flightsResult.maxRelativeDifference.toExponential(1)} (--no-spill: ${flightsResult.maxRelativeDifferenceNoSpill?.toExponential(1) ?? 'not run'})`,
  );
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/stream-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\nwrote ${file}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
