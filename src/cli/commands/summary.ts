// `emgpu summary --model M DATA`: the registration of src/cli/summary.ts (mclust's summary()).

import { Command, Option } from 'commander';
import { writeText, type Context } from '../context.ts';
import { modelAndData } from '../model-file.ts';
import { weightOptions } from '../option-sets.ts';
import { DATA_HELP, EXIT_HELP, modelOnData } from '../program.ts';
import { summaryCommand, type SummaryOpts } from '../summary.ts';
import { readWeights } from '../table-input.ts';

export function registerSummary(program: Command, ctx: Context): void {
  modelOnData(ctx, program, {
    name: 'summary',
    description:
      "print mclust's summary of a model on DATA: model name, log-likelihood, n, df, BIC, ICL, mixing proportions and cluster sizes",
    what: 'the summary',
    own: [
      new Option('--json', 'print the summary as JSON (BIC and ICL in both signs, weights, clusterSizes)'),
      ...weightOptions({ column: false }),
    ],
  })
    .addHelpText(
      'after',
      `
BIC and ICL are in emgpu's sign (−2·loglik + df·log n, smaller is better);
mclust's are their negatives, printed beside them. ICL is mclust's: BIC
− 2·Σ log(largest component probability of each row).
${DATA_HELP}
${EXIT_HELP}`,
    )
    .action(async (data: string, opts: SummaryOpts) =>
      summaryCommand(
        {
          signal: ctx.abort.signal,
          modelAndData: (path) => modelAndData(ctx, path, opts),
          readWeights: (path, table) => readWeights(ctx, path, table),
          write: (text) => writeText(ctx, text),
        },
        data,
        opts,
      ),
    );
}
