// `emgpu sample --model M -n N`: N samples drawn from the model, as CSV, written as they are drawn.

import { Command, Option } from 'commander';
import { sampleBlocks, type SampleParams } from '../../model/sample.ts';
import { freshSeed, Random } from '../../random.ts';
import { pause } from '../abort.ts';
import { checkOutput, say, withOutput, type Context } from '../context.ts';
import { loadModel } from '../model-file.ts';
import {
  addOptions,
  integerAtLeast,
  MAX_SAMPLES,
  modelOption,
  outputOption,
  sampleCount,
  verboseOption,
} from '../option-sets.ts';
import { CHUNK_CHARS, csvRow } from '../output.ts';
import { EXIT_HELP, subcommand } from '../program.ts';

interface SampleOpts {
  model: string;
  nSamples: number;
  seed?: number;
  labels?: boolean;
  output?: string;
  verbose?: boolean;
}

async function sampleCommand(ctx: Context, opts: SampleOpts): Promise<void> {
  await checkOutput(ctx, opts.output);
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

export function registerSample(program: Command, ctx: Context): void {
  const sample = subcommand(ctx, program, 'sample').description(
    'draw N samples from a fitted model and print them as CSV (no header)',
  );
  addOptions(sample, [
    modelOption(),
    new Option('-n, --n-samples <N>', `number of samples, 1 to ${MAX_SAMPLES}`)
      .argParser(sampleCount)
      .makeOptionMandatory(),
    new Option(
      '--seed <S>',
      'random seed, 0 to 4294967295 (default: the seed the model was fitted with, else random)',
    ).argParser(integerAtLeast(0, 0xffffffff)),
    new Option('--labels', 'add a last column with the component (0-based) each sample was drawn from'),
    outputOption('the samples'),
    verboseOption(),
  ])
    .addHelpText(
      'after',
      `
Output: one row per sample, the D features as CSV, grouped by component as
scikit-learn's GaussianMixture.sample returns them; --labels appends the
component column. Samples are written as they are drawn, in flat memory; the
component of every sample is drawn first (a few seconds per 100 million), so
a large N takes a while to start. Example:
  emgpu sample --model model.json -n 1000 --seed 7 --labels > samples.csv
${EXIT_HELP}`,
    )
    .action(async (opts: SampleOpts) => sampleCommand(ctx, opts));
}
