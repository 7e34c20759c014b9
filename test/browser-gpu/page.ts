// Runs in headless Chromium (SwiftShader). The test (webgpu-browser.test.ts) calls
//   window.runParity(): the WebGPU backend against the CPU engine, in-page;
//   window.runCase(dataset, name): one case of the estimator-level suite (test/suite/) on
//   WebGPU, returning what the estimator produced for Node to compare with sklearn's numbers;
//   window.runMclustCase(fixture, model): one model of the mclust parity suite (test/suite/mclust.ts).
import { CpuBackend } from '../../src/cpu/engine.ts';
import { createWebGpuBackend } from '../../src/gpu/index.ts';
import { toDataset } from '../../src/matrix.ts';
import { momentsFor, type SufficientStats } from '../../src/sufficient-stats.ts';
import { blobs, COV_TYPES, makeParams } from '../gpu/fixtures.ts';
import { fixture } from '../suite/fixtures.ts';
import { runCase, WEBGPU, type Outcome } from '../suite/run.ts';
import { MCLUST_FIXTURES, runMclustCase, type MclustOutcome } from '../suite/mclust-run.ts';
import type { MclustModelName } from '../../src/index.ts';

export interface CaseResult {
  readonly name: string;
  /** Largest |gpu − cpu| / max(|cpu|, 1e-2·scale) over the statistics arrays. */
  readonly statsError: number;
  /** |Δ sumLogLik| / |sumLogLik| (0 when the pass has none), or inertia for assign. */
  readonly scalarError: number;
  readonly finite: boolean;
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const e = b[i] as number;
    worst = Math.max(worst, Math.abs((a[i] as number) - e) / Math.max(Math.abs(e), scale * 1e-2, 1e-30));
  }
  return worst;
}

function statsError(g: SufficientStats, c: SufficientStats): number {
  return Math.max(maxRel(g.sumResp, c.sumResp), maxRel(g.sumDiff, c.sumDiff), maxRel(g.sumOuter, c.sumOuter));
}

function allFinite(s: SufficientStats): boolean {
  return (
    [s.sumResp, s.sumDiff, s.sumOuter].every((a) => a.every((v) => Number.isFinite(v))) && Number.isFinite(s.sumLogLik)
  );
}

async function runParity(): Promise<{ description: string; results: CaseResult[] } | { error: string }> {
  const made = await createWebGpuBackend({ debugPoison: true });
  if (!made.ok) return { error: made.reason };
  const gpu = made.backend;
  const cpu = await CpuBackend.create();
  const results: CaseResult[] = [];
  try {
    for (const [n, d, k] of [
      [20_000, 2, 4],
      [3_001, 6, 5],
    ] as const) {
      const { data, centres } = blobs(101 + d, n, d, k);
      const g = await gpu.load(toDataset({ data: data, rows: n, cols: d }, null));
      const c = await cpu.load(toDataset({ data: data, rows: n, cols: d }, null));
      for (const cov of COV_TYPES) {
        const p = makeParams(7 + d, cov, k, d);
        const mom = momentsFor(cov);
        const gs = await g.eStep(p, mom);
        const cs = await c.eStep(p, mom);
        results.push({
          name: `eStep ${cov} N=${n} D=${d} K=${k}`,
          statsError: statsError(gs, cs),
          scalarError: Math.abs(gs.sumLogLik - cs.sumLogLik) / Math.abs(cs.sumLogLik),
          finite: allFinite(gs),
        });
      }
      const ga = await g.assign(centres, k, 'full');
      const ca = await c.assign(centres, k, 'full');
      results.push({
        name: `assign N=${n} D=${d} K=${k}`,
        statsError: statsError(ga.stats, ca.stats),
        scalarError: Math.abs(ga.inertia - ca.inertia) / ca.inertia,
        finite: allFinite(ga.stats),
      });
      g.dispose();
      c.dispose();
    }
    return { description: gpu.description, results };
  } catch (error) {
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  } finally {
    gpu.dispose();
    cpu.dispose();
  }
}

async function runSuiteCase(dataset: string, name: string): Promise<Outcome | { error: string }> {
  try {
    const f = fixture(dataset);
    const c = f.cases.find((x) => x.name === name);
    if (c === undefined) return { error: `no case ${name} in ${dataset}` };
    return await runCase(f, c, WEBGPU);
  } catch (error) {
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  }
}

async function runMclustSuiteCase(name: string, model: MclustModelName): Promise<MclustOutcome | { error: string }> {
  try {
    const f = MCLUST_FIXTURES.find((x) => x.name === name);
    if (f === undefined) return { error: `no mclust fixture ${name}` };
    return await runMclustCase(f, model, 'webgpu');
  } catch (error) {
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  }
}

Object.assign(window, { runParity, runCase: runSuiteCase, runMclustCase: runMclustSuiteCase });
document.getElementById('status')!.textContent = 'ready';
