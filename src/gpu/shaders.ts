// WGSL sources (shaders/*.wgsl, imported as text with ?raw) and the assembly of a module: a
// header of constants specialised per (K, D, covariance type, moments, weighted, whitened),
// then common.wgsl, the job's row functions and the kernel. Straight-line WGSL that depends on
// D (the triangular solve) is generated here.

import commonSource from '../../shaders/common.wgsl?raw';
import runSource from '../../shaders/run_uniform.wgsl?raw';
import estepSource from '../../shaders/estep_stats.wgsl?raw';
import assignSource from '../../shaders/assign.wgsl?raw';
import randomSource from '../../shaders/random_resp.wgsl?raw';
import respSource from '../../shaders/stats_resp.wgsl?raw';
import tiledSource from '../../shaders/stats_tiled.wgsl?raw';
import rowsTriSource from '../../shaders/stats_rows_tri.wgsl?raw';
import reduceSource from '../../shaders/stats_reduce.wgsl?raw';
import vecSource from '../../shaders/stats_vec.wgsl?raw';
import vec2Source from '../../shaders/vec2.wgsl?raw';
import vec4Source from '../../shaders/vec4.wgsl?raw';
import evaluateSource from '../../shaders/evaluate.wgsl?raw';
import kmeansppSource from '../../shaders/kmeanspp.wgsl?raw';
import type { CovarianceForm } from '../model/covariance.ts';
import { statsLayout, type Moments } from '../sufficient-stats.ts';
import { declareBuffers, type BufferUse } from './bindings.ts';
import { factorCount, vectorWidth } from './layout.ts';
import { InternalError } from '../errors.ts';

export type Job = 'estep' | 'assign' | 'random';

/** Second moments as the kernels' MOM constant codes them: 0 none, 1 diagonal, 2 full (packed upper triangle). */
function momentCode(moments: Moments): 0 | 1 | 2 {
  return moments === 'full' ? 2 : moments === 'diag' ? 1 : 0;
}

export const COV_CODE: Record<CovarianceForm, number> = { full: 0, tied: 1, diag: 2, spherical: 3 };

export interface ModuleSpec {
  readonly k: number;
  readonly d: number;
  readonly cov: CovarianceForm;
  readonly moments: Moments;
  readonly weighted: boolean;
  /** Second moments in whitened coordinates (full/tied E-steps). */
  readonly whiten: boolean;
}

// The buffers each WGSL file uses (src/gpu/bindings.ts declares them for a module).
const COMMON: BufferUse = { prm: 'read' };
const RESP: BufferUse = { data: 'read', scr: 'read_write', run: 'uniform' };
const TILED: BufferUse = { data: 'read', scr: 'read', part: 'read_write', run: 'uniform' };
const VECTOR: BufferUse = { data: 'read', part: 'read_write', run: 'uniform', rowv: 'read_write', prmu: 'uniform' };
const REDUCE: BufferUse = { part: 'read', res: 'read_write', run: 'uniform' };
const EVALUATE: BufferUse = { rowinfo: 'read_write' };
const KMEANSPP: BufferUse = { data: 'read', cand: 'read', closest: 'read_write', sums: 'read_write', run: 'uniform' };

/** weight(i): the row's sample weight, or 1. */
function weightFn(weighted: boolean): string {
  return weighted ? 'fn weight(i: u32) -> f32 { return wts[i]; }\n' : 'fn weight(i: u32) -> f32 { return 1.0; }\n';
}

/** store_y(k, i, a, v): a no-op, or the store of whitened coordinate a of row i for component k. */
function storeYFn(store: boolean): string {
  return store
    ? 'fn store_y(k: u32, i: u32, a: u32, v: f32) { yscr[(k * BLOCK + i) * D + a] = v; }\n'
    : 'fn store_y(k: u32, i: u32, a: u32, v: f32) {}\n';
}

/** The specialised constants, the module's buffer declarations, and weight() / store_y(). */
function header(spec: ModuleSpec, buffers: BufferUse, storeY = false): string {
  const { k, d, cov, moments, weighted, whiten } = spec;
  const use: BufferUse = {
    ...buffers,
    ...(weighted ? { wts: 'read' } : {}),
    ...(storeY ? { yscr: 'read_write' } : {}),
  };
  const layout = statsLayout(k, d, moments);
  const offF = k * d;
  const offC = offF + factorCount(cov, k, d);
  return [
    `const K: u32 = ${k}u;`,
    `const D: u32 = ${d}u;`,
    `const COV: u32 = ${COV_CODE[cov]}u;`,
    `const MOM: u32 = ${momentCode(moments)}u;`,
    `const P: u32 = ${layout.packed}u;`,
    `const S: u32 = ${layout.size}u;`,
    `const OFF_F: u32 = ${offF}u;`,
    `const OFF_C: u32 = ${offC}u;`,
    `const WHITEN: bool = ${whiten};`,
    declareBuffers(use),
    weightFn(weighted),
    storeYFn(storeY),
  ].join('\n');
}

/** The part of a job file for one kernel shape (sections start at `//#scratch`, `//#vector`). */
function jobSection(job: Job, section: 'scratch' | 'vector'): string {
  const source = job === 'estep' ? estepSource : job === 'assign' ? assignSource : randomSource;
  const start = source.indexOf(`//#${section}`);
  if (start < 0) throw new InternalError(`shader for job ${job} has no ${section} section`);
  const next = source.indexOf('//#', start + 3);
  return source.slice(start, next < 0 ? undefined : next);
}

/** The vector shape (stats_vec.wgsl): registers only, D ≤ 4; `paramFloats` in its layout. */
export function vectorModule(job: Job, spec: ModuleSpec, paramFloats: number): string {
  const vec = vectorWidth(spec.d) === 2 ? vec2Source : vec4Source;
  const nv = Math.max(1, Math.ceil(paramFloats / 4));
  return `${header(spec, { ...COMMON, ...VECTOR })}\nconst NV: u32 = ${nv}u;\n${commonSource}\n${runSource}\n${vec}\n${jobSection(job, 'vector')}\n${vecSource}`;
}

/** Per-row passes (stats_resp.wgsl): rows_main, value_main, finish_main; whitened coordinates stored when spec.whiten. */
export function respModule(job: Job, spec: ModuleSpec): string {
  return `${header(spec, { ...COMMON, ...RESP }, spec.whiten)}\n${commonSource}\n${runSource}\n${jobSection(job, 'scratch')}\n${respSource}`;
}

/** Pass B of the tiled shape; v is x − c_k (or x, KB > 1) from the data, or whitened coordinates from yscr. */
export function tiledModule(spec: ModuleSpec, blocksPerRow: number, blocks: number): string {
  const tile = spec.whiten
    ? 'fn tile_value(k: u32, row: u32, a: u32) -> f32 { return yscr[(k * BLOCK + row) * D + a]; }\n'
    : 'fn tile_value(k: u32, row: u32, a: u32) -> f32 {\n  let v = data[(run.data_off + row) * D + a];\n  if (KB > 1u) { return v; }\n  return v - prm[k * D + a];\n}\n';
  const buffers: BufferUse = { ...COMMON, ...TILED, ...(spec.whiten ? { yscr: 'read' } : {}) };
  return `${header({ ...spec, weighted: false }, buffers)}\nconst NB: u32 = ${blocksPerRow}u;\nconst NBLK: u32 = ${blocks}u;\n${commonSource}\n${runSource}\n${tile}\n${tiledSource}`;
}

/**
 * Straight-line WGSL for D features: load_x (a row as D4 vec4, zero-padded) and
 * tri_quad(x, kk, k, i) = |(x − μ_k)·U_k|² of staged component kk: y_j = Σ_{a ≤ j} (x − μ)_a·U_aj
 * accumulated in order a, then Σ_j y_j² in order j (as log_prob in common.wgsl); with `whiten`,
 * each y_j also goes to store_y. Constant indices only.
 */
export function triSolveSource(d: number, whiten: boolean): string {
  const d4 = Math.ceil(d / 4);
  const comp = ['x', 'y', 'z', 'w'];
  const out: string[] = [
    `const D4: u32 = ${d4}u;`,
    '',
    'fn load_x(xi: u32) -> array<vec4<f32>, D4> {',
    '  var x: array<vec4<f32>, D4>;',
  ];
  for (let b = 0; b < d4; b++) {
    const e = [0, 1, 2, 3].map((q) => (b * 4 + q < d ? `data[xi + ${b * 4 + q}u]` : '0.0'));
    out.push(`  x[${b}] = vec4<f32>(${e.join(', ')});`);
  }
  out.push(
    '  return x;',
    '}',
    '',
    'fn tri_quad(x: array<vec4<f32>, D4>, kk: u32, k: u32, i: u32) -> f32 {',
    '  let mb = kk * D4;',
    '  let ub = kk * (D * D4);',
  );
  for (let b = 0; b < d4; b++) out.push(`  let d${b} = x[${b}] - wm[mb + ${b}u];`);
  for (let a = 0; a < d; a++) {
    const da = `d${Math.floor(a / 4)}.${comp[a % 4]}`;
    for (let jb = Math.floor(a / 4); jb < d4; jb++) {
      const u = `wu[ub + ${a * d4 + jb}u]`;
      // Row 0 spans every block: it starts the accumulators.
      out.push(a === 0 ? `  var y${jb} = ${da} * ${u};` : `  y${jb} += ${da} * ${u};`);
    }
  }
  const y = (j: number): string => `y${Math.floor(j / 4)}.${comp[j % 4]}`;
  if (whiten) for (let j = 0; j < d; j++) out.push(`  store_y(k, i, ${j}u, ${y(j)});`);
  out.push(`  var q = ${y(0)} * ${y(0)};`);
  for (let j = 1; j < d; j++) out.push(`  q += ${y(j)} * ${y(j)};`);
  out.push('  return q;', '}', '');
  return out.join('\n');
}

/** Pass A of the tiled shape for full/tied E-steps (stats_rows_tri.wgsl: rows_tri_main, rows_tri_kmain). */
export function rowsTriModule(spec: ModuleSpec): string {
  return `${respModule('estep', spec)}\n${triSolveSource(spec.d, spec.whiten)}\n${rowsTriSource}`;
}

export function reduceModule(s: number): string {
  return `const S: u32 = ${s}u;\n${declareBuffers(REDUCE)}\n${runSource}\n${reduceSource}`;
}

/** stats_resp.wgsl's value_main (E-step values) plus evaluate.wgsl's eval_main. */
export function evaluateModule(k: number, d: number, cov: CovarianceForm): string {
  const spec: ModuleSpec = { k, d, cov, moments: null, weighted: false, whiten: false };
  return `${header(spec, { ...COMMON, ...RESP, ...EVALUATE })}\n${commonSource}\n${runSource}\n${jobSection('estep', 'scratch')}\n${respSource}\n${evaluateSource}`;
}

export function kmeansppModule(d: number, weighted: boolean): string {
  const buffers: BufferUse = { ...KMEANSPP, ...(weighted ? { wts: 'read' } : {}) };
  return `const D: u32 = ${d}u;\n${declareBuffers(buffers)}\n${weightFn(weighted)}\n${runSource}\n${kmeansppSource}`;
}
