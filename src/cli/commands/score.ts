// `emgpu score --model M DATA`: the log-likelihood of each row of DATA, one per line (--mean:
// their mean, scikit-learn's score).

import { Command, Option } from 'commander';
import { abortable, pause } from '../abort.ts';
import { say, withOutput, writeText, type Context } from '../context.ts';
import { modelAndData, type ModelOpts } from '../model-file.ts';
import { DATA_HELP, EXIT_HELP, modelOnData } from '../program.ts';
import { rowBlocks } from '../table-input.ts';

interface ScoreOpts extends ModelOpts {
  mean?: boolean;
}

async function scoreCommand(ctx: Context, dataPath: string, opts: ScoreOpts): Promise<void> {
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
    await writeText(ctx, `${sum / table.rows}\n`);
    return;
  }
  await withOutput(ctx, async (out) => {
    for (const block of rowBlocks(table, gm.nComponents)) {
      const logLik = await abortable(gm.scoreSamples(block), signal);
      if (!(await out.lines(block.rows, 22, (i) => String(logLik[i])))) return;
    }
  });
}

export function registerScore(program: Command, ctx: Context): void {
  modelOnData(ctx, program, {
    name: 'score',
    description: 'print the log-likelihood log p(x) of each row of DATA, one per line',
    what: 'the result',
    own: [new Option('--mean', 'print only the mean log-likelihood (scikit-learn score)')],
  })
    .addHelpText('after', `${DATA_HELP}\n${EXIT_HELP}`)
    .action(async (data: string, opts: ScoreOpts) => scoreCommand(ctx, data, opts));
}
