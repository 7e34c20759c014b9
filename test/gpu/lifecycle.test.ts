// Backend identity, determinism, dispose/reuse, many load/dispose cycles, device loss.
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend, DeviceLostError } from '../../src/gpu/index.ts';
import { toDataset } from '../../src/matrix.ts';
import { useGpu } from '../helpers/gpu.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { blobs, expectStatsClose, makeParams, sameBits } from './helpers.ts';

const gpuOf = useGpu();

describe('webgpu backend lifecycle', () => {
  it('identifies itself', (ctx) => {
    const gpu = gpuOf(ctx);
    expect(gpu.kind).toBe('webgpu');
    expect(gpu.description).toMatch(/^webgpu \(.+\)$/);
  });

  it('is bit-identical run to run, for every pass', async (ctx) => {
    const gpu = gpuOf(ctx);
    for (const d of [2, 7]) {
      const { data, centres } = blobs(61, 50_000, d, 5);
      const g = await gpu.load(toDataset({ data: data, rows: 50_000, cols: d }, null));
      const p = makeParams(62, 'full', 5, d);
      const runs = [await g.eStep(p, 'full'), await g.eStep(p, 'full')];
      expect(sameBits(runs[0]!.sumOuter, runs[1]!.sumOuter)).toBe(true);
      expect(sameBits(runs[0]!.sumDiff, runs[1]!.sumDiff)).toBe(true);
      expect(sameBits(runs[0]!.sumResp, runs[1]!.sumResp)).toBe(true);
      expect(Object.is(runs[0]!.sumLogLik, runs[1]!.sumLogLik)).toBe(true);
      const a1 = await g.assign(centres, 5, 'full');
      const a2 = await g.assign(centres, 5, 'full');
      expect(sameBits(a1.stats.sumOuter, a2.stats.sumOuter) && a1.inertia === a2.inertia).toBe(true);
      const r1 = await g.randomResponsibilities(9, 5, centres, 'diag');
      const r2 = await g.randomResponsibilities(9, 5, centres, 'diag');
      expect(sameBits(r1.sumOuter, r2.sumOuter)).toBe(true);
      g.dispose();
    }
  });

  it('concurrent calls on one data set are serialised and each matches the CPU engine', async (ctx) => {
    const gpu = gpuOf(ctx);
    const { data } = blobs(63, 10_000, 2, 3);
    const dataset = toDataset({ data, rows: 10_000, cols: 2 }, null);
    const g = await gpu.load(dataset);
    const cpuBackend = await CpuBackend.create();
    const c = await cpuBackend.load(dataset);
    const p = makeParams(64, 'full', 3, 2);
    const q = makeParams(65, 'diag', 3, 2);
    const [a, b, e] = await Promise.all([g.eStep(p, 'full'), g.eStep(q, 'diag'), g.evaluate(p, { labels: true })]);
    expectStatsClose(a, await c.eStep(p, 'full'), 1e-4, 1e-5, 'concurrent full');
    expectStatsClose(b, await c.eStep(q, 'diag'), 1e-4, 1e-5, 'concurrent diag');
    expect(Array.from(e.labels!)).toEqual(Array.from((await c.evaluate(p, { labels: true })).labels!));
    g.dispose();
    c.dispose();
    cpuBackend.dispose();
  });

  it('dispose then reuse fails cleanly; dispose is idempotent', async (ctx) => {
    const gpu = gpuOf(ctx);
    const { data } = blobs(66, 1000, 2, 3);
    const g = await gpu.load(toDataset({ data: data, rows: 1000, cols: 2 }, null));
    g.dispose();
    g.dispose();
    const p = makeParams(67, 'full', 3, 2);
    await expect(g.eStep(p, 'full')).rejects.toThrow(/released/);
    await expect(g.rowsAt(Int32Array.of(0))).rejects.toThrow(/released/);
    await expect(g.kmeansPlusPlus(3, 1)).rejects.toThrow(/released/);
  });

  it('200 load/dispose cycles do not grow memory', async (ctx) => {
    const gpu = gpuOf(ctx);
    const { data } = blobs(68, 20_000, 3, 4);
    const p = makeParams(69, 'full', 4, 3);
    const cycle = async (): Promise<void> => {
      const g = await gpu.load(toDataset({ data: data, rows: 20_000, cols: 3 }, null));
      await g.eStep(p, 'full');
      g.dispose();
    };
    for (let i = 0; i < 20; i++) await cycle();
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) await cycle();
    (globalThis as { gc?: () => void }).gc?.();
    const grown = process.memoryUsage().rss - before;
    // 200 cycles upload 200 x 240 KB = 48 MB; leaking buffers would grow far beyond this bound.
    expect(grown).toBeLessThan(40 * 2 ** 20);
  });

  it('rejects with DeviceLostError after the device is lost, and on later calls', async (ctx) => {
    gpuOf(ctx);
    const made = await createWebGpuBackend();
    if (!made.ok) throw new Error(made.reason);
    const own = made.backend;
    const { data } = blobs(70, 1000, 2, 3);
    const g = await own.load(toDataset({ data: data, rows: 1000, cols: 2 }, null));
    const p = makeParams(71, 'full', 3, 2);
    await g.eStep(p, 'full');
    // Simulate a loss: destroy the device under the backend.
    own.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await expect(g.eStep(p, 'full')).rejects.toBeInstanceOf(DeviceLostError);
    await expect(own.load(toDataset({ data: data, rows: 1000, cols: 2 }, null))).rejects.toBeInstanceOf(
      DeviceLostError,
    );
    own.dispose();
  });
});
