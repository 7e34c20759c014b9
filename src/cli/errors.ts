// Errors of the `emgpu` command and how each maps to one line on stderr and an exit code.

import { CommanderError } from 'commander';
import { printable } from '../io/printable.ts';
import { IllDefinedCovarianceError } from '../model/covariance.ts';
import { EmgpuInputError } from '../options.ts';
import { BackendUnavailableError } from '../select-backend.ts';
import { InternalError, isAbortError } from '../errors.ts';

/**
 * Exit codes: 0 ok, 1 the fit failed, 2 usage or input error, 70 internal error (EX_SOFTWARE),
 * 130 interrupted (Ctrl-C), 129 and 143 stopped by SIGHUP and SIGTERM (128 + the signal, as a shell says).
 */
export const EXIT = {
  ok: 0,
  fitFailed: 1,
  usage: 2,
  internal: 70,
  interrupted: 130,
  hangup: 129,
  terminated: 143,
} as const;

/** A user-facing error of the command line: the message names the problem, the place and the fix. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** Collapses a message onto one line (the contract is one line per error on stderr). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

// printable, brief and quoted live in src/io/printable.ts (emgpu/io quotes cells as the CLI does).
export { brief, printable, quoted } from '../io/printable.ts';

export interface ReportedError {
  readonly line: string;
  readonly exitCode: number;
  /** The stack, for internal errors (printed with --verbose). */
  readonly stack: string | null;
}

/** The stderr line and the exit code for an error thrown by a command. */
export function describeError(error: unknown): ReportedError {
  const reported = describeErrorRaw(error);
  // Messages quote file names and cells: nothing in them may act on the terminal.
  return { ...reported, line: printable(reported.line) };
}

function describeErrorRaw(error: unknown): ReportedError {
  if (error instanceof CliError)
    return { line: `emgpu: ${oneLine(error.message)}`, exitCode: error.exitCode, stack: null };
  if (error instanceof EmgpuInputError)
    return { line: `emgpu: ${oneLine(error.message)}`, exitCode: EXIT.usage, stack: null };
  if (error instanceof IllDefinedCovarianceError)
    return { line: `emgpu: ${oneLine(error.message)}`, exitCode: EXIT.fitFailed, stack: null };
  if (error instanceof BackendUnavailableError)
    return { line: `emgpu: ${oneLine(error.message)}`, exitCode: EXIT.fitFailed, stack: null };
  if (isAbortError(error))
    return { line: 'emgpu: interrupted; nothing was written.', exitCode: EXIT.interrupted, stack: null };
  if (error instanceof CommanderError)
    return { line: `emgpu: ${oneLine(error.message.replace(/^error: /, ''))}`, exitCode: EXIT.usage, stack: null };
  const message =
    error instanceof Error
      ? `${error.name === 'Error' || error instanceof InternalError ? '' : `${error.name}: `}${error.message}`
      : String(error);
  return {
    line: `emgpu: internal error: ${oneLine(message)} (please report this; rerun with --verbose for the stack)`,
    exitCode: EXIT.internal,
    stack: error instanceof Error && error.stack !== undefined ? error.stack : null,
  };
}
