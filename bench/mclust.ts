// emgpu's model selection against R mclust (`npm run bench -- --mclust`, or
// `node bin/run-ts.js bench/mclust.ts`): for each data set that scripts/mclust_bic.R exported
// (bench/data/mclust/<name>.csv) and answered (bench/results/mclust/<name>.json: mclustBIC's
// table over every model and G, and its time), selectModel over the same G and every covariance
// model emgpu has, then per data set: the best BIC each (mclust's over all its models, and over
// the models emgpu has), how many of the shared cells emgpu's BIC is no worse than mclust's
// (within 0.1%), and the time each took. mclust's BIC is 2·loglik − df·log n (higher is better);
// emgpu's is its negative, and the tables here print emgpu's sign.
//
// Options: --strategies hc+emEM,hc,emEM,init (each is timed and compared; default: selectModel's
//          default)   --datasets faithful,diabetes,...   --backend cpu|webgpu|auto   --seed 0
//          --models mclust|sklearn (mclust's 14, the default, or sklearn's four)
//          --tol, --short-runs, --short-iter (selectModel's options; default SELECT_DEFAULTS)
//          --cpu-threads N (threads that fit cells on small data; default all cores, 1: one thread)
//          --runs N (timed runs after the first; default 3, their median reported)
// Writes bench/results/mclust-<time>.json.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MCLUST_MODELS, mclustName } from '../src/model/names.ts';
import { SKLEARN_COVARIANCE_TYPES, type BackendChoice, type CovarianceType } from '../src/options.ts';
import { releaseBackends } from '../src/select-backend.ts';
import { SELECT_DEFAULTS, SELECT_STRATEGIES, selectModel, type SelectStrategy } from '../src/select-model.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(import.meta.dirname, '..');
const answers = join(root, 'bench/results/mclust');
const strategies = (option('--strategies') ?? SELECT_DEFAULTS.strategy).split(',') as SelectStrategy[];
for (const s of strategies)
  if (!(SELECT_STRATEGIES as readonly string[]).includes(s))
    throw new Error(`--strategies: "${s}" is not one of ${SELECT_STRATEGIES.join(', ')}.`);
const backend = (option('--backend') ?? 'cpu') as BackendChoice;
// mclust's 14 models (default), or sklearn's four (the models emgpu had before mclust's).
const modelSet = option('--models') ?? 'mclust';
if (modelSet !== 'mclust' && modelSet !== 'sklearn')
  throw new Error(`--models: "${modelSet}" is not mclust or sklearn.`);
const TYPES: readonly CovarianceType[] = modelSet === 'sklearn' ? SKLEARN_COVARIANCE_TYPES : MCLUST_MODELS;
const seed = Number(option('--seed') ?? 0);
const numberOption = (name: string): number | undefined => {
  const v = option(name);
  if (v === undefined) return undefined;
  if (!Number.isFinite(Number(v))) throw new Error(`${name}: "${v}" is not a number.`);
  return Number(v);
};
const tuning = {
  tol: numberOption('--tol'),
  shortRuns: numberOption('--short-runs'),
  shortIter: numberOption('--short-iter'),
  cpuThreads: numberOption('--cpu-threads'),
};
/** Timed runs after the first (their median is reported). */
const runs = numberOption('--runs') ?? 3;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: ${runs} is not a whole number of at least 1.`);
const tuned = Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
const available = readdirSync(answers)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5));
const order = ['faithful', 'diabetes', 'blobs', 'banknote', 'wreath', 'gvhd'];
const datasets = (option('--datasets')?.split(',') ?? order.filter((d) => available.includes(d))).filter((d) => {
  if (available.includes(d)) return true;
  console.error(`no mclust answer for ${d} (run Rscript scripts/mclust_bic.R ${d}); skipped`);
  return false;
});

interface MclustAnswer {
  dataset: string;
  rows: number;
  cols: number;
  G: number[];
  seconds_all14: number;
  seconds_sklearn4: number;
  best: { model: string; G: number; bic: number };
  table: Array<{ model: string; G: number; bic: number | null }>;
}

function readCsv(path: string): { data: Float64Array; rows: number; cols: number } {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const cols = (lines[0] as string).split(',').length;
  const data = new Float64Array(lines.length * cols);
  lines.forEach((line, i) => line.split(',').forEach((v, j) => (data[i * cols + j] = Number(v))));
  return { data, rows: lines.length, cols };
}

const fmt = (v: number): string => v.toFixed(1);
const results: unknown[] = [];
const lines: string[] = [
  '| data | strategy | emgpu best (BIC) | mclust best, its models (BIC) | mclust best, emgpu models (BIC) | cells no worse | emgpu s (median) | emgpu s, first run | mclust s (same models) | mclust s (all) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
// One untimed selection first, so that module loading (and, under bin/run-ts.js, compiling the
// TypeScript) is not counted in the first data set's time; mclust_bic.R's timed calls likewise run
// in an R session that has loaded mclust and already made one mclustBIC call.
{
  const rows = 64;
  const warm = new Float64Array(rows * 2);
  for (let i = 0; i < warm.length; i++)
    warm[i] = Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
  for (const strategy of strategies)
    await selectModel(
      { data: warm, rows, cols: 2 },
      { nComponents: [1, 2], covarianceTypes: TYPES, strategy, randomState: seed, backend, ...tuned },
    );
}

for (const name of datasets) {
  const answer = JSON.parse(readFileSync(join(answers, `${name}.json`), 'utf8')) as MclustAnswer;
  const X = readCsv(join(root, 'bench/data/mclust', `${name}.csv`));
  const theirs = new Map(answer.table.map((c) => [`${c.model}:${c.G}`, c.bic === null ? null : -c.bic]));
  const models = TYPES.map((t) => ({ type: t, name: mclustName(t) as string }));
  let sharedBest = { model: '', G: 0, bic: Infinity };
  for (const m of models)
    for (const G of answer.G) {
      const b = theirs.get(`${m.name}:${G}`);
      if (b != null && b < sharedBest.bic) sharedBest = { model: m.name, G, bic: b };
    }
  for (const strategy of strategies) {
    // The first run in this process on these data (V8 still compiling the M-steps and kernels
    // it has not run hot yet: what a one-off `emgpu select` pays), then --runs more, whose median
    // is the measured time (a library user's later selections, or a page's; mclust's compiled
    // Fortran has no such warm-up). Each on its own copy of the rows, so that nothing loaded (the
    // engine's data, the hc tree) carries over; every run's table must be the first's.
    const select = async (): Promise<{ result: Awaited<ReturnType<typeof selectModel>>; seconds: number }> => {
      const copy = { data: Float64Array.from(X.data), rows: X.rows, cols: X.cols };
      const started = performance.now();
      const result = await selectModel(copy, {
        nComponents: answer.G,
        covarianceTypes: TYPES,
        strategy,
        randomState: seed,
        backend,
        ...tuned,
      });
      return { result, seconds: (performance.now() - started) / 1000 };
    };
    const first = await select();
    const timed: number[] = [];
    let result = first.result;
    for (let run = 0; run < runs; run++) {
      const again = await select();
      const differs = again.result.table.some(
        (row, i) => !Object.is(row.bic, first.result.table[i]?.bic) || row.nIter !== first.result.table[i]?.nIter,
      );
      if (differs) throw new Error(`${name} ${strategy}: run ${run + 2}'s table differs from the first's.`);
      timed.push(again.seconds);
      result = again.result;
    }
    const seconds = [...timed].sort((a, b) => a - b)[Math.floor((timed.length - 1) / 2)] as number;
    const firstSeconds = first.seconds;
    let noWorse = 0;
    let shared = 0;
    const cells = result.table.map((row) => {
      const model = mclustName(row.covarianceType) as string;
      const mclust = theirs.get(`${model}:${row.nComponents}`) ?? null;
      // mclust's NA (its fit failed) and emgpu's degenerate model (singular but for regCovar)
      // both mean no model: NA is no worse than NA, and worse than any model.
      const ok =
        mclust === null
          ? true
          : !row.degenerate && Number.isFinite(row.bic) && row.bic <= mclust + 1e-3 * Math.abs(mclust);
      shared++;
      if (ok) noWorse++;
      return {
        model,
        G: row.nComponents,
        emgpu: row.bic,
        degenerate: row.degenerate,
        mclust,
        noWorse: ok,
        nIter: row.nIter,
        seconds: row.seconds,
      };
    });
    const best = result.bestRow;
    const bestName = mclustName(best.covarianceType) as string;
    lines.push(
      `| ${name} (${X.rows} × ${X.cols}) | ${strategy} | ${bestName} G = ${best.nComponents}: ${fmt(best.bic)} | ${answer.best.model} G = ${answer.best.G}: ${fmt(-answer.best.bic)} | ${sharedBest.model} G = ${sharedBest.G}: ${fmt(sharedBest.bic)} | ${noWorse} / ${shared} | ${seconds.toFixed(2)} | ${firstSeconds.toFixed(2)} | ${answer.seconds_sklearn4.toFixed(2)} | ${answer.seconds_all14.toFixed(2)} |`,
    );
    console.log(lines[lines.length - 1]);
    results.push({
      dataset: name,
      rows: X.rows,
      cols: X.cols,
      strategy,
      seconds,
      runsSeconds: timed,
      firstRunSeconds: firstSeconds,
      best: { model: bestName, G: best.nComponents, bic: best.bic },
      mclustBest: { model: answer.best.model, G: answer.best.G, bic: -answer.best.bic },
      mclustBestSharedModels: sharedBest,
      noWorse,
      shared,
      mclustSeconds: { sameModels: answer.seconds_sklearn4, all: answer.seconds_all14 },
      cells,
    });
  }
}
releaseBackends();
console.log(`\nBIC in emgpu's sign (−2·loglik + df·log n, smaller is better; mclust's is its negative).\n`);
console.log(lines.join('\n'));
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `mclust-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), backend, seed, models: TYPES, options: tuned, note: "BIC in emgpu's sign", results }, null, 2)}\n`,
);
console.log(`\nwrote ${file}`);
