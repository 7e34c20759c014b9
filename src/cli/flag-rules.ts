// The flags that cannot be used together, and the flags that only mean something beside another,
// in one table each, checked in one place (main's preAction hook) before any command runs:
// before anything is read, so that a run is refused at once, with one sentence and exit 2.
//
// A flag is written as on the command line: '--online'; '--missing marginalize' (the flag with
// that value); '--no-spill'; 'DATA' (the argument given) or 'DATA -' (the argument is stdin). A
// rule applies to every command that has both flags (to `only` those, where it says), so that
// e.g. "DATA and --model cannot both be read from stdin" holds for predict, score, summary and
// stats alike. '{DATA}' in a sentence is replaced by the argument's value.

import type { Command } from 'commander';
import { CliError, printable } from './errors.ts';

export interface FlagRule {
  readonly flags: readonly [string, string];
  readonly reason: string;
  /** The commands the rule is for (default: every command that has both flags). */
  readonly only?: readonly string[];
}

const DEMO_TAKES =
  'fit --demo does not take --sample-weight, --weight-column, --init, --format or --columns; run plain `emgpu fit DATA` for those.';
const NO_EFFECT_ONLINE = (flag: string): string =>
  `${flag} has no effect with --online (online EM runs --passes passes of --batch-size rows, one M-step per batch); drop ${flag}.`;
const STDIN_WEIGHTS = (other: string): string =>
  `${other} and --sample-weight cannot both be read from stdin; put the weights in a file.`;

/** Pairs of flags that cannot be used together, checked in this order. */
export const INCOMPATIBLE: readonly FlagRule[] = [
  { flags: ['--demo', 'DATA'], reason: "fit --demo uses the bundled iris data; drop the DATA argument '{DATA}'." },
  { flags: ['--demo', '--sample-weight'], reason: DEMO_TAKES },
  { flags: ['--demo', '--weight-column'], reason: DEMO_TAKES },
  { flags: ['--demo', '--init'], reason: DEMO_TAKES },
  { flags: ['--demo', '--format'], reason: DEMO_TAKES },
  { flags: ['--demo', '--columns'], reason: DEMO_TAKES },
  {
    flags: ['--demo', '--online'],
    reason: 'fit --demo does not take --online; run `emgpu fit data/iris.csv -k 3 --online` for that.',
  },
  {
    flags: ['--online', '--bayesian'],
    reason:
      '--online fits a GaussianMixture (online EM is not defined here for the Bayesian mixture); drop --bayesian or --online.',
  },
  { flags: ['--online', '--max-iter'], reason: NO_EFFECT_ONLINE('--max-iter') },
  { flags: ['--online', '--tol'], reason: NO_EFFECT_ONLINE('--tol') },
  { flags: ['--online', '--n-init'], reason: NO_EFFECT_ONLINE('--n-init') },
  {
    flags: ['--stream', '--online'],
    reason:
      '--stream and --online are two different fits: --stream runs exact EM, reading the file once per iteration; --online runs online EM over batches. Choose one.',
  },
  {
    flags: ['--stream', '--demo'],
    reason: 'fit --demo does not take --stream; run `emgpu fit data/iris.csv -k 3 --stream` for that.',
  },
  {
    flags: ['--stream', '--bayesian'],
    reason:
      '--stream fits a GaussianMixture (the Bayesian mixture takes its priors from the whole table in memory); drop --bayesian or --stream.',
  },
  {
    flags: ['--stream', '--sample-weight'],
    reason:
      '--stream does not take --sample-weight (the weights file would be read whole); drop --sample-weight, or fit without --stream.',
  },
  {
    flags: ['--stream', 'DATA -'],
    reason: '--stream reads DATA once per iteration, so DATA must be a file, not stdin; save the data to a file first.',
  },
  {
    flags: ['--stream', '--missing marginalize'],
    reason:
      '--missing marginalize does not work with --stream yet; fit the table in memory, or remove or impute the missing values.',
  },
  {
    flags: ['--missing marginalize', '--bayesian'],
    reason:
      '--missing marginalize works with Gaussian mixtures only, not with --bayesian; remove or impute the missing values.',
  },
  {
    flags: ['--missing marginalize', '--online'],
    reason:
      '--missing marginalize does not work with --online yet; fit without --online, or remove or impute the missing values.',
  },
  {
    flags: ['DATA -', '--init -'],
    reason: 'DATA and --init cannot both be read from stdin; put the initial parameters in a file.',
    // select's --init is a method name only: it says so itself.
    only: ['fit'],
  },
  { flags: ['DATA -', '--model -'], reason: 'DATA and --model cannot both be read from stdin.' },
  { flags: ['DATA -', '--sample-weight -'], reason: STDIN_WEIGHTS('DATA') },
  { flags: ['--model -', '--sample-weight -'], reason: STDIN_WEIGHTS('--model') },
  { flags: ['STATS -', '--model -'], reason: 'STATS and --model cannot both be read from stdin.' },
  {
    flags: ['--weight-column', '--sample-weight'],
    reason: '--weight-column and --sample-weight both give the sample weights; use one of them.',
  },
  {
    flags: ['--proba', '--uncertainty'],
    reason: '--proba and --uncertainty print different things; pass one of them.',
  },
];

const onlineOnly = (flag: string): FlagRule => ({
  flags: [flag, '--online'],
  reason: `${flag} is an option of online EM; add --online, or drop ${flag}.`,
});

const bayesianOnly = (flag: string): FlagRule => ({
  flags: [flag, '--bayesian'],
  reason: `${flag} is an option of the Bayesian mixture; add --bayesian, or drop ${flag}.`,
});

/** Flags (first) that mean something only beside another (second), checked after INCOMPATIBLE. */
export const NEEDS: readonly FlagRule[] = [
  onlineOnly('--batch-size'),
  onlineOnly('--step-decay'),
  onlineOnly('--burn-in'),
  onlineOnly('--passes'),
  onlineOnly('--shuffle'),
  {
    flags: ['--chunk-rows', '--stream'],
    reason: '--chunk-rows is an option of streamed EM; add --stream, or drop --chunk-rows.',
  },
  { flags: ['--spill', '--stream'], reason: '--spill is an option of streamed EM; add --stream, or drop it.' },
  { flags: ['--no-spill', '--stream'], reason: '--no-spill is an option of streamed EM; add --stream, or drop it.' },
  bayesianOnly('--weight-prior-type'),
  bayesianOnly('--weight-concentration-prior'),
  bayesianOnly('--mean-precision-prior'),
  bayesianOnly('--degrees-of-freedom-prior'),
  bayesianOnly('--mean-prior'),
  bayesianOnly('--covariance-prior'),
  {
    flags: ['--hc-subset', '--init hc'],
    reason: '--hc-subset sets the rows of --init hc; add --init hc or drop --hc-subset.',
    // select's --hc-subset is also for --strategy hc.
    only: ['fit'],
  },
];

/** A flag of the table on one parsed command: whether the command has it, whether it was given (with the value the rule names), its value. */
interface Flag {
  readonly known: boolean;
  readonly given: boolean;
  readonly value: unknown;
}

function flagOn(cmd: Command, spec: string): Flag {
  const [name = '', wanted] = spec.split(' ');
  let value: unknown;
  let given: boolean;
  if (name.startsWith('-')) {
    const option = cmd.options.find((o) => o.long === name);
    if (option === undefined) return { known: false, given: false, value: undefined };
    const key = option.attributeName();
    const source = cmd.getOptionValueSource(key);
    value = cmd.getOptionValue(key);
    // A default is not the user's choice; --spill DIR and --no-spill share one value.
    given = source !== undefined && source !== 'default' && (option.negate ? value === false : value !== false);
  } else {
    const index = cmd.registeredArguments.findIndex((a) => a.name() === name);
    if (index < 0) return { known: false, given: false, value: undefined };
    value = cmd.processedArgs[index];
    given = value !== undefined;
  }
  return { known: true, given: given && (wanted === undefined || String(value) === wanted), value };
}

/**
 * The first rule of `rules` for `cmd` that its parsed flags break: the first flag given and the
 * second given too (`need` false: INCOMPATIBLE) or not given (`need` true: NEEDS).
 */
function broken(cmd: Command, rules: readonly FlagRule[], need: boolean): FlagRule | undefined {
  return rules.find((rule) => {
    if (rule.only !== undefined && !rule.only.includes(cmd.name())) return false;
    const [a, b] = rule.flags.map((spec) => flagOn(cmd, spec)) as [Flag, Flag];
    return a.known && b.known && a.given && b.given !== need;
  });
}

/** Refuses the parsed command's flags when two of them cannot go together, or one lacks its partner. */
export function checkFlagRules(cmd: Command): void {
  const rule = broken(cmd, INCOMPATIBLE, false) ?? broken(cmd, NEEDS, true);
  if (rule === undefined) return;
  const reason = rule.reason.replace(/\{(\w+)\}/g, (_, name: string) => printable(String(flagOn(cmd, name).value)));
  throw new CliError(reason);
}
