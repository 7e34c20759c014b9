// `emgpu predict --model M DATA`: the most likely component of each row of DATA (--proba: the
// probability of each; --uncertainty: 1 − the largest), one line per row.

import { Command, Option } from 'commander';
import { uncertaintyOf } from '../../summary.ts';
import { abortable } from '../abort.ts';
import { say, withOutput, type Context } from '../context.ts';
import { modelAndData, type ModelOpts } from '../model-file.ts';
import { csvRow } from '../output.ts';
import { DATA_HELP, EXIT_HELP, modelOnData } from '../program.ts';
import { rowBlocks } from '../table-input.ts';

interface PredictOpts extends ModelOpts {
  proba?: boolean;
  uncertainty?: boolean;
}

async function predictCommand(ctx: Context, dataPath: string, opts: PredictOpts): Promise<void> {
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

export function registerPredict(program: Command, ctx: Context): void {
  modelOnData(ctx, program, {
    name: 'predict',
    description: 'print the most likely component (0-based) of each row of DATA, one per line',
    what: 'the result',
    own: [
      new Option(
        '--proba',
        'print the probability of each component instead: CSV, one row per data row, K columns, no header',
      ),
      new Option(
        '--uncertainty',
        "print each row's classification uncertainty instead: 1 − its largest component probability (mclust's uncertainty)",
      ),
    ],
  })
    .addHelpText('after', `${DATA_HELP}\n${EXIT_HELP}`)
    .action(async (data: string, opts: PredictOpts) => predictCommand(ctx, data, opts));
}
