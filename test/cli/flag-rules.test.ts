// The table of flags that cannot be used together (and of flags that need another): every row is
// refused with its own sentence and exit 2 by every command that has both flags, before anything
// is read, and neither flag alone is refused.

import { PassThrough, Readable } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/cli/context.ts';
import { CliError } from '../../src/cli/errors.ts';
import { INCOMPATIBLE, NEEDS, type FlagRule } from '../../src/cli/flag-rules.ts';
import { buildProgram, main } from '../../src/cli/main.ts';
import { IRIS, run } from './helpers.ts';

/** The program with every command's action a no-op: what the flag rules let through runs nothing. */
function program(): Command {
  const ctx: Context = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: Readable.from([]),
    abort: new AbortController(),
    verbose: false,
    exitCode: 0,
    target: null,
    sink: null,
    clock: () => 0,
    started: 0,
    tableCache: null,
    run: main,
  };
  const built = buildProgram(ctx);
  for (const command of built.commands) command.action(() => {});
  return built;
}

/** A value each option accepts (none of these files is read: the rules are checked first). */
const VALUES: Record<string, string> = {
  '--model': 'model.json',
  '--n-samples': '5',
  '--size': '10',
  '--seed': '0',
  '--sample-weight': 'weights.csv',
  '--weight-column': 'w',
  '--init': 'kmeans',
  '--format': 'csv',
  '--columns': '0,1',
  '--max-iter': '5',
  '--tol': '0.1',
  '--n-init': '2',
  '--batch-size': '10',
  '--step-decay': '0.7',
  '--burn-in': '1',
  '--passes': '1',
  '--chunk-rows': '10',
  '--spill': 'spill-dir',
  '--hc-subset': '100',
  '--missing': 'error',
  '--weight-prior-type': 'dirichlet_process',
  '--weight-concentration-prior': '0.1',
  '--mean-precision-prior': '1',
  '--degrees-of-freedom-prior': '5',
  '--mean-prior': '1,2',
  '--covariance-prior': '1',
};

const nameOf = (spec: string): string => spec.split(' ')[0] as string;

function has(command: Command, spec: string): boolean {
  const name = nameOf(spec);
  return name.startsWith('-')
    ? command.options.some((o) => o.long === name)
    : command.registeredArguments.some((a) => a.name() === name);
}

/** The commands a rule applies to. */
function commandsOf(rule: FlagRule): Command[] {
  return program().commands.filter(
    (c) => (rule.only === undefined || rule.only.includes(c.name())) && rule.flags.every((spec) => has(c, spec)),
  );
}

/** The command line of `command` with `specs` given, and whatever else it requires. */
function argvOf(command: Command, specs: readonly string[]): string[] {
  const argv = [command.name()];
  const demo = specs.includes('--demo');
  for (const argument of command.registeredArguments) {
    const spec = specs.find((s) => nameOf(s) === argument.name());
    if (spec !== undefined) argv.push(spec.split(' ')[1] ?? IRIS);
    // fit --demo takes no DATA; every other argument of these commands is a file.
    else if (argument.required || !demo) argv.push(IRIS);
  }
  for (const option of command.options) {
    const spec = specs.find((s) => nameOf(s) === option.long);
    if (spec === undefined && !option.mandatory) continue;
    const value = spec?.split(' ')[1] ?? (option.required ? VALUES[option.long as string] : undefined);
    if (option.required && value === undefined) throw new Error(`the test has no value for ${option.long}`);
    argv.push(option.long as string, ...(value === undefined ? [] : [value]));
  }
  return argv;
}

async function passes(argv: string[]): Promise<unknown> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return null;
  } catch (error) {
    return error;
  }
}

describe('the flags that cannot be used together', () => {
  it('has rows, and every row applies to some command', () => {
    expect(INCOMPATIBLE.length).toBeGreaterThan(20);
    for (const rule of [...INCOMPATIBLE, ...NEEDS])
      expect(
        commandsOf(rule).map((c) => c.name()),
        rule.flags.join(' + '),
      ).not.toEqual([]);
  });

  it('a row applies to every command with both flags (stdin twice; two sources of weights)', () => {
    const rule = INCOMPATIBLE.find((r) => r.flags.join() === 'DATA -,--model -') as FlagRule;
    expect(commandsOf(rule).map((c) => c.name())).toEqual(['predict', 'summary', 'score', 'stats']);
    const weights = INCOMPATIBLE.find((r) => r.flags.join() === '--weight-column,--sample-weight') as FlagRule;
    expect(commandsOf(weights).map((c) => c.name())).toEqual(['fit', 'stats', 'reservoir']);
  });

  for (const rule of INCOMPATIBLE) {
    it(`${rule.flags.join(' with ')}: refused with its sentence, exit 2; either alone is not`, async () => {
      for (const command of commandsOf(rule)) {
        const argv = argvOf(command, rule.flags);
        const refused = await run(argv);
        expect(refused.code, argv.join(' ')).toBe(2);
        expect(refused.stderr).toBe(`emgpu: ${rule.reason.replace('{DATA}', IRIS)}\n`);
        expect(refused.stdout).toBe('');
        for (const alone of rule.flags) expect(await passes(argvOf(command, [alone])), alone).toBeNull();
      }
    });
  }

  for (const rule of NEEDS) {
    it(`${rule.flags[0]} without ${rule.flags[1]}: refused with its sentence, exit 2; with it, not`, async () => {
      for (const command of commandsOf(rule)) {
        const refused = await run(argvOf(command, [rule.flags[0]]));
        expect(refused.code).toBe(2);
        expect(refused.stderr).toBe(`emgpu: ${rule.reason}\n`);
        expect(await passes(argvOf(command, rule.flags))).toBeNull();
      }
    });
  }

  it('every option whose help says "with --X:" has its NEEDS row for --X (a new flag of a mode is refused without it)', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const command of program().commands) {
      for (const option of command.options) {
        const partner = /^with (--[a-z-]+):/.exec(option.description)?.[1];
        if (partner === undefined) continue;
        checked++;
        const rule = NEEDS.find(
          (r) =>
            r.flags[0] === option.long &&
            r.flags[1] === partner &&
            (r.only === undefined || r.only.includes(command.name())),
        );
        expect(has(command, partner), `${command.name()} has ${partner}`).toBe(true);
        if (rule === undefined) missing.push(`${command.name()} ${option.long} (needs ${partner})`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(14);
    expect(missing).toEqual([]);
  });

  it("select's --init - is refused as no method, not as a second read of stdin (init files are fit's)", async () => {
    const rule = INCOMPATIBLE.find((r) => r.flags.join() === 'DATA -,--init -') as FlagRule;
    expect(commandsOf(rule).map((c) => c.name())).toEqual(['fit']);
    const refused = await run(['select', '-', '--init', '-']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^emgpu: --init for select must be a method \(kmeans, .*\); init files are for fit\.\n$/,
    );
  });

  it('select takes --hc-subset without --init hc (it is also for --strategy hc)', async () => {
    expect(await passes(['select', IRIS, '--hc-subset', '100'])).toBeNull();
    const error = await passes(['fit', IRIS, '--hc-subset', '100']);
    expect(error).toBeInstanceOf(CliError);
  });
});
