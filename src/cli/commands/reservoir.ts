// `emgpu reservoir DATA --size M --seed S`: a uniform sample of DATA's rows as one JSON line
// (src/cli/reservoir.ts draws it).

import { Command, Option } from 'commander';
import { checkOutput, writeText, type Context } from '../context.ts';
import type { DataOptions } from '../data.ts';
import { addOptions, dataOptions, integerAtLeast, outputOption, verboseOption, weightOptions } from '../option-sets.ts';
import { DATA_ARGUMENT, DATA_HELP, EXIT_HELP, subcommand } from '../program.ts';
import { reservoirJSON } from '../reservoir.ts';
import { readTableAndWeights } from '../table-input.ts';

interface ReservoirOpts extends DataOptions {
  size: number;
  seed: number;
  sampleWeight?: string;
  weightColumn?: string;
  output?: string;
  verbose?: boolean;
}

async function reservoirCommand(ctx: Context, data: string, opts: ReservoirOpts): Promise<void> {
  await checkOutput(ctx, opts.output);
  const { table, weights } = await readTableAndWeights(ctx, data, opts);
  const sample = reservoirJSON(table, weights, opts.size, opts.seed);
  await writeText(ctx, `${JSON.stringify(sample)}\n`);
}

export function registerReservoir(program: Command, ctx: Context): void {
  const reservoir = subcommand(ctx, program, 'reservoir')
    .description(
      "a uniform sample of DATA's rows and their number, as one JSON line (to start distributed EM from a sample of every part)",
    )
    .argument('<DATA>', DATA_ARGUMENT);
  addOptions(reservoir, [
    new Option('--size <M>', 'rows in the sample (all of DATA, in order, when it has at most M)')
      .argParser(integerAtLeast(1))
      .makeOptionMandatory(),
    new Option('--seed <S>', 'random seed, 0 to 4294967295')
      .argParser(integerAtLeast(0, 0xffffffff))
      .makeOptionMandatory(),
    ...weightOptions({
      column: true,
      help: "one non-negative weight per data row: one number per line or a one-column CSV (the sample keeps its rows' weights)",
    }),
    outputOption('the sample'),
    ...dataOptions(),
    verboseOption(),
  ])
    .addHelpText(
      'after',
      `
The sample is drawn as 'fit --stream' draws its own (algorithm R). The JSON line
holds format "emgpu-reservoir", nRows, nFeatures, header, rows (missing values as
null) and weights (null without --sample-weight).
${DATA_HELP}
${EXIT_HELP}`,
    )
    .action(async (data: string, opts: ReservoirOpts) => reservoirCommand(ctx, data, opts));
}
