// Writing results. Output goes out in chunks of about a megabyte, each handed over only when the
// destination has taken the previous one (back-pressure), so memory stays flat however many rows
// are written. --output files are written to a temporary file next to the target, synced and
// renamed over it, so a half-written file is never left behind: not on an error, not on Ctrl-C.
//
// --output policy: the target's directory must exist and be writable, checked (by creating and
// removing a temporary file there) before any work starts. An existing file keeps its mode (and,
// where permitted, its owner); a read-only file is refused. A symbolic link is written through:
// the file it points to is replaced (atomically, next to that file) and the link stays. Anything
// other than a regular file (a FIFO, a device such as /dev/null) is refused: redirect stdout.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, readlink, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { abortable, pause } from './abort.ts';
import { describeFsError } from './data.ts';
import { CliError, EXIT, printable } from './errors.ts';

/** Characters per chunk handed to stdout or the output file. */
export const CHUNK_CHARS = 1 << 20;

/** Where --output will go, as checked before the work starts. */
export interface OutputTarget {
  /** As given on the command line (for messages). */
  readonly path: string;
  /** The file that will be replaced: the path itself, or where its symbolic links lead. */
  readonly file: string;
}

const MAX_LINKS = 40;

function fileKind(info: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** The first ancestor of `path` that exists but is not a directory (the cause of ENOTDIR). */
async function firstNonDirectory(path: string): Promise<string> {
  const ancestors: string[] = [];
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) ancestors.unshift(p);
  for (const p of ancestors) {
    const info = await stat(p).catch(() => null);
    if (info !== null && !info.isDirectory()) return p;
  }
  return dirname(path);
}

/** Follows symbolic links from `path` to the file they end at (which need not exist). */
async function followLinks(path: string, cannot: (why: string) => CliError): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; ; hops++) {
    let info;
    try {
      info = await lstat(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return current; // a new file (its directory is checked next)
      if (code === 'ENOTDIR') throw cannot(`'${printable(await firstNonDirectory(current))}' is not a directory`);
      throw cannot(describeFsError(error));
    }
    if (!info.isSymbolicLink()) return current;
    if (hops === MAX_LINKS)
      throw cannot(`it is a symbolic link that leads through more than ${MAX_LINKS} links (a loop?)`);
    current = resolve(dirname(current), await readlink(current));
  }
}

/**
 * Checks that --output can be written, before a long computation: its directory exists and
 * takes a new file, and the path is (or leads to) a regular, writable file or nothing yet.
 */
export async function checkOutputTarget(path: string): Promise<OutputTarget> {
  if (path === '')
    throw new CliError('--output is an empty path; pass a file name, or leave --output out to write to stdout.');
  const shown = printable(path);
  const cannot = (why: string): CliError => new CliError(`cannot write --output '${shown}': ${why}.`);
  const file = await followLinks(path, cannot);
  const via = file === resolve(path) ? '' : ` (a link to '${printable(file)}')`;
  const existing = await stat(file).catch(() => null);
  if (existing !== null) {
    if (existing.isDirectory()) throw cannot(`it is a directory${via}; pass a file name`);
    if (!existing.isFile()) {
      throw cannot(
        `it is ${fileKind(existing)}${via}, and --output only replaces regular files (atomically); write to stdout instead, e.g. '> ${shown}'`,
      );
    }
    try {
      await access(file, constants.W_OK);
    } catch {
      throw cannot(`the file${via} is read-only; make it writable (chmod u+w) or choose another name`);
    }
  }
  const dir = dirname(file);
  const dirInfo = await stat(dir).catch((error: unknown) => error as NodeJS.ErrnoException);
  if (dirInfo instanceof Error) {
    if (dirInfo.code === 'ENOENT')
      throw cannot(`its directory '${printable(dir)}' does not exist; create it first or choose another place`);
    throw cannot(`its directory '${printable(dir)}' cannot be read (${describeFsError(dirInfo)})`);
  }
  if (!dirInfo.isDirectory()) throw cannot(`'${printable(dir)}' is not a directory`);
  // Writable? Create and remove a temporary file where the real one will be made.
  const probe = tempPathFor(file);
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    throw cannot(
      `its directory '${printable(dir)}' does not take new files (${describeDirError(error)}); choose another place or fix the permissions`,
    );
  }
  await rm(probe, { force: true });
  return { path, file };
}

function describeDirError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'a read-only file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left on the device';
    default:
      return describeFsError(error);
  }
}

/** A destination for text written in chunks. */
export interface OutputSink {
  /** Hands one chunk over, resolving once the destination has taken it; false once the reader has gone (a closed pipe): stop writing. */
  write(text: string): Promise<boolean>;
  /** Makes the output final: for a file, syncs it and renames it over the target. */
  commit(): Promise<void>;
  /** Abandons the output: removes the temporary file. Never throws. */
  discard(): Promise<void>;
  /** Whether anything has been written where the user can see it (stdout) or will (the file). */
  readonly started: boolean;
}

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * Keeps a write error on `stream` (EPIPE when the reader has gone) from crashing the process:
 * without a listener, the 'error' event that follows a failed write is thrown. Writes that need
 * to know (streamSink) see the error through their callback.
 */
export function ignoreClosedPipe(stream: NodeJS.WritableStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', () => undefined);
}

/** "812 bytes", "12.3 kB", "4.1 MB", "2.0 GB" (powers of 1000). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] as string}`;
}

/** stdout (or any stream). A closed pipe (EPIPE) is not an error: the reader has what it wanted. */
export function streamSink(stream: NodeJS.WritableStream): OutputSink {
  ignoreClosedPipe(stream);
  let closed = false;
  const sink = {
    started: false,
    write(text: string): Promise<boolean> {
      if (closed) return Promise.resolve(false);
      sink.started = true;
      return new Promise<boolean>((resolvePromise, reject) => {
        stream.write(text, (error?: Error | null) => {
          if (!error) {
            resolvePromise(true);
          } else if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
            closed = true;
            resolvePromise(false);
          } else if (typeof (error as NodeJS.ErrnoException).code === 'string') {
            // A full disk (ENOSPC), a quota, an I/O error: the system's complaint, in one line.
            reject(new CliError(`cannot write to stdout: ${describeDirError(error)}.`, EXIT.fitFailed));
          } else {
            reject(error);
          }
        });
      });
    },
    commit: () => Promise.resolve(),
    discard: () => Promise.resolve(),
  };
  return sink;
}

/** The --output file: chunks go to a temporary file next to the target, renamed over it on commit. */
export async function fileSink(target: OutputTarget): Promise<OutputSink> {
  const { file } = target;
  const fail = (error: unknown): CliError =>
    new CliError(`cannot write --output '${printable(target.path)}': ${describeDirError(error)}.`);
  const temp = tempPathFor(file);
  let handle: FileHandle | null = null;
  const discard = async (): Promise<void> => {
    await handle?.close().catch(() => undefined);
    handle = null;
    await rm(temp, { force: true }).catch(() => undefined);
  };
  try {
    handle = await open(temp, 'wx');
    // Keep an existing file's owner and mode (the new file would otherwise get the umask's).
    const before = await stat(file).catch(() => null);
    if (before !== null) {
      if (
        typeof process.getuid === 'function' &&
        (before.uid !== process.getuid() || before.gid !== process.getgid?.())
      ) {
        await handle.chown(before.uid, before.gid).catch(() => undefined); // only root may give a file away
      }
      await handle.chmod(before.mode & 0o7777);
    }
  } catch (error) {
    await discard();
    throw fail(error);
  }
  return {
    started: true,
    async write(text: string): Promise<boolean> {
      try {
        const bytes = Buffer.from(text, 'utf8');
        for (let at = 0; at < bytes.length;) at += (await (handle as FileHandle).write(bytes, at)).bytesWritten;
        return true;
      } catch (error) {
        await discard();
        throw fail(error);
      }
    },
    async commit(): Promise<void> {
      try {
        await (handle as FileHandle).sync();
        await (handle as FileHandle).close();
        handle = null;
        await rename(temp, file);
      } catch (error) {
        await discard();
        throw fail(error);
      }
    },
    discard,
  };
}

/** Text written in chunks of about CHUNK_CHARS, pausing between chunks for Ctrl-C. */
export class ChunkedOutput {
  private closed = false;

  constructor(
    readonly sink: OutputSink,
    private readonly signal: AbortSignal,
  ) {}

  /** Whether the reader went away (a closed pipe): producers stop early. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes text (split into chunks when large); false once the reader has gone. */
  async text(text: string): Promise<boolean> {
    for (let at = 0; at < text.length && !this.closed; at += CHUNK_CHARS) {
      this.closed = !(await this.write(text.slice(at, at + CHUNK_CHARS)));
    }
    return !this.closed;
  }

  /**
   * Writes `rows` lines, line(i) for i in [0, rows), each followed by a newline, in chunks of
   * about CHUNK_CHARS (`charsPerLine` is an estimate for sizing them). False once the reader has gone.
   */
  async lines(rows: number, charsPerLine: number, line: (i: number) => string): Promise<boolean> {
    const perChunk = Math.max(1, Math.floor(CHUNK_CHARS / Math.max(1, charsPerLine)));
    for (let start = 0; start < rows && !this.closed; start += perChunk) {
      const end = Math.min(rows, start + perChunk);
      let chunk = '';
      for (let i = start; i < end; i++) chunk += `${line(i)}\n`;
      this.closed = !(await this.write(chunk));
    }
    return !this.closed;
  }

  /** One chunk; a reader that stops reading (a full pipe) does not hold Ctrl-C up. */
  private async write(chunk: string): Promise<boolean> {
    const taken = await abortable(this.sink.write(chunk), this.signal);
    await pause(this.signal);
    return taken;
  }
}

/** "1.5,2,3" for values[offset .. offset + count). */
export function csvRow(values: ArrayLike<number>, offset: number, count: number): string {
  let text = String(values[offset]);
  for (let j = 1; j < count; j++) text += `,${values[offset + j] as number}`;
  return text;
}
