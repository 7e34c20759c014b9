// The WebGPU engine at the edges of its range: tiny K·D (a staging buffer once was smaller than
// the range it mapped), K = 4096 (the documented maximum: the k-means pass once asked for more
// partial slots than a binding holds), and jobs beyond its limits (a usage error naming the limit
// with 'webgpu'; the CPU engine with 'auto').
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { EmgpuInputError, GaussianMixture, releaseBackends } from '../../src/index.ts';
import { toDataset } from '../../src/matrix.ts';
import { Random } from '../../src/random.ts';
import { setAutoTakesSoftwareAdapters } from '../../src/select-backend.ts';
import { run, tempDir, writeFile } from '../cli/helpers.ts';
import { useGpu, webgpuUnavailable } from '../helpers/gpu.ts';
import { expectStatsClose, makeParams } from './helpers.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(async () => {
  setAutoTakesSoftwareAdapters(false);
  await releaseBackends();
});
const need = (ctx: { skip(note?: string): never }): void => {
  if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
};

describe('tiny K·D', () => {
  it.for([
    [
      [
        [1, 2],
        [3, 4],
        [5, 7],
      ],
      1,
    ],
    [[[1], [2], [4], [8], [9], [11]], 3],
    [[[0.5], [1.1], [2.5]], 2],
  ] as const)('fits %j with K = %i on WebGPU as on the CPU engine', async ([rows, k], ctx) => {
    need(ctx);
    const X = rows.map((r) => [...r]);
    const options = { nComponents: k, maxIter: 3, tol: 0, randomState: 0, initParams: 'k-means++' as const };
    const gpu = await new GaussianMixture({ ...options, backend: 'webgpu' }).fit(X);
    const cpu = await new GaussianMixture({ ...options, backend: 'cpu' }).fit(X);
    expect(gpu.backend).toMatch(/^webgpu/);
    expect(Math.abs(gpu.lowerBound - cpu.lowerBound)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.lowerBound)));
    expect(Array.from(await gpu.predict(X))).toEqual(Array.from(await cpu.predict(X)));
  });

  it('emgpu fit on three 2-D rows with --backend webgpu', async (ctx) => {
    need(ctx);
    const file = writeFile(tempDir(), 'x.csv', '1,2\n3,4\n5,7\n');
    const result = await run(['fit', file, '--backend', 'webgpu']);
    expect(result.stderr).not.toMatch(/internal error|readback failed/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).backend).toMatch(/^webgpu/);
  });
});

describe('K = 4096, the documented maximum', () => {
  const gpu = useGpu({ debugPoison: true });
  it('k-means assignment (vector-sized D) and E-steps match the CPU engine', async (ctx) => {
    const k = 4096;
    const n = 5000;
    const random = new Random(3);
    const data = Float64Array.from({ length: n * 2 }, () => random.nextGaussian() * 10);
    const dataset = toDataset({ data, rows: n, cols: 2 }, null);
    const g = await gpu(ctx).load(dataset);
    const cpuBackend = await CpuBackend.create();
    const c = await cpuBackend.load(dataset);
    try {
      const centres = data.slice(0, k * 2);
      for (const moments of [null, 'diag'] as const) {
        const a = await g.assign(centres, k, moments);
        const b = await c.assign(centres, k, moments);
        expectStatsClose(a.stats, b.stats, 1e-4, 1e-5, `assign ${moments}`);
      }
      for (const cov of ['diag', 'full'] as const) {
        const p = makeParams(5, cov, k, 2);
        expectStatsClose(await g.eStep(p, cov), await c.eStep(p, cov), 1e-4, 1e-5, `eStep ${cov}`);
      }
    } finally {
      g.dispose();
      c.dispose();
      cpuBackend.dispose();
    }
  });
});

describe('beyond the limits', () => {
  const wide = { data: new Float64Array(50 * 300).map((_, i) => Math.sin(i) + (i % 7)), rows: 50, cols: 300 };

  it("'webgpu' refuses D = 300 and K = 5000 as usage errors naming the limit", async (ctx) => {
    need(ctx);
    await expect(new GaussianMixture({ backend: 'webgpu', maxIter: 1 }).fit(wide)).rejects.toThrow(EmgpuInputError);
    await expect(new GaussianMixture({ backend: 'webgpu', maxIter: 1 }).fit(wide)).rejects.toThrow(
      /the WebGPU engine takes at most 256 features, and X has 300; use backend 'auto' or 'cpu'/,
    );
    const many = Array.from({ length: 5001 }, (_, i) => [i, i % 17]);
    await expect(new GaussianMixture({ backend: 'webgpu', nComponents: 5000, maxIter: 1 }).fit(many)).rejects.toThrow(
      /at most 4096 components, and nComponents is 5000/,
    );
  });

  it('emgpu fit exits 2 naming the limit', async (ctx) => {
    need(ctx);
    const header = Array.from({ length: 300 }, (_, j) => `f${j}`).join(',');
    const body = Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: 300 }, (_, j) => ((i * 7 + j) % 11) + j / 300).join(','),
    ).join('\n');
    const file = writeFile(tempDir(), 'wide.csv', `${header}\n${body}\n`);
    const result = await run(['fit', file, '--backend', 'webgpu', '--max-iter', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/at most 256 features, and X has 300/);
  });

  it("'auto' runs a job beyond the GPU's limits on the CPU engine, saying why", async (ctx) => {
    need(ctx);
    setAutoTakesSoftwareAdapters(true);
    const gm = await new GaussianMixture({ backend: 'auto', maxIter: 2, randomState: 0 }).fit(wide);
    expect(gm.backend).toMatch(
      /^cpu \(.*\): the job is beyond the WebGPU engine's limits: the WebGPU engine takes at most 256 features, and X has 300/,
    );
  });
});
