// The engine session every entry point shares (src/engine-session.ts): input prepared once, the
// rows loaded and released, and the handling of a lost device.
import { afterAll, describe, expect, it } from 'vitest';
import { jobOf, onEngine, prepareInput, withInput } from '../../src/engine-session.ts';
import { DeviceLostError, EmgpuInputError } from '../../src/errors.ts';
import { releaseBackends } from '../../src/select-backend.ts';

afterAll(() => releaseBackends());

const rows = (values: number[][]): { data: Float64Array; rows: number; cols: number } => ({
  data: Float64Array.from(values.flat()),
  rows: values.length,
  cols: values[0]?.length ?? 0,
});

describe('prepareInput', () => {
  it('checks typed X at once for a fit, and only when loaded afresh for an evaluation', () => {
    const X = rows([
      [1, 2],
      [Number.NaN, 4],
    ]);
    expect(() => prepareInput(X, { missing: 'error', checkValues: true })).toThrow(EmgpuInputError);
    const deferred = prepareInput(X, { missing: 'error', checkValues: false });
    expect(() => deferred.validate()).toThrow(/row 1, column 0 is NaN/);
    // Nested arrays are checked as they are copied, whatever checkValues says.
    expect(() =>
      prepareInput(
        [
          [1, 2],
          [Number.NaN, 4],
        ],
        { missing: 'error', checkValues: false },
      ),
    ).toThrow(EmgpuInputError);
  });

  it('sets rows with holes apart and drops rows with nothing observed, leaving X as it was', () => {
    const X = rows([
      [1, 2],
      [Number.NaN, 4],
      [Number.NaN, Number.NaN],
      [5, 6],
    ]);
    const before = Float64Array.from(X.data);
    const input = prepareInput(X, { missing: 'marginalize', sampleWeight: [1, 2, 3, 4], checkValues: true });
    expect(input.layout?.dropped).toBe(1);
    expect(input.kept.matrix.rows).toBe(3);
    expect(Array.from(input.kept.weights ?? [])).toEqual([1, 2, 4]);
    expect(input.cacheable).toBe(false);
    expect(jobOf(input, 2, 'full')).toEqual({
      rows: 3,
      cols: 2,
      nComponents: 2,
      covarianceType: 'full',
      weighted: true,
    });
    expect(X.data).toEqual(before);
  });

  it('keeps typed X without holes loaded unless told not to', () => {
    const X = rows([
      [1, 2],
      [3, 4],
    ]);
    expect(prepareInput(X, { missing: 'error', checkValues: true }).cacheable).toBe(true);
    expect(prepareInput(X, { missing: 'error', checkValues: true, cache: false }).cacheable).toBe(false);
    expect(prepareInput([[1, 2]], { missing: 'error', checkValues: true }).cacheable).toBe(false);
  });
});

describe('onEngine and withInput', () => {
  const choice = { backend: 'cpu' as const, cpuThreads: 1 };

  it('loads the rows for the call and releases a copy that is not kept', async () => {
    const input = prepareInput(
      [
        [1, 2],
        [3, 5],
      ],
      { missing: 'error', checkValues: true },
    );
    let loaded: { disposed: boolean } | null = null;
    const sum = await onEngine(jobOf(input, 1, 'full'), choice, (backend) =>
      withInput(backend, input, 'evaluate', async (data) => {
        loaded = data;
        expect(data.rows).toBe(2);
        return backend.description;
      }),
    );
    expect(sum).toMatch(/^cpu/);
    expect(loaded).not.toBeNull();
    expect((loaded as unknown as { disposed: boolean }).disposed).toBe(true);
  });

  it('rethrows a lost device on an engine that cannot restart, and any other error as it is', async () => {
    const input = prepareInput([[1, 2]], { missing: 'error', checkValues: true });
    const job = jobOf(input, 1, 'full');
    let calls = 0;
    const lost = new DeviceLostError('the WebGPU device was lost (destroyed)', 'destroyed');
    await expect(
      onEngine(job, choice, () => {
        calls++;
        return Promise.reject(lost);
      }),
    ).rejects.toBe(lost);
    expect(calls).toBe(1);
    const other = new Error('boom');
    await expect(onEngine(job, choice, () => Promise.reject(other))).rejects.toBe(other);
  });
});
