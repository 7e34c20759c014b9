// Comparisons shared by the WebGPU backend tests (seeded inputs are in fixtures.ts).

import { expect } from 'vitest';
import type { SufficientStats } from '../../src/sufficient-stats.ts';

export { blobs, COV_TYPES, makeParams, weightsFor } from './fixtures.ts';

/** Relative difference against the scale of the whole array (elements near 0 compare by scale). */
export function expectClose(actual: Float64Array, expected: Float64Array, rel: number, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    expect(Number.isFinite(a), `${what}[${i}] finite (got ${a})`).toBe(true);
    const tol = rel * Math.max(Math.abs(e), scale * 1e-2, 1e-30) + 1e-12;
    if (Math.abs(a - e) > tol) expect.fail(`${what}[${i}]: ${a} vs ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
  }
}

export function expectStatsClose(
  gpu: SufficientStats,
  cpu: SufficientStats,
  rel = 1e-4,
  llRel = 1e-5,
  what = 'stats',
): void {
  expect(gpu.moments).toBe(cpu.moments);
  expect(gpu.nComponents).toBe(cpu.nComponents);
  // The GPU reports the float32-rounded shifts it used (mapped back to float64): ~1e-7 of the
  // data's spread from the float64 ones.
  expectClose(gpu.shifts, cpu.shifts, 1e-4, `${what}.shifts`);
  expectClose(gpu.sumResp, cpu.sumResp, rel, `${what}.sumResp`);
  expectClose(gpu.sumDiff, cpu.sumDiff, rel, `${what}.sumDiff`);
  expectClose(gpu.sumOuter, cpu.sumOuter, rel, `${what}.sumOuter`);
  expect(Math.abs(gpu.totalWeight - cpu.totalWeight) / cpu.totalWeight).toBeLessThan(1e-9);
  // Σ w·Σ r·log r: relative, or against the total weight where the responsibilities are near one-hot.
  const entropyTol = rel * Math.max(Math.abs(cpu.sumRespLogResp), 1e-2 * cpu.totalWeight);
  expect(
    Math.abs(gpu.sumRespLogResp - cpu.sumRespLogResp),
    `${what}.sumRespLogResp ${gpu.sumRespLogResp} vs ${cpu.sumRespLogResp}`,
  ).toBeLessThanOrEqual(entropyTol);
  if (cpu.sumLogLik === 0) expect(gpu.sumLogLik).toBe(0);
  else
    expect(
      Math.abs(gpu.sumLogLik - cpu.sumLogLik) / Math.abs(cpu.sumLogLik),
      `${what}.sumLogLik ${gpu.sumLogLik} vs ${cpu.sumLogLik}`,
    ).toBeLessThan(llRel);
}

/** Bitwise equality of two float64 arrays. */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
