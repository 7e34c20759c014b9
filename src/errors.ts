// Every kind of error emgpu throws on purpose, constructed here and recognised by class: the
// caller's mistakes (input), a stop on request (abort), a lost GPU device and broken invariants
// (internal). Errors of one model (IllDefinedCovarianceError) and of engine choice
// (BackendUnavailableError) live beside the code that knows their cause.

/** A user error in options or input: the message names the problem, the place and the fix. */
export class EmgpuInputError extends Error {
  override readonly name = 'EmgpuInputError';
}

/**
 * A call stopped on request: an AbortSignal, Ctrl-C, or releaseBackends() while it ran. Its name
 * is 'AbortError', as the DOM's, so callers that test `error.name` keep working.
 */
export class AbortError extends Error {
  override readonly name = 'AbortError';
}

/** The WebGPU device was lost (driver reset, device destroyed): rerun on another backend. */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
  constructor(
    message: string,
    readonly reason: string = 'unknown',
  ) {
    super(message);
  }
}

/** A broken invariant of emgpu itself (a bug): the CLI reports it as an internal error. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

/**
 * Ours (AbortError) or the platform's: AbortController.abort() rejects with a DOMException named
 * 'AbortError', and a user's signal may carry any reason.
 */
export function isAbortError(error: unknown): boolean {
  return error instanceof AbortError || (error instanceof Error && error.name === 'AbortError');
}

export function isDeviceLost(error: unknown): error is DeviceLostError {
  return error instanceof DeviceLostError;
}

/** The error a call rejects with when `signal` aborts: the signal's own AbortError reason, else ours. */
export function abortErrorOf(signal: AbortSignal | undefined | null, message: string): Error {
  const reason: unknown = signal?.reason;
  return isAbortError(reason) ? (reason as Error) : new AbortError(message);
}

/**
 * The error of a call whose engine releaseBackends() released: before the call, while the engine
 * started, or while the call ran. Every AbortError emgpu raises is made here or by abortErrorOf.
 */
export function engineReleased(engine: 'CPU' | 'WebGPU', when: 'before' | 'starting' | 'running'): AbortError {
  const moment = when === 'before' ? '' : when === 'starting' ? ' while it started' : ' while this call was running';
  return new AbortError(`The ${engine} engine was released (releaseBackends())${moment}; run the call again.`);
}

/** A CLI command stopped by Ctrl-C (SIGINT) or a termination signal. */
export function interrupted(): AbortError {
  return new AbortError('The command was interrupted.');
}
