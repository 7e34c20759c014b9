// Ctrl-C for long commands: every wait of a command (reading, evaluating, writing) gives way to
// the abort signal, and long loops pause so that the signal handler gets a chance to run.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { interrupted, isAbortError } from '../errors.ts';

export function abortError(): Error {
  return interrupted();
}

export { isAbortError };

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError();
}

/**
 * Settles as `work` does, or rejects with an AbortError as soon as `signal` aborts. Abandoned
 * work keeps running until it settles; its outcome is ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Lets the event loop run (signal handlers included), then throws if the command was interrupted. */
export async function pause(signal: AbortSignal): Promise<void> {
  await nextTurn();
  throwIfAborted(signal);
}
