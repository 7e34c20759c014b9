// Runs the CLI in-process with captured streams.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll } from 'vitest';
import { main } from '../../src/cli/main.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function capture(isTTY = false): Writable & { text: () => string; isTTY?: boolean } {
  let text = '';
  const stream = new PassThrough() as PassThrough & { text: () => string; isTTY?: boolean };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.text = () => text;
  if (isTTY) stream.isTTY = true;
  return stream;
}

export async function run(
  argv: string[],
  options: { stdin?: string; stderrTTY?: boolean; stdout?: Writable } = {},
): Promise<RunResult> {
  const stdout = capture();
  const stderr = capture(options.stderrTTY === true);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  // A clock that stands still: no run counts as long (LONG_RUN_MS), however slow the machine,
  // so stderr is what the command says, not what the machine's load adds.
  const code = await main(argv, { stdout: options.stdout ?? stdout, stderr, stdin, clock: () => 0 });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emgpu-cli-'));
  created.push(dir);
  return dir;
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

export const IRIS = new URL('../../data/iris.csv', import.meta.url).pathname;

/** Rows of numbers from CSV output. */
export function parseRows(text: string): number[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number));
}
