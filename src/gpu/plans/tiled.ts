// The tiled shape, for D > 4 (and any K): per block of rows sharing one scratch buffer,
//   pass A (stats_resp.wgsl rows_main, or for full/tied E-steps the generated triangular solve
//   of stats_rows_tri.wgsl, or value_main + finish_main when one row's K components exceed the
//   loop budget) writes w·r per (row, component) and, for full/tied E-steps, the whitened
//   coordinates y = Uᵀ(x − μ_k);
//   pass B (stats_tiled.wgsl) accumulates Σ r·z·zᵀ, z = [1, v], over row tiles held in
//   workgroup memory, in (4·RB)×(4·CB) register blocks, KB components per tile, storing into
//   (first block) or adding to the partial slots;
// then the reduction. The cost model beside it keeps every invocation under the loop budget.

import { statsLayout, type Moments } from '../../sufficient-stats.ts';
import { COPY_DST, COPY_SRC, MAP_READ, STORAGE, type BufferSet, type Dispatch, type GpuContext } from '../context.ts';
import { FACTOR_SHAPES, factorCount } from '../layout.ts';
import { respModule, rowsTriModule, tiledModule, type Job, type ModuleSpec } from '../shaders.ts';
import { LOOP_BUDGET } from '../tuning.ts';
import { RunTable } from '../uniforms.ts';
import type { Chunk, StatsPlan } from './plan.ts';
import { reduceDispatches, reduceLevels } from './reduce.ts';
import { InternalError } from '../../errors.ts';
import type { Bindings } from '../bindings.ts';

/** Largest D the generated triangular solve of stats_rows_tri.wgsl is built for (code size). */
export const TRI_MAX_D = 64;

/** vec4 blocks per padded row z = [1, v] of pass B. */
export function tiledRowVecs(d: number): number {
  return Math.ceil((d + 1) / 4);
}

/** Whether pass B's smallest tile (one padded row and its responsibility) fits workgroup memory. */
export function tiledFits(ctx: GpuContext, d: number): boolean {
  return tiledRowVecs(d) * 16 + 4 <= ctx.limits.wgMem;
}

/**
 * Register blocks of Σ r·z·zᵀ pass B computes per component, each 4·rb rows × 4·cb columns:
 * the upper triangle (full moments), else row 0 (+ the diagonal for diag moments; rb 1 only).
 */
export function tiledBlockCount(d: number, moments: Moments, cb = 1, rb = 1): number {
  const nb = tiledRowVecs(d);
  if (moments === 'full') {
    let n = 0;
    for (let ba = 0; ba < nb; ba += rb) n += Math.ceil((nb - ba) / cb);
    return n;
  }
  if (rb !== 1) throw new InternalError('tiledBlockCount: rb > 1 needs full moments');
  return Math.ceil(nb / cb) + (moments === 'diag' ? nb - 1 : 0);
}

/** Loop iterations one row costs rows_main (K component values, finish_row, the weighting); an upper estimate. */
export function rowIterations(job: Job, spec: ModuleSpec): number {
  const { k, d, cov } = spec;
  const solve = job === 'estep' && FACTOR_SHAPES[cov].matrix ? (d * (d + 1)) / 2 : 0;
  return k * (8 + 2 * d + solve) + 4 * k + d + 8;
}

/** Workgroup bytes per staged component of the triangular solve (factor rows, centre, constant). */
export function triBytesPerComponent(d: number): number {
  const d4 = Math.ceil(d / 4);
  return d * d4 * 16 + d4 * 16 + 4;
}

/**
 * Loop iterations of rows_tri_main (rowsOuter) or rows_tri_kmain for `rows` row steps per
 * invocation, staging KC components at a time with WG invocations; an upper estimate.
 */
export function triIterations(k: number, d: number, kc: number, wg: number, rows: number, rowsOuter: boolean): number {
  const d4 = Math.ceil(d / 4);
  const groups = Math.ceil(k / kc);
  const stage = Math.ceil((kc * d * d4) / wg) * 5 + Math.ceil((kc * d4) / wg) * 5 + Math.ceil(kc / wg) + 2;
  const finish = 5 * k + 8;
  return rowsOuter
    ? rows * (groups * (stage + kc + 1) + finish)
    : groups * (stage + 1 + rows * (kc + 1)) + rows * finish + 4;
}

interface Block {
  readonly chunk: Chunk;
  readonly start: number;
  readonly rows: number;
}

/** Pass B's shape: register and component blocking, workgroup size and tile rows. */
function passBShape(ctx: GpuContext, spec: ModuleSpec) {
  const { k, d, moments } = spec;
  const t = ctx.tuning;
  const lim = ctx.limits;
  const nb = tiledRowVecs(d);
  const rb = moments === 'full' ? Math.max(1, Math.min(2, t.tiledRowBlocks)) : 1;
  const cb = rb === 2 ? 2 : Math.max(1, Math.min(2, t.tiledColumnBlocks ?? (d > 12 ? 2 : 1)));
  const blocks = tiledBlockCount(d, moments, cb, rb);
  // Whitened coordinates differ per component, so a tile serves one component (KB 1).
  const kb = spec.whiten
    ? 1
    : Math.max(1, Math.min(k, 16, Math.floor((lim.wgMem - nb * 16) / 4), Math.floor(t.tiledComponents)));
  // Software adapters: 64 invocations when a component has few blocks (llvmpipe, 1e5 rows, D = 8,
  // K = 16: 0.24 s against 0.36 s at 256), else 256 (D = 32, K = 16: 1.55 s against 3.0 s at 64).
  const wg = Math.min(
    t.tiledWorkgroupSize ?? (ctx.software && tiledBlockCount(d, moments) < 32 ? 64 : 256),
    lim.wgInvocations,
  );
  const per = Math.min(kb * blocks, wg);
  const blockGroups = Math.ceil((kb * blocks) / per);
  const memRows = Math.floor(lim.wgMem / (nb * 16 + 4 * kb));
  const r = Math.max(1, Math.min(Math.floor(wg / per), memRows));
  // Rows per tile: at least 8 per row subset on hardware (fewer barriers per row at small D).
  const tileTarget = Math.max(1, t.tileRows ?? Math.max(128, 8 * r));
  const tile = Math.max(1, Math.min(memRows, Math.max(r, Math.floor(Math.max(tileTarget, r) / r) * r)));
  return { nb, rb, cb, blocks, kb, kgs: Math.ceil(k / kb), wg, per, blockGroups, r, tile };
}

/** Pass A's kernel: the staged triangular solve (with its KC, rows per invocation), rows_main, or value + finish. */
function passAShape(ctx: GpuContext, job: Job, spec: ModuleSpec, wgB: number) {
  const { k, d, cov } = spec;
  const t = ctx.tuning;
  const lim = ctx.limits;
  const triBytes = triBytesPerComponent(d);
  let tri = job === 'estep' && FACTOR_SHAPES[cov].matrix && d <= TRI_MAX_D && triBytes <= lim.wgMem && t.triSolve;
  const wg = tri ? Math.min(t.triWorkgroupSize ?? (ctx.software ? wgB : 128), lim.wgInvocations) : wgB;
  // Factors staged at once: within 16 KiB on hardware (occupancy), all of workgroup memory on software.
  const kc = Math.max(
    1,
    Math.min(
      k,
      t.triComponents ?? Math.max(1, Math.floor(Math.min(lim.wgMem, ctx.software ? lim.wgMem : 16384) / triBytes)),
      Math.floor(lim.wgMem / triBytes),
    ),
  );
  const rowsOuter = t.triRowsOuter;
  let rows = 1;
  if (tri) {
    rows = ctx.software ? Math.max(1, t.pointsPerInvocation) : 1;
    while (rows > 1 && triIterations(k, d, kc, wg, rows, rowsOuter) > LOOP_BUDGET)
      rows = Math.max(1, Math.floor(rows / 2));
    if (triIterations(k, d, kc, wg, rows, rowsOuter) > LOOP_BUDGET) tri = false;
  }
  const rowCost = rowIterations(job, spec);
  if (!tri) rows = Math.max(1, Math.min(ctx.software ? t.pointsPerInvocation : 1, Math.floor(LOOP_BUDGET / rowCost)));
  return { tri, wg: tri ? wg : wgB, kc, rowsOuter, rows, perRow: tri || rowCost <= LOOP_BUDGET };
}

export async function tiledPlan(
  ctx: GpuContext,
  buffers: BufferSet,
  chunks: readonly Chunk[],
  job: Job,
  spec: ModuleSpec,
): Promise<StatsPlan> {
  const { k, d, whiten } = spec;
  const layout = statsLayout(k, d, spec.moments);
  const s = layout.size;
  const lim = ctx.limits;
  const t = ctx.tuning;
  const B = passBShape(ctx, spec);
  const A = passAShape(ctx, job, spec, B.wg);

  // Rows per block: the scratch holds block·(K + 3) floats (w·r per component; w·log p(x),
  // w·Σ r·log r and w per row), the whitened scratch block·K·D.
  const maxChunk = Math.max(...chunks.map((c) => c.rows));
  const bindingFloats = Math.min(lim.maxBinding, lim.maxBuffer) / 4;
  let block = Math.min(maxChunk, Math.floor(Math.min(bindingFloats, t.scratchFloats) / (k + 3)));
  if (whiten) block = Math.min(block, Math.floor(Math.min(bindingFloats, t.whitenedFloats) / (k * d)));
  block = Math.max(1, block);
  const blocks: Block[] = [];
  for (const chunk of chunks)
    for (let b = 0; b < chunk.rows; b += block) blocks.push({ chunk, start: b, rows: Math.min(block, chunk.rows - b) });

  // Pass B: row groups per block, each walking ceil(tiles / groups) tiles within the loop budget;
  // enough workgroups to fill the device (hardware: ~2048 in all; software: a few per core).
  const itersPerTile =
    Math.ceil((B.tile * B.nb) / B.wg) * 6 + Math.ceil((B.tile * B.kb) / B.wg) + 2 * Math.ceil(B.tile / B.r) + 4;
  const maxTiles = Math.max(1, Math.floor((LOOP_BUDGET - 2 * B.nb - 128) / itersPerTile));
  const tiles = Math.ceil(block / B.tile);
  const minGroups = Math.ceil(tiles / maxTiles);
  const partCap = Math.min(lim.maxBinding, lim.maxBuffer, 256 * 2 ** 20);
  let groups = Math.min(tiles, Math.max(minGroups, Math.ceil(t.passBWorkgroups / (B.kgs * B.blockGroups))));
  groups = Math.max(minGroups, Math.min(groups, Math.floor(partCap / (s * 4 * B.r))));
  const slots = groups * B.r;
  const partFloats = slots * s;
  if (
    partFloats * 4 > Math.min(lim.maxBinding, lim.maxBuffer) ||
    groups > lim.maxDim ||
    B.kgs * B.blockGroups > lim.maxDim
  ) {
    throw new Error(
      `webgpu engine: K=${k}, D=${d} needs ${slots} partial slots of ${s} statistics (tiled shape), more than this adapter allows`,
    );
  }

  const paramFloats = k * d + (job === 'estep' ? factorCount(spec.cov, k, d) + k : 0);
  const paramsHost = new Float32Array(Math.max(4, Math.ceil(paramFloats / 4) * 4));
  const params = buffers.create(paramsHost.byteLength, STORAGE | COPY_DST, `${job} parameters`);
  const part = buffers.create(partFloats * 4, STORAGE | COPY_DST, `${job} partials`);
  const result = buffers.create(s * 4, STORAGE | COPY_SRC | COPY_DST, `${job} statistics`);
  const staging = buffers.create(s * 4, MAP_READ | COPY_DST, `${job} statistics staging`);
  const scratch = buffers.create(block * (k + 3) * 4, STORAGE, `${job} responsibilities scratch`);
  const whitened = whiten ? buffers.create(block * k * d * 4, STORAGE, `${job} whitened coordinates scratch`) : null;
  const runs = new RunTable(buffers, 2 * blocks.length + reduceLevels(slots, t.reduceGroup).length, `${job} runs`);

  const label = `${job} tiled shape, K=${k} D=${d}`;
  const respCode = respModule(job, spec);
  const rowsPipe = A.tri
    ? await ctx.pipeline(
        `${label} pass A (triangular solve)`,
        rowsTriModule(spec),
        { WG: A.wg, BLOCK: block, KC: A.kc },
        A.rowsOuter ? 'rows_tri_main' : 'rows_tri_kmain',
      )
    : A.perRow
      ? await ctx.pipeline(`${label} pass A`, respCode, { WG: B.wg, BLOCK: block }, 'rows_main')
      : null;
  const value = A.perRow
    ? null
    : await ctx.pipeline(`${label} pass A`, respCode, { WG: B.wg, BLOCK: block }, 'value_main');
  const finish = A.perRow
    ? null
    : await ctx.pipeline(`${label} pass A`, respCode, { WG: B.wg, BLOCK: block }, 'finish_main');
  const passB = await ctx.pipeline(`${label} pass B`, tiledModule(spec, B.nb, B.blocks), {
    WG: B.wg,
    BLOCK: block,
    TILE: B.tile,
    PER: B.per,
    R: B.r,
    CB: B.cb,
    RB: B.rb,
    KB: B.kb,
  });

  const dispatches: Dispatch[] = [];
  blocks.forEach((b, j) => {
    const c = b.chunk;
    const threads = Math.ceil(b.rows / A.rows);
    runs.set(2 * j, { rows: b.rows, nthreads: threads, rowBase: c.start + b.start, dataOffset: b.start });
    runs.set(2 * j + 1, {
      rows: b.rows,
      nthreads: groups,
      slots,
      rowBase: c.start + b.start,
      flag: j > 0 ? 1 : 0,
      dataOffset: b.start,
    });
    const valueBindings: Bindings = {
      data: c.data,
      scr: scratch,
      run: runs.binding(2 * j),
      ...(job !== 'random' ? { prm: params } : {}),
      ...(whitened !== null ? { yscr: whitened } : {}),
    };
    if (rowsPipe !== null) {
      const bindings: Bindings = { ...valueBindings, ...(c.weights ? { wts: c.weights } : {}) };
      const [x, y] = ctx.dims(Math.ceil(threads / A.wg));
      dispatches.push({
        pipeline: rowsPipe,
        bindGroup: ctx.bindGroup(rowsPipe, bindings, `${label} pass A block ${j}`),
        x,
        y,
        stage: 'A',
      });
    } else {
      const finishBindings: Bindings = {
        scr: scratch,
        run: runs.binding(2 * j),
        ...(c.weights ? { wts: c.weights } : {}),
      };
      const [vx, vy] = ctx.dims(Math.ceil((b.rows * k) / B.wg));
      const [fx, fy] = ctx.dims(Math.ceil(b.rows / B.wg));
      const v = value as GPUComputePipeline;
      const f = finish as GPUComputePipeline;
      dispatches.push({
        pipeline: v,
        bindGroup: ctx.bindGroup(v, valueBindings, `${label} values block ${j}`),
        x: vx,
        y: vy,
        stage: 'A',
      });
      dispatches.push({
        pipeline: f,
        bindGroup: ctx.bindGroup(f, finishBindings, `${label} finish block ${j}`),
        x: fx,
        y: fy,
        stage: 'A',
      });
    }
    const bBindings: Bindings = {
      prm: params,
      scr: scratch,
      part,
      run: runs.binding(2 * j + 1),
      ...(whitened !== null ? { yscr: whitened } : { data: c.data }),
    };
    dispatches.push({
      pipeline: passB,
      bindGroup: ctx.bindGroup(passB, bBindings, `${label} pass B block ${j}`),
      x: B.kgs * B.blockGroups,
      y: groups,
      stage: 'B',
    });
  });
  dispatches.push(...(await reduceDispatches(ctx, buffers, s, part, slots, result, runs, 2 * blocks.length)));
  runs.upload(ctx.device.queue);
  return {
    shape: 'tiled',
    job,
    layout,
    paramLayout: 'generic',
    whiten,
    paramsHost,
    params,
    runs,
    dispatches,
    part,
    partFloats,
    result,
    staging,
  };
}
