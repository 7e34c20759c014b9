// Writing results: stdout with back-pressure, and --output files written to a temporary file
// in the same directory and renamed, so a half-written file is never left behind.

import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeFsError } from './data.ts';
import { CliError } from './errors.ts';

const guarded = new WeakSet<NodeJS.WritableStream>();

/** Writes text and waits until the stream has taken it. A closed pipe (EPIPE) is not an error. */
export function writeText(stream: NodeJS.WritableStream, text: string): Promise<void> {
  // Write errors are reported through the callback; without a listener the 'error' event
  // that follows would crash the process.
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', () => undefined);
  }
  return new Promise((resolvePromise, reject) => {
    stream.write(text, (error?: Error | null) => {
      if (error && (error as NodeJS.ErrnoException).code !== 'EPIPE') reject(error);
      else resolvePromise();
    });
  });
}

/** Fails early (before a long fit) when --output cannot be written: no directory, or a directory. */
export async function checkOutputTarget(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new CliError(`cannot write --output '${path}': '${dir}' is not a directory.`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot write --output '${path}': its directory '${dir}' does not exist or cannot be read (${describeFsError(error)}).`);
  }
  try {
    if ((await stat(path)).isDirectory()) throw new CliError(`cannot write --output '${path}': it is a directory; pass a file name.`);
  } catch (error) {
    if (error instanceof CliError) throw error; // a missing file is fine
  }
}

/** Writes `text` to `path` atomically: a temporary file in the same directory, synced, then renamed. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new CliError(`cannot write --output '${path}': ${describeFsError(error)}.`);
  }
}
