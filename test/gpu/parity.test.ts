// The WebGPU backend's statistics, evaluations and seeding against the float64 CPU engine, for
// both kernel shapes (vector for D ≤ 4, tiled above), data split into many chunks, every pass A
// and pass B variant the tuning can select, NaN-poisoned partial and result buffers (an unwritten
// slot shows), data far from the origin, and at scale.
import { describe, expect, it } from 'vitest';
import { toDataset } from '../../src/matrix.ts';
import { useGpu } from '../helpers/gpu.ts';
import { blobs, makeParams, sameBits } from './helpers.ts';
import { checkEStep, parityTests, withData } from './suite.ts';
import { expectStatsClose } from './helpers.ts';

describe('webgpu, default kernel shapes', () => {
  const gpu = useGpu({ debugPoison: true });
  parityTests(gpu, {
    estep: [
      { n: 5000, d: 2, k: 4, seed: 1, weighted: true },
      { n: 3001, d: 3, k: 5, seed: 2, weighted: true },
      { n: 1000, d: 1, k: 1, seed: 3, weighted: false },
      { n: 3, d: 2, k: 8, seed: 4, weighted: false },
      { n: 3000, d: 16, k: 64, seed: 22, weighted: true, covs: ['full', 'diag'] },
      { n: 4000, d: 2, k: 3, seed: 5, weighted: false, shift: 1e8 },
      { n: 2000, d: 9, k: 4, seed: 6, weighted: true, shift: -3e6 },
    ],
    other: [
      { n: 4000, d: 2, k: 3, seed: 23, weighted: false },
      { n: 1000, d: 16, k: 64, seed: 24, weighted: true, covs: ['full'] },
    ],
  });

  it('is bit-identical run to run (vector and tiled), with timings on the interface', async (ctx) => {
    for (const d of [2, 16]) {
      const { data } = blobs(9, 20001, d, 8);
      const g = await gpu(ctx).load(toDataset({ data, rows: 20001, cols: d }, null));
      const p = makeParams(3, 'full', 8, d);
      const a = await g.eStep(p, 'full');
      const b = await g.eStep(p, 'full');
      expect(sameBits(a.sumOuter, b.sumOuter) && sameBits(a.sumDiff, b.sumDiff) && sameBits(a.sumResp, b.sumResp)).toBe(
        true,
      );
      expect(Object.is(a.sumLogLik, b.sumLogLik)).toBe(true);
      expect(g.lastTimings).not.toBeNull();
      expect(g.lastTimings!.wallMs).toBeGreaterThan(0);
      if (g.lastTimings!.kernelMs !== null) expect(g.lastTimings!.kernelMs).toBeGreaterThanOrEqual(0);
      g.dispose();
    }
  });

  it('degenerate components: zero weight, and far from all data', async (ctx) => {
    for (const d of [2, 6]) {
      await withData(gpu(ctx), { n: 3000, d, k: 3, seed: 51, weighted: false }, async (g, c) => {
        for (const cov of ['full', 'tied', 'diag', 'spherical'] as const) {
          const base = makeParams(52, cov, 4, d);
          const means = Float64Array.from(base.means);
          for (let a = 0; a < d; a++) means[2 * d + a] = 1e4; // component 2 far from everything
          const p = { ...base, weights: Float64Array.from([0, 0.5, 0.3, 0.2]), means };
          const mom = cov === 'full' || cov === 'tied' ? 'full' : 'diag';
          const gs = await g.eStep(p, mom);
          expect(gs.sumResp[0]).toBe(0);
          expectStatsClose(gs, await c.eStep(p, mom), 1e-4, 1e-5, `degenerate ${cov} D=${d}`);
          const ev = await g.evaluate(p, { labels: true, proba: true });
          expect(ev.labels!.every((l) => l !== 0 && l !== 2)).toBe(true);
        }
      });
    }
  });

  it('1e6 points, D=2, K=16: eStep (full, diag) and assign', async (ctx) => {
    await withData(gpu(ctx), { n: 1_000_000, d: 2, k: 16, seed: 31, weighted: true }, async (g, c, _data, centres) => {
      for (const cov of ['full', 'diag'] as const) {
        const p = makeParams(33, cov, 16, 2);
        expectStatsClose(await g.eStep(p, cov), await c.eStep(p, cov), 1e-4, 1e-5, `1e6 ${cov}`);
      }
      const a = await g.assign(centres, 16, 'full');
      const b = await c.assign(centres, 16, 'full');
      expectStatsClose(a.stats, b.stats, 1e-4, 1e-5, '1e6 assign');
    });
  });

  it('D=64, K=256 (pass A as value + finish: one row exceeds the loop budget): full eStep', async (ctx) => {
    await withData(gpu(ctx), { n: 600, d: 64, k: 8, seed: 41, weighted: false }, async (g, c) => {
      const p = makeParams(42, 'full', 256, 64);
      // float32 log-densities of 64-D components carry ~1e-4 absolute error (|quad| in the
      // hundreds), so responsibilities agree to ~1e-4 relative: checked at 1e-3.
      expectStatsClose(await g.eStep(p, 'full'), await c.eStep(p, 'full'), 1e-3, 1e-5, 'D64 K256');
    });
  });
});

describe('webgpu, 777-row data chunks (many storage bindings)', () => {
  const gpu = useGpu({ maxRowsPerChunk: 777, debugPoison: true });
  parityTests(gpu, {
    estep: [
      { n: 5000, d: 2, k: 4, seed: 21, weighted: true },
      { n: 3000, d: 16, k: 8, seed: 22, weighted: true, covs: ['full', 'diag'] },
    ],
    other: [{ n: 4000, d: 3, k: 3, seed: 23, weighted: true }],
  });
});

describe('webgpu, tiled shape forced at every D', () => {
  const gpu = useGpu({ kernelShape: 'tiled', debugPoison: true });
  parityTests(gpu, {
    estep: [
      { n: 700, d: 1, k: 1, seed: 13, weighted: false },
      { n: 2500, d: 5, k: 5, seed: 12, weighted: true },
      { n: 5, d: 6, k: 7, seed: 14, weighted: false },
      { n: 3001, d: 8, k: 1, seed: 100, weighted: false },
      { n: 2777, d: 8, k: 16, seed: 101, weighted: true },
      { n: 1999, d: 16, k: 4, seed: 102, weighted: false },
      { n: 1234, d: 32, k: 16, seed: 105, weighted: false, covs: ['full', 'diag'] },
      { n: 777, d: 64, k: 16, seed: 106, weighted: true, covs: ['full', 'diag'] },
    ],
    other: [{ n: 3210, d: 9, k: 6, seed: 15, weighted: true }],
  });
});

// Pass B: 8×8 register blocks with 4 components per workgroup (diagonal moments and k-means
// passes; whitened full moments take one component per tile), and 4×4 blocks with 3 components
// per workgroup (K not a multiple of KB), 7-row tiles, 1000-row data chunks.
describe('webgpu, pass B register blocks and components per workgroup', () => {
  const rb2 = useGpu({
    kernelShape: 'tiled',
    tuning: { tiledRowBlocks: 2, tiledComponents: 4, tileRows: 24 },
    debugPoison: true,
  });
  const kb3 = useGpu({
    kernelShape: 'tiled',
    tuning: { tiledRowBlocks: 1, tiledColumnBlocks: 1, tiledComponents: 3, tileRows: 7 },
    maxRowsPerChunk: 1000,
    debugPoison: true,
  });
  const cases: Array<[number, number, number, boolean]> = [
    [2011, 8, 1, true],
    [1777, 8, 16, false],
    [1299, 16, 16, false],
    [1001, 32, 16, true],
  ];
  cases.forEach(([n, d, k, weighted], i) => {
    it(`8×8 blocks, KB 4: eStep N=${n} D=${d} K=${k} (full, diag) and assign`, async (ctx) => {
      await checkEStep(rb2(ctx), { n, d, k, seed: 300 + i, weighted, covs: ['full', 'diag'] });
      await withData(rb2(ctx), { n, d, k, seed: 310 + i, weighted }, async (g, c, _x, centres) => {
        expectStatsClose(
          (await g.assign(centres, k, 'full')).stats,
          (await c.assign(centres, k, 'full')).stats,
          1e-4,
          1e-5,
          'assign',
        );
      });
    });
    it(`4×4 blocks, KB 3, 7-row tiles: eStep N=${n} D=${d} K=${k} (full, diag)`, (ctx) =>
      checkEStep(kb3(ctx), { n, d, k, seed: 400 + i, weighted, covs: ['full', 'diag'] }));
  });
});

// Pass A: the hardware entry point (rows outer, one row per invocation) and the per-row loop
// without the generated triangular solve.
describe('webgpu, pass A variants', () => {
  const rowsOuter = useGpu({
    kernelShape: 'tiled',
    tuning: { triRowsOuter: true, pointsPerInvocation: 1 },
    maxRowsPerChunk: 1000,
    debugPoison: true,
  });
  const loop = useGpu({ kernelShape: 'tiled', tuning: { triSolve: false }, debugPoison: true });
  for (const [n, d, k] of [
    [2001, 8, 4],
    [999, 32, 16],
  ] as const) {
    it(`rows outer, one row per invocation: eStep N=${n} D=${d} K=${k} (full, tied)`, (ctx) =>
      checkEStep(rowsOuter(ctx), { n, d, k, seed: 500 + d, weighted: true, covs: ['full', 'tied'] }));
    it(`per-row loop: eStep N=${n} D=${d} K=${k} (full, tied)`, (ctx) =>
      checkEStep(loop(ctx), { n, d, k, seed: 600 + d, weighted: false, covs: ['full', 'tied'] }));
  }
});
