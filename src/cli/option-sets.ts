// The options several commands take, defined once: their parsers (commander reports
// "option '--x <v>' argument 'v' is invalid. <reason>"), the option sets (reading DATA, the
// model file, the weights, the engine, the output, EM's settings) and a helper that adds a set.

import { Command, InvalidArgumentError, Option } from 'commander';
import { TABLE_FORMATS } from '../io/formats.ts';
import { BACKEND_CHOICES, MISSING_MODES } from '../options.ts';

/** The most samples one `emgpu sample` run draws: their component draws come first, in one pass. */
export const MAX_SAMPLES = 1_000_000_000;

/** A decimal number as the parsers accept it (Number() alone would also take '', '0x10' and ' 1 '). */
export const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The same without a minus sign. */
export const UNSIGNED_NUMBER = /^[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function integerAtLeast(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(
        `It must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}.`,
      );
    }
    return n;
  };
}

export function sampleCount(value: string): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || n < 1 || n > MAX_SAMPLES) {
    throw new InvalidArgumentError(
      `It must be an integer from 1 to ${MAX_SAMPLES} (the most one run draws; for more, run sample again with other --seed values).`,
    );
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value.trim()) || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('It must be a finite number ≥ 0.');
  return n;
}

/** --columns: "a,b,2" (names or 0-based indices; which is which is settled against the file). */
export function columnList(value: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === ''))
    throw new InvalidArgumentError(
      'It must be column names or 0-based indices separated by commas, e.g. delay,distance or 1,2.',
    );
  return items;
}

/** Adds the options to the command, in order. */
export function addOptions(cmd: Command, options: readonly Option[]): Command {
  for (const option of options) cmd.addOption(option);
  return cmd;
}

/** How DATA is read: --format, --columns and (unless `missing` is false) --missing. */
export function dataOptions({ missing = true }: { missing?: boolean } = {}): Option[] {
  return [
    new Option(
      '--format <name>',
      "DATA's format (default: by its extension: .parquet, .arrow/.feather/.ipc, .tsv, .json, else CSV; stdin is CSV)",
    ).choices(TABLE_FORMATS),
    new Option(
      '--columns <list>',
      'the columns of DATA to use, in this order: names or 0-based indices, comma-separated (default: all)',
    ).argParser(columnList),
    ...(missing
      ? [
          new Option(
            '--missing <mode>',
            "missing values (empty cells, NaN, NA, nulls): 'error' refuses them; 'marginalize' fits and scores rows with holes by marginalising over them (Gaussian mixtures)",
          ).choices(MISSING_MODES),
        ]
      : []),
  ];
}

/** The engine: --backend. */
export function engineOptions(): Option[] {
  return [
    new Option(
      '--backend <name>',
      "engine: 'auto' (WebGPU on a hardware adapter, else CPU), 'cpu' or 'webgpu'",
    ).choices(BACKEND_CHOICES),
  ];
}

/** -m, --model FILE (required). */
export function modelOption(
  help = "model JSON written by 'emgpu fit' (or 'emgpu select --output': its best model)",
): Option {
  return new Option('-m, --model <file>', help).makeOptionMandatory();
}

/** The sample weights: --sample-weight FILE, and --weight-column NAME where `column` is true. */
export function weightOptions({
  column,
  help = 'one non-negative weight per data row: one number per line or a one-column CSV',
}: {
  column: boolean;
  help?: string;
}): Option[] {
  return [
    new Option('--sample-weight <file>', help),
    ...(column
      ? [
          new Option(
            '--weight-column <name>',
            'a column of DATA holding one non-negative weight per row (by name or 0-based index; not one of --columns)',
          ),
        ]
      : []),
  ];
}

/** -o, --output FILE: `help`, or "write WHAT to this file (atomically …) instead of stdout". */
export function outputOption(what: string, help?: string): Option {
  return new Option(
    '-o, --output <file>',
    help ?? `write ${what} to this file (atomically: complete or not at all) instead of stdout`,
  );
}

/** --verbose (every command that reads or writes files has it, last). */
export function verboseOption(): Option {
  return new Option('--verbose', 'progress and details on stderr; stack traces of internal errors');
}

/** EM's settings shared by fit and select, with their defaults as each command states them. */
export function emOptions(say: { maxIter: string; tol: string; nInit: string; seed: string }): Option[] {
  return [
    new Option('--max-iter <N>', `maximum EM iterations per initialisation (default: ${say.maxIter})`).argParser(
      integerAtLeast(0),
    ),
    new Option('--tol <T>', `convergence threshold on the change of the lower bound (default: ${say.tol})`).argParser(
      nonNegativeNumber,
    ),
    new Option('--reg-covar <R>', 'added to the covariance diagonals (default: 1e-6)').argParser(nonNegativeNumber),
    new Option('--n-init <N>', say.nInit).argParser(integerAtLeast(1)),
    new Option('--seed <S>', say.seed).argParser(integerAtLeast(0, 0xffffffff)),
  ];
}
