// The browser side of the benchmark: window.runCell(cell) times EM iterations on WebGPU or on
// the CPU engine (Web Workers over SharedArrayBuffer; the page is cross-origin isolated).
import { createWebGpuBackend } from '../../src/gpu/index.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import type { Backend } from '../../src/backend.ts';
import { timeIterations, type Cell } from '../workload.ts';

const backends = new Map<string, Backend>();

async function runCell(cell: Cell & { warmup: number; reps: number; engine: 'webgpu' | 'cpu' }) {
  try {
    let backend = backends.get(cell.engine);
    if (backend === undefined) {
      if (cell.engine === 'cpu') {
        backend = await CpuBackend.create({ threads: navigator.hardwareConcurrency || 1 });
      } else {
        const result = await createWebGpuBackend();
        if (!result.ok) return { ok: false, error: result.reason };
        backend = result.backend;
      }
      backends.set(cell.engine, backend);
    }
    const times = await timeIterations(backend, cell, cell.warmup, cell.reps);
    return { ok: true, description: `${backend.description} in Chromium`, ...times };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

(window as unknown as { runCell: typeof runCell }).runCell = runCell;
(window as unknown as { benchReady: boolean }).benchReady = true;
