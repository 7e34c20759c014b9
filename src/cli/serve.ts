// `emgpu serve`: one long-lived process that runs emgpu commands read from stdin, one per line,
// for schedulers that would otherwise start Node (and load the engines' code) for every task:
// the Dask integration keeps one per worker and sends it `stats` for each partition of each
// iteration. A request is a JSON array of the command's arguments, e.g.
//   ["stats", "--model", "m3.json", "--backend", "cpu", "part-07.parquet"]
// and its answer one JSON line: {"exitCode": 0, "stdout": "…", "stderr": "…"}. The commands
// run one at a time, in the order they came, each exactly as `emgpu ARGS…` would run it except
// that it has no stdin. The process ends when stdin does.

import { createInterface } from 'node:readline';
import { Readable, Writable } from 'node:stream';
import type { ErrStream } from './progress.ts';

/** What one request gets back. */
export interface ServeAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How serve runs one command (the command line's main, with the streams it is given). */
export type RunCommand = (
  argv: string[],
  streams: {
    stdout: NodeJS.WritableStream;
    stderr: ErrStream;
    stdin: NodeJS.ReadableStream;
    signal: AbortSignal;
    tableCache: TableCache;
  },
) => Promise<number>;

/**
 * The tables serve's commands have read, kept for the next command that reads the same file with
 * the same options (the Dask integration asks for the statistics of the same partitions on every
 * iteration): keyed by the file's path, size, modification time and inode and the reading
 * options, so a changed file is read again; the least recently used go first beyond `limitBytes`.
 * The commands never write into a table they read.
 */
export class TableCache {
  private readonly entries = new Map<string, { readonly value: unknown; readonly bytes: number }>();
  private bytes = 0;
  hits = 0;

  constructor(readonly limitBytes: number) {}

  async get<T>(key: string, bytesOf: (value: T) => number, read: () => Promise<T>): Promise<T> {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, found);
      this.hits++;
      return found.value as T;
    }
    const value = await read();
    const bytes = bytesOf(value);
    if (bytes > this.limitBytes) return value;
    for (const [old, entry] of this.entries) {
      if (this.bytes + bytes <= this.limitBytes) break;
      this.entries.delete(old);
      this.bytes -= entry.bytes;
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    return value;
  }
}

/** A stream that keeps what is written to it as text. */
function textSink(): { stream: Writable; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      parts.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => parts.join('') };
}

/** The argument list of a request line, or the answer that refuses it. */
function parseRequest(line: string): string[] | ServeAnswer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return refuse(
      `the request is not valid JSON (${error instanceof Error ? error.message : String(error)}); send one JSON array of arguments per line, e.g. ["stats", "--model", "m.json", "part.csv"].`,
    );
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string'))
    return refuse(
      'the request is not a non-empty JSON array of strings; send the arguments of one command, e.g. ["stats", "--model", "m.json", "part.csv"].',
    );
  const argv = value as string[];
  if (argv[0] === 'serve') return refuse("'serve' cannot be requested from serve; send another command.");
  return argv;
}

function refuse(message: string): ServeAnswer {
  return { exitCode: 2, stdout: '', stderr: `emgpu: ${message}\n` };
}

/** Runs one request. */
export async function answer(
  line: string,
  run: RunCommand,
  signal: AbortSignal,
  tableCache: TableCache,
): Promise<ServeAnswer> {
  const argv = parseRequest(line);
  if (!Array.isArray(argv)) return argv;
  const stdout = textSink();
  const stderr = textSink();
  const exitCode = await run(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: Readable.from([]),
    signal,
    tableCache,
  });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

/** `emgpu serve`: answers the requests on `stdin` in order until it ends (or `signal` aborts). */
export async function serveCommand(
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  run: RunCommand,
  signal: AbortSignal,
  cacheBytes: number,
): Promise<void> {
  const tableCache = new TableCache(cacheBytes);
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  const onAbort = (): void => lines.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of lines) {
      if (signal.aborted) break;
      if (line.trim() === '') continue;
      const reply = await answer(line, run, signal, tableCache);
      await new Promise<void>((resolve, reject) =>
        stdout.write(`${JSON.stringify(reply)}\n`, (error) => (error ? reject(error) : resolve())),
      );
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
