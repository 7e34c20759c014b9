// What every command's registration shares: a commander command configured to write to the
// context's streams and to report its errors as one `emgpu:` line, and the help texts about
// DATA and the exit codes.

import { Command } from 'commander';
import type { Context } from './context.ts';
import { EXIT, oneLine, printable } from './errors.ts';
import { addOptions, dataOptions, engineOptions, modelOption, outputOption, verboseOption } from './option-sets.ts';
import type { Option } from 'commander';

export const DATA_ARGUMENT = 'CSV, TSV, JSON, Parquet or Arrow file, or - for stdin';

export const DATA_HELP = `
DATA is a CSV file (comma, tab or semicolon separated; a first row with any
non-numeric cell is a header and is skipped), a TSV file (.tsv), a .json file
holding an array of rows such as [[1.5, 2], [3, 4.5]], a Parquet file
(.parquet) or an Arrow IPC / Feather v2 file (.arrow, .feather, .ipc), or - for
stdin (CSV unless --format says otherwise). --format csv|tsv|json|parquet|arrow
overrides the extension. --columns a,b,c uses those columns, in that order, by
name or 0-based index. Every value must be a finite number: integers (int64
within ±2^53), floats, booleans (0/1), and dates and timestamps (read as
milliseconds since the Unix epoch); string and dictionary columns are refused.`;

export const EXIT_HELP = `
Exit codes: ${EXIT.ok} success, ${EXIT.fitFailed} the fit failed (e.g. an ill-defined covariance) or the
engine is unavailable, ${EXIT.usage} usage or input error, ${EXIT.internal} internal error,
${EXIT.interrupted} interrupted (Ctrl-C), ${EXIT.hangup} stopped by SIGHUP, ${EXIT.terminated} stopped by SIGTERM.`;

/**
 * `cmd` (a command, or the program itself) writing to ctx's streams, its usage errors one
 * `emgpu:` line that points to `helpName --help`, and throwing instead of exiting.
 */
export function defineCommand(ctx: Context, cmd: Command, helpName: string): Command {
  return cmd
    .configureOutput({
      writeOut: (text) => void ctx.stdout.write(text),
      writeErr: (text) => void ctx.stderr.write(text),
      outputError: (text, write) =>
        write(`emgpu: ${printable(oneLine(text.replace(/^error: /, '')))} (see '${helpName} --help')\n`),
    })
    .exitOverride();
}

/** `emgpu NAME`, configured: the starting point of every command's registration. */
export function subcommand(ctx: Context, program: Command, name: string): Command {
  return defineCommand(ctx, program.command(name), `emgpu ${name}`);
}

/**
 * What predict, score and summary take: DATA, --model, the command's `own` options, --output
 * WHAT, how DATA is read, the engine and --verbose.
 */
export function modelOnData(
  ctx: Context,
  program: Command,
  command: { name: string; description: string; what: string; own: readonly Option[] },
): Command {
  const cmd = subcommand(ctx, program, command.name).description(command.description).argument('<DATA>', DATA_ARGUMENT);
  return addOptions(cmd, [
    modelOption(),
    ...command.own,
    outputOption(command.what),
    ...dataOptions(),
    ...engineOptions(),
    verboseOption(),
  ]);
}

/** How a command file adds its command to the program. */
export type RegisterCommand = (program: Command, ctx: Context) => void;
