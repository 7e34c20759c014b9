// Straight-line JavaScript for the D³ loops of EVE/VVE's MM iterations (mclust-orientation.ts),
// built once per D with the Function constructor, as src/cpu/unrolled.ts does for the E-step: the
// orientation D and the block W_k in local variables, every index a constant. At D = 6 an
// M-step runs these some 37 times per component, and the generic loops spend more on indexing
// than on arithmetic. The arithmetic is the generic loops' own, in the same order (a sum that
// starts from 0 starts from its first term: 0 + p is p), so results are the same. Where the
// Function constructor is not allowed (a strict Content-Security-Policy), the loops run instead.

/** MM 1's term of component c: f1[m][j] += (−ω·D[j][m] + Σ_i D[i][m]·W_k[i][j]) / a[m]. */
export type Mm1Term = (
  w: Float64Array,
  block: number,
  orientation: Float64Array,
  omega: number,
  a: Float64Array,
  f1: Float64Array,
) => void;

/** MM 2's term of component c: f2t[m][i] += (Σ_j W_k[i][j]·D[j][m])·gap[m]. */
export type Mm2Term = (
  w: Float64Array,
  block: number,
  orientation: Float64Array,
  gap: Float64Array,
  f2t: Float64Array,
) => void;

/** out[col] = Σ_i D[i][col]·(Σ_j W_k[i][j]·D[j][col]): diag(Dᵀ·W_k·D). */
export type RotatedDiagonal = (w: Float64Array, block: number, orientation: Float64Array, out: Float64Array) => void;

export interface OrientationKernels {
  readonly mm1: Mm1Term;
  readonly mm2: Mm2Term;
  readonly rotatedDiagonal: RotatedDiagonal;
}

/** Largest D with generated kernels (3·D² values in locals). */
export const ORIENTATION_UNROLLED_MAX_D = 8;

const loads = (name: string, array: string, offset: string, d: number): string[] =>
  Array.from({ length: d * d }, (_, i) => `const ${name}${i} = ${array}[${offset}${i}];`);

function mm1Source(d: number): string {
  const lines = [...loads('o', 'orientation', '', d), ...loads('w', 'w', 'block + ', d)];
  for (let m = 0; m < d; m++) {
    lines.push(`const a${m} = a[${m}];`);
    for (let j = 0; j < d; j++) {
      let sum = `-omega * o${j * d + m}`;
      for (let i = 0; i < d; i++) sum = `${sum} + o${i * d + m} * w${i * d + j}`;
      lines.push(`f1[${m * d + j}] = f1[${m * d + j}] + (${sum}) / a${m};`);
    }
  }
  return lines.join('\n');
}

function mm2Source(d: number): string {
  const lines = [...loads('o', 'orientation', '', d), ...loads('w', 'w', 'block + ', d)];
  for (let m = 0; m < d; m++) lines.push(`const g${m} = gap[${m}];`);
  for (let i = 0; i < d; i++)
    for (let m = 0; m < d; m++) {
      const terms = Array.from({ length: d }, (_, j) => `w${i * d + j} * o${j * d + m}`);
      lines.push(`f2t[${m * d + i}] = f2t[${m * d + i}] + (${terms.join(' + ')}) * g${m};`);
    }
  return lines.join('\n');
}

function rotatedDiagonalSource(d: number): string {
  const lines = [...loads('o', 'orientation', '', d), ...loads('w', 'w', 'block + ', d)];
  for (let col = 0; col < d; col++) {
    const outer = Array.from({ length: d }, (_, i) => {
      const inner = Array.from({ length: d }, (_, j) => `w${i * d + j} * o${j * d + col}`);
      return `o${i * d + col} * (${inner.join(' + ')})`;
    });
    lines.push(`out[${col}] = ${outer.join(' + ')};`);
  }
  return lines.join('\n');
}

function build<T>(args: string[], body: string): T | null {
  try {
    return new Function(...args, `'use strict';\n${body}`) as T;
  } catch (error) {
    // A Content-Security-Policy without 'unsafe-eval' throws EvalError; anything else (a
    // SyntaxError) is a bug in the generator and must not silently fall back.
    if (error instanceof EvalError) return null;
    throw error;
  }
}

const built = new Map<number, OrientationKernels | null>();

/** The generated kernels for D, or null past ORIENTATION_UNROLLED_MAX_D or where code cannot be generated. */
export function orientationKernels(d: number): OrientationKernels | null {
  if (d > ORIENTATION_UNROLLED_MAX_D) return null;
  let kernels = built.get(d);
  if (kernels === undefined) {
    const mm1 = build<Mm1Term>(['w', 'block', 'orientation', 'omega', 'a', 'f1'], mm1Source(d));
    const mm2 = build<Mm2Term>(['w', 'block', 'orientation', 'gap', 'f2t'], mm2Source(d));
    const rotatedDiagonal = build<RotatedDiagonal>(['w', 'block', 'orientation', 'out'], rotatedDiagonalSource(d));
    kernels = mm1 !== null && mm2 !== null && rotatedDiagonal !== null ? { mm1, mm2, rotatedDiagonal } : null;
    built.set(d, kernels);
  }
  return kernels;
}
