// The error kinds of src/errors.ts: recognised by class, the DOM's AbortError recognised by name,
// and each mapped by the CLI to its exit code.
import { describe, expect, it } from 'vitest';
import { describeError, EXIT } from '../../src/cli/errors.ts';
import {
  AbortError,
  abortErrorOf,
  DeviceLostError,
  EmgpuInputError,
  engineReleased,
  InternalError,
  interrupted,
  isAbortError,
  isDeviceLost,
} from '../../src/errors.ts';
import * as publicApi from '../../src/index.ts';

describe('error kinds', () => {
  it('are exported from the package under their own names', () => {
    expect(publicApi.AbortError).toBe(AbortError);
    expect(publicApi.DeviceLostError).toBe(DeviceLostError);
    expect(publicApi.EmgpuInputError).toBe(EmgpuInputError);
    expect(publicApi.InternalError).toBe(InternalError);
    expect(new AbortError('x').name).toBe('AbortError');
    expect(new DeviceLostError('gone', 'destroyed').reason).toBe('destroyed');
  });

  it('say which engine was released, and when, as AbortErrors the CLI reports as interrupted', () => {
    const cases = [
      [engineReleased('CPU', 'before'), 'The CPU engine was released (releaseBackends()); run the call again.'],
      [
        engineReleased('CPU', 'starting'),
        'The CPU engine was released (releaseBackends()) while it started; run the call again.',
      ],
      [
        engineReleased('WebGPU', 'running'),
        'The WebGPU engine was released (releaseBackends()) while this call was running; run the call again.',
      ],
      [interrupted(), 'The command was interrupted.'],
    ] as const;
    for (const [error, message] of cases) {
      expect(error).toBeInstanceOf(AbortError);
      expect(error.message).toBe(message);
      expect(describeError(error).exitCode).toBe(EXIT.interrupted);
    }
  });

  it('recognise our AbortError by class and the platform one by name', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(new AbortError('stopped'))).toBe(true);
    expect(isAbortError(controller.signal.reason)).toBe(true); // a DOMException named AbortError
    expect(isAbortError(new Error('stopped'))).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
    expect(isDeviceLost(new DeviceLostError('lost'))).toBe(true);
    const renamed = new Error('lost');
    renamed.name = 'DeviceLostError';
    expect(isDeviceLost(renamed)).toBe(false);
  });

  it('abortErrorOf keeps the signal’s own abort reason and otherwise makes one', () => {
    const controller = new AbortController();
    controller.abort();
    expect(abortErrorOf(controller.signal, 'unused')).toBe(controller.signal.reason);
    const other = new AbortController();
    other.abort('a string reason');
    const made = abortErrorOf(other.signal, 'The fit was aborted.');
    expect(made).toBeInstanceOf(AbortError);
    expect(made.message).toBe('The fit was aborted.');
    expect(abortErrorOf(undefined, 'none')).toBeInstanceOf(AbortError);
  });

  it('map to the CLI’s exit codes in one line', () => {
    expect(describeError(new EmgpuInputError('X row 1 is bad.')).exitCode).toBe(EXIT.usage);
    expect(describeError(new AbortError('stop')).exitCode).toBe(EXIT.interrupted);
    const internal = describeError(new InternalError('worker has no data 3'));
    expect(internal.exitCode).toBe(EXIT.internal);
    expect(internal.line).toBe(
      'emgpu: internal error: worker has no data 3 (please report this; rerun with --verbose for the stack)',
    );
    expect(describeError(new DeviceLostError('the WebGPU device was lost')).line).toContain(
      'DeviceLostError: the WebGPU device was lost',
    );
  });
});
