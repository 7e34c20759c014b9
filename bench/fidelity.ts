// `npm run bench:fidelity`: how far the WebGPU engine's float32 fit lies from the float64 CPU
// engine's, per D up to the engine's limit (D ≤ 256), from the same start after 20 EM
// iterations. The data is hard on float32 on purpose: K = 4 components whose covariances have
// condition numbers of 1e4 to 1e5 (half their eigenvalues ~1e-3, half ~D/2: correlated
// features), 100 away from the origin. Prints a table and writes bench/results/fidelity-*.json
// (the README's contract table comes from that file).
//
//   node bin/run-ts.js bench/fidelity.ts [--dims 2,4,8,16,32,64,128,256] [--types full,diag] [--iterations 20]

import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GaussianMixture, releaseBackends, type CovarianceType, type GaussianMixtureOptions, type Matrix } from '../src/index.ts';
import { Random } from '../src/random.ts';

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

interface Problem {
  readonly X: Matrix;
  readonly labels: Int32Array;
}

function problem(d: number, seed: number): Problem {
  const random = new Random(seed);
  const n = rowsFor(d);
  const rank = Math.max(1, Math.floor(d / 2));
  const factors = Array.from({ length: K }, () => Float64Array.from({ length: d * rank }, () => random.nextGaussian()));
  const means = Array.from({ length: K }, () => Float64Array.from({ length: d }, () => 100 + (random.nextFloat() - 0.5) * 12));
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const z = new Float64Array(rank);
  for (let i = 0; i < n; i++) {
    const c = random.nextInt(K);
    labels[i] = c;
    const b = factors[c] as Float64Array;
    for (let r = 0; r < rank; r++) z[r] = random.nextGaussian();
    for (let a = 0; a < d; a++) {
      let v = (means[c] as Float64Array)[a] as number;
      for (let r = 0; r < rank; r++) v += (b[a * rank + r] as number) * (z[r] as number);
      data[i * d + a] = v + 0.03 * random.nextGaussian();
    }
  }
  return { X: { data, rows: n, cols: d }, labels };
}

/** The start both engines take: weights, means and covariances estimated on the true labels. */
function start(p: Problem, type: CovarianceType): Pick<GaussianMixtureOptions, 'weightsInit' | 'meansInit' | 'precisionsInit'> {
  const { data, rows: n, cols: d } = p.X;
  const counts = new Float64Array(K);
  const means = new Float64Array(K * d);
  for (let i = 0; i < n; i++) {
    const c = p.labels[i] as number;
    counts[c] = (counts[c] as number) + 1;
    for (let a = 0; a < d; a++) means[c * d + a] = (means[c * d + a] as number) + (data[i * d + a] as number);
  }
  for (let c = 0; c < K; c++) for (let a = 0; a < d; a++) means[c * d + a] = (means[c * d + a] as number) / (counts[c] as number);
  const cov = new Float64Array(K * d * d);
  for (let i = 0; i < n; i++) {
    const c = p.labels[i] as number;
    for (let a = 0; a < d; a++) {
      const va = (data[i * d + a] as number) - (means[c * d + a] as number);
      for (let b = 0; b <= a; b++) cov[c * d * d + a * d + b] = (cov[c * d * d + a * d + b] as number) + va * ((data[i * d + b] as number) - (means[c * d + b] as number));
    }
  }
  for (let c = 0; c < K; c++) for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) {
    const v = (cov[c * d * d + a * d + b] as number) / (counts[c] as number) + (a === b ? 1e-6 : 0);
    cov[c * d * d + a * d + b] = v;
    cov[c * d * d + b * d + a] = v;
  }
  const weights = Array.from(counts, (v) => v / n);
  // Precisions by Gauss-Jordan on each covariance (full), or 1 / variances (diag).
  let precisions: Float64Array;
  if (type === 'full') {
    precisions = new Float64Array(K * d * d);
    for (let c = 0; c < K; c++) precisions.set(invert(cov.subarray(c * d * d, (c + 1) * d * d), d), c * d * d);
  } else {
    precisions = new Float64Array(K * d);
    for (let c = 0; c < K; c++) for (let a = 0; a < d; a++) precisions[c * d + a] = 1 / (cov[c * d * d + a * d + a] as number);
  }
  return { weightsInit: weights, meansInit: means, precisionsInit: precisions };
}

function invert(m: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  for (let col = 0; col < d; col++) {
    let pivot = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r * d + col] as number) > Math.abs(a[pivot * d + col] as number)) pivot = r;
    for (let j = 0; j < d; j++) {
      [a[col * d + j], a[pivot * d + j]] = [a[pivot * d + j] as number, a[col * d + j] as number];
      [inv[col * d + j], inv[pivot * d + j]] = [inv[pivot * d + j] as number, inv[col * d + j] as number];
    }
    const p = a[col * d + col] as number;
    for (let j = 0; j < d; j++) {
      a[col * d + j] = (a[col * d + j] as number) / p;
      inv[col * d + j] = (inv[col * d + j] as number) / p;
    }
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r * d + col] as number;
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        a[r * d + j] = (a[r * d + j] as number) - f * (a[col * d + j] as number);
        inv[r * d + j] = (inv[r * d + j] as number) - f * (inv[col * d + j] as number);
      }
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) {
    const v = 0.5 * ((inv[i * d + j] as number) + (inv[j * d + i] as number));
    inv[i * d + j] = v;
    inv[j * d + i] = v;
  }
  return inv;
}

/** Worst |a − b| / max(|b|, group scale), groups of `group` entries. */
function groupError(a: Float64Array, b: Float64Array, group: number): number {
  let worst = 0;
  for (let g = 0; g < b.length; g += group) {
    let scale = 0;
    for (let i = g; i < g + group; i++) scale = Math.max(scale, Math.abs(b[i] as number));
    for (let i = g; i < g + group; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(Math.abs(b[i] as number), scale, 1e-300));
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
console.log(`# WebGPU (float32) against the CPU engine (float64): ${iterations} EM iterations from the same start, K = ${K}`);
console.log('| D | N | type | lower bound (rel) | weights | means | covariances | scoreSamples (max rel, all rows) | labels differing |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const d of dims) {
  const p = problem(d, 1000 + d);
  for (const type of types) {
    const init = start(p, type);
    const fit = async (backend: 'cpu' | 'webgpu') => {
      const gm = new GaussianMixture({ nComponents: K, covarianceType: type, maxIter: iterations, tol: 0, backend, ...init });
      await gm.fit(p.X);
      return { gm, scores: await gm.scoreSamples(p.X), labels: await gm.predict(p.X) };
    };
    const cpu = await fit('cpu');
    const gpu = await fit('webgpu');
    let score = 0;
    for (let i = 0; i < p.X.rows; i++) score = Math.max(score, Math.abs((gpu.scores[i] as number) - (cpu.scores[i] as number)) / Math.max(1, Math.abs(cpu.scores[i] as number)));
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
    console.log(`| ${d} | ${row.n} | ${type} | ${e(row.lowerBound)} | ${e(row.weights)} | ${e(row.means)} | ${e(row.covariances)} | ${e(row.scoreSamples)} | ${differing} |`);
  }
}
await releaseBackends();
const dir = resolve(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, `fidelity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ generator: 'bench/fidelity.ts', date: new Date().toISOString(), iterations, k: K, rows }, null, 2)}\n`);
console.log(`# wrote ${file}`);
