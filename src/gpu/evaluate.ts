// Per-row evaluation on the GPU (predict, predictProba, scoreSamples): per bounded range of
// rows, stats_resp.wgsl's value_main writes the K weighted log-densities, evaluate.wgsl's
// eval_main turns them into the label, log p(x) and (optionally) responsibilities, and the
// range is read back before the next. Only one range's N × K lives on the device at a time.

import type { EvaluateRequest, EvaluateResult } from '../backend.ts';
import { COPY_DST, COPY_SRC, MAP_READ, STORAGE, type BufferSet, type GpuContext } from './context.ts';
import { factorCount, writeGenericParams, type DeviceParams } from './layout.ts';
import type { Chunk } from './plans/plan.ts';
import { evaluateModule } from './shaders.ts';
import { RunTable } from './uniforms.ts';

export interface EvalPlan {
  readonly rows: number;
  readonly params: GPUBuffer;
  readonly paramsHost: Float32Array<ArrayBuffer>;
  readonly runs: RunTable;
  readonly proba: GPUBuffer;
  readonly rowInfo: GPUBuffer;
  readonly stagingProba: GPUBuffer;
  readonly stagingInfo: GPUBuffer;
  readonly value: GPUComputePipeline;
  readonly finish: GPUComputePipeline;
  readonly valueGroups: GPUBindGroup[];
  readonly finishGroup: GPUBindGroup;
}

export async function evalPlan(
  ctx: GpuContext,
  buffers: BufferSet,
  chunks: readonly Chunk[],
  p: DeviceParams,
): Promise<EvalPlan> {
  const { k, d, covarianceType: cov } = p;
  const paramFloats = k * d + factorCount(cov, k, d) + k;
  const maxChunk = Math.max(...chunks.map((c) => c.rows));
  const rows = Math.max(
    1,
    Math.min(maxChunk, 1 << 18, Math.floor(Math.min(32 * 2 ** 20, ctx.limits.maxBinding) / (4 * k))),
  );
  return ctx.guarded('preparing evaluate', async () => {
    const code = evaluateModule(k, d, cov);
    const wg = ctx.tuning.workgroupSize;
    const label = `evaluate K=${k} D=${d} ${cov}`;
    const value = await ctx.pipeline(label, code, { WG: wg, BLOCK: rows }, 'value_main');
    const finish = await ctx.pipeline(label, code, { WG: wg, BLOCK: rows }, 'eval_main');
    const params = buffers.create(paramFloats * 4, STORAGE | COPY_DST, 'evaluate parameters');
    const runs = new RunTable(buffers, 1, 'evaluate run');
    const proba = buffers.create(rows * k * 4, STORAGE | COPY_SRC | COPY_DST, 'evaluate responsibilities');
    const rowInfo = buffers.create(rows * 2 * 4, STORAGE | COPY_SRC | COPY_DST, 'evaluate labels and log p(x)');
    const stagingProba = buffers.create(rows * k * 4, MAP_READ | COPY_DST, 'evaluate responsibilities staging');
    const stagingInfo = buffers.create(rows * 2 * 4, MAP_READ | COPY_DST, 'evaluate row staging');
    const valueGroups = chunks.map((c, i) =>
      ctx.bindGroup(
        value,
        { data: c.data, prm: params, scr: proba, run: runs.binding(0) },
        `${label} values chunk ${i}`,
      ),
    );
    const finishGroup = ctx.bindGroup(
      finish,
      { scr: proba, rowinfo: rowInfo, run: runs.binding(0) },
      `${label} finish`,
    );
    return {
      rows,
      params,
      paramsHost: new Float32Array(paramFloats),
      runs,
      proba,
      rowInfo,
      stagingProba,
      stagingInfo,
      value,
      finish,
      valueGroups,
      finishGroup,
    };
  });
}

function poison(ctx: GpuContext, buffer: GPUBuffer, floats: number): void {
  ctx.device.queue.writeBuffer(buffer, 0, new Float32Array(floats).fill(NaN));
}

export async function runEvaluate(
  ctx: GpuContext,
  plan: EvalPlan,
  chunks: readonly Chunk[],
  totalRows: number,
  p: DeviceParams,
  request: EvaluateRequest,
): Promise<EvaluateResult> {
  const k = p.k;
  writeGenericParams(plan.paramsHost, p);
  ctx.device.queue.writeBuffer(plan.params, 0, plan.paramsHost);
  const labels = request.labels ? new Int32Array(totalRows) : null;
  const logLik = request.logLik ? new Float64Array(totalRows) : null;
  const proba = request.proba ? new Float64Array(totalRows * k) : null;
  if (!labels && !logLik && !proba) return {};
  const progress = ctx.options.onProgress;
  const wg = ctx.tuning.workgroupSize;
  let done = 0;
  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci] as Chunk;
    for (let off = 0; off < c.rows; off += plan.rows) {
      const n = Math.min(plan.rows, c.rows - off);
      plan.runs.set(0, { rows: n, nthreads: n, rowBase: c.start + off, flag: proba ? 1 : 0, dataOffset: off });
      plan.runs.upload(ctx.device.queue);
      if (ctx.options.debugPoison) {
        poison(ctx, plan.rowInfo, n * 2);
        if (proba) poison(ctx, plan.proba, n * k);
      }
      const [vx, vy] = ctx.dims(Math.ceil((n * k) / wg));
      const [x, y] = ctx.dims(Math.ceil(n / wg));
      const stagings: Array<[GPUBuffer, number]> = [[plan.stagingInfo, n * 8]];
      if (proba) stagings.push([plan.stagingProba, n * k * 4]);
      await ctx.submit(
        'evaluate',
        (encoder) => {
          const pass = encoder.beginComputePass({ label: 'evaluate' });
          pass.setPipeline(plan.value);
          pass.setBindGroup(0, plan.valueGroups[ci] as GPUBindGroup);
          pass.dispatchWorkgroups(vx, vy);
          pass.setPipeline(plan.finish);
          pass.setBindGroup(0, plan.finishGroup);
          pass.dispatchWorkgroups(x, y);
          pass.end();
          encoder.copyBufferToBuffer(plan.rowInfo, 0, plan.stagingInfo, 0, n * 8);
          if (proba) encoder.copyBufferToBuffer(plan.proba, 0, plan.stagingProba, 0, n * k * 4);
        },
        stagings,
      );
      const info = new Float32Array(plan.stagingInfo.getMappedRange(0, n * 8), 0, n * 2);
      const base = c.start + off;
      for (let i = 0; i < n; i++) {
        if (labels) labels[base + i] = info[2 * i] as number;
        if (logLik) logLik[base + i] = (info[2 * i + 1] as number) + p.offset;
      }
      plan.stagingInfo.unmap();
      if (proba) {
        const pv = new Float32Array(plan.stagingProba.getMappedRange(0, n * k * 4), 0, n * k);
        for (let i = 0; i < n * k; i++) proba[base * k + i] = pv[i] as number;
        plan.stagingProba.unmap();
      }
      done += n;
      if (progress && totalRows > plan.rows) progress(`evaluate: ${done}/${totalRows} rows`);
    }
  }
  return { ...(labels ? { labels } : {}), ...(logLik ? { logLik } : {}), ...(proba ? { proba } : {}) };
}
