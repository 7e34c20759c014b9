// `emgpu select DATA`: the registration of src/cli/select.ts, which fits the grid and renders it.

import { Command, Option } from 'commander';
import { INIT_METHODS } from '../../options.ts';
import { checkOutput, printToStdout, writeText, type Context } from '../context.ts';
import {
  addOptions,
  dataOptions,
  emOptions,
  engineOptions,
  outputOption,
  verboseOption,
  weightOptions,
} from '../option-sets.ts';
import { DATA_ARGUMENT, DATA_HELP, EXIT_HELP, subcommand } from '../program.ts';
import { selectCommand, selectOptions, type SelectOpts } from '../select.ts';
import { readTable, readWeights } from '../table-input.ts';

async function runSelect(ctx: Context, data: string, opts: SelectOpts): Promise<void> {
  await checkOutput(ctx, opts.output);
  const showProgress = ctx.verbose || ctx.stderr.isTTY === true;
  await selectCommand(
    {
      signal: ctx.abort.signal,
      readTable: (path) => readTable(ctx, path, opts),
      readWeights: (path, table) => readWeights(ctx, path, table),
      writeJson: (text) => writeText(ctx, text),
      print: (write) => printToStdout(ctx, write),
      progress: (line) => {
        if (showProgress) ctx.stderr.write(`emgpu: ${line}\n`);
      },
    },
    data,
    opts,
  );
}

export function registerSelect(program: Command, ctx: Context): void {
  const select = subcommand(ctx, program, 'select')
    .description('fit every K x covariance type of a grid to DATA and print BIC, AIC and ICL, the best marked')
    .argument('<DATA>', DATA_ARGUMENT);
  addOptions(select, [
    ...selectOptions(),
    new Option('--init <method>', `initialisation of every fit: ${INIT_METHODS.join(', ')} (default: kmeans)`),
    ...emOptions({
      maxIter: '1000 for select',
      tol: "1e-5 for select; with the hc and emEM strategies it is relative, mclust's |ΔL| / (1 + |L|) on the total log-likelihood",
      nInit: 'initialisations per cell; the best is kept (default: 1)',
      seed: 'random seed, 0 to 4294967295, for a reproducible grid (default: random)',
    }),
    ...dataOptions({ missing: false }),
    ...engineOptions(),
    ...weightOptions({ column: false }),
    outputOption('', 'also write the table and the best model as JSON to this file (atomically)'),
    verboseOption(),
  ])
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
    .action(async (data: string, opts: SelectOpts) => runSelect(ctx, data, opts));
}
