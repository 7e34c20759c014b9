// Parity checks shared by the GPU test files (each file makes its own backend/device with
// different options: default, forced chunked kernel shape, small data chunks).
import { expect, it } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { momentKindFor } from '../../src/backend.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import type { CovarianceType } from '../../src/options.ts';
import { blobs, COV_TYPES, expectClose, expectStatsClose, makeParams, weightsFor } from './helpers.ts';

export interface Case {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly seed: number;
  readonly weighted: boolean;
  readonly covs?: CovarianceType[];
}

async function withData<T>(gpu: Backend, c: Case, fn: (g: Awaited<ReturnType<Backend['load']>>, cpu: Awaited<ReturnType<Backend['load']>>, data: Float64Array, centres: Float64Array) => Promise<T>): Promise<T> {
  const cpuBackend = await CpuBackend.create();
  const { data, centres } = blobs(c.seed, c.n, c.d, c.k);
  const w = c.weighted ? weightsFor(c.seed + 1, c.n) : null;
  const g = await gpu.load(data, c.n, c.d, w);
  const cp = await cpuBackend.load(data, c.n, c.d, w);
  try {
    return await fn(g, cp, data, centres);
  } finally {
    g.dispose();
    cp.dispose();
    cpuBackend.dispose();
  }
}

export function label(c: Case): string {
  return `N=${c.n} D=${c.d} K=${c.k}${c.weighted ? ' weighted' : ''}`;
}

export async function checkEStep(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp) => {
    for (const cov of c.covs ?? COV_TYPES) {
      const params = makeParams(c.seed + 7, cov, c.k, c.d);
      const mom = momentKindFor(cov);
      expectStatsClose(await g.eStep(params, mom), await cp.eStep(params, mom), 1e-4, 1e-5, `${cov} ${label(c)}`);
    }
  });
}

export async function checkAssign(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp, _data, centres) => {
    for (const mom of ['full', 'diag', null] as const) {
      const a = await g.assign(centres, c.k, mom);
      const b = await cp.assign(centres, c.k, mom);
      expectStatsClose(a.stats, b.stats, 1e-4, 1e-5, `assign ${mom} ${label(c)}`);
      expect(Math.abs(a.inertia - b.inertia) / b.inertia).toBeLessThan(1e-5);
    }
  });
}

export async function checkRandom(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp, _data, centres) => {
    for (const mom of ['full', 'diag'] as const) {
      for (const seed of [0, 12345, 0xfffffff0]) {
        const a = await g.randomResponsibilities(seed, c.k, centres, mom);
        const b = await cp.randomResponsibilities(seed, c.k, centres, mom);
        expectStatsClose(a, b, 1e-4, 1e-5, `random ${mom} seed ${seed} ${label(c)}`);
      }
    }
  });
}

export async function checkEvaluate(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp, _data, centres) => {
    for (const cov of c.covs ?? COV_TYPES) {
      // Means at the true centres: well separated, so labels agree exactly.
      const params = makeParams(c.seed + 3, cov, c.k, c.d, centres.map((v) => v + 1.5));
      const a = await g.evaluate(params, { labels: true, logLik: true, proba: true });
      const b = await cp.evaluate(params, { labels: true, logLik: true, proba: true });
      let mismatches = 0;
      for (let i = 0; i < c.n; i++) if (a.labels![i] !== b.labels![i]) mismatches++;
      expect(mismatches, `label mismatches ${cov} ${label(c)}`).toBeLessThanOrEqual(Math.ceil(c.n * 1e-4));
      const ll = a.logLik!;
      const ref = b.logLik!;
      for (let i = 0; i < c.n; i++) {
        const tol = 2e-5 * Math.max(1, Math.abs(ref[i] as number));
        if (Math.abs((ll[i] as number) - (ref[i] as number)) > tol) expect.fail(`logLik[${i}] ${ll[i]} vs ${ref[i]}`);
      }
      const pa = a.proba!;
      const pb = b.proba!;
      expect(pa.length).toBe(c.n * c.k);
      for (let i = 0; i < pa.length; i++) if (!(Math.abs((pa[i] as number) - (pb[i] as number)) < 1e-4)) expect.fail(`proba[${i}] ${pa[i]} vs ${pb[i]}`);
      const only = await g.evaluate(params, { labels: true });
      expect(only.logLik).toBeUndefined();
      expect(Array.from(only.labels!)).toEqual(Array.from(a.labels!));
    }
  });
}

export async function checkKmeansPlusPlus(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, _cp, data) => {
    const idx = await g.kmeansPlusPlus(c.k, 42);
    expect(idx.length).toBe(c.k);
    expect(new Set(idx).size).toBe(c.k);
    for (const i of idx) expect(i >= 0 && i < c.n).toBe(true);
    const again = await g.kmeansPlusPlus(c.k, 42);
    expect(Array.from(again)).toEqual(Array.from(idx));
    const rows = await g.rowsAt(idx);
    const expected = new Float64Array(c.k * c.d);
    idx.forEach((r, j) => {
      for (let a = 0; a < c.d; a++) expected[j * c.d + a] = Math.fround(data[r * c.d + a] as number);
    });
    expectClose(rows, expected, 0, 'rowsAt');
  });
}

export function parityTests(getGpu: () => Backend | null, cases: { estep: Case[]; other: Case[] }): void {
  for (const c of cases.estep) it(`eStep ${label(c)}`, async () => { const g = getGpu(); if (g) await checkEStep(g, c); });
  for (const c of cases.other) {
    it(`assign ${label(c)}`, async () => { const g = getGpu(); if (g) await checkAssign(g, c); });
    it(`randomResponsibilities ${label(c)}`, async () => { const g = getGpu(); if (g) await checkRandom(g, c); });
    it(`evaluate ${label(c)}`, async () => { const g = getGpu(); if (g) await checkEvaluate(g, c); });
    it(`kmeansPlusPlus + rowsAt ${label(c)}`, async () => { const g = getGpu(); if (g) await checkKmeansPlusPlus(g, c); });
  }
}
