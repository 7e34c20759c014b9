// WGSL sources (shaders/*.wgsl, imported as text with ?raw) and the assembly of a module:
// a header of constants specialised per (K, D, covariance type, moments, weighted), then
// common.wgsl, the job's row function and the kernel shape.

import commonSource from '../../shaders/common.wgsl?raw';
import runSource from '../../shaders/run_uniform.wgsl?raw';
import estepSource from '../../shaders/estep_stats.wgsl?raw';
import assignSource from '../../shaders/assign.wgsl?raw';
import randomSource from '../../shaders/random_resp.wgsl?raw';
import fusedSource from '../../shaders/stats_fused.wgsl?raw';
import respSource from '../../shaders/stats_resp.wgsl?raw';
import tileSource from '../../shaders/stats_tile.wgsl?raw';
import tiledSource from '../../shaders/stats_tiled.wgsl?raw';
import rowsTriSource from '../../shaders/stats_rows_tri.wgsl?raw';
import reduceSource from '../../shaders/stats_reduce.wgsl?raw';
import vecSource from '../../shaders/stats_vec.wgsl?raw';
import vec2Source from '../../shaders/vec2.wgsl?raw';
import vec4Source from '../../shaders/vec4.wgsl?raw';
import evaluateSource from '../../shaders/evaluate.wgsl?raw';
import kmeansppSource from '../../shaders/kmeanspp.wgsl?raw';
import type { CovarianceType } from '../options.ts';

export type Job = 'estep' | 'assign' | 'random';
/** 0 none, 1 diagonal, 2 full (packed upper triangle). */
export type MomentCode = 0 | 1 | 2;

export const COV_CODE: Record<CovarianceType, number> = { full: 0, tied: 1, diag: 2, spherical: 3 };

export function packedSizeOf(d: number, mom: MomentCode): number {
  return mom === 2 ? (d * (d + 1)) / 2 : mom === 1 ? d : 0;
}

export function statCount(k: number, d: number, mom: MomentCode): number {
  return k + k * d + k * packedSizeOf(d, mom) + 2;
}

/** Number of precision-factor floats for a covariance type. */
export function factorCount(cov: CovarianceType, k: number, d: number): number {
  switch (cov) {
    case 'full':
      return k * d * d;
    case 'tied':
      return d * d;
    case 'diag':
      return k * d;
    case 'spherical':
      return k;
  }
}

export interface ModuleSpec {
  readonly k: number;
  readonly d: number;
  readonly cov: CovarianceType;
  readonly mom: MomentCode;
  readonly weighted: boolean;
}

function weightDecl(weighted: boolean): string {
  return weighted
    ? '@group(0) @binding(1) var<storage, read> wts: array<f32>;\nfn weight(i: u32) -> f32 { return wts[i]; }\n'
    : 'fn weight(i: u32) -> f32 { return 1.0; }\n';
}

function header(spec: ModuleSpec): string {
  const { k, d, cov, mom, weighted } = spec;
  const p = packedSizeOf(d, mom);
  const offF = k * d;
  const offC = offF + factorCount(cov, k, d);
  return [
    `const K: u32 = ${k}u;`,
    `const D: u32 = ${d}u;`,
    `const COV: u32 = ${COV_CODE[cov]}u;`,
    `const MOM: u32 = ${mom}u;`,
    `const P: u32 = ${p}u;`,
    `const S: u32 = ${statCount(k, d, mom)}u;`,
    `const OFF_F: u32 = ${offF}u;`,
    `const OFF_C: u32 = ${offC}u;`,
    weightDecl(weighted),
  ].join('\n');
}

/** The part of a job file for one kernel shape (sections start at `//#small`, `//#scratch`). */
function jobSection(job: Job, section: 'small' | 'scratch' | 'vector'): string {
  const source = job === 'estep' ? estepSource : job === 'assign' ? assignSource : randomSource;
  const start = source.indexOf(`//#${section}`);
  if (start < 0) throw new Error(`shader for job ${job} has no ${section} section`);
  const next = source.indexOf('//#', start + 3);
  return source.slice(start, next < 0 ? undefined : next);
}

export function fusedModule(job: Job, spec: ModuleSpec): string {
  return `${header(spec)}\n${commonSource}\n${runSource}\n${jobSection(job, 'small')}\n${fusedSource}`;
}

/** Vector width of the register kernel for D features (D <= 4). */
export function vectorWidth(d: number): number {
  return d <= 2 ? 2 : 4;
}

/** Parameter floats in the register kernel's vector layout. */
export function vectorParamCount(job: Job, cov: CovarianceType, k: number, d: number): number {
  const dv = vectorWidth(d);
  if (job !== 'estep') return k * dv;
  const f = cov === 'full' ? k * dv * dv : cov === 'tied' ? dv * dv : cov === 'diag' ? k * dv : k;
  return k * dv + f + k;
}

export function vectorModule(job: Job, spec: ModuleSpec): string {
  const vec = vectorWidth(spec.d) === 2 ? vec2Source : vec4Source;
  const nv = Math.max(1, Math.ceil(vectorParamCount(job, spec.cov, spec.k, spec.d) / 4));
  return `${header(spec)}\nconst NV: u32 = ${nv}u;\n${commonSource}\n${runSource}\n${vec}\n${jobSection(job, 'vector')}\n${vecSource}`;
}

/**
 * Most rows per invocation of the register kernel within the loop budget (it walks its rows
 * K + 1 times); 0 when even one row is too many.
 */
export function vectorRowCap(k: number, d: number, mom: MomentCode): number {
  const fixed = k * (d + packedSizeOf(d, mom) + 6) + 8;
  return Math.max(0, Math.floor((LOOP_BUDGET - fixed) / (2 * k + d + 6)));
}

export function respModule(job: Job, spec: ModuleSpec): string {
  return `${header(spec)}\n${commonSource}\n${runSource}\n${jobSection(job, 'scratch')}\n${respSource}`;
}

export function tileModule(spec: ModuleSpec): string {
  return `${header({ ...spec, weighted: false })}\n${commonSource}\n${runSource}\n${tileSource}`;
}

/** vec4 blocks per padded row z = [1, x − c] of the tiled statistics pass. */
export function tiledRowVecs(d: number): number {
  return Math.ceil((d + 1) / 4);
}

/**
 * Register blocks of Σ r·z·zᵀ the tiled pass computes per component, each 4·rb rows × 4·cb
 * columns (rb row blocks, cb column blocks): the upper triangle (MOM 2), else row 0 (+ the
 * diagonal, MOM 1; rb 1 only).
 */
export function tiledBlockCount(d: number, mom: MomentCode, cb = 1, rb = 1): number {
  const nb = tiledRowVecs(d);
  if (mom === 2) {
    let n = 0;
    for (let ba = 0; ba < nb; ba += rb) n += Math.ceil((nb - ba) / cb);
    return n;
  }
  if (rb !== 1) throw new Error('tiledBlockCount: rb > 1 needs MOM 2');
  return Math.ceil(nb / cb) + (mom === 1 ? nb - 1 : 0);
}

/** stats_tiled.wgsl: pass B of the tiled shape (pass A is stats_resp.wgsl's rows_main); the pipeline's CB and RB must be cb and rb. */
export function tiledModule(spec: ModuleSpec, cb = 1, rb = 1): string {
  const nb = tiledRowVecs(spec.d);
  return `${header({ ...spec, weighted: false })}\nconst NB: u32 = ${nb}u;\nconst NBLK: u32 = ${tiledBlockCount(spec.d, spec.mom, cb, rb)}u;\n${commonSource}\n${runSource}\n${tiledSource}`;
}

/**
 * Loop iterations one row costs rows_main (K component values, finish_row, the weighting);
 * an upper estimate.
 */
export function rowIterations(job: Job, cov: CovarianceType, k: number, d: number): number {
  const solve = job === 'estep' && (cov === 'full' || cov === 'tied') ? (d * (d + 1)) / 2 : 0;
  return k * (8 + 2 * d + solve) + 4 * k + d + 8;
}

export function reduceModule(s: number): string {
  return `const S: u32 = ${s}u;\n${runSource}\n${reduceSource}`;
}

/** Largest D the generated triangular solve of stats_rows_tri.wgsl is built for (code size). */
export const TRI_MAX_D = 64;

/**
 * Straight-line WGSL for D features: load_x (a row as D4 vec4, zero-padded) and tri_quad
 * (|(x − μ)·U|² of staged component kk, y_j = Σ_{a ≤ j} (x − μ)_a·U_aj accumulated in order a,
 * then Σ_j y_j² in order j, as log_prob in common.wgsl). Constant indices only.
 */
export function triSolveSource(d: number): string {
  const d4 = Math.ceil(d / 4);
  const comp = ['x', 'y', 'z', 'w'];
  const out: string[] = [`const D4: u32 = ${d4}u;`, '', 'fn load_x(xi: u32) -> array<vec4<f32>, D4> {', '  var x: array<vec4<f32>, D4>;'];
  for (let b = 0; b < d4; b++) {
    const e = [0, 1, 2, 3].map((q) => (b * 4 + q < d ? `data[xi + ${b * 4 + q}u]` : '0.0'));
    out.push(`  x[${b}] = vec4<f32>(${e.join(', ')});`);
  }
  out.push('  return x;', '}', '', 'fn tri_quad(x: array<vec4<f32>, D4>, kk: u32) -> f32 {', '  let mb = kk * D4;', '  let ub = kk * (D * D4);');
  for (let b = 0; b < d4; b++) out.push(`  let d${b} = x[${b}] - wm[mb + ${b}u];`);
  for (let a = 0; a < d; a++) {
    const da = `d${Math.floor(a / 4)}.${comp[a % 4]}`;
    for (let jb = Math.floor(a / 4); jb < d4; jb++) {
      const u = `wu[ub + ${a * d4 + jb}u]`;
      // Row 0 spans every block: it starts the accumulators.
      out.push(a === 0 ? `  var y${jb} = ${da} * ${u};` : `  y${jb} += ${da} * ${u};`);
    }
  }
  out.push('  var q = y0.x * y0.x;');
  for (let j = 1; j < d; j++) out.push(`  q += y${Math.floor(j / 4)}.${comp[j % 4]} * y${Math.floor(j / 4)}.${comp[j % 4]};`);
  out.push('  return q;', '}', '');
  return out.join('\n');
}

/**
 * Straight-line WGSL for D features: tri_quad2, tri_quad for two rows at once (x0 → .x,
 * x1 → .y), each staged factor vec4 loaded once for both rows; per row the same operations in
 * the same order as tri_quad. Needs triSolveSource(d) (D4).
 */
export function triSolvePairSource(d: number): string {
  const d4 = Math.ceil(d / 4);
  const comp = ['x', 'y', 'z', 'w'];
  const out: string[] = ['fn tri_quad2(x0: array<vec4<f32>, D4>, x1: array<vec4<f32>, D4>, kk: u32) -> vec2<f32> {', '  let mb = kk * D4;', '  let ub = kk * (D * D4);'];
  for (let b = 0; b < d4; b++) out.push(`  let m${b} = wm[mb + ${b}u];`, `  let d${b} = x0[${b}] - m${b};`, `  let e${b} = x1[${b}] - m${b};`);
  for (let a = 0; a < d; a++) {
    const c = `${Math.floor(a / 4)}.${comp[a % 4]}`;
    for (let jb = Math.floor(a / 4); jb < d4; jb++) {
      out.push(`  let u${a}_${jb} = wu[ub + ${a * d4 + jb}u];`);
      // Row 0 spans every block: it starts the accumulators.
      if (a === 0) out.push(`  var y${jb} = d${c} * u${a}_${jb};`, `  var z${jb} = e${c} * u${a}_${jb};`);
      else out.push(`  y${jb} += d${c} * u${a}_${jb};`, `  z${jb} += e${c} * u${a}_${jb};`);
    }
  }
  out.push('  var q = y0.x * y0.x;', '  var r = z0.x * z0.x;');
  for (let j = 1; j < d; j++) {
    const v = `${Math.floor(j / 4)}.${comp[j % 4]}`;
    out.push(`  q += y${v} * y${v};`, `  r += z${v} * z${v};`);
  }
  out.push('  return vec2<f32>(q, r);', '}', '');
  return out.join('\n');
}

/**
 * Pass A of the tiled shape for the E-step with full/tied covariance (stats_rows_tri.wgsl's
 * rows_tri_main, rows_tri_kmain); with `pair`, also tri_quad2 and the `//#pair` section
 * (rows_tri_pair_main: two rows per invocation per row step).
 */
export function rowsTriModule(spec: ModuleSpec, pair = false): string {
  const at = rowsTriSource.indexOf('//#pair');
  if (at < 0) throw new Error('stats_rows_tri.wgsl has no pair section');
  const main = rowsTriSource.slice(0, at);
  return pair
    ? `${respModule('estep', spec)}\n${triSolveSource(spec.d)}\n${triSolvePairSource(spec.d)}\n${main}\n${rowsTriSource.slice(at)}`
    : `${respModule('estep', spec)}\n${triSolveSource(spec.d)}\n${main}`;
}

/** Workgroup bytes per staged component of rows_tri_main (factor rows, centre; constant). */
export function triBytesPerComponent(d: number): number {
  const d4 = Math.ceil(d / 4);
  return d * d4 * 16 + d4 * 16 + 4;
}

/**
 * Loop iterations of rows_tri_main (rowsOuter; rows_tri_pair_main with pair 2) or rows_tri_kmain
 * for `rows` row steps per invocation (pair rows each), staging KC components at a time with WG
 * invocations; an upper estimate.
 */
export function triIterations(k: number, d: number, kc: number, wg: number, rows: number, rowsOuter: boolean, pair = 1): number {
  const d4 = Math.ceil(d / 4);
  const groups = Math.ceil(k / kc);
  const stage = Math.ceil((kc * d * d4) / wg) * 5 + Math.ceil((kc * d4) / wg) * 5 + Math.ceil(kc / wg) + 2;
  const finish = 5 * k + 8;
  return rowsOuter ? rows * (groups * (stage + kc + 1) + pair * finish) : groups * (stage + 1 + rows * (kc + 1)) + rows * finish + 4;
}

/** stats_resp.wgsl's value_main (E-step values) plus evaluate.wgsl's eval_main. */
export function evaluateModule(spec: ModuleSpec): string {
  return `${header({ ...spec, mom: 0, weighted: false })}\n${commonSource}\n${runSource}\n${jobSection('estep', 'scratch')}\n${respSource}\n${evaluateSource}`;
}

/**
 * Loop iterations one row costs an invocation of the fused kernel (an upper estimate). Mesa's
 * llvmpipe ends an invocation after 65535 loop iterations in total, so rows per invocation
 * are capped by this.
 */
export function fusedIterationsPerRow(k: number, d: number, mom: MomentCode): number {
  return k * (8 + 4 * d + d * (d + 1) + packedSizeOf(d, mom)) + 2 * d + 8;
}

/** Loop-iteration budget per invocation (under llvmpipe's 65535). */
export const LOOP_BUDGET = 50000;

export function kmeansppModule(d: number, weighted: boolean): string {
  return `const D: u32 = ${d}u;\n${weightDecl(weighted)}\n${runSource}\n${kmeansppSource}`;
}
