// The engine-loaded data cache (src/loaded-cache.ts): two data sets stay loaded, so that work
// alternating between X and a sample of it (selectModel's emEM short runs on large data) loads
// each once; a third replaces the least recently used, which is disposed once no call uses it;
// an array changed in place is loaded again; clearLoaded frees both.
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, LoadedData } from '../../src/backend.ts';
import { clearLoaded, withLoaded } from '../../src/loaded-cache.ts';

const backend = {} as Backend;

function fakeLoader(): { loads: string[]; load: (name: string) => () => Promise<LoadedData>; disposed: string[] } {
  const loads: string[] = [];
  const disposed: string[] = [];
  return {
    loads,
    disposed,
    load: (name) => async () => {
      loads.push(name);
      let gone = false;
      return {
        rows: 2,
        cols: 1,
        totalWeight: 2,
        lastTimings: null,
        get disposed() {
          return gone;
        },
        dispose: () => {
          gone = true;
          disposed.push(name);
        },
      } as unknown as LoadedData;
    },
  };
}

const request = (data: Float64Array) => ({
  matrix: { data, rows: data.length, cols: 1 },
  backend,
  use: 'fit' as const,
  weights: null,
});

afterEach(() => clearLoaded());

describe('loaded-data cache', () => {
  it('keeps two data sets: alternating between them loads each once', async () => {
    const { loads, load } = fakeLoader();
    const x = Float64Array.from([1, 2]);
    const sample = Float64Array.from([1]);
    for (let i = 0; i < 3; i++) {
      await withLoaded(request(x), load('x'), async () => {});
      await withLoaded(request(sample), load('sample'), async () => {});
    }
    expect(loads).toEqual(['x', 'sample']);
  });

  it('a third replaces the least recently used, disposed once no call uses it', async () => {
    const { loads, load, disposed } = fakeLoader();
    const [a, b, c] = [Float64Array.from([1]), Float64Array.from([2]), Float64Array.from([3])];
    await withLoaded(request(a), load('a'), async () => {});
    await withLoaded(request(b), load('b'), async () => {});
    await withLoaded(request(a), load('a'), async () => {}); // b is now the older
    let inUse!: () => void;
    const held = withLoaded(request(b), load('b'), () => new Promise<void>((resolve) => (inUse = resolve)));
    await Promise.resolve();
    await withLoaded(request(c), load('c'), async () => {}); // evicts a (b was used since)
    expect(disposed).toEqual(['a']);
    await withLoaded(request(a), load('a'), async () => {}); // evicts b, still in use: not yet disposed
    expect(disposed).toEqual(['a']);
    inUse();
    await held;
    expect(disposed).toEqual(['a', 'b']);
    expect(loads).toEqual(['a', 'b', 'c', 'a']);
  });

  it('loads an array changed in place again, and clearLoaded frees every copy', async () => {
    const { loads, load, disposed } = fakeLoader();
    const x = Float64Array.from([1, 2]);
    const y = Float64Array.from([3]);
    await withLoaded(request(x), load('x'), async () => {});
    await withLoaded(request(y), load('y'), async () => {});
    x[0] = 5;
    await withLoaded(request(x), load('x again'), async () => {});
    expect(loads).toEqual(['x', 'y', 'x again']);
    expect(disposed).toEqual(['x']);
    clearLoaded();
    expect(disposed.sort()).toEqual(['x', 'x again', 'y']);
  });
});
