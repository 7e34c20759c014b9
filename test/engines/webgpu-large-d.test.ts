// The float32 contract at the top of the WebGPU engine's range (D = 128 and 256, the documented
// limit) on data made hard for float32 (bench/hard-data.ts: condition numbers 1e4-1e5, 100 from
// the origin): from the same start, the WebGPU fit against the float64 CPU engine's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { hardProblem, startFrom } from '../../bench/hard-data.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { groupError } from '../suite/compare.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

describe('WebGPU against the CPU engine at large D', () => {
  it.for([
    [128, 'full'],
    [256, 'full'],
    [256, 'diag'],
  ] as const)('D = %i, %s: lower bound 1e-4, parameters 2e-3, per-row log-likelihoods 1e-3', async ([d, type], ctx) => {
    if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
    const k = 2;
    const p = hardProblem(d, 1200, k, 7 + d);
    const init = startFrom(p, type, k);
    const fit = async (backend: 'cpu' | 'webgpu') => {
      const gm = await new GaussianMixture({
        nComponents: k,
        covarianceType: type,
        maxIter: 5,
        tol: 0,
        backend,
        ...init,
      }).fit(p.X);
      return { gm, scores: await gm.scoreSamples(p.X) };
    };
    const cpu = await fit('cpu');
    const gpu = await fit('webgpu');
    expect(gpu.gm.backend).toMatch(/^webgpu/);
    expect(Math.abs(gpu.gm.lowerBound - cpu.gm.lowerBound) / Math.abs(cpu.gm.lowerBound)).toBeLessThan(1e-4);
    expect(groupError(gpu.gm.weights, Array.from(cpu.gm.weights), k)).toBeLessThan(2e-3);
    expect(groupError(gpu.gm.means, Array.from(cpu.gm.means), d)).toBeLessThan(2e-3);
    expect(groupError(gpu.gm.covariances, Array.from(cpu.gm.covariances), type === 'full' ? d * d : d)).toBeLessThan(
      2e-3,
    );
    let worst = 0;
    for (let i = 0; i < p.X.rows; i++)
      worst = Math.max(
        worst,
        Math.abs((gpu.scores[i] as number) - (cpu.scores[i] as number)) /
          Math.max(1, Math.abs(cpu.scores[i] as number)),
      );
    expect(worst).toBeLessThan(1e-3);
  });
});
