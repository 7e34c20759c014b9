// A data set loaded on the GPU: its chunks, how it was conditioned, and the plans built for it
// (one per job, K, covariance type and moments, reused every iteration). Operations run one
// at a time (they share plan buffers); every buffer is destroyed on dispose().

import type {
  AssignResult,
  EvaluateRequest,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  PassTimings,
} from '../backend.ts';
import { rowsOf, type Dataset } from '../matrix.ts';
import { formOf, type CovarianceForm } from '../model/covariance.ts';
import type { Moments, SufficientStats, SecondMoments } from '../sufficient-stats.ts';
import { BufferSet, type GpuContext } from './context.ts';
import { evalPlan, runEvaluate, type EvalPlan } from './evaluate.ts';
import { gpuKmeansPlusPlus } from './kmeanspp.ts';
import {
  centresOnly,
  deviceParams,
  hostStats,
  writeGenericParams,
  writeVectorParams,
  type Conditioning,
  type DeviceParams,
} from './layout.ts';
import type { Chunk, StatsPlan } from './plans/plan.ts';
import { PassTimer, runStatsPlan } from './plans/run.ts';
import { tiledPlan } from './plans/tiled.ts';
import { vectorFits, vectorPlan } from './plans/vector.ts';
import type { Job, ModuleSpec } from './shaders.ts';
import { InternalError } from '../errors.ts';

export class GpuData implements LoadedData {
  readonly rows: number;
  readonly cols: number;
  totalWeight: number;
  lastTimings: PassTimings | null = null;
  disposed = false;
  private readonly buffers: BufferSet;
  private readonly plans = new Map<string, Promise<StatsPlan>>();
  private readonly evalPlans = new Map<string, Promise<EvalPlan>>();
  private readonly timer: PassTimer;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: GpuContext,
    private dataset: Dataset,
    private readonly chunks: readonly Chunk[],
    private conditioning: Conditioning,
    private readonly onDispose: (data: GpuData) => void,
    /** Whether dispose() destroys the chunks' buffers; false for a chunk slot's (src/gpu/slot.ts), which outlive this. */
    ownsChunks = true,
  ) {
    this.rows = dataset.rows;
    this.cols = dataset.cols;
    this.totalWeight = dataset.totalWeight;
    this.buffers = new BufferSet(ctx.device);
    if (ownsChunks) {
      for (const c of chunks) {
        this.buffers.adopt(c.data);
        if (c.weights) this.buffers.adopt(c.weights);
      }
    }
    this.timer = new PassTimer(ctx, this.buffers);
  }

  /**
   * Points this data set at new contents of its (borrowed) chunk buffers: another dataset of
   * the same shape, just written there with `conditioning`. The plans stay: they depend on the
   * row counts and the buffers, not on the values. Waits for the running operation first.
   */
  rebind(dataset: Dataset, conditioning: Conditioning): Promise<void> {
    return this.serial(async () => {
      if (
        dataset.rows !== this.rows ||
        dataset.cols !== this.cols ||
        (dataset.weights !== null) !== (this.dataset.weights !== null)
      ) {
        throw new Error(
          `webgpu engine: rebinding ${this.rows} × ${this.cols} data to ${dataset.rows} × ${dataset.cols}`,
        );
      }
      this.dataset = dataset;
      this.conditioning = conditioning;
      this.totalWeight = dataset.totalWeight;
    });
  }

  /** GPU buffers this data set holds (tests: nothing leaks). */
  get bufferCount(): number {
    return this.buffers.count;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This data was released (dispose() was called); load it again.');
    this.ctx.checkLost();
  }

  /** Resolves when the operations queued so far have ended (a chunk slot waits so before writing new rows). */
  settled(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  /** Runs operations one at a time (they share plan and staging buffers). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const go = (): Promise<T> => {
      this.checkAlive();
      return fn();
    };
    const run = this.tail.then(go, go);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private plan(job: Job, k: number, cov: CovarianceForm, moments: Moments): Promise<StatsPlan> {
    const whiten = job === 'estep' && moments === 'full';
    const key = `${job}|${k}|${cov}|${String(moments)}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      const spec: ModuleSpec = {
        k,
        d: this.cols,
        cov,
        moments,
        weighted: this.dataset.weights !== null,
        whiten,
      };
      const forced = this.ctx.options.kernelShape ?? 'auto';
      const vector = forced !== 'tiled' && vectorFits(this.ctx, job, spec, this.chunks);
      plan = this.ctx.guarded(`preparing the ${job} pass`, () =>
        vector
          ? vectorPlan(this.ctx, this.buffers, this.chunks, job, spec)
          : tiledPlan(this.ctx, this.buffers, this.chunks, job, spec),
      );
      this.plans.set(key, plan);
      plan.catch(() => this.plans.delete(key));
    }
    return plan;
  }

  /** Writes the parameters, runs the plan, returns float64 statistics in the data's own space. */
  private async stats(
    plan: StatsPlan,
    params: DeviceParams,
    what: string,
  ): Promise<{ stats: SufficientStats; value: number }> {
    if (plan.paramLayout === 'vector') writeVectorParams(plan.paramsHost, params);
    else writeGenericParams(plan.paramsHost, params);
    const { flat, timings } = await runStatsPlan(this.ctx, plan, this.timer, what);
    this.lastTimings = timings;
    // Σ w is known exactly on the host.
    flat[plan.layout.weight] = this.totalWeight;
    const stats = hostStats(flat, plan.layout, params.centres, this.conditioning, plan.whiten ? params : null);
    // The device summed w·(log p − offset).
    return {
      stats: { ...stats, sumLogLik: stats.sumLogLik + params.offset * this.totalWeight },
      value: flat[plan.layout.value] as number,
    };
  }

  eStep(params: MixtureParams, moments: SecondMoments): Promise<SufficientStats> {
    return this.serial(async () => {
      if (params.nFeatures !== this.cols)
        throw new InternalError(`webgpu engine: parameters have ${params.nFeatures} features, the data ${this.cols}`);
      const plan = await this.plan('estep', params.nComponents, formOf(params.covarianceType), moments);
      return (await this.stats(plan, deviceParams(params, this.conditioning), 'eStep')).stats;
    });
  }

  assign(centers: Float64Array, nComponents: number, moments: Moments): Promise<AssignResult> {
    return this.serial(async () => {
      const plan = await this.plan('assign', nComponents, 'spherical', moments);
      const { stats, value } = await this.stats(
        plan,
        centresOnly(centers, nComponents, this.cols, this.conditioning),
        'assign',
      );
      const scale = this.conditioning.scale;
      return { stats: { ...stats, sumLogLik: 0 }, inertia: value / (scale * scale) };
    });
  }

  randomResponsibilities(
    seed: number,
    nComponents: number,
    shifts: Float64Array,
    moments: SecondMoments,
  ): Promise<SufficientStats> {
    return this.serial(async () => {
      const plan = await this.plan('random', nComponents, 'spherical', moments);
      plan.runs.setSeed(seed);
      plan.runs.upload(this.ctx.device.queue);
      const { stats } = await this.stats(
        plan,
        centresOnly(shifts, nComponents, this.cols, this.conditioning),
        'randomResponsibilities',
      );
      return { ...stats, sumLogLik: 0 };
    });
  }

  evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult> {
    return this.serial(async () => {
      if (params.nFeatures !== this.cols)
        throw new InternalError(`webgpu engine: parameters have ${params.nFeatures} features, the data ${this.cols}`);
      const device = deviceParams(params, this.conditioning);
      const key = `${params.nComponents}|${formOf(params.covarianceType)}`;
      let plan = this.evalPlans.get(key);
      if (plan === undefined) {
        plan = evalPlan(this.ctx, this.buffers, this.chunks, device);
        this.evalPlans.set(key, plan);
        plan.catch(() => this.evalPlans.delete(key));
      }
      return runEvaluate(this.ctx, await plan, this.chunks, this.rows, device, request);
    });
  }

  kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array> {
    return this.serial(() =>
      gpuKmeansPlusPlus(this.ctx, this.chunks, this.rows, this.cols, this.dataset.weights !== null, nComponents, seed),
    );
  }

  /** Exact float64 rows from the host copy the data was uploaded from. */
  async rowsAt(indices: Int32Array): Promise<Float64Array> {
    this.checkAlive();
    return rowsOf(this.dataset, indices);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.timer.destroy();
    this.buffers.destroy();
    this.plans.clear();
    this.evalPlans.clear();
    this.onDispose(this);
  }
}
