// The tiled kernel shape (pass A per row, pass B as 4x4 register blocks of Σ r·z·zᵀ over
// row tiles in workgroup memory) forced, against the CPU engine: D 8-64, K 1-64, N not a
// multiple of the tile, weights, small data chunks (several blocks and bindings), NaN-poisoned
// partial/result buffers, bit-identical repeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { momentKindFor } from '../../src/backend.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { blobs, expectStatsClose, gpuBackend, makeParams, sameBits, weightsFor } from './helpers.ts';
import { checkEStep, parityTests } from './suite.ts';

let gpu: Backend | null = null;
let chunked: Backend | null = null;
beforeAll(async () => {
  gpu = await gpuBackend({ kernelShape: 'tiled', debugPoison: true });
  chunked = await gpuBackend({ kernelShape: 'tiled', maxRowsPerChunk: 1000, debugPoison: true, tileRows: 7 });
});
afterAll(() => {
  gpu?.dispose();
  chunked?.dispose();
});

describe('webgpu tiled kernel shape', () => {
  const cases: Array<[number, number, number, boolean]> = [
    // [n, d, k, weighted]
    [3001, 8, 1, false],
    [2777, 8, 16, true],
    [1999, 16, 4, false],
    [1500, 16, 64, true],
    [2049, 32, 4, true],
    [1234, 32, 16, false],
    [777, 64, 16, true],
  ];
  cases.forEach(([n, d, k, weighted], i) => {
    it(`eStep N=${n} D=${d} K=${k}${weighted ? ' weighted' : ''}, all covariance types`, async () => {
      if (gpu) await checkEStep(gpu, { n, d, k, seed: 100 + i, weighted, ...(d >= 32 ? { covs: ['full', 'diag'] } : {}) });
    });
  });

  it('D=64, K=64 (full, diag) within 1e-3, and the same as the chunked shape to 1e-4', async () => {
    if (!gpu) return;
    // float32 log-densities of 64-D components carry ~1e-4 absolute error (as in large.test.ts),
    // so the statistics agree with float64 to ~1e-4 relative; the chunked shape computes the
    // same log-densities, so the tiled statistics match it more closely.
    const n = 300;
    const { data } = blobs(107, n, 64, 64);
    const other = await gpuBackend({ kernelShape: 'chunked' });
    const cpuBackend = await CpuBackend.create();
    const g = await gpu.load(data, n, 64, null);
    const h = await other!.load(data, n, 64, null);
    const c = await cpuBackend.load(data, n, 64, null);
    try {
      for (const cov of ['full', 'diag'] as const) {
        const p = makeParams(114, cov, 64, 64);
        const a = await g.eStep(p, cov);
        expectStatsClose(a, await c.eStep(p, cov), 1e-3, 1e-5, `D64 K64 ${cov} vs CPU`);
        expectStatsClose(a, await h.eStep(p, cov), 1e-4, 1e-6, `D64 K64 ${cov} vs chunked`);
      }
    } finally {
      g.dispose();
      h.dispose();
      c.dispose();
      cpuBackend.dispose();
      other?.dispose();
    }
  });

  it('bit-identical run to run (D=16, K=8)', async () => {
    if (!gpu) return;
    const { data } = blobs(9, 20001, 16, 8);
    const g = await gpu.load(data, 20001, 16, null);
    const p = makeParams(3, 'full', 8, 16);
    const a = await g.eStep(p, 'full');
    const b = await g.eStep(p, 'full');
    expect(sameBits(a.sumOuter, b.sumOuter) && sameBits(a.sumDiff, b.sumDiff) && sameBits(a.sumResp, b.sumResp)).toBe(true);
    expect(Object.is(a.sumLogLik, b.sumLogLik)).toBe(true);
    const timings = (g as unknown as { lastTimings: { kernelMs: number | null; wallMs: number } | null }).lastTimings;
    expect(timings).not.toBeNull();
    expect(timings!.wallMs).toBeGreaterThan(0);
    if (timings!.kernelMs !== null) expect(timings!.kernelMs).toBeGreaterThanOrEqual(0);
    g.dispose();
  });
});

describe('webgpu tiled kernel shape, 1000-row data chunks, 7-row tiles', () => {
  parityTests(() => chunked, {
    estep: [
      { n: 4321, d: 8, k: 4, seed: 11, weighted: false },
      { n: 2500, d: 5, k: 5, seed: 12, weighted: true },
      { n: 700, d: 1, k: 1, seed: 13, weighted: false },
      { n: 5, d: 6, k: 7, seed: 14, weighted: false },
    ],
    other: [{ n: 3210, d: 9, k: 6, seed: 15, weighted: true }],
  });
});

// Pass B settings forced: 8x8 register blocks (RB 2, CB 2) with 4 components per workgroup,
// and 4x4 blocks with 3 components per workgroup (K not a multiple of KB: idle components),
// 7-row tiles and 1000-row data chunks.
describe('webgpu tiled kernel shape, pass B register blocks and components per workgroup', () => {
  let rb2: Backend | null = null;
  let kb3: Backend | null = null;
  beforeAll(async () => {
    rb2 = await gpuBackend({ kernelShape: 'tiled', tiledRowBlocks: 2, tiledComponents: 4, tileRows: 24, debugPoison: true });
    kb3 = await gpuBackend({ kernelShape: 'tiled', tiledRowBlocks: 1, tiledColumnBlocks: 1, tiledComponents: 3, tileRows: 7, maxRowsPerChunk: 1000, debugPoison: true });
  });
  afterAll(() => {
    rb2?.dispose();
    kb3?.dispose();
  });
  const cases: Array<[number, number, number, boolean]> = [
    // [n, d, k, weighted]
    [2011, 8, 1, true],
    [1777, 8, 16, false],
    [1503, 16, 4, true],
    [1299, 16, 16, false],
    [2049, 32, 1, false],
    [1234, 32, 4, true],
    [1001, 32, 16, true],
  ];
  cases.forEach(([n, d, k, weighted], i) => {
    it(`8x8 blocks, KB 4: eStep N=${n} D=${d} K=${k}${weighted ? ' weighted' : ''} (full, diag)`, async () => {
      if (rb2) await checkEStep(rb2, { n, d, k, seed: 300 + i, weighted, covs: ['full', 'diag'] });
    });
    it(`4x4 blocks, KB 3, 7-row tiles: eStep N=${n} D=${d} K=${k}${weighted ? ' weighted' : ''} (full, diag)`, async () => {
      if (kb3) await checkEStep(kb3, { n, d, k, seed: 400 + i, weighted, covs: ['full', 'diag'] });
    });
  });

  it('8x8 blocks, KB 4: bit-identical run to run (D=32, K=16, several tiles per row group)', async () => {
    if (!rb2) return;
    const { data } = blobs(19, 20001, 32, 16);
    const g = await rb2.load(data, 20001, 32, null);
    const p = makeParams(5, 'full', 16, 32);
    const a = await g.eStep(p, 'full');
    const b = await g.eStep(p, 'full');
    expect(sameBits(a.sumOuter, b.sumOuter) && sameBits(a.sumDiff, b.sumDiff) && sameBits(a.sumResp, b.sumResp)).toBe(true);
    expect(Object.is(a.sumLogLik, b.sumLogLik)).toBe(true);
    g.dispose();
  });
});

// Pass A, rows_tri_main forced (the hardware entry point; software adapters default to
// rows_tri_kmain) with one and with two rows per invocation per row step (rows_tri_pair_main):
// the statistics must be bit-identical. Many row steps per invocation (default rows per
// invocation) and one step (pointsPerInvocation 1, as on hardware) with 1000-row data chunks;
// N odd, so some invocation's second row lies past the last row.
describe('webgpu tiled kernel shape, pass A with two rows per invocation', () => {
  const backends: Record<string, Backend | null> = {};
  beforeAll(async () => {
    for (const rows of [1, 2] as const) {
      backends[`many${rows}`] = await gpuBackend({ kernelShape: 'tiled', triRowsOuter: true, triRowsPerInvocation: rows, debugPoison: true });
      backends[`one${rows}`] = await gpuBackend({ kernelShape: 'tiled', triRowsOuter: true, triRowsPerInvocation: rows, pointsPerInvocation: 1, maxRowsPerChunk: 1000, debugPoison: true });
    }
  });
  afterAll(() => {
    for (const b of Object.values(backends)) b?.dispose();
  });
  const entryPoints = (b: Backend): string[] =>
    [...((b as unknown as { ctx: { pipelines: Map<string, unknown> } }).ctx.pipelines.keys())].map((key) => key.slice(0, key.indexOf('\n')));
  const cases: Array<[number, number, number, boolean]> = [
    // [n, d, k, weighted]
    [2001, 8, 4, false],
    [1777, 8, 16, true],
    [1235, 32, 4, true],
    [999, 32, 16, false],
    [1001, 8, 4, true],
  ];
  cases.forEach(([n, d, k, weighted], i) => {
    it(`bit-identical to one row: eStep N=${n} D=${d} K=${k}${weighted ? ' weighted' : ''} (full, tied)`, async () => {
      for (const mode of ['many', 'one']) {
        const b1 = backends[`${mode}1`];
        const b2 = backends[`${mode}2`];
        if (!b1 || !b2) return;
        const { data } = blobs(500 + i, n, d, k);
        const w = weighted ? weightsFor(501 + i, n) : null;
        const g1 = await b1.load(data, n, d, w);
        const g2 = await b2.load(data, n, d, w);
        try {
          for (const cov of ['full', 'tied'] as const) {
            const p = makeParams(502 + i, cov, k, d);
            const a = await g1.eStep(p, momentKindFor(cov));
            const b = await g2.eStep(p, momentKindFor(cov));
            const what = `${mode} ${cov}`;
            expect(sameBits(a.sumResp, b.sumResp), `${what} sumResp`).toBe(true);
            expect(sameBits(a.sumDiff, b.sumDiff), `${what} sumDiff`).toBe(true);
            expect(sameBits(a.sumOuter, b.sumOuter), `${what} sumOuter`).toBe(true);
            expect(Object.is(a.sumLogLik, b.sumLogLik), `${what} sumLogLik ${a.sumLogLik} vs ${b.sumLogLik}`).toBe(true);
            expect(Object.is(a.totalWeight, b.totalWeight), `${what} totalWeight`).toBe(true);
            expect(sameBits(a.shifts, b.shifts), `${what} shifts`).toBe(true);
            // Still the right statistics (sumResp sums to the total weight).
            expect(Math.abs(a.sumResp.reduce((s, v) => s + v, 0) - a.totalWeight) / a.totalWeight).toBeLessThan(1e-5);
            // Run to run.
            const c = await g2.eStep(p, momentKindFor(cov));
            expect(sameBits(b.sumOuter, c.sumOuter) && sameBits(b.sumDiff, c.sumDiff) && Object.is(b.sumLogLik, c.sumLogLik), `${what} repeat`).toBe(true);
          }
        } finally {
          g1.dispose();
          g2.dispose();
        }
        expect(entryPoints(b1)).toContain('rows_tri_main');
        expect(entryPoints(b1)).not.toContain('rows_tri_pair_main');
        expect(entryPoints(b2)).toContain('rows_tri_pair_main');
        expect(entryPoints(b2)).not.toContain('rows_tri_main');
      }
    });
  });
});
