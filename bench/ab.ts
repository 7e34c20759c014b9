// An interleaved before/after benchmark on one machine (issue 17: "no cell more than 10% slower
// than before"). Each side is a revision checked out in a temporary git worktree (its
// node_modules hard-linked from this repository's, `cp -al`), or an existing worktree given by
// its path. For --runs rounds, `bench/run.ts --quick` runs once on each side, the two taking
// turns (before then after, then after then before, …) so that a machine getting busier or
// quieter weighs on both alike. Every run's result JSON is kept, and report.md compares the
// medians over the rounds (bench/ab-report.ts).
//
//   node bin/run-ts.js bench/ab.ts --before REV [--after REV|PATH] [--runs 3] [--out DIR]
//                                   [--bench-args "--quick --backends cpu-1,cpu"]
//
// --after defaults to this working tree as it is (uncommitted changes included). --out defaults
// to bench/results/ab-YYYY-MM-DD (a suffix is added if it exists). A worktree given by path keeps
// its files: the run's result JSON is moved out of it and BENCHMARKS.md is restored.

import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { renderAbReport, type AbSide } from './ab-report.ts';
import type { SavedRun } from './report.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || (value.startsWith('--') && name !== '--bench-args'))
    fail(`${name} needs a value; see the usage at the top of bench/ab.ts.`);
  return value;
};

function fail(message: string): never {
  console.error(`bench/ab.ts: ${message}`);
  process.exit(2);
}

const known = new Set(['--before', '--after', '--runs', '--out', '--bench-args']);
for (let i = 0; i < args.length; i += 2)
  if (!known.has(args[i] as string)) fail(`unknown option ${args[i]}; the options are ${[...known].join(', ')}.`);

const beforeArg = option('--before') ?? fail('--before REV is required (a commit, branch or tag).');
const afterArg = option('--after') ?? root;
const runsText = option('--runs') ?? '3';
const runs = Number(runsText);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a whole number ≥ 1, got ${runsText}.`);
const benchArgs = (option('--bench-args') ?? '--quick').split(/\s+/).filter((a) => a !== '');
const date = new Date().toISOString().slice(0, 10);

function git(cwd: string, ...rest: string[]): string {
  return execFileSync('git', rest, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

interface Side {
  readonly name: 'before' | 'after';
  /** Where bench/run.ts runs. */
  readonly dir: string;
  readonly label: string;
  /** A worktree this program added (removed at the end), or null for one given by path. */
  readonly temporary: string | null;
}

const scratch = mkdtempSync(join(os.tmpdir(), 'emgpu-ab-'));
const sides: Side[] = [];

function prepare(name: 'before' | 'after', spec: string): Side {
  const asPath = resolve(spec);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) {
    if (!existsSync(join(asPath, 'bench/run.ts')))
      fail(`${spec} is a folder without bench/run.ts; give a worktree of emgpu.`);
    let head = 'not a git worktree';
    try {
      head = git(asPath, 'rev-parse', '--short', 'HEAD');
    } catch {
      // leave the label without a commit
    }
    const dirty = head !== 'not a git worktree' && git(asPath, 'status', '--porcelain', '--untracked-files=no') !== '';
    return {
      name,
      dir: asPath,
      label: `worktree ${asPath} (HEAD ${head}${dirty ? ', with uncommitted changes' : ''})`,
      temporary: null,
    };
  }
  let commit: string;
  try {
    commit = git(root, 'rev-parse', '--verify', '--quiet', `${spec}^{commit}`);
  } catch {
    fail(`${spec} is neither a folder nor a revision of this repository; give a commit, branch, tag or worktree path.`);
  }
  const dir = join(scratch, name);
  git(root, 'worktree', 'add', '--detach', dir, commit);
  // node_modules as hard links: a copy of the tree without copying the bytes.
  execFileSync('cp', ['-al', join(root, 'node_modules'), join(dir, 'node_modules')]);
  const subject = git(root, 'log', '-1', '--format=%s', commit);
  return {
    name,
    dir,
    label: `${spec} = ${commit.slice(0, 12)} (${subject.length > 100 ? `${subject.slice(0, 99)}…` : subject})`,
    temporary: dir,
  };
}

/** Runs bench/run.ts on one side; returns the result JSON it wrote, moved into the output folder. */
function runOnce(side: Side, round: number, outDir: string): string {
  const results = join(side.dir, 'bench/results');
  const existing = new Set(existsSync(results) ? readdirSync(results) : []);
  const benchmarks = join(side.dir, 'BENCHMARKS.md');
  const keptReport = existsSync(benchmarks) ? readFileSync(benchmarks) : null;
  console.log(`\n== round ${round}/${runs}: ${side.name} (${side.label}) ==`);
  const began = Date.now();
  const run = spawnSync(process.execPath, ['bin/run-ts.js', 'bench/run.ts', ...benchArgs], {
    cwd: side.dir,
    stdio: 'inherit',
  });
  if (keptReport !== null) writeFileSync(benchmarks, keptReport);
  if (run.status !== 0)
    throw new Error(`bench/run.ts ${benchArgs.join(' ')} on ${side.name} exited ${run.status ?? run.signal}`);
  const written = (existsSync(results) ? readdirSync(results) : []).filter(
    (f) => f.endsWith('.json') && !existing.has(f),
  );
  if (written.length !== 1)
    throw new Error(
      `bench/run.ts on ${side.name} wrote ${written.length} new result files in bench/results, expected 1`,
    );
  const target = join(outDir, `${side.name}-${round}.json`);
  renameSync(join(results, written[0] as string), target);
  console.log(`${side.name} round ${round}: ${((Date.now() - began) / 1000).toFixed(0)} s, ${relative(root, target)}`);
  return target;
}

function outputDir(): string {
  const wanted = option('--out');
  if (wanted !== undefined) return resolve(wanted);
  const base = join(root, 'bench/results', `ab-${date}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

const outDir = outputDir();
let exitCode = 0;
try {
  sides.push(prepare('before', beforeArg), prepare('after', afterArg));
  mkdirSync(outDir, { recursive: true });
  const files: Record<'before' | 'after', string[]> = { before: [], after: [] };
  for (let round = 1; round <= runs; round++) {
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) files[side.name].push(runOnce(side, round, outDir));
  }
  const load = (f: string): SavedRun => JSON.parse(readFileSync(f, 'utf8')) as SavedRun;
  const [before, after] = sides as [Side, Side];
  const sideOf = (s: Side): AbSide => ({ label: s.label, runs: files[s.name].map(load) });
  const report = renderAbReport(sideOf(before), sideOf(after), {
    command: `node bin/run-ts.js bench/run.ts ${benchArgs.join(' ')}`,
    date,
    files: [...files.before, ...files.after].map((f) => relative(outDir, f)).sort(),
  });
  writeFileSync(join(outDir, 'report.md'), report);
  console.log(`\n${report}\nwrote ${relative(root, join(outDir, 'report.md'))}`);
} catch (error) {
  console.error(`bench/ab.ts: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  for (const side of sides) {
    if (side.temporary === null) continue;
    try {
      git(root, 'worktree', 'remove', '--force', side.temporary);
    } catch (error) {
      console.error(`bench/ab.ts: could not remove the worktree ${side.temporary}: ${(error as Error).message}`);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);
