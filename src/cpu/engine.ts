// The CPU engine: float64 accumulation over fixed-size row blocks whose partial statistics
// are summed in block order. It never holds an N × K matrix during a fit (one block's worth
// of responsibilities at a time). Blocks can run on worker threads (src/cpu/pool.ts); the
// merge order does not change, so results are bit-identical for any thread count.

import type {
  AssignResult,
  Backend,
  EvaluateRequest,
  EvaluateResult,
  JobShape,
  LoadedData,
  MixtureParams,
  PassTimings,
} from '../backend.ts';
import { rowsOf, type Dataset } from '../matrix.ts';
import { toKernelParams } from '../model/params.ts';
import { Random } from '../random.ts';
import { unpackStats, type Moments, type SufficientStats, type SecondMoments } from '../sufficient-stats.ts';
import { BLOCK_ROWS, blockScratch, runBlockTask, taskComponents, taskLayout, type BlockTask } from './blocks.ts';
import type { RowSource } from './accumulate.ts';
import { evaluateBlock } from './kernels.ts';
import { kmeansPlusPlusSequential } from './kmeanspp.ts';
import type { SharedRows, WorkerPool } from './pool.ts';
import { engineReleased } from '../errors.ts';

/**
 * Whether the engine shares rows with its worker threads (when it has any): small data is not
 * worth the copy into shared memory, and runs on the calling thread.
 */
export function usesWorkerThreads(rows: number): boolean {
  return rows > 2 * BLOCK_ROWS;
}

/** Partials held at once (bytes): blocks are summed in windows so memory stays bounded in N. */
const PARTIALS_BUDGET = 64 * 2 ** 20;

class CpuData implements LoadedData {
  readonly rows: number;
  readonly cols: number;
  readonly totalWeight: number;
  lastTimings: PassTimings | null = null;
  private readonly source: RowSource;
  private readonly blocks: number;
  disposed = false;

  constructor(
    private readonly dataset: Dataset,
    private readonly pool: WorkerPool | null,
    private readonly shared: SharedRows | null,
    private readonly onDispose: (data: CpuData) => void,
  ) {
    this.rows = dataset.rows;
    this.cols = dataset.cols;
    this.totalWeight = dataset.totalWeight;
    this.source = {
      data: shared?.data ?? dataset.data,
      cols: dataset.cols,
      weights: shared?.weights ?? dataset.weights,
    };
    this.blocks = Math.ceil(this.rows / BLOCK_ROWS);
  }

  /** Runs a task over every block and sums the block partials in block order. */
  private async reduce(task: BlockTask): Promise<Float64Array> {
    this.checkAlive();
    const started = performance.now();
    const size = taskLayout(task, this.cols).size;
    const total = new Float64Array(size);
    const scratch =
      this.pool === null || this.shared === null || this.blocks === 1
        ? blockScratch(taskComponents(task), this.cols, this.rows)
        : null;
    if (scratch !== null) {
      // On this thread, block after block, each block's partial added into the total as it is
      // done: the same sums in the same order as the workers' windows below.
      if (this.blocks === 1) runBlockTask(task, this.source, 0, this.rows, scratch, total);
      else {
        const partial = new Float64Array(size);
        for (let b = 0; b < this.blocks; b++) {
          const start = b * BLOCK_ROWS;
          partial.fill(0);
          runBlockTask(task, this.source, start, Math.min(this.rows, start + BLOCK_ROWS), scratch, partial);
          for (let j = 0; j < size; j++) total[j] = (total[j] as number) + (partial[j] as number);
        }
      }
    } else {
      const window = Math.max(1, Math.floor(PARTIALS_BUDGET / (8 * size)));
      for (let first = 0; first < this.blocks; first += window) {
        const end = Math.min(this.blocks, first + window);
        const partials = await (this.pool as WorkerPool).run((this.shared as SharedRows).id, task, first, end, size);
        this.checkAlive();
        for (let b = 0; b < end - first; b++) {
          const base = b * size;
          for (let j = 0; j < size; j++) total[j] = (total[j] as number) + (partials[base + j] as number);
        }
      }
    }
    this.lastTimings = { kernelMs: null, wallMs: performance.now() - started };
    return total;
  }

  async eStep(params: MixtureParams, moments: SecondMoments): Promise<SufficientStats> {
    const task: BlockTask = { kind: 'estep', params: toKernelParams(params), moments };
    return unpackStats(await this.reduce(task), taskLayout(task, this.cols), params.means);
  }

  async assign(centers: Float64Array, nComponents: number, moments: Moments): Promise<AssignResult> {
    const task: BlockTask = { kind: 'assign', centers, k: nComponents, moments };
    const layout = taskLayout(task, this.cols);
    const flat = await this.reduce(task);
    return { stats: { ...unpackStats(flat, layout, centers), sumLogLik: 0 }, inertia: flat[layout.value] as number };
  }

  async randomResponsibilities(
    seed: number,
    nComponents: number,
    shifts: Float64Array,
    moments: SecondMoments,
  ): Promise<SufficientStats> {
    const task: BlockTask = { kind: 'random', seed, k: nComponents, shifts, moments };
    return unpackStats(await this.reduce(task), taskLayout(task, this.cols), shifts);
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
    const scratch = blockScratch(k, this.cols, this.rows);
    for (let start = 0; start < this.rows; start += BLOCK_ROWS) {
      evaluateBlock(
        this.source,
        start,
        Math.min(this.rows, start + BLOCK_ROWS),
        kernel,
        scratch,
        labels,
        logLik,
        proba,
      );
    }
    return {
      ...(labels ? { labels } : {}),
      ...(logLik ? { logLik } : {}),
      ...(proba ? { proba } : {}),
    };
  }

  async rowsAt(indices: Int32Array): Promise<Float64Array> {
    this.checkAlive();
    return rowsOf(this.dataset, indices);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.shared?.release();
    this.onDispose(this);
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This data was released (dispose() was called); load it again.');
  }
}

export interface CpuBackendOptions {
  /** Worker threads; 1 runs on the calling thread. */
  readonly threads?: number;
  readonly reason?: string;
  /** Node: the worker threads' entry script (tests inject faults through it). */
  readonly workerScript?: URL;
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;
  private disposed = false;
  private readonly live = new Set<CpuData>();

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
      pool = await createWorkerPool(threads, options.workerScript ? { workerScript: options.workerScript } : {});
    }
    return new CpuBackend(pool, pool === null ? 1 : threads, options.reason ?? '');
  }

  refuse(_job: JobShape): string | null {
    return null;
  }

  async load(dataset: Dataset): Promise<LoadedData> {
    if (this.disposed) {
      throw engineReleased('CPU', 'before');
    }
    const shared =
      this.pool !== null && usesWorkerThreads(dataset.rows)
        ? this.pool.share(dataset.data, dataset.weights, dataset.cols)
        : null;
    const loaded = new CpuData(dataset, this.pool, shared, (d) => this.live.delete(d));
    this.live.add(loaded);
    return loaded;
  }

  dispose(): void {
    this.disposed = true;
    for (const d of [...this.live]) d.dispose();
    this.pool?.dispose();
  }
}
