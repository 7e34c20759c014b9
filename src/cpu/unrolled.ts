// Straight-line JavaScript for the hot loops of the E-step at small D, built once per D with
// the Function constructor: the triangular solve (full/tied) or scaling (diag/spherical) with
// the factors and means in local variables, and the moment accumulation with its sums in
// locals instead of a read-modify-write of the partial per row. V8 keeps them in registers; at
// D = 8 this is several times faster than the generic loops. The arithmetic is the generic
// loops' own, in the same order, so results are bit-identical to them. Where the Function
// constructor is not allowed (a strict Content-Security-Policy), the generic loops run instead.

type Data = Float64Array | Float32Array;

/**
 * log w_k + log N(x | μ_k, Σ_k) of rows [start, end) for one component into
 * dest[(i − start)·k + c], given U (upper triangular) at u[ub..] and the mean at means[mb..].
 */
export type UnrolledLogProb = (
  data: Data,
  start: number,
  end: number,
  means: Float64Array,
  mb: number,
  u: Float64Array,
  ub: number,
  constant: number,
  dest: Float64Array,
  k: number,
  c: number,
) => void;

/**
 * Σ w·r, Σ w·r·(x − s) and the packed upper triangle of Σ w·r·(x − s)(x − s)ᵀ for component c
 * over rows [start, end), added into out at c, diffBase and outerBase.
 */
export type UnrolledAccumulate = (
  data: Data,
  start: number,
  end: number,
  resp: Float64Array,
  k: number,
  c: number,
  shifts: Float64Array,
  sb: number,
  weights: Float64Array | null,
  out: Float64Array,
  diffBase: number,
  outerBase: number,
) => void;

// Limits, measured at 100k rows, K = 16. Past them, generated functions that keep many sums in
// locals stop being optimised well by some V8 versions, and the four-row loops (accumulate.ts, log-prob.ts) are
// faster: in Chromium's Web Workers (V8 13) the full accumulation fell off a cliff from D = 15
// (0.078 s) to D = 16 (0.47 s), and the diag kernels at D = 64 took 2.6× the loops' time. Node 20
// (V8 11) optimised much larger ones (the solve to D = 48, the accumulation to D = 32), but the
// same sizes were up to 10× slower than the loops in Chromium's workers, so one set of limits
// that holds in both is used.
/** Largest D with a generated full/tied solve (D(D+1)/2 terms). */
export const UNROLLED_SOLVE_MAX_D = 16;
/** Largest D with a generated full/tied accumulation (D(D+1)/2 sums in locals: 120 at D = 15). */
export const UNROLLED_OUTER_MAX_D = 15;
/** Largest D with generated diag/spherical kernels (2D sums in locals). */
export const UNROLLED_DIAG_MAX_D = 32;

/**
 * log w_k + log N(x | μ_k, Σ_k) of rows [start, end) for one diag or spherical component into
 * dest[(i − start)·k + c], given the mean at means[mb..] and the precision factors at
 * factors[fb..] (D of them for diag, one for spherical).
 */
export type UnrolledDiagLogProb = (
  data: Data,
  start: number,
  end: number,
  means: Float64Array,
  mb: number,
  factors: Float64Array,
  fb: number,
  constant: number,
  dest: Float64Array,
  k: number,
  c: number,
) => void;

function build<T>(args: string[], body: string): T | null {
  try {
    return new Function(...args, body) as T;
  } catch (error) {
    // A Content-Security-Policy without 'unsafe-eval' throws EvalError; anything else (a
    // SyntaxError) is a bug in the generator and must not silently fall back.
    if (error instanceof EvalError) return null;
    throw error;
  }
}

function logProbSource(d: number): string {
  const lines: string[] = [];
  for (let a = 0; a < d; a++) lines.push(`const m${a} = means[mb + ${a}];`);
  for (let a = 0; a < d; a++) for (let j = a; j < d; j++) lines.push(`const u${a}_${j} = u[ub + ${a * d + j}];`);
  lines.push('for (let i = start; i < end; i++) {', `  const row = i * ${d};`);
  for (let a = 0; a < d; a++) lines.push(`  const d${a} = data[row + ${a}] - m${a};`);
  lines.push('  let quad = 0;', '  let y;');
  for (let j = 0; j < d; j++) {
    // Generic loop: y = 0; y += d_a·U_aj for a = 0..j. (0 + p) is p exactly, so start from the first term.
    const terms = Array.from({ length: j + 1 }, (_, a) => `d${a} * u${a}_${j}`);
    lines.push(`  y = ${terms[0]};`);
    for (const term of terms.slice(1)) lines.push(`  y += ${term};`);
    lines.push('  quad += y * y;');
  }
  lines.push('  dest[(i - start) * k + c] = constant - 0.5 * quad;', '}');
  return lines.join('\n');
}

function diagLogProbSource(d: number): string {
  const lines: string[] = [];
  for (let a = 0; a < d; a++) lines.push(`const m${a} = means[mb + ${a}];`, `const f${a} = factors[fb + ${a}];`);
  lines.push('for (let i = start; i < end; i++) {', `  const row = i * ${d};`);
  // Generic loop: quad = 0; quad += y·y with y = (x_a − m_a)·f_a. (0 + p) is p exactly.
  for (let a = 0; a < d; a++) {
    lines.push(`  const y${a} = (data[row + ${a}] - m${a}) * f${a};`);
    lines.push(a === 0 ? '  let quad = y0 * y0;' : `  quad += y${a} * y${a};`);
  }
  lines.push('  dest[(i - start) * k + c] = constant - 0.5 * quad;', '}');
  return lines.join('\n');
}

function sphericalLogProbSource(d: number): string {
  const lines: string[] = ['const u = factors[fb];', 'const u2 = u * u;'];
  for (let a = 0; a < d; a++) lines.push(`const m${a} = means[mb + ${a}];`);
  lines.push('for (let i = start; i < end; i++) {', `  const row = i * ${d};`);
  for (let a = 0; a < d; a++) {
    lines.push(`  const v${a} = data[row + ${a}] - m${a};`);
    lines.push(a === 0 ? '  let sq = v0 * v0;' : `  sq += v${a} * v${a};`);
  }
  lines.push('  dest[(i - start) * k + c] = constant - 0.5 * sq * u2;', '}');
  return lines.join('\n');
}

function diagAccumulateSource(d: number): string {
  const lines: string[] = [];
  for (let a = 0; a < d; a++) lines.push(`const s${a} = shifts[sb + ${a}];`);
  lines.push('let total = 0;');
  for (let a = 0; a < d; a++) lines.push(`let l${a} = 0;`, `let q${a} = 0;`);
  lines.push(
    'for (let i = start; i < end; i++) {',
    '  let r = resp[(i - start) * k + c];',
    '  if (r === 0) continue;',
    '  if (weights !== null) r *= weights[i];',
    '  total += r;',
    `  const row = i * ${d};`,
  );
  for (let a = 0; a < d; a++)
    lines.push(`  const e${a} = data[row + ${a}] - s${a};`, `  l${a} += r * e${a};`, `  q${a} += r * e${a} * e${a};`);
  lines.push('}');
  for (let a = 0; a < d; a++) lines.push(`out[diffBase + ${a}] += l${a};`);
  for (let a = 0; a < d; a++) lines.push(`out[outerBase + ${a}] += q${a};`);
  lines.push('out[c] += total;');
  return lines.join('\n');
}

function potentialsSource(d: number, trials: number): string {
  const lines: string[] = [];
  for (let t = 0; t < trials; t++)
    for (let a = 0; a < d; a++) lines.push(`const c${t}_${a} = candidates[${t * d + a}];`);
  for (let t = 0; t < trials; t++) lines.push(`let p${t} = 0;`);
  lines.push(
    'for (let i = 0; i < rows; i++) {',
    '  const w = weights === null ? 1 : weights[i];',
    '  const current = closest[i];',
    `  const row = i * ${d};`,
  );
  for (let a = 0; a < d; a++) lines.push(`  const x${a} = data[row + ${a}];`);
  lines.push('  let v, dist;');
  for (let t = 0; t < trials; t++) {
    // Generic loop: dist = 0; dist += v·v per coordinate. (0 + p) is p exactly.
    for (let a = 0; a < d; a++)
      lines.push(`  v = x${a} - c${t}_${a};`, a === 0 ? '  dist = v * v;' : '  dist += v * v;');
    lines.push(`  p${t} += w * Math.min(dist, current);`);
  }
  lines.push('}');
  for (let t = 0; t < trials; t++) lines.push(`potentials[${t}] = p${t};`);
  return lines.join('\n');
}

function accumulateSource(d: number): string {
  const lines: string[] = [];
  for (let a = 0; a < d; a++) lines.push(`const s${a} = shifts[sb + ${a}];`);
  lines.push('let total = 0;');
  for (let a = 0; a < d; a++) lines.push(`let l${a} = 0;`);
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) lines.push(`let q${a}_${b} = 0;`);
  lines.push(
    'for (let i = start; i < end; i++) {',
    '  let r = resp[(i - start) * k + c];',
    '  if (r === 0) continue;',
    '  if (weights !== null) r *= weights[i];',
    '  total += r;',
    `  const row = i * ${d};`,
  );
  for (let a = 0; a < d; a++) lines.push(`  const e${a} = data[row + ${a}] - s${a};`, `  l${a} += r * e${a};`);
  for (let a = 0; a < d; a++) {
    lines.push(`  const re${a} = r * e${a};`);
    for (let b = a; b < d; b++) lines.push(`  q${a}_${b} += re${a} * e${b};`);
  }
  lines.push('}');
  for (let a = 0; a < d; a++) lines.push(`out[diffBase + ${a}] += l${a};`);
  let q = 0;
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) lines.push(`out[outerBase + ${q++}] += q${a}_${b};`);
  lines.push('out[c] += total;');
  return lines.join('\n');
}

let enabled = true;

/** Switches the generated code off (the generic loops run); for tests that compare the two. */
export function setUnrolledEnabled(on: boolean): void {
  enabled = on;
}

const logProbCache = new Map<number, UnrolledLogProb | null>();
const accumulateCache = new Map<number, UnrolledAccumulate | null>();

const diagLogProbCache = new Map<number, UnrolledDiagLogProb | null>();
const sphericalLogProbCache = new Map<number, UnrolledDiagLogProb | null>();
const diagAccumulateCache = new Map<number, UnrolledAccumulate | null>();
const DIAG_ARGS = ['data', 'start', 'end', 'means', 'mb', 'factors', 'fb', 'constant', 'dest', 'k', 'c'];
const ACCUMULATE_ARGS = [
  'data',
  'start',
  'end',
  'resp',
  'k',
  'c',
  'shifts',
  'sb',
  'weights',
  'out',
  'diffBase',
  'outerBase',
];

function cached<T>(
  cache: Map<number, T | null>,
  d: number,
  maxD: number,
  args: string[],
  source: (d: number) => string,
): T | null {
  if (!enabled || d > maxD) return null;
  if (!cache.has(d)) cache.set(d, build<T>(args, source(d)));
  return cache.get(d) ?? null;
}

export function unrolledDiagLogProb(d: number): UnrolledDiagLogProb | null {
  return cached(diagLogProbCache, d, UNROLLED_DIAG_MAX_D, DIAG_ARGS, diagLogProbSource);
}

export function unrolledSphericalLogProb(d: number): UnrolledDiagLogProb | null {
  return cached(sphericalLogProbCache, d, UNROLLED_DIAG_MAX_D, DIAG_ARGS, sphericalLogProbSource);
}

/** As unrolledAccumulate with the diagonal second moments only (P = D). */
export function unrolledDiagAccumulate(d: number): UnrolledAccumulate | null {
  return cached(diagAccumulateCache, d, UNROLLED_DIAG_MAX_D, ACCUMULATE_ARGS, diagAccumulateSource);
}

/**
 * k-means++: for each of `trials` candidate centres (row-major in candidates), the potential
 * Σ_i w_i·min(‖x_i − candidate‖², closest_i) over rows [0, rows), into potentials.
 */
export type UnrolledPotentials = (
  data: Data,
  rows: number,
  weights: Float64Array | null,
  closest: Float64Array,
  candidates: Float64Array,
  potentials: Float64Array,
) => void;

const potentialsCache = new Map<number, UnrolledPotentials | null>();

/** For D ≤ 16 and up to 16 candidates (k-means++ draws 2 + ⌊ln K⌋ ≤ 10 for K ≤ 4096). */
export function unrolledPotentials(d: number, trials: number): UnrolledPotentials | null {
  if (d > 16 || trials > 16) return null;
  const args = ['data', 'rows', 'weights', 'closest', 'candidates', 'potentials'];
  return cached(potentialsCache, d * 17 + trials, Infinity, args, () => potentialsSource(d, trials));
}

export function unrolledLogProb(d: number): UnrolledLogProb | null {
  return cached(
    logProbCache,
    d,
    UNROLLED_SOLVE_MAX_D,
    ['data', 'start', 'end', 'means', 'mb', 'u', 'ub', 'constant', 'dest', 'k', 'c'],
    logProbSource,
  );
}

export function unrolledAccumulate(d: number): UnrolledAccumulate | null {
  return cached(accumulateCache, d, UNROLLED_OUTER_MAX_D, ACCUMULATE_ARGS, accumulateSource);
}
