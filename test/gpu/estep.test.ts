// E-step statistics of the WebGPU backend against the float64 CPU engine, both kernel shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { momentKindFor } from '../../src/backend.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { blobs, COV_TYPES, expectStatsClose, gpuBackend, makeParams, sameBits, weightsFor } from './helpers.ts';

let gpu: Backend | null = null;
let cpu: CpuBackend;

beforeAll(async () => {
  gpu = await gpuBackend({ debugPoison: true });
  cpu = await CpuBackend.create();
});
afterAll(() => {
  gpu?.dispose();
  cpu?.dispose();
});

async function compare(n: number, d: number, k: number, seed: number, weighted: boolean, moments?: 'full' | 'diag'): Promise<void> {
  if (!gpu) return;
  const { data } = blobs(seed, n, d, Math.max(1, k));
  const w = weighted ? weightsFor(seed + 1, n) : null;
  const g = await gpu.load(data, n, d, w);
  const c = await cpu.load(data, n, d, w);
  try {
    for (const cov of COV_TYPES) {
      const params = makeParams(seed + 7, cov, k, d);
      const mom = moments ?? momentKindFor(cov);
      const gs = await g.eStep(params, mom);
      const cs = await c.eStep(params, mom);
      expectStatsClose(gs, cs, 1e-4, 1e-5, `${cov} n=${n} d=${d} k=${k}`);
    }
  } finally {
    g.dispose();
    c.dispose();
  }
}

describe('webgpu eStep vs CPU (fused shape)', () => {
  it('D=2, K=4, all covariance types', () => compare(5000, 2, 4, 1, false));
  it('weighted, D=3, K=5, N not a multiple of the workgroup', () => compare(3001, 3, 5, 2, true));
  it('K=1, D=1', () => compare(1000, 1, 1, 3, false));
  it('N < K', () => compare(3, 2, 8, 4, false));
  it('other moment kind (diag moments for full params)', () => compare(2000, 3, 3, 5, true, 'diag'));
  it('bit-identical run to run', async () => {
    if (!gpu) return;
    const { data } = blobs(9, 20000, 2, 4);
    const g = await gpu.load(data, 20000, 2, null);
    const p = makeParams(3, 'full', 4, 2);
    const a = await g.eStep(p, 'full');
    const b = await g.eStep(p, 'full');
    expect(sameBits(a.sumOuter, b.sumOuter) && sameBits(a.sumDiff, b.sumDiff) && sameBits(a.sumResp, b.sumResp)).toBe(true);
    expect(a.sumLogLik).toBe(b.sumLogLik);
    g.dispose();
  });
});
