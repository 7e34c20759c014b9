// Sizes: 1e6-point parity, D=64 & K=256 smoke, degenerate components.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { blobs, expectStatsClose, gpuBackend, makeParams, weightsFor } from './helpers.ts';

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

describe('webgpu at scale', () => {
  it('1e6 points, D=2, K=16: eStep (full, diag) and assign match the CPU engine', async () => {
    if (!gpu) return;
    const n = 1_000_000;
    const { data, centres } = blobs(31, n, 2, 16);
    const w = weightsFor(32, n);
    const g = await gpu.load(data, n, 2, w);
    const c = await cpu.load(data, n, 2, w);
    for (const cov of ['full', 'diag'] as const) {
      const p = makeParams(33, cov, 16, 2);
      const mom = cov === 'full' ? 'full' : 'diag';
      expectStatsClose(await g.eStep(p, mom), await c.eStep(p, mom), 1e-4, 1e-5, `1e6 ${cov}`);
    }
    const a = await g.assign(centres, 16, 'full');
    const b = await c.assign(centres, 16, 'full');
    expectStatsClose(a.stats, b.stats, 1e-4, 1e-5, '1e6 assign');
    expect(Math.abs(a.inertia - b.inertia) / b.inertia).toBeLessThan(1e-5);
    g.dispose();
    c.dispose();
  });

  it('chunked shape with many row ranges per block (N=20000, D=6, K=8), all covariance types', async () => {
    if (!gpu) return;
    const n = 20_000;
    const { data } = blobs(45, n, 6, 8);
    const w = weightsFor(46, n);
    const g = await gpu.load(data, n, 6, w);
    const c = await cpu.load(data, n, 6, w);
    for (const cov of ['full', 'tied', 'diag', 'spherical'] as const) {
      const p = makeParams(47, cov, 8, 6);
      const mom = cov === 'full' || cov === 'tied' ? 'full' : 'diag';
      expectStatsClose(await g.eStep(p, mom), await c.eStep(p, mom), 1e-4, 1e-5, `N=20000 D=6 ${cov}`);
    }
    g.dispose();
    c.dispose();
  });

  it('D=64, K=256 (chunked shape) smoke: full covariance eStep matches', async () => {
    if (!gpu) return;
    const n = 600;
    const d = 64;
    const k = 256;
    const { data } = blobs(41, n, d, 8);
    const g = await gpu.load(data, n, d, null);
    const c = await cpu.load(data, n, d, null);
    const p = makeParams(42, 'full', k, d);
    // float32 log-densities of 64-D components carry ~1e-4 absolute error (|quad| in the hundreds),
    // so responsibilities agree to ~1e-4 relative here: a smoke test at 1e-3.
    expectStatsClose(await g.eStep(p, 'full'), await c.eStep(p, 'full'), 1e-3, 1e-5, 'D64 K256');
    g.dispose();
    c.dispose();
  });

  it('degenerate components: zero weight and far from all data', async () => {
    if (!gpu) return;
    const n = 3000;
    for (const d of [2, 6]) {
      const { data } = blobs(51, n, d, 3);
      const g = await gpu.load(data, n, d, null);
      const c = await cpu.load(data, n, d, null);
      for (const cov of ['full', 'tied', 'diag', 'spherical'] as const) {
        const base = makeParams(52, cov, 4, d);
        const weights = Float64Array.from([0, 0.5, 0.3, 0.2]);
        const means = Float64Array.from(base.means);
        for (let a = 0; a < d; a++) means[2 * d + a] = 1e4; // component 2 far from everything
        const p = { ...base, weights, means };
        const mom = cov === 'full' || cov === 'tied' ? 'full' : 'diag';
        const gs = await g.eStep(p, mom);
        const cs = await c.eStep(p, mom);
        expect(gs.sumResp[0]).toBe(0);
        expectStatsClose(gs, cs, 1e-4, 1e-5, `degenerate ${cov} D=${d}`);
        const ev = await g.evaluate(p, { labels: true, proba: true });
        expect(ev.labels!.every((l) => l !== 0 && l !== 2)).toBe(true);
      }
      g.dispose();
      c.dispose();
    }
  });

  it('rejects shapes beyond the limits with a clear error', async () => {
    if (!gpu) return;
    await expect(gpu.load(new Float64Array(300 * 2), 2, 300, null)).rejects.toThrow(/at most 256 features/);
    const g = await gpu.load(Float64Array.from({ length: 20 }, (_, i) => i), 10, 2, null);
    await expect(g.eStep(makeParams(1, 'full', 5000, 2), 'full')).rejects.toThrow(/nComponents must be/);
    g.dispose();
  });
});
