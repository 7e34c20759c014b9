// The engine-loaded copy of the last data set, kept so that predict / predictProba /
// scoreSamples / score / bic / aic on the same X (and right after fit(X)) reuse it instead of
// validating, copying and uploading X again. One entry for the whole process (its memory is
// bounded by one data set); it is replaced by the next X and freed by releaseBackends().
//
// "The same X" means the same typed array with the same contents: a fingerprint of its bytes
// is compared, so an array modified in place between calls is loaded again, never reused stale.

import type { Backend, LoadedData } from './backend.ts';
import type { Matrix } from './matrix.ts';

/** A 32-bit fingerprint of the array's bytes (multiply-xorshift over 32-bit words). */
export function fingerprint(array: Float64Array | Float32Array): number {
  const words = new Uint32Array(array.buffer, array.byteOffset, array.byteLength / 4);
  let h0 = 0x9e3779b9;
  let h1 = 0x85ebca6b;
  const n = words.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    h0 = Math.imul(h0 ^ (words[i] as number), 0x01000193);
    h1 = Math.imul(h1 ^ (words[i + 1] as number), 0x5bd1e995);
  }
  if (i < n) h0 = Math.imul(h0 ^ (words[i] as number), 0x01000193);
  h0 ^= h1 >>> 15;
  h0 = Math.imul(h0 ^ (h0 >>> 13), 0xc2b2ae35);
  return (h0 ^ (h0 >>> 16) ^ n) >>> 0;
}

interface Entry {
  readonly array: Float64Array | Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly hash: number;
  readonly backend: Backend;
  readonly data: LoadedData;
  users: number;
  evicted: boolean;
}

let current: Entry | null = null;

function release(entry: Entry): void {
  entry.evicted = true;
  if (entry.users === 0) entry.data.dispose();
}

function matches(entry: Entry | null, matrix: Matrix, hash: number, backend: Backend): entry is Entry {
  return entry !== null && !entry.evicted && !entry.data.disposed && entry.array === matrix.data && entry.rows === matrix.rows && entry.cols === matrix.cols && entry.hash === hash && entry.backend === backend;
}

/**
 * Runs fn on the loaded copy of `matrix` on `backend`: the cached one when it is the same
 * array with the same contents, else the one `load` returns (which then becomes the cache).
 */
export async function withLoaded<T>(matrix: Matrix, backend: Backend, load: () => Promise<LoadedData>, fn: (data: LoadedData) => Promise<T>): Promise<T> {
  const hash = fingerprint(matrix.data);
  let entry: Entry;
  if (matches(current, matrix, hash, backend)) {
    entry = current;
  } else {
    const data = await load();
    entry = { array: matrix.data, rows: matrix.rows, cols: matrix.cols, hash, backend, data, users: 0, evicted: false };
    if (current !== null) release(current);
    current = entry;
  }
  entry.users++;
  try {
    return await fn(entry.data);
  } finally {
    entry.users--;
    if (entry.evicted && entry.users === 0) entry.data.dispose();
  }
}

/** Whether `matrix` on `backend` is cached (its contents unchanged): the caller may skip validation. */
export function isLoaded(matrix: Matrix, backend: Backend): boolean {
  return current !== null && current.array === matrix.data && matches(current, matrix, fingerprint(matrix.data), backend);
}

/** Keeps data a fit loaded as the cached copy of `matrix` (disposing the previous one). */
export function keepLoaded(matrix: Matrix, backend: Backend, data: LoadedData): void {
  const entry: Entry = { array: matrix.data, rows: matrix.rows, cols: matrix.cols, hash: fingerprint(matrix.data), backend, data, users: 0, evicted: false };
  if (current !== null) release(current);
  current = entry;
}

/** Frees the cached copy (releaseBackends()). */
export function clearLoaded(): void {
  if (current !== null) release(current);
  current = null;
}
