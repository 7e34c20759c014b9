// --output: checked before any work, written atomically, keeping an existing file's mode, and
// through symbolic links to the file they point to.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'emgpu.js');

/** Whether this process can create a file in `dir` (root can in a mode-555 directory). */
function canCreateIn(dir: string): boolean {
  const probe = join(dir, `.probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** A directory this process cannot create files in: a mode-555 one, or /sys where root ignores modes. */
function unwritableDirectory(): string | null {
  const dir = join(tempDir(), 'read-only');
  mkdirSync(dir);
  chmodSync(dir, 0o555);
  if (!canCreateIn(dir)) return dir;
  return existsSync('/sys') && !canCreateIn('/sys') ? '/sys' : null;
}

/**
 * A fit whose data is read only after --output is checked: the data has a header, so reading it
 * would print a note; a failure before the fit leaves exactly the one error line.
 */
async function expectRefusedBeforeFit(output: string, message: RegExp): Promise<void> {
  const result = await run(['fit', IRIS, ...CPU, '--output', output]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

describe('--output is checked before any work', () => {
  it('a read-only directory', async (ctx) => {
    const dir = unwritableDirectory();
    if (dir === null) return ctx.skip('no directory here refuses new files to this user');
    const output = join(dir, 'model.json');
    await expectRefusedBeforeFit(
      output,
      new RegExp(
        `^emgpu: cannot write --output '${output}': its directory '${dir}' does not take new files \\(permission denied\\); choose another place or fix the permissions\\.\\n$`,
      ),
    );
    expect(existsSync(output)).toBe(false);
  });

  it('a directory that does not exist', async () => {
    const dir = tempDir();
    await expectRefusedBeforeFit(
      join(dir, 'no', 'model.json'),
      /^emgpu: cannot write --output '.*model\.json': its directory '.*no' does not exist; create it first or choose another place\.\n$/,
    );
    expect(listDir(dir)).toEqual([]);
  });

  it('a path that is a directory, or runs through a file', async () => {
    const dir = tempDir();
    await expectRefusedBeforeFit(dir, /^emgpu: cannot write --output '.*': it is a directory; pass a file name\.\n$/);
    const file = writeFile(dir, 'plain.txt', 'x');
    await expectRefusedBeforeFit(
      join(file, 'model.json'),
      /^emgpu: cannot write --output '.*plain\.txt\/model\.json': '.*plain\.txt' is not a directory\.\n$/,
    );
    expect(listDir(dir)).toEqual(['plain.txt']);
  });

  // Not /dev/null: a version that got this wrong would, as root, replace it with a regular file.
  it('a FIFO (or a device): refused, with stdout as the way to write there', async () => {
    const fifo = join(tempDir(), 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expectRefusedBeforeFit(
      fifo,
      /^emgpu: cannot write --output '.*pipe': it is a FIFO, and --output only replaces regular files \(atomically\); write to stdout instead, e\.g\. '> .*pipe'\.\n$/,
    );
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('predict, score and sample check it before reading the model', async () => {
    const dir = tempDir();
    const output = join(dir, 'missing', 'out.txt');
    for (const argv of [
      ['predict', '-m', 'nope.json', IRIS],
      ['score', '-m', 'nope.json', IRIS],
      ['sample', '-m', 'nope.json', '-n', '3'],
    ]) {
      const result = await run([...argv, '-o', output]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^emgpu: cannot write --output '.*out\.txt': its directory '.*missing' does not exist/,
      );
    }
  });

  it('a symbolic-link loop', async () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    await expectRefusedBeforeFit(
      join(dir, 'a'),
      /it is a symbolic link that leads through more than 40 links \(a loop\?\)\.\n$/,
    );
  });
});

describe('--output writing', () => {
  it('keeps the mode of an existing file', async () => {
    const dir = tempDir();
    for (const mode of [0o600, 0o640, 0o604]) {
      const output = writeFile(dir, `m${mode.toString(8)}.json`, 'old');
      chmodSync(output, mode);
      const result = await run(['fit', IRIS, '-k', '2', '--seed', '0', ...CPU, '-o', output]);
      expect(result.code).toBe(0);
      expect(statSync(output).mode & 0o777).toBe(mode);
      expect(JSON.parse(readFileSync(output, 'utf8')).nComponents).toBe(2);
    }
    expect(listDir(dir)).toEqual(['m600.json', 'm604.json', 'm640.json']); // no temporary files
  });

  it('writes through a symbolic link: the file it points to is replaced, the link stays', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'models'));
    const target = writeFile(join(dir, 'models'), 'current.json', 'old');
    chmodSync(target, 0o640);
    const link = join(dir, 'model.json');
    symlinkSync('models/current.json', link);
    const result = await run(['predict', '-m', await fitted(dir), IRIS, ...CPU, '-o', link]);
    expect(result.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('models/current.json');
    expect(readFileSync(target, 'utf8').trim().split('\n')).toHaveLength(150);
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(listDir(join(dir, 'models'))).toEqual(['current.json']);
  });

  it('a dangling link creates the file it points to', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'));
    const link = join(dir, 'samples.csv');
    symlinkSync(join(dir, 'out', 'new.csv'), link);
    const result = await run(['sample', '-m', await fitted(dir), '-n', '5', '--seed', '1', '-o', link]);
    expect(result.code).toBe(0);
    expect(
      readFileSync(join(dir, 'out', 'new.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(5);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('predict, score and sample write --output exactly what they print', async () => {
    const dir = tempDir();
    const model = await fitted(dir);
    for (const argv of [
      ['predict', '-m', model, IRIS, ...CPU],
      ['predict', '-m', model, IRIS, '--proba', ...CPU],
      ['score', '-m', model, IRIS, ...CPU],
      ['score', '-m', model, IRIS, '--mean', ...CPU],
      ['sample', '-m', model, '-n', '20', '--seed', '4', '--labels'],
    ]) {
      const printed = await run(argv);
      const output = join(dir, 'out.txt');
      const written = await run([...argv, '-o', output]);
      expect(written.code).toBe(0);
      expect(written.stdout).toBe('');
      expect(readFileSync(output, 'utf8')).toBe(printed.stdout);
    }
  });
});

let fittedModel: string | null = null;
async function fitted(dir: string): Promise<string> {
  if (fittedModel === null) {
    fittedModel = join(dir, 'fitted.json');
    expect((await run(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', fittedModel])).code).toBe(0);
  }
  return fittedModel;
}

describe('permissions, as an unprivileged user (the real command)', () => {
  /** Runs bin/emgpu.js as this user, or as 'nobody' when this is root (root ignores file modes). */
  function emgpuUnprivileged(args: string[]) {
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      ...asNobody,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('a read-only file is refused, a read-only directory too; nothing is changed', async (ctx) => {
    if (emgpuUnprivileged(['--version']).code !== 0) return ctx.skip("the user 'nobody' cannot run the checkout here");
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const data = writeFile(dir, 'x.csv', '1,2\n3,4\n5,7\n8,1\n');
    chmodSync(data, 0o644);
    const readOnly = writeFile(dir, 'ro.json', 'keep me');
    chmodSync(readOnly, 0o444);
    const file = emgpuUnprivileged(['fit', data, ...CPU, '-o', readOnly]);
    expect(file.stderr).toMatch(
      /^emgpu: cannot write --output '.*ro\.json': the file is read-only; make it writable \(chmod u\+w\) or choose another name\.\n$/,
    );
    expect(file.code).toBe(2);
    expect(readFileSync(readOnly, 'utf8')).toBe('keep me');

    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const inDir = emgpuUnprivileged(['fit', data, ...CPU, '-o', join(locked, 'm.json')]);
    expect(inDir.stderr).toMatch(
      /^emgpu: cannot write --output '.*locked\/m\.json': its directory '.*locked' does not take new files \(permission denied\)/,
    );
    expect(inDir.code).toBe(2);
    expect(listDir(locked)).toEqual([]);
  });
});
