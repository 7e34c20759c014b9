// The engine-loaded copies of the last two data sets, kept so that fits (a grid of K × covariance
// types, nInit restarts across calls), predict / predictProba / scoreSamples / score / bic / aic
// on the same X reuse them instead of validating, copying and uploading X again. Two entries for
// the whole process, so that work alternating between X and a sample of it (selectModel's emEM
// short runs on large data) reloads neither; its memory is bounded by two data sets. The least
// recently used is replaced by the next X; releaseBackends() frees both.
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
  /** Fingerprint of the sample weights loaded with X, or null when loaded unweighted. */
  readonly weightsHash: number | null;
  readonly backend: Backend;
  readonly data: LoadedData;
  users: number;
  evicted: boolean;
}

/** Most recently used first; at most KEPT. */
let entries: Entry[] = [];
const KEPT = 2;

function release(entry: Entry): void {
  entry.evicted = true;
  if (entry.users === 0) entry.data.dispose();
}

/** What a call needs loaded: X, and for a fit the weights too (an evaluation ignores them). */
export interface LoadRequest {
  readonly matrix: Matrix;
  readonly backend: Backend;
  /** 'evaluate' takes any loaded copy of X; 'fit' needs one loaded with these weights. */
  readonly use: 'fit' | 'evaluate';
  readonly weights: Float64Array | null;
}

function matches(entry: Entry, request: LoadRequest, hash: number, weightsHash: number | null): boolean {
  const { matrix, backend, use } = request;
  return (
    !entry.evicted &&
    !entry.data.disposed &&
    entry.array === matrix.data &&
    entry.rows === matrix.rows &&
    entry.cols === matrix.cols &&
    entry.hash === hash &&
    entry.backend === backend &&
    (use === 'evaluate' || entry.weightsHash === weightsHash)
  );
}

/**
 * Runs fn on the loaded copy of X on the backend: the cached one when it is the same array with
 * the same contents (and, for a fit, the same weights), else the one `load` returns, which then
 * becomes the cache. Data in use is never disposed under a caller.
 */
export async function withLoaded<T>(
  request: LoadRequest,
  load: () => Promise<LoadedData>,
  fn: (data: LoadedData) => Promise<T>,
): Promise<T> {
  const hash = fingerprint(request.matrix.data);
  const weightsHash = request.weights === null ? null : fingerprint(request.weights);
  let entry = entries.find((e) => matches(e, request, hash, weightsHash));
  if (entry !== undefined) {
    entries = [entry, ...entries.filter((e) => e !== entry)];
  } else {
    const data = await load();
    const { matrix, backend } = request;
    entry = {
      array: matrix.data,
      rows: matrix.rows,
      cols: matrix.cols,
      hash,
      weightsHash,
      backend,
      data,
      users: 0,
      evicted: false,
    };
    // A copy of the same array (other weights, another engine) replaces it; else the oldest goes.
    const same = entries.filter((e) => e.array === matrix.data);
    const kept = entries.filter((e) => e.array !== matrix.data);
    for (const e of [...same, ...kept.slice(KEPT - 1)]) release(e);
    entries = [entry, ...kept.slice(0, KEPT - 1)];
  }
  entry.users++;
  try {
    return await fn(entry.data);
  } finally {
    entry.users--;
    if (entry.evicted && entry.users === 0) entry.data.dispose();
  }
}

/** Frees the cached copies (releaseBackends()). */
export function clearLoaded(): void {
  for (const entry of entries) release(entry);
  entries = [];
}
