// The `emgpu` command line: fit, predict, score and sample Gaussian mixtures from CSV/JSON files.
// main() never exits the process: it returns the exit code, so tests can call it in-process
// with their own streams. This file wires the commands (src/cli/commands/, one file each) into
// one program, checks the flag rules (src/cli/flag-rules.ts) before any command runs, and maps
// signals and errors to exit codes.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { releaseBackends } from '../select-backend.ts';
import { isAbortError } from './abort.ts';
import { registerConvert } from './commands/convert.ts';
import { registerFit } from './commands/fit.ts';
import { registerPredict } from './commands/predict.ts';
import { registerReservoir } from './commands/reservoir.ts';
import { registerSample } from './commands/sample.ts';
import { registerScore } from './commands/score.ts';
import { registerSelect } from './commands/select.ts';
import { registerServe } from './commands/serve.ts';
import { registerMerge, registerMstep, registerStats } from './commands/stats.ts';
import { registerSummary } from './commands/summary.ts';
import { interruptedLine, type CliStreams, type Context } from './context.ts';
import { CliError, describeError, EXIT, printable } from './errors.ts';
import { checkFlagRules } from './flag-rules.ts';
import { ignoreClosedPipe } from './output.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { DATA_HELP, defineCommand, EXIT_HELP, type RegisterCommand } from './program.ts';

export type { CliStreams } from './context.ts';

/** The commands, in the order `emgpu --help` lists them. */
const COMMANDS: readonly RegisterCommand[] = [
  registerFit,
  registerSelect,
  registerPredict,
  registerSummary,
  registerScore,
  registerSample,
  registerStats,
  registerMerge,
  registerMstep,
  registerConvert,
  registerReservoir,
  registerServe,
];

function packageVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version?: string };
    return json.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The program with every command; before a command's action, its --verbose and the flag rules. */
export function buildProgram(ctx: Context): Command {
  const program = defineCommand(ctx, new Command('emgpu'), 'emgpu')
    .description('Fit Gaussian mixture models by EM (scikit-learn GaussianMixture semantics) on WebGPU or the CPU.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      `
Examples:
  emgpu fit --demo
  emgpu fit data/iris.csv --components 3 --seed 0 --output model.json
  emgpu predict --model model.json data/iris.csv
  emgpu score --model model.json data/iris.csv --mean
  emgpu sample --model model.json -n 5 --seed 1 --labels
  emgpu select data/iris.csv -k 1-6 --seed 0 -o best.json
  emgpu stats --model m0.json part1.csv -o s1.json     (distributed EM:
  emgpu merge s1.json s2.json -o all.json               stats on every part,
  emgpu mstep --model m0.json all.json -o m1.json       merge, mstep, repeat)
${DATA_HELP}
${EXIT_HELP}`,
    );
  for (const register of COMMANDS) register(program, ctx);
  program.hook('preAction', (_program, command) => {
    if (command.options.some((option) => option.long === '--verbose')) ctx.verbose = command.opts().verbose === true;
    checkFlagRules(command);
  });
  return program;
}

/** Runs the command line; returns the exit code (never calls process.exit). */
export async function main(argv: string[], streams: CliStreams = {}): Promise<number> {
  const clock = streams.clock ?? (() => performance.now());
  const ctx: Context = {
    stdout: streams.stdout ?? process.stdout,
    stderr: streams.stderr ?? process.stderr,
    stdin: streams.stdin ?? process.stdin,
    abort: new AbortController(),
    verbose: argv.includes('--verbose'),
    exitCode: EXIT.ok,
    target: null,
    sink: null,
    clock,
    started: clock(),
    tableCache: streams.tableCache ?? null,
    run: main,
  };
  // A reader that stops early (`emgpu fit --help | head -1`, data piped to head) closes the
  // pipe; the writes after that fail with EPIPE, which is no error of ours: quiet, exit 0.
  ignoreClosedPipe(ctx.stdout);
  ignoreClosedPipe(ctx.stderr);
  // Ctrl-C: every command stops at its next pause (reading, between iterations, between
  // blocks of rows), removes its temporary --output file and exits 130. A second Ctrl-C kills
  // the process as usual (the listener is removed after the first).
  const onSigint = (): void => ctx.abort.abort();
  // SIGTERM and SIGHUP (a kill, a closed terminal) stop the command as Ctrl-C does, temporary
  // --output file removed, and exit 128 + the signal's number, as a shell reports them.
  let signalExit: number = EXIT.interrupted;
  const onSigterm = (): void => {
    signalExit = EXIT.terminated;
    ctx.abort.abort();
  };
  const onSighup = (): void => {
    signalExit = EXIT.hangup;
    ctx.abort.abort();
  };
  const realProcess = streams.stdout === undefined;
  if (realProcess) {
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    process.once('SIGHUP', onSighup);
  }
  if (streams.signal?.aborted) onSigint();
  streams.signal?.addEventListener('abort', onSigint, { once: true });
  try {
    const program = buildProgram(ctx);
    const asked = argv[0] === 'help' ? argv[1] : undefined;
    if (asked !== undefined && asked !== 'help' && !program.commands.some((c) => c.name() === asked)) {
      const names = program.commands.map((c) => c.name()).filter((name) => name !== 'help');
      throw new CliError(`help: there is no command '${printable(asked)}'; the commands are ${names.join(', ')}.`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the help, the version or the one-line error.
      // 'commander.help': `emgpu help` and `emgpu help CMD`, which print what --help prints.
      const shown = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
      return shown.includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    const reported = describeError(error);
    let text = `${isAbortError(error) ? interruptedLine(ctx) : reported.line}\n`;
    if (reported.stack !== null && ctx.verbose) text += `${reported.stack}\n`;
    ctx.stderr.write(text);
    return isAbortError(error) ? signalExit : reported.exitCode;
  } finally {
    if (realProcess) {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
      process.removeListener('SIGHUP', onSighup);
    }
    streams.signal?.removeEventListener('abort', onSigint);
    await releaseBackends();
  }
}
