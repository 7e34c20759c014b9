// Two model JSON files written by `emgpu fit -o`, read side by side for comparing them: for each
// of weights, means, covariances and lowerBound, both models' numbers, flattened in order.

import { readFileSync } from 'node:fs';

type Model = Record<string, unknown>;

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : typeof v === 'number' ? [v] : []);

/** [key, a's numbers, b's numbers] per compared field; throws where the two differ in shape. */
export function pairedModelArrays(fileA: string, fileB: string): [string, number[], number[]][] {
  const a = JSON.parse(readFileSync(fileA, 'utf8')) as Model;
  const b = JSON.parse(readFileSync(fileB, 'utf8')) as Model;
  return ['weights', 'means', 'covariances', 'lowerBound'].map((key) => {
    const x = flat(a[key]);
    const y = flat(b[key]);
    if (x.length !== y.length || x.length === 0) throw new Error(`models differ in shape at ${key}`);
    return [key, x, y];
  });
}
