// `emgpu serve`: the registration of src/cli/serve.ts, which runs command lines read from stdin
// through main() (ctx.run) in this process.

import { Command, Option } from 'commander';
import type { Context } from '../context.ts';
import { integerAtLeast } from '../option-sets.ts';
import { EXIT_HELP, subcommand } from '../program.ts';
import { serveCommand } from '../serve.ts';

export function registerServe(program: Command, ctx: Context): void {
  subcommand(ctx, program, 'serve')
    .description(
      'run emgpu commands read from stdin, one JSON array of arguments per line, answering each with one JSON line (for schedulers: one Node start for many tasks)',
    )
    .addHelpText(
      'after',
      `
Each line of stdin is one command's arguments, e.g.
  ["stats", "--model", "m3.json", "--backend", "cpu", "part-07.csv"]
and its answer one line on stdout: {"exitCode": 0, "stdout": "...", "stderr": "..."}.
The commands run one at a time, in order, without stdin; serve ends with stdin.
A table read by one command is kept (--cache-mib) for the next that reads the
same unchanged file with the same --format, --columns and --missing.
${EXIT_HELP}`,
    )
    .addOption(
      new Option(
        '--cache-mib <N>',
        'keep the tables read by the commands, up to N MiB, for later commands that read the same unchanged file with the same options (default: 1024; 0: none)',
      )
        .argParser(integerAtLeast(0))
        .default(1024),
    )
    .action(async (opts: { cacheMib: number }) =>
      serveCommand(ctx.stdin, ctx.stdout, ctx.run, ctx.abort.signal, opts.cacheMib * 2 ** 20),
    );
}
