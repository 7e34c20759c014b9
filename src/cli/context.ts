// What every command of `emgpu` runs with: its streams, the abort controller of Ctrl-C, where
// its result goes (--output or stdout), and the small steps every command shares: a --verbose
// line, a note, and writing the result atomically.

import { stat } from 'node:fs/promises';
import type { ReadOptions } from './data.ts';
import { printable } from './errors.ts';
import {
  checkOutputTarget,
  ChunkedOutput,
  fileSink,
  formatBytes,
  streamSink,
  type OutputSink,
  type OutputTarget,
} from './output.ts';
import type { ErrStream } from './progress.ts';
import type { TableCache } from './serve.ts';

export interface CliStreams {
  stdout?: NodeJS.WritableStream;
  stderr?: ErrStream;
  stdin?: NodeJS.ReadableStream;
  /** Interrupts the command as Ctrl-C does (for callers other than the real process). */
  signal?: AbortSignal;
  /** Milliseconds (default performance.now): whether the run was long enough to say what it wrote. */
  clock?: () => number;
  /** Tables read by earlier commands of the same `emgpu serve` (src/cli/serve.ts). */
  tableCache?: TableCache;
}

export interface Context {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: ErrStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly abort: AbortController;
  verbose: boolean;
  exitCode: number;
  /** --output, once checked. */
  target: OutputTarget | null;
  /** Where the result is being written, once opened (for the message on Ctrl-C). */
  sink: OutputSink | null;
  readonly clock: () => number;
  /** clock() when the command started. */
  readonly started: number;
  tableCache: TableCache | null;
  /** Runs another command line in this process (`emgpu serve`): main() itself. */
  readonly run: (argv: string[], streams: CliStreams) => Promise<number>;
}

/** A run at least this long ends with a "wrote FILE (…)" line on stderr even without --verbose. */
export const LONG_RUN_MS = 10_000;

/** A progress line on stderr with --verbose. */
export function say(ctx: Context, message: string): void {
  if (ctx.verbose) ctx.stderr.write(`emgpu: ${message}\n`);
}

/** Reading DATA and the files beside it: Ctrl-C stops it, and its notes go to stderr. */
export function readOptions(ctx: Context): ReadOptions & { note: (line: string) => void } {
  return { signal: ctx.abort.signal, note: (line) => void ctx.stderr.write(`emgpu: note: ${line}\n`) };
}

/** Checks --output before any work, so that a bad target is refused before minutes of fitting. */
export async function checkOutput(ctx: Context, path: string | undefined): Promise<void> {
  if (path !== undefined) ctx.target = await checkOutputTarget(path);
}

/**
 * Runs `write` against --output (a temporary file renamed into place when it is done) or
 * stdout. On any error or Ctrl-C the temporary file is removed: the target is untouched.
 */
export async function withOutput(ctx: Context, write: (out: ChunkedOutput) => Promise<unknown>): Promise<void> {
  const sink = ctx.target === null ? streamSink(ctx.stdout) : await fileSink(ctx.target);
  ctx.sink = sink;
  try {
    await write(new ChunkedOutput(sink, ctx.abort.signal));
    await sink.commit();
  } catch (error) {
    await sink.discard();
    throw error;
  }
  if (ctx.target !== null) await sayWrote(ctx, ctx.target);
}

/** Writes `text` whole, to --output or stdout. */
export function writeText(ctx: Context, text: string): Promise<void> {
  return withOutput(ctx, (out) => out.text(text));
}

/** Writes to stdout even when --output is given (fit --demo's summary, select's table). */
export async function printToStdout(ctx: Context, write: (out: ChunkedOutput) => Promise<unknown>): Promise<void> {
  await write(new ChunkedOutput(streamSink(ctx.stdout), ctx.abort.signal));
}

/** "emgpu: wrote FILE (12.3 kB, 71.2 s)": with --verbose, or after a long run (the user may have looked away). */
async function sayWrote(ctx: Context, target: OutputTarget): Promise<void> {
  const seconds = (ctx.clock() - ctx.started) / 1000;
  if (!ctx.verbose && seconds * 1000 < LONG_RUN_MS) return;
  const size = await stat(target.file).then(
    (info) => formatBytes(info.size),
    () => null,
  );
  ctx.stderr.write(
    `emgpu: wrote ${printable(target.path)} (${size === null ? '' : `${size}, `}${seconds.toFixed(1)} s)\n`,
  );
}

/** What Ctrl-C left behind, in words. */
export function interruptedLine(ctx: Context): string {
  if (ctx.target !== null) return `emgpu: interrupted; --output '${printable(ctx.target.path)}' was not written.`;
  if (ctx.sink?.started === true) return 'emgpu: interrupted; the output on stdout is incomplete.';
  return 'emgpu: interrupted; nothing was written.';
}
