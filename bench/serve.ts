// What a Node start costs a distributed iteration (`npm run bench -- --serve`): `emgpu stats` of
// one partition as a process of its own (what a scheduler that runs a command per task pays)
// against the same request sent to one long-lived `emgpu serve` (what the Dask integration
// does), for partitions of 10,000 and 1,000,000 rows (K = 4, 2 columns, CPU engine), taking
// turns. Each figure is the built command line (bench/dist-cli.mjs; `npm run build` first).
// Prints a table and writes bench/results/serve-<time>.json.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Random } from '../src/random.ts';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bench/dist-cli.mjs');
const work = mkdtempSync(join(tmpdir(), 'emgpu-serve-'));
const repeat = 7;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function part(rows: number, seed: number): string {
  const random = new Random(seed);
  const lines = ['x,y'];
  for (let i = 0; i < rows; i++) {
    const c = i % 4;
    lines.push(`${5 * (c % 2) + random.nextGaussian()},${5 * Math.floor(c / 2) + random.nextGaussian()}`);
  }
  const path = join(work, `part-${rows}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

try {
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr.trim()}`);
  }
  const server = spawn(process.execPath, [cli, 'serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  const ask = async (argv: string[]): Promise<number> => {
    const started = performance.now();
    server.stdin.write(`${JSON.stringify(argv)}\n`);
    const line = await answers.next();
    const seconds = (performance.now() - started) / 1000;
    const answer = JSON.parse(line.value as string) as { exitCode: number; stderr: string };
    if (answer.exitCode !== 0) throw new Error(answer.stderr);
    return seconds;
  };
  const rowsList = [10_000, 1_000_000];
  const results = [];
  for (const rows of rowsList) {
    const data = part(rows, rows);
    const model = join(work, `model-${rows}.json`);
    const fit = spawnSync(process.execPath, [
      cli,
      'fit',
      data,
      '-k',
      '4',
      '--seed',
      '0',
      '--max-iter',
      '0',
      '-o',
      model,
    ]);
    if (fit.status !== 0) throw new Error(fit.stderr.toString());
    const argv = ['stats', '--model', model, '--backend', 'cpu', data];
    await ask(argv); // the server's first request loads the code
    const process_: number[] = [];
    const served: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const started = performance.now();
      const run = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (run.status !== 0) throw new Error(run.stderr);
      process_.push((performance.now() - started) / 1000);
      served.push(await ask(argv));
    }
    results.push({
      rows,
      processSeconds: median(process_),
      serveSeconds: median(served),
      process: process_,
      serve: served,
    });
  }
  server.stdin.end();
  const result = {
    date: new Date().toISOString(),
    command: 'npm run bench -- --serve',
    host: `${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'} × ${cpus().length}`,
    cli: 'dist/cli.js (npm run build), through bench/dist-cli.mjs',
    repeat,
    results,
  };
  console.log(`emgpu stats of one partition (K = 4, 2 columns, CPU engine), medians of ${repeat} taking turns`);
  console.log('');
  console.log('| partition rows | a process per call (s) | one emgpu serve (s per request) |');
  console.log('|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.rows} | ${r.processSeconds.toFixed(3)} | ${r.serveSeconds.toFixed(3)} |`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/serve-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\nwrote ${file}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
