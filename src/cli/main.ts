// The `emgpu` command line: fit, predict, score and sample Gaussian mixtures from CSV/JSON files.
// main() never exits the process: it returns the exit code, so tests can call it in-process
// with their own streams.

import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { FitOptions } from '../base-mixture.ts';
import { BayesianGaussianMixture } from '../bayesian-mixture.ts';
import { GaussianMixture } from '../gaussian-mixture.ts';
import {
  BACKEND_CHOICES,
  COVARIANCE_TYPES,
  EmgpuInputError,
  INIT_METHODS,
  type BackendChoice,
  type BaseMixtureOptions,
  type CovarianceType,
  type GaussianMixtureOptions,
  type InitMethod,
  type MissingMode,
  MISSING_MODES,
} from '../options.ts';
import { sampleBlocks, type SampleParams } from '../model/sample.ts';
import { freshSeed, Random } from '../random.ts';
import { releaseBackends } from '../select-backend.ts';
import { uncertaintyOf } from '../summary.ts';
import { abortable, isAbortError, pause } from './abort.ts';
import { readData, readSampleWeights, readSource, type DataOptions, type ReadOptions, type Table } from './data.ts';
import { TABLE_FORMATS } from '../io/formats.ts';
import { demoSummary, loadIris } from './demo.ts';
import { CliError, describeError, EXIT, oneLine, printable, quoted } from './errors.ts';
import { UnobservedColumnError } from '../missing.ts';
import {
  bayesianOptions,
  mixtureFromJSON,
  namingPriorFlags,
  priorOptions,
  type BayesianOpts,
  type Mixture,
} from './bayesian.ts';
import { componentsInFile, initParamsFromFile, parseInitFile, respFromFile, type InitFile } from './init-file.ts';
import {
  checkOnlineFlags,
  DEFAULT_BATCH_SIZE,
  onlineOptions,
  runOnline,
  type OnlineOpts,
  type OnlineRun,
} from './online.ts';
import { reservoirJSON } from './reservoir.ts';
import { hcSubsetOption, selectCommand, selectOptions, type SelectOpts } from './select.ts';
import { summaryCommand, type SummaryOpts } from './summary.ts';
import { serveCommand, type TableCache } from './serve.ts';
import { SpillSource, spillFolder } from './spill.ts';
import { columnsWithWeight, splitWeightColumn, weightColumnIndex, weightedChunks } from './weight-column.ts';
import {
  CONVERT_DIRECTIONS,
  CONVERT_HELP,
  convertCommand,
  type ConvertDirection,
  type ConvertOpts,
} from './convert.ts';
import {
  mergeCommand,
  mstepCommand,
  mstepOptions,
  statsCommand,
  type MergeOpts,
  type MStepOpts,
  type StatsIO,
  type StatsOpts,
} from './stats.ts';
import {
  checkOutputTarget,
  ChunkedOutput,
  CHUNK_CHARS,
  csvRow,
  fileSink,
  formatBytes,
  ignoreClosedPipe,
  streamSink,
  type OutputSink,
  type OutputTarget,
} from './output.ts';
import { FitProgress, OnlineProgress, type ErrStream } from './progress.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import {
  checkStreamFlags,
  DEFAULT_CHUNK_ROWS,
  heapKeeper,
  openStreamedFile,
  StreamProgressBars,
  streamOptions,
  type StreamOpts,
} from './stream.ts';
import type { StreamProgress } from '../stream.ts';

export interface CliStreams {
  stdout?: NodeJS.WritableStream;
  stderr?: ErrStream;
  stdin?: NodeJS.ReadableStream;
  /** Interrupts the command as Ctrl-C does (for callers other than the real process). */
  signal?: AbortSignal;
  /** Milliseconds (default performance.now): whether the run was long enough to say what it wrote. */
  clock?: () => number;
  /** Tables read by earlier commands of the same `emgpu serve` (src/cli/serve.ts). */
  tableCache?: TableCache;
}

interface Context {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: ErrStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly abort: AbortController;
  verbose: boolean;
  exitCode: number;
  /** --output, once checked. */
  target: OutputTarget | null;
  /** Where the result is being written, once opened (for the message on Ctrl-C). */
  sink: OutputSink | null;
  readonly clock: () => number;
  /** clock() when the command started. */
  readonly started: number;
  tableCache: TableCache | null;
}

/** A run at least this long ends with a "wrote FILE (…)" line on stderr even without --verbose. */
export const LONG_RUN_MS = 10_000;

/** The most samples one `emgpu sample` run draws: their component draws come first, in one pass. */
export const MAX_SAMPLES = 1_000_000_000;

// ---- option parsers (commander reports "option '--x <v>' argument 'v' is invalid. <reason>") ----

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function integerAtLeast(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(
        `It must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}.`,
      );
    }
    return n;
  };
}

function sampleCount(value: string): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || n < 1 || n > MAX_SAMPLES) {
    throw new InvalidArgumentError(
      `It must be an integer from 1 to ${MAX_SAMPLES} (the most one run draws; for more, run sample again with other --seed values).`,
    );
  }
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value.trim()) || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('It must be a finite number ≥ 0.');
  return n;
}

/** --columns: "a,b,2" (names or 0-based indices; which is which is settled against the file). */
function columnList(value: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === ''))
    throw new InvalidArgumentError(
      'It must be column names or 0-based indices separated by commas, e.g. delay,distance or 1,2.',
    );
  return items;
}

const missingOption = (): Option =>
  new Option(
    '--missing <mode>',
    "missing values (empty cells, NaN, NA, nulls): 'error' refuses them; 'marginalize' fits and scores rows with holes by marginalising over them (Gaussian mixtures)",
  ).choices(MISSING_MODES);
const formatOption = (): Option =>
  new Option(
    '--format <name>',
    "DATA's format (default: by its extension: .parquet, .arrow/.feather/.ipc, .tsv, .json, else CSV; stdin is CSV)",
  ).choices(TABLE_FORMATS);
const columnsOption = (): Option =>
  new Option(
    '--columns <list>',
    'the columns of DATA to use, in this order: names or 0-based indices, comma-separated (default: all)',
  ).argParser(columnList);
const backendOption = (): Option =>
  new Option('--backend <name>', "engine: 'auto' (WebGPU on a hardware adapter, else CPU), 'cpu' or 'webgpu'").choices(
    BACKEND_CHOICES,
  );
const weightColumnOption = (): Option =>
  new Option(
    '--weight-column <name>',
    'a column of DATA holding one non-negative weight per row (by name or 0-based index; not one of --columns)',
  );
const verboseOption = (): Option =>
  new Option('--verbose', 'progress and details on stderr; stack traces of internal errors');
const outputOption = (what: string): Option =>
  new Option(
    '-o, --output <file>',
    `write ${what} to this file (atomically: complete or not at all) instead of stdout`,
  );

function packageVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version?: string };
    return json.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// ---- shared steps ---------------------------------------------------------------------------

/** A progress line on stderr with --verbose. */
function say(ctx: Context, message: string): void {
  if (ctx.verbose) ctx.stderr.write(`emgpu: ${message}\n`);
}

function readOptions(ctx: Context): ReadOptions {
  return { signal: ctx.abort.signal, note: (line) => void ctx.stderr.write(`emgpu: note: ${line}\n`) };
}

async function readTable(ctx: Context, path: string, opts: DataOptions): Promise<Table> {
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

/** DATA with its sample weights: from --weight-column (a column of DATA), --sample-weight FILE, or none. */
async function readTableAndWeights(
  ctx: Context,
  path: string,
  opts: DataOptions & { weightColumn?: string; sampleWeight?: string },
): Promise<{ table: Table; weights: Float64Array | null }> {
  const { weightColumn } = opts;
  if (weightColumn === undefined) {
    const table = await readTable(ctx, path, opts);
    const weights =
      opts.sampleWeight === undefined
        ? null
        : await readSampleWeights(opts.sampleWeight, ctx.stdin, table, readOptions(ctx));
    return { table, weights };
  }
  if (opts.sampleWeight !== undefined)
    throw new CliError('--weight-column and --sample-weight both give the sample weights; use one of them.');
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

async function loadModel(
  path: string,
  ctx: Context,
  backend: BackendChoice | undefined,
  tol?: number,
  missing?: MissingMode,
): Promise<Mixture> {
  say(ctx, path === '-' ? 'reading the model from stdin' : `reading model file ${printable(path)}`);
  const source = await readSource(path, 'model file', ctx.stdin, ctx.abort.signal);
  let json: unknown;
  try {
    json = JSON.parse(source.text);
  } catch (error) {
    throw new CliError(
      `model file ${source.label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); pass a model written by 'emgpu fit'.`,
    );
  }
  // `emgpu select --output` writes { criterion, table, best: { ..., model } }: its best model.
  if (typeof json === 'object' && json !== null && 'table' in json && 'best' in json) {
    const best = (json as { best: unknown }).best;
    if (typeof best === 'object' && best !== null && 'model' in best) json = (best as { model: unknown }).model;
  }
  try {
    return mixtureFromJSON(json, backend, tol, missing);
  } catch (error) {
    if (error instanceof EmgpuInputError)
      throw new CliError(`model file ${source.label}: ${error.message} Pass a model written by 'emgpu fit'.`);
    throw error;
  }
}

function checkColumns(table: Table, gm: Mixture, modelPath: string): void {
  if (table.cols !== gm.nFeatures) {
    throw new CliError(
      `${table.label} has ${table.cols} column${table.cols === 1 ? '' : 's'} but the model ${printable(modelPath)} has ${gm.nFeatures} features; pass data with ${gm.nFeatures} columns.`,
    );
  }
}

const matrixOf = (t: Table) => ({ data: t.data, rows: t.rows, cols: t.cols });

/**
 * The rows of the table in consecutive views small enough that evaluating one takes a moment
 * (Ctrl-C is seen between them) and its K values per row stay within a few megabytes.
 */
function* rowBlocks(table: Table, k: number): Generator<{ data: Float64Array; rows: number; cols: number }> {
  const d = table.cols;
  const rowsPerBlock = Math.max(64, Math.min(65536, Math.floor(2 ** 26 / (k * d * (d + 1))), Math.floor(2 ** 21 / k)));
  for (let start = 0; start < table.rows; start += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, table.rows - start);
    yield { data: table.data.subarray(start * d, (start + rows) * d), rows, cols: d };
  }
}

/**
 * Runs `write` against --output (a temporary file renamed into place when it is done) or
 * stdout. On any error or Ctrl-C the temporary file is removed: the target is untouched.
 */
async function withOutput(ctx: Context, write: (out: ChunkedOutput) => Promise<unknown>): Promise<void> {
  const sink = ctx.target === null ? streamSink(ctx.stdout) : await fileSink(ctx.target);
  ctx.sink = sink;
  try {
    await write(new ChunkedOutput(sink, ctx.abort.signal));
    await sink.commit();
  } catch (error) {
    await sink.discard();
    throw error;
  }
  if (ctx.target !== null) await sayWrote(ctx, ctx.target);
}

/** "emgpu: wrote FILE (12.3 kB, 71.2 s)": with --verbose, or after a long run (the user may have looked away). */
async function sayWrote(ctx: Context, target: OutputTarget): Promise<void> {
  const seconds = (ctx.clock() - ctx.started) / 1000;
  if (!ctx.verbose && seconds * 1000 < LONG_RUN_MS) return;
  const size = await stat(target.file).then(
    (info) => formatBytes(info.size),
    () => null,
  );
  ctx.stderr.write(
    `emgpu: wrote ${printable(target.path)} (${size === null ? '' : `${size}, `}${seconds.toFixed(1)} s)\n`,
  );
}

/** Runs a fit with progress on stderr and Ctrl-C aborting it cleanly. */
async function runFit(
  ctx: Context,
  gm: Mixture,
  table: Table,
  fitOptions: FitOptions,
  progress: FitProgress,
): Promise<{ labels: Int32Array; ms: number }> {
  const start = performance.now();
  try {
    // The fit itself stops within an iteration; this stops waiting for it at once.
    const labels = await abortable(gm.fitPredict(matrixOf(table), fitOptions), ctx.abort.signal);
    return { labels, ms: performance.now() - start };
  } catch (error) {
    if (!(error instanceof UnobservedColumnError)) throw namingPriorFlags(error);
    // The library counts from 0 in X; the command line names the file's column, from 1.
    const name = table.header?.[error.column];
    throw new CliError(
      `${table.label} column ${error.column + 1}${name === undefined ? '' : ` (${quoted(name)})`} has no observed value${fitOptions.sampleWeight == null ? '' : ' with a positive weight'}; drop that column (--columns), as nothing can be learnt about it.`,
    );
  } finally {
    progress.stop();
  }
}

function fitDetails(gm: Mixture, table: Table, ms: number): string {
  return `emgpu: fitted ${gm instanceof BayesianGaussianMixture ? 'a Bayesian mixture of ' : ''}${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) to ${table.rows} × ${table.cols} from ${table.label}: ${gm.nIter} iterations, ${gm.converged ? 'converged' : 'NOT converged (raise --max-iter or --tol)'}, lower bound ${gm.lowerBound.toFixed(6)}, ${ms.toFixed(0)} ms, ${gm.backend}\n`;
}

// ---- commands -------------------------------------------------------------------------------

interface FitOpts extends BayesianOpts, OnlineOpts, StreamOpts, DataOptions {
  components?: number;
  covariance?: CovarianceType;
  init?: string;
  hcSubset?: number;
  maxIter?: number;
  tol?: number;
  regCovar?: number;
  nInit?: number;
  seed?: number;
  backend?: BackendChoice;
  sampleWeight?: string;
  weightColumn?: string;
  output?: string;
  verbose?: boolean;
  demo?: boolean;
}

async function fitCommand(ctx: Context, dataPath: string | undefined, opts: FitOpts): Promise<void> {
  ctx.verbose = opts.verbose === true;
  if (opts.demo === true) {
    if (dataPath !== undefined)
      throw new CliError(`fit --demo uses the bundled iris data; drop the DATA argument '${printable(dataPath)}'.`);
    if (
      opts.sampleWeight !== undefined ||
      opts.init !== undefined ||
      opts.format !== undefined ||
      opts.columns !== undefined
    ) {
      throw new CliError(
        'fit --demo does not take --sample-weight, --init, --format or --columns; run plain `emgpu fit DATA` for those.',
      );
    }
  } else if (dataPath === undefined) {
    throw new CliError(
      "fit needs DATA: a CSV, TSV, JSON, Parquet or Arrow file, or - for stdin (or run 'emgpu fit --demo'); see 'emgpu fit --help'.",
    );
  }
  checkOnlineFlags(opts);
  checkStreamFlags(opts, dataPath);
  if (dataPath === '-' && opts.init === '-')
    throw new CliError('DATA and --init cannot both be read from stdin; put the initial parameters in a file.');
  if (dataPath === '-' && opts.sampleWeight === '-')
    throw new CliError('DATA and --sample-weight cannot both be read from stdin; put the weights in a file.');
  if (opts.output !== undefined) ctx.target = await checkOutputTarget(opts.output);

  // --init: a method name or a JSON file of initial parameters.
  let initParams: InitMethod | undefined;
  let initFile: InitFile | null = null;
  if (opts.init !== undefined) {
    if ((INIT_METHODS as readonly string[]).includes(opts.init)) {
      initParams = opts.init as InitMethod;
    } else {
      if (!/\.json$/i.test(opts.init) && opts.init !== '-') {
        throw new CliError(
          `--init '${printable(opts.init)}' is neither a method (${INIT_METHODS.join(', ')}) nor a .json file of initial parameters.`,
        );
      }
      const source = await readSource(opts.init, 'init file', ctx.stdin, ctx.abort.signal);
      initFile = parseInitFile(source.label, source.text);
    }
  }
  if (opts.hcSubset !== undefined && initParams !== 'hc')
    throw new CliError('--hc-subset sets the rows of --init hc; add --init hc or drop --hc-subset.');

  if (opts.stream === true) {
    await streamFitCommand(ctx, dataPath as string, opts, initParams, initFile);
    return;
  }

  const demo = opts.demo === true ? await loadIris(ctx.stdin) : null;
  const { table, weights: sampleWeight } =
    demo !== null ? { table: demo.table, weights: null } : await readTableAndWeights(ctx, dataPath as string, opts);

  const fileType = initFile?.json.covarianceType;
  const covarianceType: CovarianceType =
    opts.covariance ??
    (typeof fileType === 'string' && (COVARIANCE_TYPES as readonly string[]).includes(fileType)
      ? (fileType as CovarianceType)
      : 'full');
  const k = opts.components ?? (initFile !== null ? componentsInFile(initFile) : null) ?? (demo !== null ? 3 : 1);
  if (table.rows < k) {
    throw new CliError(
      `${table.label} has ${table.rows} data row${table.rows === 1 ? '' : 's'} but --components is ${k}; pass at least ${k} rows or lower --components.`,
    );
  }
  const priors = priorOptions(opts);
  const resp = initFile === null ? null : respFromFile(initFile, table.rows, k, table.label);
  if (priors !== null && initFile !== null && resp === null) {
    throw new CliError(
      `init file ${initFile.label}: the Bayesian mixture starts from responsibilities; give 'resp' (N × K) in the file, or an init method.`,
    );
  }
  if (opts.online === true && resp !== null) {
    throw new CliError(
      `init file ${initFile?.label ?? ''}: --online starts from an init method or from weights, means and covariances; responsibilities ('resp') are for fit without --online.`,
    );
  }
  const fromFile =
    initFile === null || resp !== null
      ? null
      : initParamsFromFile(initFile, k, table.cols, covarianceType, table.label);
  if (opts.missing === 'marginalize' && priors !== null) {
    throw new CliError(
      '--missing marginalize works with Gaussian mixtures only, not with --bayesian; remove or impute the missing values.',
    );
  }
  if (opts.missing === 'marginalize' && opts.online === true) {
    throw new CliError(
      '--missing marginalize does not work with --online yet; fit without --online, or remove or impute the missing values.',
    );
  }

  const maxIter = opts.maxIter ?? 100;
  const nInit = opts.nInit ?? 1;
  const progress = new FitProgress(ctx.stderr, ctx.verbose, maxIter, nInit);
  const options: BaseMixtureOptions = {
    nComponents: k,
    covarianceType,
    maxIter,
    nInit,
    randomState: opts.seed ?? (demo !== null ? 0 : null),
    backend: opts.backend ?? 'auto',
    onIteration: progress.onIteration,
    onProgress: progress.onProgress,
    signal: ctx.abort.signal,
    ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
    ...(opts.regCovar !== undefined ? { regCovar: opts.regCovar } : {}),
    ...(initParams !== undefined ? { initParams } : {}),
    ...(opts.hcSubset !== undefined ? { hcSubset: opts.hcSubset } : {}),
  };
  const fileInit = {
    ...(fromFile?.weightsInit ? { weightsInit: fromFile.weightsInit } : {}),
    ...(fromFile?.meansInit ? { meansInit: fromFile.meansInit } : {}),
    ...(fromFile?.precisionsInit ? { precisionsInit: fromFile.precisionsInit } : {}),
  };
  if (opts.online === true) {
    await onlineFitCommand(ctx, table, sampleWeight, opts, {
      ...options,
      ...fileInit,
      onIteration: null,
      ...(opts.stepDecay !== undefined ? { stepDecay: opts.stepDecay } : {}),
      ...(opts.burnIn !== undefined ? { burnIn: opts.burnIn } : {}),
    });
    return;
  }
  const gm: Mixture =
    priors !== null
      ? new BayesianGaussianMixture({ ...options, ...priors })
      : new GaussianMixture({
          ...options,
          ...fileInit,
          ...(opts.missing !== undefined ? { missing: opts.missing } : {}),
        });
  const { labels, ms } = await runFit(ctx, gm, table, { sampleWeight, ...(resp !== null ? { resp } : {}) }, progress);
  if (ctx.verbose) ctx.stderr.write(fitDetails(gm, table, ms));
  // --max-iter 0 asks for the initialisation alone (a start for 'emgpu stats'): nothing to warn about.
  else if (!gm.converged && maxIter > 0)
    ctx.stderr.write(
      `emgpu: warning: the fit did not converge in ${gm.nIter} iterations; raise --max-iter or --tol.\n`,
    );
  for (const warning of gm.warnings) ctx.stderr.write(`emgpu: warning: ${warning}\n`);

  const modelJson = `${JSON.stringify(gm.toJSON(), null, 2)}\n`;
  if (demo !== null) {
    if (ctx.target !== null) await withOutput(ctx, (out) => out.text(modelJson));
    await new ChunkedOutput(streamSink(ctx.stdout), ctx.abort.signal).text(
      demoSummary({ data: demo, gm, labels, milliseconds: ms }),
    );
    return;
  }
  await withOutput(ctx, (out) => out.text(modelJson));
}

/** `fit --online`: partialFit over the rows in batches; the model JSON as fit writes it. */
async function onlineFitCommand(
  ctx: Context,
  table: Table,
  sampleWeight: Float64Array | null,
  opts: FitOpts,
  options: GaussianMixtureOptions,
): Promise<void> {
  // A seed for the shuffle too, so that --seed makes the whole run reproducible.
  const seed = opts.seed ?? freshSeed();
  const gm = new GaussianMixture({ ...options, randomState: seed });
  const { signal } = ctx.abort;
  const progress = new OnlineProgress(ctx.stderr, ctx.verbose, opts.batchSize ?? DEFAULT_BATCH_SIZE);
  let run: OnlineRun;
  try {
    run = await runOnline(gm, table, sampleWeight, opts, (seed ^ 0x5bd1e995) >>> 0, signal, progress.onBatch);
  } finally {
    progress.stop();
  }
  if (ctx.verbose) {
    // One more pass, for the mean log-likelihood of every row under the final parameters.
    const score = await abortable(gm.score(matrixOf(table), { sampleWeight }), signal);
    ctx.stderr.write(
      `emgpu: fitted ${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) online to ${table.rows} × ${table.cols} from ${table.label}: ${run.passes} pass${run.passes === 1 ? '' : 'es'} of ${run.batches} batch${run.batches === 1 ? '' : 'es'} of ≤ ${opts.batchSize ?? DEFAULT_BATCH_SIZE} rows (step decay ${gm.options.stepDecay}, burn-in ${gm.options.burnIn}${run.skipped > 0 ? `, ${run.skipped} all-zero-weight batch${run.skipped === 1 ? '' : 'es'} skipped` : ''}), ${gm.nIter} M-steps, mean log-likelihood of all rows ${score.toFixed(6)}, ${run.ms.toFixed(0)} ms, ${gm.backend}\n`,
    );
  }
  for (const warning of gm.warnings) ctx.stderr.write(`emgpu: warning: ${warning}\n`);
  await withOutput(ctx, (out) => out.text(`${JSON.stringify(gm.toJSON(), null, 2)}\n`));
}

/** `fit --stream`: exact EM with DATA read in chunks on every iteration; the model JSON as fit writes it. */
async function streamFitCommand(
  ctx: Context,
  dataPath: string,
  opts: FitOpts,
  initParams: InitMethod | undefined,
  initFile: InitFile | null,
): Promise<void> {
  const { signal } = ctx.abort;
  say(ctx, `streaming data file ${printable(dataPath)} in chunks of ${opts.chunkRows ?? DEFAULT_CHUNK_ROWS} rows`);
  const { weightColumn } = opts;
  const columns = weightColumn === undefined ? opts.columns : columnsWithWeight(opts.columns, weightColumn);
  const { columns: _omitted, ...rest } = opts;
  const file = await openStreamedFile(
    dataPath,
    columns === undefined ? rest : { ...rest, columns },
    signal,
    readOptions(ctx).note as (line: string) => void,
  );
  let spill: SpillSource | null = null;
  try {
    // --weight-column: the last column read (or the named one), split off every chunk as its weights.
    const w =
      weightColumn === undefined
        ? null
        : weightColumnIndex(file.header, file.cols, weightColumn, columns !== undefined, file.label);
    const cols = w === null ? file.cols : file.cols - 1;
    const decoded =
      w === null
        ? file.source
        : weightedChunks(file.source, w, file.header?.[w] ?? (weightColumn as string), file.label);
    // The first pass spills the decoded chunks to a temporary file; later passes read it (src/cli/spill.ts).
    spill =
      opts.spill === false ? null : new SpillSource(decoded, await spillFolder(opts.spill), readOptions(ctx).note);
    const source = spill?.source ?? decoded;
    if (file.header !== null)
      say(
        ctx,
        `columns: ${file.header.map((name) => quoted(name)).join(', ')}${file.rows !== null ? `; ${file.rows} rows` : ''}`,
      );
    const fileType = initFile?.json.covarianceType;
    const covarianceType: CovarianceType =
      opts.covariance ??
      (typeof fileType === 'string' && (COVARIANCE_TYPES as readonly string[]).includes(fileType)
        ? (fileType as CovarianceType)
        : 'full');
    const k = opts.components ?? (initFile !== null ? componentsInFile(initFile) : null) ?? 1;
    if (initFile !== null && initFile.json.resp !== undefined && initFile.json.resp !== null) {
      throw new CliError(
        `init file ${initFile.label}: --stream starts from an init method or from weights, means and covariances; responsibilities ('resp') need the table in memory (fit without --stream).`,
      );
    }
    const fromFile = initFile === null ? null : initParamsFromFile(initFile, k, cols, covarianceType, file.label);
    const maxIter = opts.maxIter ?? 100;
    const progress = new StreamProgressBars(ctx.stderr, ctx.verbose, maxIter, file.rows);
    const gm = new GaussianMixture({
      nComponents: k,
      covarianceType,
      maxIter,
      nInit: opts.nInit ?? 1,
      randomState: opts.seed ?? null,
      backend: opts.backend ?? 'auto',
      onIteration: progress.onIteration,
      onProgress: progress.onProgress,
      signal,
      ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
      ...(opts.regCovar !== undefined ? { regCovar: opts.regCovar } : {}),
      ...(initParams !== undefined ? { initParams } : {}),
      ...(opts.hcSubset !== undefined ? { hcSubset: opts.hcSubset } : {}),
      ...(fromFile?.weightsInit ? { weightsInit: fromFile.weightsInit } : {}),
      ...(fromFile?.meansInit ? { meansInit: fromFile.meansInit } : {}),
      ...(fromFile?.precisionsInit ? { precisionsInit: fromFile.precisionsInit } : {}),
    });
    const start = performance.now();
    try {
      // The fit stops at the next chunk; this stops waiting for it at once.
      const collect = heapKeeper();
      const onChunk = (p: StreamProgress): void => {
        collect?.();
        progress.onChunk(p);
      };
      await abortable(gm.fit(source, { onChunk }), signal);
    } finally {
      progress.stop();
    }
    const ms = performance.now() - start;
    const spilled = spill?.report();
    if (spilled !== undefined && spilled.state === 'ready')
      say(ctx, `later passes read a spill file of ${(spilled.bytes / 2 ** 20).toFixed(1)} MiB (deleted)`);
    if (ctx.verbose) {
      ctx.stderr.write(
        `emgpu: fitted ${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) streamed from ${file.label} (${gm.nFeatures} columns, chunks of ≤ ${opts.chunkRows ?? DEFAULT_CHUNK_ROWS} rows): ${gm.nIter} iterations, ${gm.converged ? 'converged' : 'NOT converged (raise --max-iter or --tol)'}, lower bound ${gm.lowerBound.toFixed(6)}, ${ms.toFixed(0)} ms, ${gm.backend}\n`,
      );
    } else if (!gm.converged && maxIter > 0)
      ctx.stderr.write(
        `emgpu: warning: the fit did not converge in ${gm.nIter} iterations; raise --max-iter or --tol.\n`,
      );
    for (const warning of gm.warnings) ctx.stderr.write(`emgpu: warning: ${warning}\n`);
    await withOutput(ctx, (out) => out.text(`${JSON.stringify(gm.toJSON(), null, 2)}\n`));
  } finally {
    await spill?.close();
    await file.close();
  }
}

interface ModelOpts extends DataOptions {
  model: string;
  backend?: BackendChoice;
  output?: string;
  verbose?: boolean;
}

/** The checks and reading that predict and score share: --output first, then the model, then the data. */
async function modelAndData(ctx: Context, dataPath: string, opts: ModelOpts): Promise<{ gm: Mixture; table: Table }> {
  ctx.verbose = opts.verbose === true;
  if (dataPath === '-' && opts.model === '-') throw new CliError('DATA and --model cannot both be read from stdin.');
  if (opts.output !== undefined) ctx.target = await checkOutputTarget(opts.output);
  const gm = await loadModel(opts.model, ctx, opts.backend, undefined, opts.missing);
  const table = await readTable(ctx, dataPath, opts);
  checkColumns(table, gm, opts.model);
  return { gm, table };
}

async function predictCommand(
  ctx: Context,
  dataPath: string,
  opts: ModelOpts & { proba?: boolean; uncertainty?: boolean },
): Promise<void> {
  if (opts.proba === true && opts.uncertainty === true)
    throw new CliError('--proba and --uncertainty print different things; pass one of them.');
  const { gm, table } = await modelAndData(ctx, dataPath, opts);
  const { signal } = ctx.abort;
  const k = gm.nComponents;
  say(
    ctx,
    `${opts.proba === true ? 'computing the probabilities of' : 'predicting'} ${table.rows} rows (${k} components)`,
  );
  await withOutput(ctx, async (out) => {
    for (const block of rowBlocks(table, k)) {
      if (opts.uncertainty === true) {
        const proba = await abortable(gm.predictProba(block), signal);
        const uncertainty = uncertaintyOf(proba, k);
        if (!(await out.lines(block.rows, 22, (i) => String(uncertainty[i])))) return;
      } else if (opts.proba === true) {
        const proba = await abortable(gm.predictProba(block), signal);
        if (!(await out.lines(block.rows, 22 * k, (i) => csvRow(proba, i * k, k)))) return;
      } else {
        const labels = await abortable(gm.predict(block), signal);
        if (!(await out.lines(block.rows, 4, (i) => String(labels[i])))) return;
      }
    }
  });
}

async function scoreCommand(ctx: Context, dataPath: string, opts: ModelOpts & { mean?: boolean }): Promise<void> {
  const { gm, table } = await modelAndData(ctx, dataPath, opts);
  const { signal } = ctx.abort;
  say(ctx, `scoring ${table.rows} rows (${gm.nComponents} components)`);
  if (opts.mean === true) {
    // The same sum in the same order as gm.score(X): the same number to the last bit.
    let sum = 0;
    for (const block of rowBlocks(table, gm.nComponents)) {
      const logLik = await abortable(gm.scoreSamples(block), signal);
      for (let i = 0; i < block.rows; i++) sum += logLik[i] as number;
      await pause(signal);
    }
    await withOutput(ctx, (out) => out.text(`${sum / table.rows}\n`));
    return;
  }
  await withOutput(ctx, async (out) => {
    for (const block of rowBlocks(table, gm.nComponents)) {
      const logLik = await abortable(gm.scoreSamples(block), signal);
      if (!(await out.lines(block.rows, 22, (i) => String(logLik[i])))) return;
    }
  });
}

interface SampleOpts {
  model: string;
  nSamples: number;
  seed?: number;
  labels?: boolean;
  output?: string;
  verbose?: boolean;
}

async function sampleCommand(ctx: Context, opts: SampleOpts): Promise<void> {
  ctx.verbose = opts.verbose === true;
  if (opts.output !== undefined) ctx.target = await checkOutputTarget(opts.output);
  const gm = await loadModel(opts.model, ctx, 'cpu');
  const { signal } = ctx.abort;
  const d = gm.nFeatures;
  const params: SampleParams = {
    covarianceType: gm.covarianceType,
    nComponents: gm.nComponents,
    nFeatures: d,
    weights: gm.weights,
    means: gm.means,
    covariances: gm.covariances,
  };
  // The same draws as gm.sample(n, seed), written block by block in flat memory.
  const random = new Random(opts.seed ?? gm.options.randomState ?? freshSeed());
  const charsPerLine = 22 * (d + 1);
  const blockRows = Math.max(1, Math.floor(CHUNK_CHARS / charsPerLine));
  say(ctx, `drawing ${opts.nSamples} samples`);
  await withOutput(ctx, async (out) => {
    for (const block of sampleBlocks(params, opts.nSamples, random, blockRows)) {
      if (block === null) {
        await pause(signal); // between batches of component draws
        continue;
      }
      const { data, labels } = block;
      const line =
        opts.labels === true
          ? (i: number) => `${csvRow(data, i * d, d)},${labels[i] as number}`
          : (i: number) => csvRow(data, i * d, d);
      if (!(await out.lines(block.rows, charsPerLine, line))) return;
    }
  });
}

/** The plumbing stats, merge and mstep use. */
function statsIO(ctx: Context, data: DataOptions = {}): StatsIO {
  return {
    signal: ctx.abort.signal,
    checkOutput: async (path) => {
      if (path !== undefined) ctx.target = await checkOutputTarget(path);
    },
    loadModel: (path, backend, tol) => loadModel(path, ctx, backend, tol, data.missing),
    readTableAndWeights: (path, weights) => readTableAndWeights(ctx, path, { ...data, ...weights }),
    readText: (path, what) => {
      say(ctx, path === '-' ? `reading the ${what} from stdin` : `reading ${what} ${printable(path)}`);
      return readSource(path, what, ctx.stdin, ctx.abort.signal);
    },
    write: (text) => withOutput(ctx, (out) => out.text(text)),
    tell: (line) => void ctx.stderr.write(`${line}\n`),
    say: (line) => say(ctx, line),
  };
}

// ---- the program ----------------------------------------------------------------------------

const DATA_ARGUMENT = 'CSV, TSV, JSON, Parquet or Arrow file, or - for stdin';

const DATA_HELP = `
DATA is a CSV file (comma, tab or semicolon separated; a first row with any
non-numeric cell is a header and is skipped), a TSV file (.tsv), a .json file
holding an array of rows such as [[1.5, 2], [3, 4.5]], a Parquet file
(.parquet) or an Arrow IPC / Feather v2 file (.arrow, .feather, .ipc), or - for
stdin (CSV unless --format says otherwise). --format csv|tsv|json|parquet|arrow
overrides the extension. --columns a,b,c uses those columns, in that order, by
name or 0-based index. Every value must be a finite number: integers (int64
within ±2^53), floats, booleans (0/1), and dates and timestamps (read as
milliseconds since the Unix epoch); string and dictionary columns are refused.`;

const EXIT_HELP = `
Exit codes: 0 success, 1 the fit failed (e.g. an ill-defined covariance),
2 usage or input error, 70 internal error, 130 interrupted.`;

function buildProgram(ctx: Context): Command {
  const program = new Command('emgpu');
  const configure = (cmd: Command, helpName: string): Command =>
    cmd
      .configureOutput({
        writeOut: (text) => void ctx.stdout.write(text),
        writeErr: (text) => void ctx.stderr.write(text),
        outputError: (text, write) =>
          write(`emgpu: ${printable(oneLine(text.replace(/^error: /, '')))} (see '${helpName} --help')\n`),
      })
      .exitOverride();

  configure(program, 'emgpu')
    .description('Fit Gaussian mixture models by EM (scikit-learn GaussianMixture semantics) on WebGPU or the CPU.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      `
Examples:
  emgpu fit --demo
  emgpu fit data/iris.csv --components 3 --seed 0 --output model.json
  emgpu predict --model model.json data/iris.csv
  emgpu score --model model.json data/iris.csv --mean
  emgpu sample --model model.json -n 5 --seed 1 --labels
  emgpu select data/iris.csv -k 1-6 --seed 0 -o best.json
  emgpu stats --model m0.json part1.csv -o s1.json     (distributed EM:
  emgpu merge s1.json s2.json -o all.json               stats on every part,
  emgpu mstep --model m0.json all.json -o m1.json       merge, mstep, repeat)
${DATA_HELP}
${EXIT_HELP}`,
    );

  const fit = configure(program.command('fit'), 'emgpu fit')
    .description('fit a Gaussian mixture to DATA and write the model as JSON (stdout, or --output)')
    .argument('[DATA]', DATA_ARGUMENT)
    .addOption(
      new Option(
        '-k, --components <K>',
        'number of mixture components (default: 1, or as many as the --init file has)',
      ).argParser(integerAtLeast(1)),
    )
    .addOption(
      new Option(
        '--covariance <type>',
        "covariance type: sklearn's full, tied, diag, spherical or mclust's EII … VVV (default: full)",
      ).choices(COVARIANCE_TYPES),
    )
    .addOption(
      new Option(
        '--init <method|file.json>',
        `initialisation: ${INIT_METHODS.join(', ')} (default: kmeans), or a JSON file with any of weights, means, and covariances or precisions (scikit-learn shapes; a model written by fit works too), or with 'resp': initial responsibilities, N × K`,
      ),
    )
    .addOption(hcSubsetOption())
    .addOption(
      new Option('--max-iter <N>', 'maximum EM iterations per initialisation (default: 100)').argParser(
        integerAtLeast(0),
      ),
    )
    .addOption(
      new Option('--tol <T>', 'convergence threshold on the change of the lower bound (default: 0.001)').argParser(
        nonNegativeNumber,
      ),
    )
    .addOption(
      new Option('--reg-covar <R>', 'added to the covariance diagonals (default: 1e-6)').argParser(nonNegativeNumber),
    )
    .addOption(
      new Option('--n-init <N>', 'initialisations; the best is kept (default: 1)').argParser(integerAtLeast(1)),
    )
    .addOption(
      new Option('--seed <S>', 'random seed, 0 to 4294967295, for a reproducible fit (default: random)').argParser(
        integerAtLeast(0, 0xffffffff),
      ),
    )
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(backendOption())
    .addOption(
      new Option(
        '--sample-weight <file>',
        'one non-negative weight per data row: one number per line or a one-column CSV',
      ),
    )
    .addOption(weightColumnOption())
    .addOption(new Option('-o, --output <file>', 'write the model JSON to this file (atomically) instead of stdout'))
    .addOption(verboseOption())
    .addOption(new Option('--demo', "fit Fisher's bundled iris data (K = 3, seed 0) and print a readable summary"));
  for (const option of bayesianOptions()) fit.addOption(option);
  for (const option of onlineOptions()) fit.addOption(option);
  for (const option of streamOptions()) fit.addOption(option);
  fit
    .addHelpText(
      'after',
      `
The model JSON is GaussianMixture.toJSON(): covarianceType, weights, means,
covariances and precisionsCholesky in scikit-learn's shapes, converged, nIter,
lowerBound, lowerBounds, backend, nFeatures, nComponents. With --bayesian it is
BayesianGaussianMixture.toJSON(), which adds weightConcentration, meanPrecision,
degreesOfFreedom and the resolved priors.
Progress goes to stderr: one line per iteration with --verbose, a progress bar
when stderr is a terminal.

With --online the model is fitted by online (stepwise) EM instead: the rows go
in batches of at most --batch-size (as equal as possible; file order, or a new
random order per pass with --shuffle) through GaussianMixture.partialFit. Each
batch's statistics under the current parameters enter running statistics with
step (t + 2)^-a for batch t from 0 (--step-decay a), after --burn-in batches
summed; one M-step per batch after that; --passes P passes. The first batch is
initialised by --init. The model JSON is written as fit writes it, lowerBound
being the last batch's mean log-likelihood and converged false; --verbose adds
one line per batch and the mean log-likelihood of all rows at the end; a progress
bar over the batches shows when stderr is a terminal.

With --stream the fit is exact EM, the same as without it from the same start,
but DATA (a CSV, TSV or Parquet file) is read again on every iteration in chunks
of --chunk-rows rows, each through the engine and released: memory is bounded
by a chunk, not by the table. --init methods run on a uniform sample of 100000
rows taken in a first pass; an --init file gives the exact start. A progress bar
per pass over the file shows when stderr is a terminal.
${DATA_HELP}

Examples:
  emgpu fit data/iris.csv -k 3 --seed 0 -o model.json
  emgpu fit points.csv -k 8 --online --batch-size 10000 --seed 0 -o model.json
  emgpu fit flights.parquet --columns delay,distance -k 6 --stream --seed 0 -o model.json
  emgpu fit data/iris.csv -k 3 --covariance diag --init init.json --verbose
  emgpu fit data/iris.csv -k 6 --bayesian --weight-concentration-prior 0.01 --seed 0
  cat points.csv | emgpu fit - -k 2 > model.json
${EXIT_HELP}`,
    )
    .action(async (data: string | undefined, opts: FitOpts) => fitCommand(ctx, data, opts));

  const select = configure(program.command('select'), 'emgpu select')
    .description('fit every K x covariance type of a grid to DATA and print BIC, AIC and ICL, the best marked')
    .argument('<DATA>', DATA_ARGUMENT);
  for (const option of selectOptions()) select.addOption(option);
  select
    .addOption(
      new Option('--init <method>', `initialisation of every fit: ${INIT_METHODS.join(', ')} (default: kmeans)`),
    )
    .addOption(
      new Option('--max-iter <N>', 'maximum EM iterations per initialisation (default: 1000 for select)').argParser(
        integerAtLeast(0),
      ),
    )
    .addOption(
      new Option(
        '--tol <T>',
        'convergence threshold on the change of the lower bound (default: 1e-5 for select)',
      ).argParser(nonNegativeNumber),
    )
    .addOption(
      new Option('--reg-covar <R>', 'added to the covariance diagonals (default: 1e-6)').argParser(nonNegativeNumber),
    )
    .addOption(
      new Option('--n-init <N>', 'initialisations per cell; the best is kept (default: 1)').argParser(
        integerAtLeast(1),
      ),
    )
    .addOption(
      new Option('--seed <S>', 'random seed, 0 to 4294967295, for a reproducible grid (default: random)').argParser(
        integerAtLeast(0, 0xffffffff),
      ),
    )
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(backendOption())
    .addOption(
      new Option(
        '--sample-weight <file>',
        'one non-negative weight per data row: one number per line or a one-column CSV',
      ),
    )
    .addOption(
      new Option('-o, --output <file>', 'also write the table and the best model as JSON to this file (atomically)'),
    )
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
The table (stdout) has one row per fit: covariance type, K, BIC, AIC, ICL
(smaller is better), the lower bound, iterations (! = did not converge) and
seconds; * marks the best by --criterion. With --output the JSON is
{ criterion, table, best } where best.model is the fitted model as 'emgpu fit'
writes it (predict, score and sample read it). Progress: one line per fit on
stderr with --verbose or when stderr is a terminal.
${DATA_HELP}

Examples:
  emgpu select data/iris.csv --seed 0
  emgpu select points.csv -k 1-20 --covariance full,diag --criterion icl -o best.json
${EXIT_HELP}`,
    )
    .action(async (data: string, opts: SelectOpts) => {
      ctx.verbose = opts.verbose === true;
      if (opts.output !== undefined) ctx.target = await checkOutputTarget(opts.output);
      const showProgress = ctx.verbose || ctx.stderr.isTTY === true;
      await selectCommand(
        {
          signal: ctx.abort.signal,
          readTable: (path) => readTable(ctx, path, opts),
          readWeights: (path, table) => readSampleWeights(path, ctx.stdin, table, readOptions(ctx)),
          writeJson: (text) => withOutput(ctx, (out) => out.text(text)),
          print: async (write) => {
            await write(new ChunkedOutput(streamSink(ctx.stdout), ctx.abort.signal));
          },
          progress: (line) => {
            if (showProgress) ctx.stderr.write(`emgpu: ${line}\n`);
          },
        },
        data,
        opts,
      );
    });

  configure(program.command('predict'), 'emgpu predict')
    .description('print the most likely component (0-based) of each row of DATA, one per line')
    .argument('<DATA>', DATA_ARGUMENT)
    .requiredOption(
      '-m, --model <file>',
      "model JSON written by 'emgpu fit' (or 'emgpu select --output': its best model)",
    )
    .option(
      '--proba',
      'print the probability of each component instead: CSV, one row per data row, K columns, no header',
    )
    .option(
      '--uncertainty',
      "print each row's classification uncertainty instead: 1 − its largest component probability (mclust's uncertainty)",
    )
    .addOption(outputOption('the result'))
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(backendOption())
    .addOption(verboseOption())
    .addHelpText('after', DATA_HELP)
    .action(async (data: string, opts: ModelOpts & { proba?: boolean; uncertainty?: boolean }) =>
      predictCommand(ctx, data, opts),
    );

  configure(program.command('summary'), 'emgpu summary')
    .description(
      "print mclust's summary of a model on DATA: model name, log-likelihood, n, df, BIC, ICL, mixing proportions and cluster sizes",
    )
    .argument('<DATA>', DATA_ARGUMENT)
    .requiredOption(
      '-m, --model <file>',
      "model JSON written by 'emgpu fit' (or 'emgpu select --output': its best model)",
    )
    .option('--json', 'print the summary as JSON (BIC and ICL in both signs, weights, clusterSizes)')
    .addOption(
      new Option(
        '--sample-weight <file>',
        'one non-negative weight per data row: one number per line or a one-column CSV',
      ),
    )
    .addOption(outputOption('the summary'))
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(backendOption())
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
BIC and ICL are in emgpu's sign (−2·loglik + df·log n, smaller is better);
mclust's are their negatives, printed beside them. ICL is mclust's: BIC
− 2·Σ log(largest component probability of each row).
${DATA_HELP}`,
    )
    .action(async (data: string, opts: SummaryOpts) =>
      summaryCommand(
        {
          signal: ctx.abort.signal,
          modelAndData: (path) => modelAndData(ctx, path, opts),
          readWeights: (path, table) => readSampleWeights(path, ctx.stdin, table, readOptions(ctx)),
          write: (text) => withOutput(ctx, (out) => out.text(text)),
        },
        data,
        opts,
      ),
    );

  configure(program.command('score'), 'emgpu score')
    .description('print the log-likelihood log p(x) of each row of DATA, one per line')
    .argument('<DATA>', DATA_ARGUMENT)
    .requiredOption(
      '-m, --model <file>',
      "model JSON written by 'emgpu fit' (or 'emgpu select --output': its best model)",
    )
    .option('--mean', 'print only the mean log-likelihood (scikit-learn score)')
    .addOption(outputOption('the result'))
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(backendOption())
    .addOption(verboseOption())
    .addHelpText('after', DATA_HELP)
    .action(async (data: string, opts: ModelOpts & { mean?: boolean }) => scoreCommand(ctx, data, opts));

  configure(program.command('sample'), 'emgpu sample')
    .description('draw N samples from a fitted model and print them as CSV (no header)')
    .requiredOption(
      '-m, --model <file>',
      "model JSON written by 'emgpu fit' (or 'emgpu select --output': its best model)",
    )
    .requiredOption('-n, --n-samples <N>', `number of samples, 1 to ${MAX_SAMPLES}`, sampleCount)
    .option(
      '--seed <S>',
      'random seed, 0 to 4294967295 (default: the seed the model was fitted with, else random)',
      integerAtLeast(0, 0xffffffff),
    )
    .option('--labels', 'add a last column with the component (0-based) each sample was drawn from')
    .addOption(outputOption('the samples'))
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
Output: one row per sample, the D features as CSV, grouped by component as
scikit-learn's GaussianMixture.sample returns them; --labels appends the
component column. Samples are written as they are drawn, in flat memory; the
component of every sample is drawn first (a few seconds per 100 million), so
a large N takes a while to start. Example:
  emgpu sample --model model.json -n 1000 --seed 7 --labels > samples.csv`,
    )
    .action(async (opts: SampleOpts) => sampleCommand(ctx, opts));

  const distributedHelp = `
Distributed EM, one iteration: 'emgpu stats' on every part of the data with the
same model file, 'emgpu merge' of the parts, 'emgpu mstep' for the next model;
repeat until mstep says converged (the model JSON has "converged": true). The
result equals 'emgpu fit' on the whole table from the same start, to rounding. Start from a
model fitted on a sample, or from the initialisation alone:
  emgpu fit sample.csv -k 5 --seed 0 --max-iter 0 -o m0.json`;

  configure(program.command('stats'), 'emgpu stats')
    .description("compute the E-step's sufficient statistics of DATA under a model: one line of JSON (distributed EM)")
    .argument('<DATA>', DATA_ARGUMENT)
    .requiredOption('-m, --model <file>', "model JSON written by 'emgpu fit' or 'emgpu mstep': the current iteration's")
    .addOption(
      new Option(
        '--sample-weight <file>',
        'one non-negative weight per data row: one number per line or a one-column CSV',
      ),
    )
    .addOption(weightColumnOption())
    .addOption(outputOption('the statistics'))
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(backendOption())
    .addOption(verboseOption())
    .addHelpText('after', `${distributedHelp}\n${DATA_HELP}\n${EXIT_HELP}`)
    .action(async (data: string, opts: StatsOpts) => {
      ctx.verbose = opts.verbose === true;
      await statsCommand(statsIO(ctx, opts), data, opts);
    });

  configure(program.command('merge'), 'emgpu merge')
    .description("sum statistics files of parts of the data (written by 'emgpu stats' or 'emgpu merge') into one")
    .argument('<PARTS...>', 'statistics files (one of them may be - for stdin)')
    .addOption(outputOption('the merged statistics'))
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
Every part must have been computed with the same model file; a part of another
model (or another K, D or covariance type) is refused, naming the file.
${EXIT_HELP}`,
    )
    .action(async (paths: string[], opts: MergeOpts) => {
      ctx.verbose = opts.verbose === true;
      await mergeCommand(statsIO(ctx), paths, opts);
    });

  const mstep = configure(program.command('mstep'), 'emgpu mstep')
    .description(
      'compute the next model from merged statistics (one M-step); print its lower bound and whether it converged on stderr',
    )
    .argument('<STATS>', "statistics file written by 'emgpu merge' (or 'emgpu stats'), or - for stdin")
    .requiredOption('-m, --model <file>', 'the model JSON the statistics were computed with');
  for (const option of mstepOptions()) mstep.addOption(option);
  mstep
    .addOption(outputOption('the next model JSON'))
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
The next model is written as 'emgpu fit' writes models, with nIter, lowerBound,
lowerBounds and converged advanced by one iteration: converged is
|lower bound - previous| < tol, the previous being the model's lowerBound
(or --previous-lower-bound). stderr says, e.g.:
  emgpu: iteration 7: lower bound -3.18 (change 2.1e-4); converged (|change| < tol 0.001)
${distributedHelp}
${EXIT_HELP}`,
    )
    .action(async (stats: string, opts: MStepOpts) => {
      ctx.verbose = opts.verbose === true;
      await mstepCommand(statsIO(ctx), stats, opts);
    });

  configure(program.command('convert'), 'emgpu convert')
    .description(
      'convert a model to or from a fitted scikit-learn mixture (runs the shipped sklearn_model.py with Python)',
    )
    .addArgument(new Argument('<MODE>', 'what to do').choices(CONVERT_DIRECTIONS))
    .argument('<IN>', 'the model JSON (to-sklearn, check) or the pickle (from-sklearn)')
    .argument('<OUT>', 'the pickle (to-sklearn), the model JSON (from-sklearn) or a CSV file (check)')
    .option('--python <path>', 'the Python 3 with numpy and scikit-learn to run (default: python3)')
    .addHelpText('after', `${CONVERT_HELP}\n${EXIT_HELP}`)
    .action(async (direction: ConvertDirection, source: string, target: string, opts: ConvertOpts) => {
      const io = { stdout: ctx.stdout, stderr: ctx.stderr, signal: ctx.abort.signal };
      ctx.exitCode = await convertCommand(direction, source, target, opts, io);
    });

  configure(program.command('reservoir'), 'emgpu reservoir')
    .description(
      "a uniform sample of DATA's rows and their number, as one JSON line (to start distributed EM from a sample of every part)",
    )
    .argument('<DATA>', DATA_ARGUMENT)
    .requiredOption(
      '--size <M>',
      'rows in the sample (all of DATA, in order, when it has at most M)',
      integerAtLeast(1),
    )
    .requiredOption('--seed <S>', 'random seed, 0 to 4294967295', integerAtLeast(0, 0xffffffff))
    .addOption(
      new Option(
        '--sample-weight <file>',
        "one non-negative weight per data row: one number per line or a one-column CSV (the sample keeps its rows' weights)",
      ),
    )
    .addOption(weightColumnOption())
    .addOption(outputOption('the sample'))
    .addOption(formatOption())
    .addOption(columnsOption())
    .addOption(missingOption())
    .addOption(verboseOption())
    .addHelpText(
      'after',
      `
The sample is drawn as 'fit --stream' draws its own (algorithm R). The JSON line
holds format "emgpu-reservoir", nRows, nFeatures, header, rows (missing values as
null) and weights (null without --sample-weight).
${DATA_HELP}
${EXIT_HELP}`,
    )
    .action(async (data: string, opts: ReservoirOpts) => {
      ctx.verbose = opts.verbose === true;
      if (opts.output !== undefined) ctx.target = await checkOutputTarget(opts.output);
      const { table, weights } = await readTableAndWeights(ctx, data, opts);
      const sample = reservoirJSON(table, weights, opts.size, opts.seed);
      await withOutput(ctx, (out) => out.text(`${JSON.stringify(sample)}\n`));
    });

  configure(program.command('serve'), 'emgpu serve')
    .description(
      'run emgpu commands read from stdin, one JSON array of arguments per line, answering each with one JSON line (for schedulers: one Node start for many tasks)',
    )
    .addHelpText(
      'after',
      `
Each line of stdin is one command's arguments, e.g.
  ["stats", "--model", "m3.json", "--backend", "cpu", "part-07.csv"]
and its answer one line on stdout: {"exitCode": 0, "stdout": "...", "stderr": "..."}.
The commands run one at a time, in order, without stdin; serve ends with stdin.
A table read by one command is kept (--cache-mib) for the next that reads the
same unchanged file with the same --format, --columns and --missing.
${EXIT_HELP}`,
    )
    .addOption(
      new Option(
        '--cache-mib <N>',
        'keep the tables read by the commands, up to N MiB, for later commands that read the same unchanged file with the same options (default: 1024; 0: none)',
      )
        .argParser(integerAtLeast(0))
        .default(1024),
    )
    .action(async (opts: { cacheMib: number }) => {
      await serveCommand(
        ctx.stdin,
        ctx.stdout,
        (argv, streams) => main(argv, streams),
        ctx.abort.signal,
        opts.cacheMib * 2 ** 20,
      );
    });

  return program;
}

interface ReservoirOpts extends DataOptions {
  size: number;
  seed: number;
  sampleWeight?: string;
  weightColumn?: string;
  output?: string;
  verbose?: boolean;
}

/** What Ctrl-C left behind, in words. */
function interruptedLine(ctx: Context): string {
  if (ctx.target !== null) return `emgpu: interrupted; --output '${printable(ctx.target.path)}' was not written.`;
  if (ctx.sink?.started === true) return 'emgpu: interrupted; the output on stdout is incomplete.';
  return 'emgpu: interrupted; nothing was written.';
}

/** Runs the command line; returns the exit code (never calls process.exit). */
export async function main(argv: string[], streams: CliStreams = {}): Promise<number> {
  const clock = streams.clock ?? (() => performance.now());
  const ctx: Context = {
    stdout: streams.stdout ?? process.stdout,
    stderr: streams.stderr ?? process.stderr,
    stdin: streams.stdin ?? process.stdin,
    abort: new AbortController(),
    verbose: argv.includes('--verbose'),
    exitCode: EXIT.ok,
    target: null,
    sink: null,
    clock,
    started: clock(),
    tableCache: streams.tableCache ?? null,
  };
  // A reader that stops early (`emgpu fit --help | head -1`, data piped to head) closes the
  // pipe; the writes after that fail with EPIPE, which is no error of ours: quiet, exit 0.
  ignoreClosedPipe(ctx.stdout);
  ignoreClosedPipe(ctx.stderr);
  // Ctrl-C: every command stops at its next pause (reading, between iterations, between
  // blocks of rows), removes its temporary --output file and exits 130. A second Ctrl-C kills
  // the process as usual (the listener is removed after the first).
  const onSigint = (): void => ctx.abort.abort();
  // SIGTERM and SIGHUP (a kill, a closed terminal) stop the command as Ctrl-C does, temporary
  // --output file removed, and exit 128 + the signal's number, as a shell reports them.
  let signalExit: number = EXIT.interrupted;
  const onSigterm = (): void => {
    signalExit = 143;
    ctx.abort.abort();
  };
  const onSighup = (): void => {
    signalExit = 129;
    ctx.abort.abort();
  };
  const realProcess = streams.stdout === undefined;
  if (realProcess) {
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    process.once('SIGHUP', onSighup);
  }
  if (streams.signal?.aborted) onSigint();
  streams.signal?.addEventListener('abort', onSigint, { once: true });
  try {
    const program = buildProgram(ctx);
    const asked = argv[0] === 'help' ? argv[1] : undefined;
    if (asked !== undefined && asked !== 'help' && !program.commands.some((c) => c.name() === asked)) {
      const names = program.commands.map((c) => c.name()).filter((name) => name !== 'help');
      throw new CliError(`help: there is no command '${printable(asked)}'; the commands are ${names.join(', ')}.`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the help, the version or the one-line error.
      // 'commander.help': `emgpu help` and `emgpu help CMD`, which print what --help prints.
      const shown = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
      return shown.includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    const reported = describeError(error);
    let text = `${isAbortError(error) ? interruptedLine(ctx) : reported.line}\n`;
    if (reported.stack !== null && ctx.verbose) text += `${reported.stack}\n`;
    ctx.stderr.write(text);
    return isAbortError(error) ? signalExit : reported.exitCode;
  } finally {
    if (realProcess) {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
      process.removeListener('SIGHUP', onSighup);
    }
    streams.signal?.removeEventListener('abort', onSigint);
    await releaseBackends();
  }
}
