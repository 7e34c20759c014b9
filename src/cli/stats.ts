// `emgpu stats`, `emgpu merge` and `emgpu mstep`: EM over data split into files, one step at a
// time, for running under another scheduler (a shell loop, GNU parallel, Spark's RDD.pipe):
//   stats  --model m.json PART.csv  -> the statistics of one part under the model (JSON, one line)
//   merge  part1.json part2.json …  -> their sum
//   mstep  --model m.json all.json  -> the next model (the JSON fit writes), its lower bound on stderr

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import { EmgpuInputError, type BackendChoice } from '../options.ts';
import { readStatistics, StatisticsSum, type MixtureStatistics } from '../statistics-api.ts';
import { abortable, throwIfAborted } from './abort.ts';
import type { Mixture } from './bayesian.ts';
import type { DataOptions, Table, TextSource } from './data.ts';
import { CliError, printable } from './errors.ts';
import { nonNegativeNumber, NUMBER } from './option-sets.ts';

/** What the commands need from the CLI's plumbing (src/cli/commands/stats.ts). */
export interface StatsIO {
  readonly signal: AbortSignal;
  /** Checks --output before any work (nothing is written on an error). */
  checkOutput(path: string | undefined): Promise<void>;
  loadModel(path: string, backend: BackendChoice | undefined, tol?: number): Promise<Mixture>;
  /** DATA and its weights (--sample-weight FILE or --weight-column NAME; null without either). */
  readTableAndWeights(
    path: string,
    weights: { sampleWeight?: string; weightColumn?: string },
  ): Promise<{ table: Table; weights: Float64Array | null }>;
  readText(path: string, what: string): Promise<TextSource>;
  /** Writes to --output (atomically) or stdout. */
  write(text: string): Promise<void>;
  /** A line on stderr, always. */
  tell(line: string): void;
  /** A line on stderr with --verbose. */
  say(line: string): void;
}

export interface StatsOpts extends DataOptions {
  model: string;
  sampleWeight?: string;
  weightColumn?: string;
  backend?: BackendChoice;
  output?: string;
  verbose?: boolean;
}

export interface MergeOpts {
  output?: string;
  verbose?: boolean;
}

export interface MStepOpts {
  model: string;
  previousLowerBound?: number;
  tol?: number;
  output?: string;
  verbose?: boolean;
}

function finiteNumber(value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value.trim()) || !Number.isFinite(n))
    throw new InvalidArgumentError('It must be a finite number, e.g. -4.25 (write --previous-lower-bound=-4.25).');
  return n;
}

export function mstepOptions(): Option[] {
  return [
    new Option(
      '--previous-lower-bound <X>',
      "the lower bound to compare with for convergence (default: the model's own lowerBound, as a warm-started fit does)",
    ).argParser(finiteNumber),
    new Option(
      '--tol <T>',
      "convergence threshold on the change of the lower bound (default: the model's tol)",
    ).argParser(nonNegativeNumber),
  ];
}

/** Device and inode: the same file under two names is the same part. */
async function fileIdentity(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  return info === null ? null : `${info.dev}:${info.ino}`;
}

function parseJson(source: TextSource, what: string, hint: string): unknown {
  try {
    return JSON.parse(source.text);
  } catch (error) {
    throw new CliError(
      `${what} ${source.label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${hint}`,
    );
  }
}

const STATS_HINT = "pass statistics written by 'emgpu stats' or 'emgpu merge'.";

/** `emgpu stats --model m.json DATA`: the statistics of DATA's rows under the model, as one JSON line. */
export async function statsCommand(io: StatsIO, dataPath: string, opts: StatsOpts): Promise<void> {
  // DATA, --model and --sample-weight from stdin at once are refused before this runs (src/cli/flag-rules.ts).
  await io.checkOutput(opts.output);
  const gm = await io.loadModel(opts.model, opts.backend);
  const { table, weights: sampleWeight } = await io.readTableAndWeights(dataPath, opts);
  if (table.cols !== gm.nFeatures) {
    throw new CliError(
      `${table.label} has ${table.cols} column${table.cols === 1 ? '' : 's'} but the model has ${gm.nFeatures} features; pass data with ${gm.nFeatures} columns.`,
    );
  }
  const stats = await abortable(
    gm.statistics({ data: table.data, rows: table.rows, cols: table.cols }, { sampleWeight }),
    io.signal,
  );
  io.say(
    `statistics of ${table.rows} rows of ${table.label} on ${stats.backend}: ${stats.totalWeight > 0 ? `mean log-likelihood ${stats.sumLogLik / stats.totalWeight}` : 'no row with an observed value and a positive weight (total weight 0)'}`,
  );
  // One line: a part is one record for whatever collects them (a file, RDD.pipe's output).
  await io.write(`${JSON.stringify(stats)}\n`);
}

/** `emgpu merge PART…`: the sum of statistics files, read one at a time. */
export async function mergeCommand(io: StatsIO, paths: string[], opts: MergeOpts): Promise<void> {
  if (paths.filter((p) => p === '-').length > 1)
    throw new CliError('only one statistics file can be read from stdin (-).');
  await io.checkOutput(opts.output);
  const sum = new StatisticsSum();
  /** Each part's text (a digest) and the file that held it: a part given twice would be counted twice. */
  const seen = new Map<string, { readonly name: string; readonly file: string | null }>();
  for (const path of paths) {
    throwIfAborted(io.signal);
    const source = await io.readText(path, 'statistics file');
    const name = `statistics file ${source.label}`;
    const digest = createHash('sha256').update(source.text).digest('hex');
    const file = path === '-' ? null : await fileIdentity(path);
    const before = seen.get(digest);
    if (before !== undefined) {
      if (file !== null && file === before.file)
        throw new CliError(
          `${name} is given twice (it is ${before.name}); merging it twice would count its rows twice, so pass each part once.`,
        );
      io.tell(
        `emgpu: warning: ${name} is byte for byte the same as ${before.name}; its rows are counted twice (if that is not meant, drop one of them).`,
      );
    } else {
      seen.set(digest, { name, file });
    }
    const json = parseJson(source, 'statistics file', STATS_HINT);
    try {
      sum.add(json, name);
    } catch (error) {
      if (error instanceof EmgpuInputError) throw new CliError(error.message);
      throw error;
    }
  }
  const merged = sum.result();
  io.say(
    `merged ${paths.length} part${paths.length === 1 ? '' : 's'}: ${merged.nRows} rows, total weight ${merged.totalWeight}`,
  );
  await io.write(`${JSON.stringify(merged)}\n`);
}

/** `emgpu mstep --model m.json STATS`: the next model from merged statistics, and its lower bound. */
export async function mstepCommand(io: StatsIO, statsPath: string, opts: MStepOpts): Promise<void> {
  await io.checkOutput(opts.output);
  const gm = await io.loadModel(opts.model, 'cpu', opts.tol);
  const source = await io.readText(statsPath, 'statistics file');
  const name = `statistics file ${source.label}`;
  const json = parseJson(source, 'statistics file', STATS_HINT) as MixtureStatistics;
  let result;
  try {
    readStatistics(json, name); // format and shape errors name the file
    if (json.totalWeight === 0)
      throw new CliError(
        `${name} has totalWeight 0: its rows all have weight 0 or no observed value, so there is nothing to take a step from; merge it with the statistics of the other parts first.`,
      );
    result = gm.mStep(
      json,
      opts.previousLowerBound === undefined ? {} : { previousLowerBound: opts.previousLowerBound },
    );
  } catch (error) {
    if (!(error instanceof EmgpuInputError)) throw error;
    if (error.message.startsWith(name)) throw new CliError(error.message);
    // "The statistics have nComponents 2 but this model has 3; …"
    throw new CliError(
      `${name} does not fit model file ${printable(opts.model === '-' ? 'stdin' : opts.model)}: ${error.message.replace(/^The statistics /, 'the statistics ')}`,
    );
  }
  const change = Number.isFinite(result.change) ? `change ${result.change.toPrecision(6)}` : 'no previous lower bound';
  const tol = gm.options.tol;
  io.tell(
    `emgpu: iteration ${result.nIter}: lower bound ${result.lowerBound} (${change}); ${result.converged ? `converged (|change| < tol ${tol})` : `not converged (tol ${tol})`}`,
  );
  for (const warning of gm.warnings) io.tell(`emgpu: warning: ${warning}`);
  await io.write(`${JSON.stringify(gm.toJSON(), null, 2)}\n`);
}
