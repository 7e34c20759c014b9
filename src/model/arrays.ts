// Parameters given as sklearn's nested arrays or as flat typed arrays, to and from flat
// row-major Float64Arrays.

import { EmgpuInputError, type Nested, type NumericArray } from '../options.ts';

/** Flattens a nested or flat numeric array, checking it has `expected` finite numbers. */
export function flattenParameter(name: string, value: Nested | NumericArray, expectedShape: number[]): Float64Array {
  const expected = expectedShape.reduce((a, b) => a * b, 1);
  const shapeText = expectedShape.join(' × ');
  let flat: number[];
  if (value instanceof Float64Array || value instanceof Float32Array) {
    flat = Array.from(value);
  } else {
    const out: number[] = [];
    const shapeOf: number[] = [];
    const walk = (node: Nested, depth: number): void => {
      if (Array.isArray(node)) {
        if (shapeOf[depth] === undefined) shapeOf[depth] = node.length;
        else if (shapeOf[depth] !== node.length) {
          throw new EmgpuInputError(`Option ${name} is ragged; it must have shape ${shapeText}.`);
        }
        for (const child of node as readonly Nested[]) walk(child, depth + 1);
      } else {
        out.push(node as number);
      }
    };
    walk(value as Nested, 0);
    // A nested value must have the exact shape; a flat one just the right length.
    if (shapeOf.length > 1 && shapeOf.join(',') !== expectedShape.join(',')) {
      throw new EmgpuInputError(`Option ${name} has shape ${shapeOf.join(' × ')} but must have shape ${shapeText}.`);
    }
    flat = out;
  }
  if (flat.length !== expected) {
    throw new EmgpuInputError(
      `Option ${name} has ${flat.length} values but must have shape ${shapeText} (${expected} values).`,
    );
  }
  flat.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new EmgpuInputError(`Option ${name} value ${i} is ${String(v)}; every value must be a finite number.`);
    }
  });
  return Float64Array.from(flat);
}

/** Flat row-major -> nested array of the given shape. */
export function nest(flat: ArrayLike<number>, shape: readonly number[]): Nested {
  if (shape.length <= 1) return Array.from(flat);
  const [first, ...rest] = shape as [number, ...number[]];
  const step = rest.reduce((a, b) => a * b, 1);
  const out: Nested[] = [];
  for (let i = 0; i < first; i++)
    out.push(nest(Array.prototype.slice.call(flat, i * step, (i + 1) * step) as number[], rest));
  return out;
}
