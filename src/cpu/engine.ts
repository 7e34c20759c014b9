// The CPU engine: float64 accumulation over fixed-size row blocks whose partial statistics
// are summed in block order. It never holds an N x K matrix during a fit (one block's worth
// of responsibilities at a time). Blocks can run on worker threads (src/cpu/pool.ts); the
// merge order does not change, so results are bit-identical for any thread count.

import type {
  AssignResult,
  Backend,
  EvaluateRequest,
  EvaluateResult,
  LoadedData,
  MixtureParams,
  MomentKind,
  SufficientStats,
} from '../backend.ts';
import { toKernelParams } from '../model/params.ts';
import { Random } from '../random.ts';
import {
  assignBlock,
  distancesToPoint,
  eStepBlock,
  evaluateBlock,
  packedSize,
  randomBlock,
  Scratch,
  statSize,
  type Moments,
  type RowSource,
} from './kernels.ts';
import type { BlockTask, SharedRows, WorkerPool } from './pool.ts';
import { unrolledPotentials } from './unrolled.ts';

/** Rows per block: fixed, so the summation order never depends on the thread count. */
export const BLOCK_ROWS = 4096;

/** Unpacks a flat partial (see kernels.ts) into SufficientStats. */
export function unpackStats(flat: Float64Array, k: number, d: number, moments: Moments, shifts: Float64Array): SufficientStats {
  const p = packedSize(d, moments);
  const sumResp = flat.slice(0, k);
  const sumDiff = flat.slice(k, k + k * d);
  const offOuter = k + k * d;
  let sumOuter: Float64Array;
  if (moments === 'full') {
    sumOuter = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) {
      let q = offOuter + c * p;
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          const v = flat[q++] as number;
          sumOuter[c * d * d + a * d + b] = v;
          sumOuter[c * d * d + b * d + a] = v;
        }
      }
    }
  } else if (moments === 'diag') {
    sumOuter = flat.slice(offOuter, offOuter + k * d);
  } else {
    sumOuter = new Float64Array(0);
  }
  return {
    nComponents: k,
    nFeatures: d,
    moments: moments ?? 'diag',
    shifts: Float64Array.from(shifts),
    sumResp,
    sumDiff,
    sumOuter,
    sumLogLik: flat[flat.length - 2] as number,
    totalWeight: flat[flat.length - 1] as number,
  };
}

/** Runs one block task on rows [start, end) of the source, adding into out. */
export function runBlockTask(task: BlockTask, source: RowSource, start: number, end: number, scratch: Scratch, out: Float64Array): void {
  switch (task.kind) {
    case 'estep':
      eStepBlock(source, start, end, task.params, task.moments, scratch, out);
      break;
    case 'assign':
      assignBlock(source, start, end, task.centers, task.k, task.moments, scratch, out);
      break;
    case 'random':
      randomBlock(source, start, end, task.seed, task.k, task.shifts, task.moments, scratch, out);
      break;
  }
}

function taskShape(task: BlockTask, d: number): { k: number; moments: Moments } {
  switch (task.kind) {
    case 'estep':
      return { k: task.params.nComponents, moments: task.moments };
    case 'assign':
    case 'random':
      return { k: task.k, moments: task.moments };
  }
  void d;
}

class CpuData implements LoadedData {
  readonly totalWeight: number;
  private readonly source: RowSource;
  private readonly blocks: number;
  private disposed = false;

  constructor(
    readonly rows: number,
    readonly cols: number,
    data: Float64Array | Float32Array,
    weights: Float64Array | null,
    private readonly pool: WorkerPool | null,
    private readonly shared: (SharedRows & { id: number }) | null,
  ) {
    this.source = { data, cols, weights };
    this.blocks = Math.ceil(rows / BLOCK_ROWS);
    let total = rows;
    if (weights !== null) {
      total = 0;
      for (let i = 0; i < rows; i++) total += weights[i] as number;
    }
    this.totalWeight = total;
  }

  /** Runs a task over every block and sums the block partials in block order. */
  private async reduce(task: BlockTask): Promise<Float64Array> {
    this.checkAlive();
    const { k, moments } = taskShape(task, this.cols);
    const size = statSize(k, this.cols, moments);
    let partials: Float64Array;
    if (this.pool !== null && this.shared !== null && this.blocks > 1) {
      partials = await this.pool.run(this.shared.id, task, this.blocks, size);
    } else {
      partials = new Float64Array(this.blocks * size);
      const scratch = new Scratch(BLOCK_ROWS, k, this.cols);
      for (let b = 0; b < this.blocks; b++) {
        const start = b * BLOCK_ROWS;
        const end = Math.min(this.rows, start + BLOCK_ROWS);
        runBlockTask(task, this.source, start, end, scratch, partials.subarray(b * size, (b + 1) * size));
      }
    }
    const total = new Float64Array(size);
    for (let b = 0; b < this.blocks; b++) {
      const base = b * size;
      for (let j = 0; j < size; j++) total[j] = (total[j] as number) + (partials[base + j] as number);
    }
    return total;
  }

  async eStep(params: MixtureParams, moments: MomentKind): Promise<SufficientStats> {
    const kernel = toKernelParams(params);
    const flat = await this.reduce({ kind: 'estep', params: kernel, moments });
    return unpackStats(flat, params.nComponents, this.cols, moments, params.means);
  }

  async assign(centers: Float64Array, nComponents: number, moments: MomentKind | null): Promise<AssignResult> {
    const flat = await this.reduce({ kind: 'assign', centers, k: nComponents, moments });
    const stats = unpackStats(flat, nComponents, this.cols, moments, centers);
    return { stats: { ...stats, sumLogLik: 0 }, inertia: flat[flat.length - 2] as number };
  }

  async randomResponsibilities(seed: number, nComponents: number, shifts: Float64Array, moments: MomentKind): Promise<SufficientStats> {
    const flat = await this.reduce({ kind: 'random', seed, k: nComponents, shifts, moments });
    return unpackStats(flat, nComponents, this.cols, moments, shifts);
  }

  async kmeansPlusPlus(nComponents: number, seed: number): Promise<Int32Array> {
    this.checkAlive();
    return kmeansPlusPlusSequential(this.source, this.rows, nComponents, new Random(seed));
  }

  async evaluate(params: MixtureParams, request: EvaluateRequest): Promise<EvaluateResult> {
    this.checkAlive();
    const kernel = toKernelParams(params);
    const k = params.nComponents;
    const labels = request.labels ? new Int32Array(this.rows) : null;
    const logLik = request.logLik ? new Float64Array(this.rows) : null;
    const proba = request.proba ? new Float64Array(this.rows * k) : null;
    const scratch = new Scratch(BLOCK_ROWS, k, this.cols);
    for (let start = 0; start < this.rows; start += BLOCK_ROWS) {
      evaluateBlock(this.source, start, Math.min(this.rows, start + BLOCK_ROWS), kernel, scratch, labels, logLik, proba);
    }
    return {
      ...(labels ? { labels } : {}),
      ...(logLik ? { logLik } : {}),
      ...(proba ? { proba } : {}),
    };
  }

  async rowsAt(indices: Int32Array): Promise<Float64Array> {
    const d = this.cols;
    const out = new Float64Array(indices.length * d);
    indices.forEach((row, n) => {
      for (let a = 0; a < d; a++) out[n * d + a] = this.source.data[row * d + a] as number;
    });
    return out;
  }

  dispose(): void {
    if (!this.disposed) this.shared?.release();
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This data was released (dispose() was called); load it again.');
  }
}

/**
 * sklearn's greedy k-means++ (kmeans_plusplus): the first centre drawn with probability ∝ w,
 * each next one the best of 2 + ⌊ln K⌋ candidates drawn with probability ∝ w·D².
 * O(N) memory: candidate potentials are computed without storing their distances.
 */
export function kmeansPlusPlusSequential(source: RowSource, rows: number, k: number, random: Random): Int32Array {
  const d = source.cols;
  const weights = source.weights;
  const weightOf = (i: number): number => (weights === null ? 1 : (weights[i] as number));
  const chosen = new Int32Array(k);
  const localTrials = 2 + Math.floor(Math.log(k));
  const point = new Float64Array(d);
  const setPoint = (row: number): void => {
    for (let a = 0; a < d; a++) point[a] = source.data[row * d + a] as number;
  };
  // Draw index i with probability ∝ value(i) for a sorted list of targets in one scan.
  const drawSorted = (targets: number[], value: (i: number) => number): number[] => {
    const order = targets.map((t, n) => [t, n] as const).sort((x, y) => x[0] - y[0]);
    const result = new Array<number>(targets.length).fill(rows - 1);
    let cumulative = 0;
    let n = 0;
    for (let i = 0; i < rows && n < order.length; i++) {
      cumulative += value(i);
      while (n < order.length && (order[n] as readonly [number, number])[0] < cumulative) {
        result[(order[n] as readonly [number, number])[1]] = i;
        n++;
      }
    }
    return result;
  };

  let totalWeight = 0;
  for (let i = 0; i < rows; i++) totalWeight += weightOf(i);
  const first = drawSorted([random.nextFloat() * totalWeight], weightOf)[0] as number;
  chosen[0] = first;
  const closest = new Float64Array(rows);
  setPoint(first);
  distancesToPoint(source, 0, rows, point, closest);
  let potential = 0;
  for (let i = 0; i < rows; i++) potential += weightOf(i) * (closest[i] as number);

  const candidatePoints = new Float64Array(localTrials * d);
  const potentials = new Float64Array(localTrials);
  for (let c = 1; c < k; c++) {
    const targets = Array.from({ length: localTrials }, () => random.nextFloat() * potential);
    const candidates = drawSorted(targets, (i) => weightOf(i) * (closest[i] as number));
    // All candidates' potentials in one pass over the data (each summed in row order, as one
    // pass per candidate would), by generated code where there is some.
    const trials = candidates.length;
    for (let t = 0; t < trials; t++) {
      for (let a = 0; a < d; a++) candidatePoints[t * d + a] = source.data[(candidates[t] as number) * d + a] as number;
    }
    const unrolled = unrolledPotentials(d, trials);
    if (unrolled !== null) {
      unrolled(source.data, rows, weights, closest, candidatePoints, potentials);
    } else {
      potentialsLoop(source, rows, trials, closest, candidatePoints, potentials);
    }
    let bestPotential = Infinity;
    let best = candidates[0] as number;
    for (let t = 0; t < trials; t++) {
      if ((potentials[t] as number) < bestPotential) {
        bestPotential = potentials[t] as number;
        best = candidates[t] as number;
      }
    }
    chosen[c] = best;
    setPoint(best);
    for (let i = 0; i < rows; i++) {
      let dist = 0;
      for (let a = 0; a < d; a++) {
        const v = (source.data[i * d + a] as number) - (point[a] as number);
        dist += v * v;
      }
      if (dist < (closest[i] as number)) closest[i] = dist;
    }
    potential = bestPotential;
  }
  return chosen;
}

/** Σ_i w_i·min(‖x_i − candidate_t‖², closest_i) for each candidate t, in row order. */
function potentialsLoop(source: RowSource, rows: number, trials: number, closest: Float64Array, candidates: Float64Array, potentials: Float64Array): void {
  const { data, cols: d, weights } = source;
  potentials.fill(0);
  for (let i = 0; i < rows; i++) {
    const w = weights === null ? 1 : (weights[i] as number);
    const current = closest[i] as number;
    for (let t = 0; t < trials; t++) {
      let dist = 0;
      for (let a = 0; a < d; a++) {
        const v = (data[i * d + a] as number) - (candidates[t * d + a] as number);
        dist += v * v;
      }
      potentials[t] = (potentials[t] as number) + w * Math.min(dist, current);
    }
  }
}

export interface CpuBackendOptions {
  /** Worker threads; 1 runs on the calling thread. */
  readonly threads?: number;
  readonly reason?: string;
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;
  private constructor(
    private readonly pool: WorkerPool | null,
    threads: number,
    reason: string,
  ) {
    this.description = `cpu (${threads} thread${threads === 1 ? '' : 's'})${reason ? `: ${reason}` : ''}`;
  }

  static async create(options: CpuBackendOptions = {}): Promise<CpuBackend> {
    const threads = Math.max(1, options.threads ?? 1);
    let pool: WorkerPool | null = null;
    if (threads > 1) {
      const { createWorkerPool } = await import('./pool.ts');
      pool = await createWorkerPool(threads);
    }
    return new CpuBackend(pool, pool === null ? 1 : threads, options.reason ?? '');
  }

  async load(data: Float64Array | Float32Array, rows: number, cols: number, sampleWeight: Float64Array | null): Promise<LoadedData> {
    // Small data is not worth the copy into shared memory.
    const useWorkers = this.pool !== null && rows > 2 * BLOCK_ROWS;
    const shared = useWorkers ? await (this.pool as WorkerPool).share(data, sampleWeight, cols) : null;
    return new CpuData(rows, cols, shared?.data ?? data, shared?.weights ?? sampleWeight, this.pool, shared);
  }

  dispose(): void {
    this.pool?.dispose();
  }
}
