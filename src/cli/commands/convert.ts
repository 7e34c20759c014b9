// `emgpu convert MODE IN OUT`: the registration of src/cli/convert.ts (to and from scikit-learn).

import { Argument, Command } from 'commander';
import {
  CONVERT_DIRECTIONS,
  CONVERT_HELP,
  convertCommand,
  type ConvertDirection,
  type ConvertOpts,
} from '../convert.ts';
import type { Context } from '../context.ts';
import { EXIT_HELP, subcommand } from '../program.ts';

export function registerConvert(program: Command, ctx: Context): void {
  subcommand(ctx, program, 'convert')
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
      // The script's exit code is the command's.
      ctx.exitCode = await convertCommand(direction, source, target, opts, io);
    });
}
