// Backend-level parity checks shared by the WebGPU test files (each file makes its own backend
// with different options: default shapes, forced tiled shape, small data chunks, tuning).
// Statistics are compared with the float64 CPU engine's (an independent implementation).
import { expect, it } from 'vitest';
import type { Backend, LoadedData } from '../../src/backend.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { toDataset } from '../../src/matrix.ts';
import type { CovarianceType } from '../../src/options.ts';
import { momentsFor } from '../../src/sufficient-stats.ts';
import type { GpuHandle } from '../helpers/gpu.ts';
import { blobs, COV_TYPES, expectClose, expectStatsClose, makeParams, weightsFor } from './helpers.ts';

export interface Case {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly seed: number;
  readonly weighted: boolean;
  readonly covs?: CovarianceType[];
  /** Added to every value (data far from the origin). */
  readonly shift?: number;
}

export async function withData<T>(
  gpu: Backend,
  c: Case,
  fn: (g: LoadedData, cpu: LoadedData, data: Float64Array, centres: Float64Array) => Promise<T>,
): Promise<T> {
  const cpuBackend = await CpuBackend.create();
  const { data, centres } = blobs(c.seed, c.n, c.d, c.k);
  if (c.shift) {
    for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) + c.shift;
    for (let i = 0; i < centres.length; i++) centres[i] = (centres[i] as number) + c.shift;
  }
  const w = c.weighted ? weightsFor(c.seed + 1, c.n) : null;
  const dataset = toDataset({ data, rows: c.n, cols: c.d }, w);
  const g = await gpu.load(dataset);
  const cp = await cpuBackend.load(dataset);
  try {
    return await fn(g, cp, data, centres);
  } finally {
    g.dispose();
    cp.dispose();
    cpuBackend.dispose();
  }
}

export function label(c: Case): string {
  return `N=${c.n} D=${c.d} K=${c.k}${c.weighted ? ' weighted' : ''}${c.shift ? ` shifted by ${c.shift}` : ''}`;
}

const shifted = (p: ReturnType<typeof makeParams>, shift: number | undefined) =>
  shift ? { ...p, means: p.means.map((v) => v + shift) } : p;

export async function checkEStep(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp) => {
    for (const cov of c.covs ?? COV_TYPES) {
      const params = shifted(makeParams(c.seed + 7, cov, c.k, c.d), c.shift);
      const mom = momentsFor(cov);
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
      const params = makeParams(
        c.seed + 3,
        cov,
        c.k,
        c.d,
        centres.map((v) => v + 1.5),
      );
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
      for (let i = 0; i < pa.length; i++)
        if (!(Math.abs((pa[i] as number) - (pb[i] as number)) < 1e-4)) expect.fail(`proba[${i}] ${pa[i]} vs ${pb[i]}`);
      const only = await g.evaluate(params, { labels: true });
      expect(only.logLik).toBeUndefined();
      expect(Array.from(only.labels!)).toEqual(Array.from(a.labels!));
    }
  });
}

/** GPU k-means++ draws the same rows as the CPU engine's (float64) seeding, and rowsAt returns them exactly. */
export async function checkKmeansPlusPlus(gpu: Backend, c: Case): Promise<void> {
  await withData(gpu, c, async (g, cp, data) => {
    const idx = await g.kmeansPlusPlus(c.k, 42);
    expect(Array.from(idx)).toEqual(Array.from(await cp.kmeansPlusPlus(c.k, 42)));
    expect(Array.from(await g.kmeansPlusPlus(c.k, 42))).toEqual(Array.from(idx));
    const rows = await g.rowsAt(idx);
    const expected = new Float64Array(c.k * c.d);
    idx.forEach((r, j) => {
      for (let a = 0; a < c.d; a++) expected[j * c.d + a] = data[r * c.d + a] as number;
    });
    expectClose(rows, expected, 0, 'rowsAt');
  });
}

/** Registers the parity tests of the cases on the backend `gpu` gives. */
export function parityTests(gpu: GpuHandle, cases: { estep: Case[]; other: Case[] }): void {
  for (const c of cases.estep) it(`eStep ${label(c)}`, (ctx) => checkEStep(gpu(ctx), c));
  for (const c of cases.other) {
    it(`assign ${label(c)}`, (ctx) => checkAssign(gpu(ctx), c));
    it(`randomResponsibilities ${label(c)}`, (ctx) => checkRandom(gpu(ctx), c));
    it(`evaluate ${label(c)}`, (ctx) => checkEvaluate(gpu(ctx), c));
    it(`kmeansPlusPlus (the CPU engine's draws) + rowsAt ${label(c)}`, (ctx) => checkKmeansPlusPlus(gpu(ctx), c));
  }
}
