// One benchmark measurement, run in its own process so peak memory belongs to it alone:
//   node bin/run-ts.js bench/cell.ts '{"backend":"cpu-1","n":1000000,"d":2,"k":16,"covarianceType":"full","warmup":1,"reps":5}'
// Prints one JSON line.

import type { Backend } from '../src/backend.ts';
import { CpuBackend } from '../src/cpu/engine.ts';
import type { CovarianceType } from '../src/options.ts';
import { timeIterations } from './workload.ts';

interface CellRequest {
  backend: 'cpu-1' | 'cpu' | 'webgpu-node';
  n: number;
  d: number;
  k: number;
  covarianceType: CovarianceType;
  warmup: number;
  reps: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as CellRequest;
let backend: Backend;
if (request.backend === 'webgpu-node') {
  const { createWebGpuBackend } = await import('../src/gpu/index.ts');
  const result = await createWebGpuBackend();
  if (!result.ok) {
    console.log(JSON.stringify({ ok: false, error: result.reason }));
    process.exit(0);
  }
  backend = result.backend;
} else {
  const os = await import('node:os');
  backend = await CpuBackend.create({ threads: request.backend === 'cpu-1' ? 1 : os.availableParallelism() });
}
try {
  const times = await timeIterations(backend, request, request.warmup, request.reps);
  const usage = process.resourceUsage();
  console.log(JSON.stringify({ ok: true, description: backend.description, ...times, peakMiB: usage.maxRSS / 1024 }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: (error as Error).message }));
} finally {
  backend.dispose();
}
