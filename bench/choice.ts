// Choosing the model, timed (`npm run bench -- --choice`, or `node bin/run-ts.js bench/choice.ts`):
//
// 1. BayesianGaussianMixture against GaussianMixture, seconds per EM iteration (E-step on the
//    engine, float64 M-step, the lower bound), full covariances, K = 16, at 1M × 2 and 1M × 8,
//    on each engine, with scikit-learn's two estimators on the same data.
// 2. The model-selection grid K 1–10 × the four covariance types at 1M × 2: selectModel's total,
//    the same 40 fits run one after another with GaussianMixture (X stays loaded between them, as
//    it does for any typed X), and scikit-learn's grid. An untimed small grid first compiles the
//    engine's pipelines, so neither timed run pays for that.
//    Every cell runs exactly --grid-iter iterations (tol 0, random_from_data, nInit 1), so all
//    three do the same work and the totals compare.
//
// Options: --engines cpu,webgpu-node   --n 1000000   --reps 5   --rounds 2   --grid-iter 20
//          --no-sklearn   --no-grid   --no-iter
// Prints tables and writes bench/results/choice-<time>.json.

import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { BayesianGaussianMixture } from '../src/bayesian-mixture.ts';
import { GaussianMixture } from '../src/gaussian-mixture.ts';
import { SKLEARN_COVARIANCE_TYPES, type BackendChoice, type IterationInfo } from '../src/options.ts';
import { releaseBackends } from '../src/select-backend.ts';
import { selectModel } from '../src/select-model.ts';
import { makeData, median } from './workload.ts';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const engines = (option('--engines') ?? 'cpu,webgpu-node').split(',') as Array<'cpu' | 'webgpu-node'>;
const n = Number(option('--n') ?? 1_000_000);
const reps = Number(option('--reps') ?? 5);
const rounds = Number(option('--rounds') ?? 2);
const gridIter = Number(option('--grid-iter') ?? 20);
const K = 16;
const KMAX = 10;
const root = resolve(import.meta.dirname, '..');
const backendOf = (engine: 'cpu' | 'webgpu-node'): BackendChoice => (engine === 'cpu' ? 'cpu' : 'webgpu');

function python(): string | null {
  if (flag('--no-sklearn')) return null;
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

function runSklearn(
  py: string,
  data: Float64Array,
  rows: number,
  cols: number,
  rest: string[],
): Record<string, unknown> {
  const scratch = mkdtempSync(join(os.tmpdir(), 'emgpu-choice-'));
  try {
    const path = join(scratch, 'data.f64');
    writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const result = spawnSync(
      py,
      [join(root, 'bench/sklearn_choice.py'), rest[0] as string, path, String(rows), String(cols), ...rest.slice(1)],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, OMP_NUM_THREADS: String(os.availableParallelism()) },
      },
    );
    const line = result.stdout.trim().split('\n').at(-1);
    if (result.status !== 0 || line === undefined || line === '')
      return { ok: false, error: result.stderr.split('\n').slice(-3).join(' ') };
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Median seconds per iteration after the first, from a fit started at the true labels. */
async function perIteration(
  make: (options: {
    maxIter: number;
    onIteration: (info: IterationInfo) => void;
  }) => GaussianMixture | BayesianGaussianMixture,
  X: { data: Float64Array; rows: number; cols: number },
  resp: Float64Array,
): Promise<number> {
  const times: number[] = [];
  const gm = make({
    maxIter: reps + 1,
    onIteration: (info) => {
      if (info.iteration > 1) times.push(info.iterationTime / 1000);
    },
  });
  await gm.fit(X, { resp });
  return median(times);
}

const fmt = (s: number | null): string =>
  s === null || !Number.isFinite(s) ? '—' : s >= 100 ? s.toFixed(0) : s >= 1 ? s.toFixed(2) : s.toFixed(4);
const ratio = (a: number | null, b: number | null): string =>
  a === null || b === null ? '—' : `${(a / b).toFixed(2)}×`;

const py = python();
const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  host: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}`,
  n,
  reps,
  rounds,
  gridIter,
  sklearn: py === null ? null : 'python3',
};

// ---- 1. Bayesian vs Gaussian per iteration ----------------------------------------------
if (!flag('--no-iter')) {
  const rows: Array<Record<string, unknown>> = [];
  console.log(
    `\nBayesianGaussianMixture vs GaussianMixture: seconds per iteration (full, K = ${K}, the smaller of ${rounds} alternating rounds' medians of ${reps})\n`,
  );
  console.log(
    '| data | engine | GaussianMixture | Bayesian | Bayesian / Gaussian | sklearn Bayesian | sklearn Bayesian / ours |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const d of [2, 8]) {
    const { data } = makeData({ n, d, k: K, covarianceType: 'full' });
    const X = { data, rows: n, cols: d };
    const resp = new Float64Array(n * K);
    for (let i = 0; i < n; i++) resp[i * K + (i % K)] = 1; // the true labels
    let sk: { gmm: number; bgm: number } | null = null;
    if (py !== null) {
      const result = runSklearn(py, data, n, d, ['iter', String(K), String(reps)]);
      if (result.ok === true) sk = { gmm: median(result.gmm as number[]), bgm: median(result.bgm as number[]) };
      else console.log(`scikit-learn failed: ${String(result.error)}`);
    }
    for (const engine of engines) {
      const backend = backendOf(engine);
      const common = { nComponents: K, covarianceType: 'full' as const, tol: 0, backend };
      let gmm: number | null = null;
      let bgm: number | null = null;
      let error: string | null = null;
      try {
        // Alternating rounds, the smallest median of each: warm-up and other load on the machine
        // fall on both estimators alike.
        for (let round = 0; round < rounds; round++) {
          const g = await perIteration((o) => new GaussianMixture({ ...common, ...o }), X, resp);
          const b = await perIteration((o) => new BayesianGaussianMixture({ ...common, ...o }), X, resp);
          gmm = gmm === null ? g : Math.min(gmm, g);
          bgm = bgm === null ? b : Math.min(bgm, b);
        }
      } catch (e) {
        error = (e as Error).message;
      }
      await releaseBackends();
      const row = {
        n,
        d,
        k: K,
        engine,
        gaussian: gmm,
        bayesian: bgm,
        sklearnGaussian: sk?.gmm ?? null,
        sklearnBayesian: sk?.bgm ?? null,
        error,
      };
      rows.push(row);
      console.log(
        `| ${n / 1e6}M × ${d} | ${engine} | ${fmt(gmm)} | ${fmt(bgm)} | ${ratio(bgm, gmm)} | ${fmt(sk?.bgm ?? null)} | ${ratio(sk?.bgm ?? null, bgm)} |${error === null ? '' : ` ${error}`}`,
      );
    }
    if (sk !== null)
      console.log(
        `| ${n / 1e6}M × ${d} | scikit-learn | ${fmt(sk.gmm)} | ${fmt(sk.bgm)} | ${ratio(sk.bgm, sk.gmm)} | | |`,
      );
  }
  out.iterations = rows;
}

// ---- 2. The 40-cell grid ----------------------------------------------------------------
if (!flag('--no-grid')) {
  const d = 2;
  const { data } = makeData({ n, d, k: 5, covarianceType: 'full' });
  const X = { data, rows: n, cols: d };
  const ks = Array.from({ length: KMAX }, (_, i) => i + 1);
  const common = { initParams: 'random_from_data' as const, maxIter: gridIter, tol: 0, randomState: 0 };
  const rows: Array<Record<string, unknown>> = [];
  console.log(
    `\nThe grid K 1–${KMAX} × ${SKLEARN_COVARIANCE_TYPES.length} covariance types at ${n / 1e6}M × ${d} (${gridIter} iterations per cell, random_from_data): total seconds\n`,
  );
  console.log('| engine | selectModel | 40 fits one by one | one by one / selectModel | best (BIC) |');
  console.log('|---|---:|---:|---:|---|');
  for (const engine of engines) {
    const backend = backendOf(engine);
    let selectSeconds: number | null = null;
    let separateSeconds: number | null = null;
    let best = '';
    let error: string | null = null;
    try {
      const warm = { data: data.subarray(0, 2000 * d), rows: 2000, cols: d };
      await selectModel(warm, { ...common, maxIter: 2, nComponents: ks, backend });
      let start = performance.now();
      const result = await selectModel(X, { ...common, nComponents: ks, backend });
      selectSeconds = (performance.now() - start) / 1000;
      best = `${result.bestRow.covarianceType}, K = ${result.bestRow.nComponents}`;
      start = performance.now();
      for (const covarianceType of SKLEARN_COVARIANCE_TYPES) {
        for (const k of ks) {
          const gm = new GaussianMixture({ ...common, nComponents: k, covarianceType, backend });
          await gm.fit(X);
          await gm.criteria(X);
        }
      }
      separateSeconds = (performance.now() - start) / 1000;
    } catch (e) {
      error = (e as Error).message;
    }
    await releaseBackends();
    rows.push({ engine, selectSeconds, separateSeconds, best, error });
    console.log(
      `| ${engine} | ${fmt(selectSeconds)} | ${fmt(separateSeconds)} | ${ratio(separateSeconds, selectSeconds)} | ${best} |${error === null ? '' : ` ${error}`}`,
    );
  }
  if (py !== null) {
    const result = runSklearn(py, data, n, d, ['grid', String(KMAX), String(gridIter)]);
    if (result.ok === true) {
      const cells = result.cells as Array<{ covarianceType: string; nComponents: number; bic: number }>;
      const best = cells.reduce((a, b) => (b.bic < a.bic ? b : a));
      rows.push({
        engine: 'scikit-learn',
        separateSeconds: result.total,
        best: `${best.covarianceType}, K = ${best.nComponents}`,
        version: result.version,
      });
      console.log(
        `| scikit-learn ${String(result.version)} | | ${fmt(result.total as number)} | | ${best.covarianceType}, K = ${best.nComponents} |`,
      );
    } else {
      console.log(`scikit-learn failed: ${String(result.error)}`);
    }
  }
  out.grid = rows;
}

mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `choice-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${file}`);
