// `emgpu stats`, `emgpu merge` and `emgpu mstep`: distributed EM one step at a time. One file
// for the three: they share their plumbing (statsIO), the help on distributed EM and their
// bodies' module, src/cli/stats.ts.

import { Command } from 'commander';
import { checkOutput, say, writeText, type Context } from '../context.ts';
import { readSource, type DataOptions } from '../data.ts';
import { printable } from '../errors.ts';
import { loadModel } from '../model-file.ts';
import {
  addOptions,
  dataOptions,
  engineOptions,
  modelOption,
  outputOption,
  verboseOption,
  weightOptions,
} from '../option-sets.ts';
import { DATA_ARGUMENT, DATA_HELP, EXIT_HELP, subcommand } from '../program.ts';
import {
  mergeCommand,
  mstepCommand,
  mstepOptions,
  statsCommand,
  type MergeOpts,
  type MStepOpts,
  type StatsIO,
  type StatsOpts,
} from '../stats.ts';
import { readTableAndWeights } from '../table-input.ts';

/** The plumbing stats, merge and mstep use. */
function statsIO(ctx: Context, data: DataOptions = {}): StatsIO {
  return {
    signal: ctx.abort.signal,
    checkOutput: (path) => checkOutput(ctx, path),
    loadModel: (path, backend, tol) => loadModel(path, ctx, backend, tol, data.missing),
    readTableAndWeights: (path, weights) => readTableAndWeights(ctx, path, { ...data, ...weights }),
    readText: (path, what) => {
      say(ctx, path === '-' ? `reading the ${what} from stdin` : `reading ${what} ${printable(path)}`);
      return readSource(path, what, ctx.stdin, ctx.abort.signal);
    },
    write: (text) => writeText(ctx, text),
    tell: (line) => void ctx.stderr.write(`${line}\n`),
    say: (line) => say(ctx, line),
  };
}

const DISTRIBUTED_HELP = `
Distributed EM, one iteration: 'emgpu stats' on every part of the data with the
same model file, 'emgpu merge' of the parts, 'emgpu mstep' for the next model;
repeat until mstep says converged (the model JSON has "converged": true). The
result equals 'emgpu fit' on the whole table from the same start, to rounding. Start from a
model fitted on a sample, or from the initialisation alone:
  emgpu fit sample.csv -k 5 --seed 0 --max-iter 0 -o m0.json`;

export function registerStats(program: Command, ctx: Context): void {
  const stats = subcommand(ctx, program, 'stats')
    .description("compute the E-step's sufficient statistics of DATA under a model: one line of JSON (distributed EM)")
    .argument('<DATA>', DATA_ARGUMENT);
  addOptions(stats, [
    modelOption("model JSON written by 'emgpu fit' or 'emgpu mstep': the current iteration's"),
    ...weightOptions({ column: true }),
    outputOption('the statistics'),
    ...dataOptions(),
    ...engineOptions(),
    verboseOption(),
  ])
    .addHelpText('after', `${DISTRIBUTED_HELP}\n${DATA_HELP}\n${EXIT_HELP}`)
    .action(async (data: string, opts: StatsOpts) => statsCommand(statsIO(ctx, opts), data, opts));
}

export function registerMerge(program: Command, ctx: Context): void {
  const merge = subcommand(ctx, program, 'merge')
    .description("sum statistics files of parts of the data (written by 'emgpu stats' or 'emgpu merge') into one")
    .argument('<PARTS...>', 'statistics files (one of them may be - for stdin)');
  addOptions(merge, [outputOption('the merged statistics'), verboseOption()])
    .addHelpText(
      'after',
      `
Every part must have been computed with the same model file; a part of another
model (or another K, D or covariance type) is refused, naming the file.
${EXIT_HELP}`,
    )
    .action(async (paths: string[], opts: MergeOpts) => mergeCommand(statsIO(ctx), paths, opts));
}

export function registerMstep(program: Command, ctx: Context): void {
  const mstep = subcommand(ctx, program, 'mstep')
    .description(
      'compute the next model from merged statistics (one M-step); print its lower bound and whether it converged on stderr',
    )
    .argument('<STATS>', "statistics file written by 'emgpu merge' (or 'emgpu stats'), or - for stdin");
  addOptions(mstep, [
    modelOption('the model JSON the statistics were computed with'),
    ...mstepOptions(),
    outputOption('the next model JSON'),
    verboseOption(),
  ])
    .addHelpText(
      'after',
      `
The next model is written as 'emgpu fit' writes models, with nIter, lowerBound,
lowerBounds and converged advanced by one iteration: converged is
|lower bound - previous| < tol, the previous being the model's lowerBound
(or --previous-lower-bound). stderr says, e.g.:
  emgpu: iteration 7: lower bound -3.18 (change 2.1e-4); converged (|change| < tol 0.001)
${DISTRIBUTED_HELP}
${EXIT_HELP}`,
    )
    .action(async (stats: string, opts: MStepOpts) => mstepCommand(statsIO(ctx), stats, opts));
}
