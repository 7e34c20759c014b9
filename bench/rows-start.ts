// `npm run bench:rows-start`: issue 19's float32 residual. Breast cancer (569 × 30, standardised;
// the committed scikit-learn fixture's X), full covariance, K = 3, started from three random rows
// (init 'random_from_data', one seed per start): how far the WebGPU engine's float32 fit lies
// from the float64 CPU engine's, and where the gap comes from. Per start:
//   - the lower bound and means after 20 iterations, WebGPU against CPU;
//   - the first step's error: the covariances after one iteration, WebGPU against CPU, in the
//     CPU covariance's whitened coordinates (‖Uᵀ·ΔΣ·U‖_F, U its precision Cholesky factor: the
//     error relative to each eigendirection);
//   - a later step's error, the same measure, for one WebGPU iteration from the CPU's
//     parameters after one iteration (both engines start from the same float64 parameters);
//   - the path's own sensitivity: the float64 CPU engine restarted from its parameters after one
//     iteration rounded to float32 (weights, means, precision Cholesky factor), and the change of
//     its lower bound after the 19 remaining iterations;
//   - the condition numbers of the CPU's covariances after 1 and 20 iterations.
// Prints a table and writes bench/results/rows-start-*.json (docs/numerics.md quotes it).
//
//   node bin/run-ts.js bench/rows-start.ts [--seeds 20] [--iterations 20]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GaussianMixture, releaseBackends, type Matrix } from '../src/index.ts';
import { symmetricEigen } from '../src/model/linalg.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const seeds = Number(option('seeds', '20'));
const iterations = Number(option('iterations', '20'));
const K = 3;

const fixture = JSON.parse(readFileSync('test/fixtures/sklearn/cancer-rows.json', 'utf8')) as { X: number[][] };
const X: Matrix = {
  data: Float64Array.from(fixture.X.flat()),
  rows: fixture.X.length,
  cols: fixture.X[0]?.length ?? 0,
};
const D = X.cols;

interface Fitted {
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
  readonly precisions: Float64Array;
  readonly precisionsCholesky: Float64Array;
  readonly lowerBound: number;
}

type Start =
  | { readonly seed: number }
  | { readonly weights: ArrayLike<number>; readonly means: ArrayLike<number>; readonly precisions: ArrayLike<number> };

async function fit(start: Start, maxIter: number, backend: 'cpu' | 'webgpu'): Promise<Fitted> {
  const gm = new GaussianMixture({
    nComponents: K,
    covarianceType: 'full',
    tol: 0,
    maxIter,
    backend,
    ...('seed' in start
      ? { initParams: 'random_from_data' as const, randomState: start.seed }
      : {
          weightsInit: Array.from(start.weights),
          meansInit: Array.from(start.means),
          precisionsInit: Array.from(start.precisions),
        }),
  });
  await gm.fit(X);
  return gm;
}

/** ‖Uᵀ·(A − B)·U‖_F per component, U = B's precision Cholesky factor (row-major, P = U·Uᵀ). */
function whitenedErrors(a: Fitted, b: Fitted): number[] {
  const out: number[] = [];
  for (let c = 0; c < K; c++) {
    const o = c * D * D;
    const u = (i: number, j: number): number => b.precisionsCholesky[o + i * D + j] as number;
    const delta = (i: number, j: number): number =>
      (a.covariances[o + i * D + j] as number) - (b.covariances[o + i * D + j] as number);
    // M = ΔΣ·U, then Uᵀ·M.
    const m = new Float64Array(D * D);
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let l = 0; l < D; l++) s += delta(i, l) * u(l, j);
        m[i * D + j] = s;
      }
    let sum = 0;
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let l = 0; l < D; l++) s += u(l, i) * (m[l * D + j] as number);
        sum += s * s;
      }
    out.push(Math.sqrt(sum));
  }
  return out;
}

/** Eigenvalues of a symmetric D × D matrix (largest first). */
function eigenvalues(a: Float64Array, offset: number): number[] {
  return Array.from(symmetricEigen(a, offset, D).values);
}

function conditionNumbers(f: Fitted): number[] {
  return Array.from({ length: K }, (_, c) => {
    const e = eigenvalues(f.covariances, c * D * D);
    return Math.max(...e) / Math.min(...e);
  });
}

/** The parameters as a float32 engine holds them: weights (renormalised), means, precision Cholesky factors. */
function roundedToFloat32(f: Fitted): Start {
  const weights = f.weights.map(Math.fround);
  const total = weights.reduce((s, w) => s + w, 0);
  const u = f.precisionsCholesky.map(Math.fround);
  const precisions = new Float64Array(K * D * D);
  for (let c = 0; c < K; c++)
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let l = 0; l < D; l++) s += (u[c * D * D + i * D + l] as number) * (u[c * D * D + j * D + l] as number);
        precisions[c * D * D + i * D + j] = s;
      }
  return { weights: weights.map((w) => w / total), means: f.means.map(Math.fround), precisions };
}

const maxAbs = (a: Float64Array, b: Float64Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
const short = (v: number): string => v.toExponential(1);

const rows: Record<string, unknown>[] = [];
let backendName = '';
console.log(
  'seed | lower bound (CPU) | WebGPU − CPU | means | 1st step (whitened) | later step | float64 sensitivity | cond after 1 | cond after 20',
);
for (let seed = 0; seed < seeds; seed++) {
  try {
    await measure(seed);
  } catch (error) {
    // A start whose component collapses (an ill-defined covariance) on either engine.
    const message = error instanceof Error ? error.message : String(error);
    rows.push({ seed, failed: message });
    console.log(`${seed} | failed: ${message}`);
  }
}

async function measure(seed: number): Promise<void> {
  const cpu = await fit({ seed }, iterations, 'cpu');
  const gpu = await fit({ seed }, iterations, 'webgpu');
  const cpu1 = await fit({ seed }, 1, 'cpu');
  const gpu1 = await fit({ seed }, 1, 'webgpu');
  const from1 = { weights: cpu1.weights, means: cpu1.means, precisions: cpu1.precisions };
  const cpu2 = await fit(from1, 1, 'cpu');
  const gpu2 = await fit(from1, 1, 'webgpu');
  const rounded = await fit(roundedToFloat32(cpu1), iterations - 1, 'cpu');
  backendName = (gpu as unknown as { backend: string }).backend;
  const row = {
    seed,
    lowerBound: cpu.lowerBound,
    lowerBoundGap: Math.abs(gpu.lowerBound - cpu.lowerBound),
    lowerBoundGapRelative: Math.abs(gpu.lowerBound - cpu.lowerBound) / Math.max(1, Math.abs(cpu.lowerBound)),
    meansGap: maxAbs(gpu.means, cpu.means),
    firstStepWhitened: Math.max(...whitenedErrors(gpu1, cpu1)),
    laterStepWhitened: Math.max(...whitenedErrors(gpu2, cpu2)),
    float64Sensitivity: Math.abs(rounded.lowerBound - cpu.lowerBound),
    conditionAfter1: conditionNumbers(cpu1),
    conditionAfter20: conditionNumbers(cpu),
  };
  rows.push(row);
  console.log(
    [
      seed,
      cpu.lowerBound.toFixed(4),
      short(row.lowerBoundGap),
      short(row.meansGap),
      short(row.firstStepWhitened),
      short(row.laterStepWhitened),
      short(row.float64Sensitivity),
      row.conditionAfter1.map(short).join(' '),
      row.conditionAfter20.map(short).join(' '),
    ].join(' | '),
  );
}
releaseBackends();

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = resolve('bench/results', `rows-start-${stamp}.json`);
mkdirSync(resolve('bench/results'), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ generator: 'bench/rows-start.ts', data: 'test/fixtures/sklearn/cancer-rows.json X', k: K, covarianceType: 'full', iterations, webgpu: backendName, note: 'measured on a shared 2-core machine; timings are not recorded', rows }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
