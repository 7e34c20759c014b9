// `npm run soak`: 1,000 fits, predicts and scores of mixed sizes on both engines in one process,
// some of them concurrent and some aborted at a random moment, then a report: calls that did
// not settle, unexpected errors, resident memory and live GPU buffers before and after, and
// WebGPU release / re-create cycles. Not a test: a program that prints its figures (and exits
// non-zero when a call did not settle or an unexpected error appeared).
//
//   node bin/run-ts.js bench/soak.ts [--calls 1000] [--cycles 100] [--seed 1] [--engines cpu,webgpu]

import { GaussianMixture, releaseBackends, type BackendChoice, type Matrix } from '../src/index.ts';
import { liveGpuBuffers } from '../src/gpu/index.ts';
import { Random } from '../src/random.ts';
import { setAutoTakesSoftwareAdapters } from '../src/select-backend.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const calls = option('calls', 1000);
const engineIndex = args.indexOf('--engines');
const engines = (engineIndex >= 0 ? (args[engineIndex + 1] ?? 'cpu,webgpu') : 'cpu,webgpu').split(
  ',',
) as BackendChoice[];
const cycles = option('cycles', 100);
const random = new Random(option('seed', 1));
const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function data(n: number, d: number, k: number): Matrix {
  const values = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) values[i * d + a] = (i % k) * 5 + random.nextGaussian();
  return { data: values, rows: n, cols: d };
}

const expected = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'EmgpuInputError');

interface Tally {
  started: number;
  settled: number;
  aborted: number;
  unexpected: string[];
}

async function soak(): Promise<Tally> {
  const tally: Tally = { started: 0, settled: 0, aborted: 0, unexpected: [] };
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    tally.started++;
    const q = p.then(
      () => {
        tally.settled++;
      },
      (error: unknown) => {
        tally.settled++;
        if (error instanceof Error && error.name === 'AbortError') tally.aborted++;
        else if (!expected(error))
          tally.unexpected.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      },
    );
    pending.add(q);
    void q.finally(() => pending.delete(q));
  };
  let fitted: GaussianMixture[] = [];
  while (tally.started < calls) {
    // A batch of one to four calls at once.
    const batch = 1 + random.nextInt(4);
    const ops: Promise<unknown>[] = [];
    for (let b = 0; b < batch && tally.started + ops.length < calls; b++) {
      const backend = engines[random.nextInt(engines.length)] as BackendChoice;
      const n = [200, 2_000, 20_000, 60_000][random.nextInt(4)] as number;
      const d = 1 + random.nextInt(12);
      const k = 1 + random.nextInt(6);
      const kind = fitted.length === 0 ? 0 : random.nextInt(3);
      if (kind === 0) {
        const controller = new AbortController();
        const gm = new GaussianMixture({
          nComponents: k,
          covarianceType: (['full', 'tied', 'diag', 'spherical'] as const)[random.nextInt(4)]!,
          backend,
          maxIter: 5 + random.nextInt(10),
          randomState: random.nextInt(1000),
          signal: controller.signal,
          cpuThreads: 1 + random.nextInt(2),
        });
        if (random.nextFloat() < 0.2) setTimeout(() => controller.abort(), random.nextInt(200));
        ops.push(
          gm.fit(data(n, d, k)).then(() => {
            fitted.push(gm);
            if (fitted.length > 8) fitted = fitted.slice(-8);
          }),
        );
      } else {
        const gm = fitted[random.nextInt(fitted.length)] as GaussianMixture;
        const X = data(Math.min(n, 20_000), gm.nFeatures, gm.nComponents);
        ops.push(kind === 1 ? gm.predict(X) : gm.score(X));
      }
    }
    for (const op of ops) track(op);
    await Promise.allSettled(ops);
    if (tally.started % 100 < batch)
      process.stdout.write(
        `  ${tally.started} calls, rss ${MiB(process.memoryUsage().rss)}, live GPU buffers ${liveGpuBuffers()}\n`,
      );
  }
  // Everything started must settle; wait at most 60 s for stragglers.
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 60_000))]);
  return tally;
}

setAutoTakesSoftwareAdapters(true);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const rssBefore = process.memoryUsage().rss;
const buffersBefore = liveGpuBuffers();
console.log(
  `# soak: ${calls} calls (fit, predict, score; CPU and WebGPU; 1-4 at once; 20% of fits aborted at a random moment)`,
);
const started = performance.now();
const tally = await soak();
const soakSeconds = (performance.now() - started) / 1000;
gc?.();
const rssAfter = process.memoryUsage().rss;
const buffersHeld = liveGpuBuffers();
await releaseBackends();
const buffersAfterRelease = liveGpuBuffers();

// WebGPU release / re-create cycles: a device per cycle, one small fit on it.
gc?.();
const cycleRssBefore = process.memoryUsage().rss;
const X = data(2_000, 3, 3);
for (let i = 0; i < cycles; i++) {
  await new GaussianMixture({ nComponents: 3, backend: 'webgpu', maxIter: 2, randomState: i }).fit(X);
  await releaseBackends();
}
gc?.();
const cycleRssAfter = process.memoryUsage().rss;

console.log('| measure | value |');
console.log('|---|---|');
console.log(`| calls started / settled | ${tally.started} / ${tally.settled} |`);
console.log(`| aborted (AbortError) | ${tally.aborted} |`);
console.log(`| unexpected errors | ${tally.unexpected.length} |`);
console.log(`| time | ${soakSeconds.toFixed(1)} s |`);
console.log(`| RSS before → after the calls | ${MiB(rssBefore)} → ${MiB(rssAfter)} |`);
console.log(
  `| live GPU buffers before → after the calls → after releaseBackends() | ${buffersBefore} → ${buffersHeld} → ${buffersAfterRelease} |`,
);
console.log(
  `| RSS over ${cycles} WebGPU release / re-create cycles | ${MiB(cycleRssBefore)} → ${MiB(cycleRssAfter)} |`,
);
for (const message of tally.unexpected.slice(0, 10)) console.log(`unexpected: ${message}`);
process.exitCode =
  tally.started === tally.settled && tally.unexpected.length === 0 && buffersAfterRelease === 0 ? 0 : 1;
