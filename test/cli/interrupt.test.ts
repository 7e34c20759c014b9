// Ctrl-C: the real command in a child process gets SIGINT while it works (drawing samples,
// reading a FIFO or a stdin that never closes, predicting, fitting) and must exit 130 within a
// couple of seconds, leaving no --output file and no temporary file.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, open, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listDir, tempDir, writeFile } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'emgpu.js');
const CPU = ['--backend', 'cpu'];
/** From SIGINT to exit; generous for a loaded two-core machine. */
const PROMPT_MS = 2500;

interface Child {
  readonly out: { stdout: string; stderr: string };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly kill: (signal: NodeJS.Signals) => void;
  readonly write: (text: string) => void;
}

const running = new Set<ReturnType<typeof spawn>>();
// A command that ignored SIGINT must not outlive its test.
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts bin/emgpu.js; with readStdout false its stdout is never read, so the pipe fills up. */
function start(args: string[], readStdout = true): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const out = { stdout: '', stderr: '' };
  if (readStdout)
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out.stdout = (out.stdout + text).slice(-4096)));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { out, exited, kill: (signal) => void child.kill(signal), write: (text) => void child.stdin.write(text) };
}

async function until(child: Child, ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${child.out.stderr}`);
    const exited = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r(null), 20))]);
    if (exited !== null)
      throw new Error(`the command exited before ${what}: ${JSON.stringify(exited)}; stderr: ${child.out.stderr}`);
  }
}

/** Sends SIGINT and checks: exit code 130 (not killed by the signal), promptly, one last stderr line. */
async function expectInterrupted(child: Child, lastLine: RegExp): Promise<void> {
  const sent = performance.now();
  child.kill('SIGINT');
  const result = await Promise.race([child.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
  if (result === null) child.kill('SIGKILL');
  expect(result, `still running 15 s after SIGINT; stderr: ${child.out.stderr}`).not.toBeNull();
  const ms = performance.now() - sent;
  expect(result).toEqual({ code: 130, signal: null });
  expect(ms).toBeLessThan(PROMPT_MS);
  expect(child.out.stderr.trimEnd().split('\n').at(-1)).toMatch(lastLine);
}

const dir = tempDir();
let model = '';
let bigData = '';

beforeAll(() => {
  const rows = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => `${((i % 8) * 4 + Math.sin(i)).toFixed(5)},${(Math.cos(i * 1.3) + (i % 3)).toFixed(5)}`,
    ).join('\n');
  model = join(dir, 'model.json');
  const fit = spawnSync(
    process.execPath,
    [BIN, 'fit', writeFile(dir, 'small.csv', rows(800)), '-k', '8', '--seed', '0', ...CPU, '-o', model],
    { cwd: ROOT, encoding: 'utf8' },
  );
  expect(fit.status).toBe(0);
  bigData = writeFile(dir, 'big.csv', rows(300_000));
});

describe('Ctrl-C stops every long command with exit 130', () => {
  it('sample -n 1000000000 while it draws the components', async () => {
    const child = start(['sample', '-m', model, '-n', '1000000000', '--verbose']);
    await until(child, () => child.out.stderr.includes('emgpu: drawing 1000000000 samples'), 'the draws to start');
    await new Promise((r) => setTimeout(r, 200));
    await expectInterrupted(child, /^emgpu: interrupted; nothing was written\.$/);
  });

  it('sample while it writes --output: no file and no temporary file is left', async () => {
    const out = join(tempDir(), 'samples.csv');
    const child = start(['sample', '-m', model, '-n', '20000000', '-o', out]);
    await until(child, () => listDir(join(out, '..')).length > 0, 'the temporary file');
    await expectInterrupted(child, new RegExp(`^emgpu: interrupted; --output '${out}' was not written\\.$`));
    expect(listDir(join(out, '..'))).toEqual([]);
  });

  it('sample to stdout: stops mid-stream', async () => {
    const child = start(['sample', '-m', model, '-n', '20000000']);
    await until(child, () => child.out.stdout.length > 0, 'the first samples');
    await expectInterrupted(child, /^emgpu: interrupted; the output on stdout is incomplete\.$/);
  });

  it('sample to a stdout that is not being read (a full pipe)', async () => {
    const child = start(['sample', '-m', model, '-n', '2000000', '--verbose'], false);
    await until(child, () => child.out.stderr.includes('emgpu: drawing 2000000 samples'), 'the draws to start');
    await new Promise((r) => setTimeout(r, 2000)); // the draws take a fraction of that; then the pipe fills
    await expectInterrupted(child, /^emgpu: interrupted; the output on stdout is incomplete\.$/);
  });

  it('fit reading a FIFO that no one writes to', async () => {
    const fifo = join(tempDir(), 'data.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = start(['fit', fifo, ...CPU, '--verbose']);
    await until(child, () => child.out.stderr.includes('emgpu: reading data file'), 'reading to start');
    await new Promise((r) => setTimeout(r, 200));
    await expectInterrupted(child, /^emgpu: interrupted; nothing was written\.$/);
  });

  it('fit reading a FIFO whose writer keeps it open', async () => {
    const fifo = join(tempDir(), 'open.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = start(['fit', fifo, ...CPU, '--verbose']);
    // Opening for writing waits for the reader; it happens on the thread pool.
    const fd = await new Promise<number>((resolve, reject) =>
      open(fifo, constants.O_WRONLY, (error, value) => (error ? reject(error) : resolve(value))),
    );
    try {
      writeSync(fd, '1,2\n3,4\n5,6\n');
      await until(child, () => child.out.stderr.includes('emgpu: reading data file'), 'reading to start');
      await new Promise((r) => setTimeout(r, 200));
      await expectInterrupted(child, /^emgpu: interrupted; nothing was written\.$/);
    } finally {
      closeSync(fd);
    }
  });

  it('fit reading a stdin that never closes', async () => {
    const child = start(['fit', '-', ...CPU, '--verbose', '-o', join(dir, 'never.json')]);
    child.write('1,2\n3,4\n');
    await until(child, () => child.out.stderr.includes('emgpu: reading data from stdin'), 'reading to start');
    await new Promise((r) => setTimeout(r, 200));
    await expectInterrupted(child, /^emgpu: interrupted; --output '.*never\.json' was not written\.$/);
  });

  it('predict --proba while it computes and writes --output', async () => {
    const outDir = tempDir();
    const child = start([
      'predict',
      '-m',
      model,
      bigData,
      '--proba',
      ...CPU,
      '--verbose',
      '-o',
      join(outDir, 'proba.csv'),
    ]);
    await until(
      child,
      () => child.out.stderr.includes('emgpu: computing the probabilities of 300000 rows'),
      'predicting to start',
    );
    await expectInterrupted(child, /^emgpu: interrupted; --output '.*proba\.csv' was not written\.$/);
    expect(listDir(outDir)).toEqual([]);
  });

  it('fit between iterations', async () => {
    const outDir = tempDir();
    const child = start([
      'fit',
      bigData,
      '-k',
      '8',
      '--tol',
      '0',
      '--max-iter',
      '1000',
      ...CPU,
      '--verbose',
      '-o',
      join(outDir, 'model.json'),
    ]);
    await until(child, () => /emgpu: iter +2\//.test(child.out.stderr), 'the second iteration');
    await expectInterrupted(child, /^emgpu: interrupted; --output '.*model\.json' was not written\.$/);
    expect(listDir(outDir)).toEqual([]);
  });

  it('fit --stream in the middle of a pass over the file', async () => {
    const outDir = tempDir();
    const child = start([
      'fit',
      bigData,
      '-k',
      '8',
      '--stream',
      '--chunk-rows',
      '1000',
      '--tol',
      '0',
      '--max-iter',
      '1000',
      '--seed',
      '0',
      ...CPU,
      '--verbose',
      '-o',
      join(outDir, 'model.json'),
    ]);
    await until(child, () => /emgpu: iter +2\//.test(child.out.stderr), 'the second iteration');
    await expectInterrupted(child, /^emgpu: interrupted; --output '.*model\.json' was not written\.$/);
    expect(listDir(outDir)).toEqual([]);
  });

  it('fit --online between batches', async () => {
    const outDir = tempDir();
    const child = start([
      'fit',
      bigData,
      '-k',
      '8',
      '--online',
      '--batch-size',
      '1000',
      '--passes',
      '1000',
      '--seed',
      '0',
      ...CPU,
      '--verbose',
      '-o',
      join(outDir, 'model.json'),
    ]);
    await until(child, () => /emgpu: pass 1\/1000 {2}batch 3\//.test(child.out.stderr), 'the third batch');
    await expectInterrupted(child, /^emgpu: interrupted; --output '.*model\.json' was not written\.$/);
    expect(listDir(outDir)).toEqual([]);
  });
});
