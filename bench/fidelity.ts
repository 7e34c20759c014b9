// `npm run bench:fidelity`: how far the WebGPU engine's float32 fit lies from the float64 CPU
// engine's, per D up to the engine's limit (D ≤ 256), from the same start after 20 EM
// iterations, on data that is hard on float32 on purpose (bench/hard-data.ts: K = 4 components
// with condition numbers of 1e4 to 1e5, 100 away from the origin). Prints a table and writes
// bench/results/fidelity-*.json (the contract table of docs/webgpu.md comes from that file).
//
//   node bin/run-ts.js bench/fidelity.ts [--dims 2,4,8,16,32,64,128,256] [--types full,diag] [--iterations 20]

import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GaussianMixture, releaseBackends, type CovarianceType } from '../src/index.ts';
import { hardProblem, startFrom } from './hard-data.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const dims = option('dims', '2,4,8,16,32,64,128,256').split(',').map(Number);
const types = option('types', 'full,diag').split(',') as CovarianceType[];
const iterations = Number(option('iterations', '20'));
const K = 4;

/** Rows: N = 20,000 up to D = 64, 4,000 beyond (the CPU engine's 20 iterations stay under a minute). */
function rowsFor(d: number): number {
  return d <= 64 ? 20_000 : 4_000;
}

/** Worst |a − b| / max(|b|, group scale), groups of `group` entries. */
function groupError(a: Float64Array, b: Float64Array, group: number): number {
  let worst = 0;
  for (let g = 0; g < b.length; g += group) {
    let scale = 0;
    for (let i = g; i < g + group; i++) scale = Math.max(scale, Math.abs(b[i] as number));
    for (let i = g; i < g + group; i++)
      worst = Math.max(
        worst,
        Math.abs((a[i] as number) - (b[i] as number)) / Math.max(Math.abs(b[i] as number), scale, 1e-300),
      );
  }
  return worst;
}

interface Row {
  d: number;
  n: number;
  covarianceType: CovarianceType;
  lowerBound: number;
  weights: number;
  means: number;
  covariances: number;
  scoreSamples: number;
  labelsDiffering: number;
  gpu: string;
}

const rows: Row[] = [];
console.log(
  `# WebGPU (float32) against the CPU engine (float64): ${iterations} EM iterations from the same start, K = ${K}`,
);
console.log(
  '| D | N | type | lower bound (rel) | weights | means | covariances | scoreSamples (max rel, all rows) | labels differing |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const d of dims) {
  const p = hardProblem(d, rowsFor(d), K, 1000 + d);
  for (const type of types) {
    const init = startFrom(p, type, K);
    const fit = async (backend: 'cpu' | 'webgpu') => {
      const gm = new GaussianMixture({
        nComponents: K,
        covarianceType: type,
        maxIter: iterations,
        tol: 0,
        backend,
        ...init,
      });
      await gm.fit(p.X);
      return { gm, scores: await gm.scoreSamples(p.X), labels: await gm.predict(p.X) };
    };
    const cpu = await fit('cpu');
    const gpu = await fit('webgpu');
    let score = 0;
    for (let i = 0; i < p.X.rows; i++)
      score = Math.max(
        score,
        Math.abs((gpu.scores[i] as number) - (cpu.scores[i] as number)) /
          Math.max(1, Math.abs(cpu.scores[i] as number)),
      );
    let differing = 0;
    for (let i = 0; i < p.X.rows; i++) if (gpu.labels[i] !== cpu.labels[i]) differing++;
    const row: Row = {
      d,
      n: p.X.rows,
      covarianceType: type,
      lowerBound: Math.abs(gpu.gm.lowerBound - cpu.gm.lowerBound) / Math.abs(cpu.gm.lowerBound),
      weights: groupError(gpu.gm.weights, cpu.gm.weights, K),
      means: groupError(gpu.gm.means, cpu.gm.means, d),
      covariances: groupError(gpu.gm.covariances, cpu.gm.covariances, type === 'full' ? d * d : d),
      scoreSamples: score,
      labelsDiffering: differing,
      gpu: gpu.gm.backend,
    };
    rows.push(row);
    const e = (v: number): string => v.toExponential(1);
    console.log(
      `| ${d} | ${row.n} | ${type} | ${e(row.lowerBound)} | ${e(row.weights)} | ${e(row.means)} | ${e(row.covariances)} | ${e(row.scoreSamples)} | ${differing} |`,
    );
  }
}
await releaseBackends();
const dir = resolve(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, `fidelity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ generator: 'bench/fidelity.ts', date: new Date().toISOString(), iterations, k: K, rows }, null, 2)}\n`,
);
console.log(`# wrote ${file}`);
