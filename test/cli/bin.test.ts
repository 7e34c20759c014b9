// End to end: the real `bin/emgpu.js` in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IRIS, listDir, tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'emgpu.js');

function emgpu(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bin/emgpu.js', () => {
  it('fit --demo prints the summary and exits 0', () => {
    const { code, stdout, stderr } = emgpu(['fit', '--demo', '--backend', 'cpu']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/iris/);
    expect(stdout).toMatch(/150 rows, 4 features, 3 components/);
    expect(stdout).toMatch(/adjusted Rand index \(components vs species\): 0\.\d{3}/);
  });

  it("fit --demo on 'auto' prints nothing on stderr where there is no GPU device (Dawn is not asked)", (ctx) => {
    // With a GPU device node, Dawn is asked for an adapter, and its native code may print.
    const gpuDevice =
      (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) ||
      readdirSync('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg');
    if (process.platform !== 'linux' || gpuDevice)
      ctx.skip('a GPU device (or not Linux): auto asks Dawn for an adapter here');
    const { code, stdout, stderr } = emgpu(['fit', '--demo']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/backend {6}cpu \(\d+ threads?\): no WebGPU adapter: no GPU device here \(/);
  });

  it('fit from stdin to --output, then predict; a bad file exits 2 with one line', () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    const csv = readFileSync(IRIS, 'utf8');
    const fit = emgpu(['fit', '-', '-k', '3', '--seed', '0', '--backend', 'cpu', '--output', model], csv);
    // A run of 10 s or more (a loaded machine) ends with "emgpu: wrote FILE (…)".
    expect(fit.stderr).toMatch(/^(emgpu: wrote \S+model\.json \([^()]+\)\n)?$/);
    expect(fit.code).toBe(0);
    expect(listDir(dir)).toEqual(['model.json']);
    const predict = emgpu(['predict', '--model', model, IRIS, '--backend', 'cpu']);
    expect(predict.code).toBe(0);
    expect(predict.stdout.trim().split('\n')).toHaveLength(150);

    const bad = emgpu(['fit', '-', '--backend', 'cpu', '--output', join(dir, 'bad.json')], 'a,b\n1,2\n3,oops\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'emgpu: stdin, row 3, column 2 ("b"): "oops" is not a number; every value must be a finite number (fix or remove that row).\n',
    );
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
  });
});
