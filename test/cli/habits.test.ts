// What shell users expect of a command (issue 21, "CLI habits"): a reader that stops early is
// no error, `emgpu help CMD` is `emgpu CMD --help`, reasons nest no parentheses, a long run ends
// by saying what it wrote, --verbose shows a streamed pass moving even when stderr is a file,
// and the scikit-learn conversion ships in the package and runs as `emgpu convert`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { selectBackend, releaseBackends } from '../../src/select-backend.ts';
import { inCI } from '../helpers/gpu.ts';
import { StreamProgressBars } from '../../src/cli/stream.ts';
import { capture, IRIS, listDir, run, tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'emgpu.js');
const CPU = ['--backend', 'cpu'];
const PYTHON = '/usr/bin/python3';

/** `emgpu ARGS | READER` in bash: emgpu's exit code and stderr, the reader's stdout. */
function piped(args: string[], reader: string): { code: number; stderr: string; stdout: string } {
  const quotedArgs = args.map((a) => `'${a}'`).join(' ');
  const script = `'${process.execPath}' '${BIN}' ${quotedArgs} 2>"$ERR" | ${reader}; echo "exit \${PIPESTATUS[0]}" >&2`;
  const dir = tempDir();
  const err = join(dir, 'stderr.txt');
  const result = spawnSync('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...process.env, ERR: err },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const code = Number(/exit (\d+)/.exec(result.stderr)?.[1] ?? NaN);
  return { code, stderr: readFileSync(err, 'utf8'), stdout: result.stdout };
}

/** The deepest nesting of parentheses in a text. */
function parenthesisDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const ch of text) {
    if (ch === '(') deepest = Math.max(deepest, ++depth);
    else if (ch === ')') depth--;
  }
  return deepest;
}

/** A clock that moves `step` milliseconds each time it is read. */
function steppingClock(step: number): () => number {
  let now = 0;
  return () => (now += step);
}

async function runWithClock(argv: string[], clock: () => number): Promise<{ code: number; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, stdin: Readable.from([]), clock });
  return { code, stderr: stderr.text() };
}

describe('a reader that stops early: a quiet exit 0', () => {
  it('help into a reader that reads nothing, and into head -1', () => {
    const none = piped(['fit', '--help'], 'true');
    expect(none.stderr).toBe('');
    expect(none.code).toBe(0);
    const head = piped(['fit', '--help'], 'head -1');
    expect(head.stderr).toBe('');
    expect(head.code).toBe(0);
    expect(head.stdout).toBe('Usage: emgpu fit [options] [DATA]\n');
  });

  it('data output (sample, predict) piped to head', () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    expect(piped(['fit', IRIS, '-k', '3', '--seed', '0', ...CPU, '-o', model], 'cat').code).toBe(0);
    const sample = piped(['sample', '-m', model, '-n', '300000', '--seed', '1'], 'head -1');
    expect(sample.stderr).toBe('');
    expect(sample.code).toBe(0);
    expect(sample.stdout.trim().split(',')).toHaveLength(4);
    const predict = piped(['predict', '-m', model, IRIS, ...CPU], 'true');
    expect(predict.stderr).toBe('');
    expect(predict.code).toBe(0);
  });
});

describe('emgpu help CMD', () => {
  it('prints what CMD --help prints and exits 0, for every command', async () => {
    for (const command of ['fit', 'select', 'predict', 'score', 'sample', 'stats', 'merge', 'mstep', 'convert']) {
      const help = await run(['help', command]);
      const flag = await run([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toBe(flag.stdout);
      expect(help.stdout).toMatch(new RegExp(`^Usage: emgpu ${command} `));
    }
    const top = await run(['help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toBe((await run(['--help'])).stdout);
  });

  it('help of a command that does not exist: one line, exit 2', async () => {
    const { code, stdout, stderr } = await run(['help', 'fitt']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "emgpu: help: there is no command 'fitt'; the commands are fit, select, predict, summary, score, sample, stats, merge, mstep, convert, reservoir, serve.\n",
    );
  });
});

describe('backend reasons', () => {
  it("'auto' says why it chose its engine with one level of parentheses", async () => {
    try {
      const auto = await selectBackend('auto', 2);
      expect(auto.description).toMatch(/^(cpu \(2 threads\)|webgpu \()/);
      expect(parenthesisDepth(auto.description), auto.description).toBeLessThanOrEqual(1);
      const webgpu = await selectBackend('webgpu', null).catch((error: unknown) => error as Error);
      const text = webgpu instanceof Error ? webgpu.message : webgpu.description;
      expect(parenthesisDepth(text), text).toBeLessThanOrEqual(1);
    } finally {
      await releaseBackends();
    }
  });
});

describe('a final "wrote FILE (…)" line', () => {
  it('with --verbose, and after a long run without it; not after a short one', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    const fit = ['fit', IRIS, '-k', '2', '--seed', '0', ...CPU, '-o', model];
    const wrote = new RegExp(
      `emgpu: wrote ${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\.\\d kB, \\d+\\.\\d s\\)\\n$`,
    );

    const verbose = await run([...fit, '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(wrote);

    const short = await runWithClock(fit, steppingClock(1));
    expect(short.code).toBe(0);
    expect(short.stderr).toBe('');

    // Every reading of the clock 1,000 s later: a long run.
    const long = await runWithClock(fit, steppingClock(1_000_000));
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(wrote);
    expect(long.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(listDir(dir)).toEqual(['model.json']);
  });
});

describe('fit --stream --verbose with stderr not a terminal', () => {
  it('prints progress lines within a pass, with rows done, the share and the rate', () => {
    const stderr = capture();
    // Each reading of the clock 4 s after the last: a pass starts at its first chunk, and a line
    // comes at least 10 s after the last one (every third chunk), none at a pass's end.
    const progress = new StreamProgressBars(stderr, true, 20, null, steppingClock(4_000));
    let rowsDone = 0;
    for (let chunk = 1; chunk <= 8; chunk++) {
      rowsDone += 1_000_000;
      progress.onChunk({ phase: 'scan', pass: 1, iteration: 0, rowsDone, rows: null, chunks: chunk });
    }
    for (let chunk = 1; chunk <= 8; chunk++)
      progress.onChunk({
        phase: 'em',
        pass: 2,
        iteration: 1,
        rowsDone: chunk * 1_000_000,
        rows: 8_000_000,
        chunks: chunk,
      });
    progress.stop();
    expect(stderr.text()).toBe(
      [
        'emgpu: scan  4000000 rows  0.33M rows/s',
        'emgpu: scan  7000000 rows  0.29M rows/s',
        'emgpu: EM  1/20  4000000/8000000 rows (50%)  0.33M rows/s',
        'emgpu: EM  1/20  7000000/8000000 rows (87%)  0.29M rows/s',
        '',
      ].join('\n'),
    );
  });
});

describe('emgpu convert: the scikit-learn conversion, shipped in the package', () => {
  it('package.json ships scripts/sklearn_model.py, and bin/emgpu.js, which its check runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('scripts/sklearn_model.py');
    expect(pkg.files).toContain('bin/emgpu.js');
    expect(existsSync(join(ROOT, 'scripts', 'sklearn_model.py'))).toBe(true);
  });

  it('a Python that is not there: one line, exit 2', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run([
      'convert',
      'to-sklearn',
      IRIS,
      join(dir, 'x.pkl'),
      '--python',
      join(dir, 'none'),
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^emgpu: convert needs Python 3 with numpy and scikit-learn, and '.*none' was not found; install it or pass --python PATH\.\n$/,
    );
    expect(listDir(dir)).toEqual([]);
  });

  it('to-sklearn then from-sklearn gives back a model that scores every row the same; bad input is one line', async (ctx) => {
    const probe = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      const why = `${PYTHON} with scikit-learn is needed (apt-get install python3-sklearn)`;
      if (inCI()) throw new Error(why);
      ctx.skip(why);
    }
    const dir = tempDir();
    const model = join(dir, 'model.json');
    const pickle = join(dir, 'model.pkl');
    const back = join(dir, 'back.json');
    expect((await run(['fit', IRIS, '-k', '3', '--covariance', 'diag', '--seed', '0', ...CPU, '-o', model])).code).toBe(
      0,
    );
    const to = await run(['convert', 'to-sklearn', model, pickle, '--python', PYTHON]);
    expect(to.stderr).toBe('');
    expect(to.code).toBe(0);
    const from = await run(['convert', 'from-sklearn', pickle, back, '--python', PYTHON]);
    expect(from.stderr).toBe('');
    expect(from.code).toBe(0);
    const original = await run(['score', '-m', model, IRIS, ...CPU]);
    const roundTrip = await run(['score', '-m', back, IRIS, ...CPU]);
    expect(original.code).toBe(0);
    expect(roundTrip.stdout).toBe(original.stdout);
    // sklearn's own score_samples on the pickled model, against emgpu's (an independent reference).
    const check = await run(['convert', 'check', model, IRIS, '--python', PYTHON]);
    expect(check.code).toBe(0);
    const [, scoreDiff, probaDiff] = /score_samples difference\| (\S+), max \|predict_proba difference\| (\S+)/.exec(
      check.stdout,
    ) ?? ['', 'NaN', 'NaN'];
    expect(Number(scoreDiff)).toBeLessThan(1e-10);
    expect(Number(probaDiff)).toBeLessThan(1e-10);

    // A model file given as the pickle: one line naming it, exit 2, nothing written.
    const bad = await run(['convert', 'from-sklearn', model, join(dir, 'bad.json'), '--python', PYTHON]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^emgpu: sklearn_model\.py from-sklearn: .*model\.json is not a pickle .*\n$/);
    expect(listDir(dir)).toEqual(['back.json', 'model.json', 'model.pkl']);
  });
});
