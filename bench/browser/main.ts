// The browser side of the benchmark: window.runCell(cell) times EM iterations on WebGPU.
import { createWebGpuBackend } from '../../src/gpu/index.ts';
import type { Backend } from '../../src/backend.ts';
import { timeIterations, type Cell } from '../workload.ts';

let backend: Backend | null = null;

async function runCell(cell: Cell & { warmup: number; reps: number }) {
  try {
    if (backend === null) {
      const result = await createWebGpuBackend();
      if (!result.ok) return { ok: false, error: result.reason };
      backend = result.backend;
    }
    const times = await timeIterations(backend, cell, cell.warmup, cell.reps);
    return { ok: true, description: `${backend.description} in Chromium`, ...times };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

(window as unknown as { runCell: typeof runCell }).runCell = runCell;
(window as unknown as { benchReady: boolean }).benchReady = true;
