// A 10,000,000 × 2 fit through the public API on WebGPU in Node (Dawn), as users run it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { Random } from '../../src/random.ts';

import { webgpuUnavailable } from '../helpers/gpu.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

it('fits 10,000,000 points × 2 on WebGPU in Node', async (ctx) => {
  if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
  const n = 10_000_000;
  const random = new Random(5);
  const X = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    X[2 * i] = (c % 2) * 8 + random.nextGaussian();
    X[2 * i + 1] = Math.floor(c / 2) * 8 + random.nextGaussian();
  }
  const gm = new GaussianMixture({ nComponents: 4, backend: 'webgpu', randomState: 0, maxIter: 4, tol: 0 });
  const labels = await gm.fitPredict({ data: X, rows: n, cols: 2 });
  expect(gm.backend).toMatch(/^webgpu/);
  expect(gm.nIter).toBe(4);
  for (const lb of gm.lowerBounds) expect(Number.isFinite(lb)).toBe(true);
  // Each generating cluster maps to one component.
  let agree = 0;
  for (let i = 0; i < n; i++) if (labels[i] === labels[i % 4]) agree++;
  expect(agree / n).toBeGreaterThan(0.99);
  expect(new Set([labels[0], labels[1], labels[2], labels[3]]).size).toBe(4);
}, 300_000);
