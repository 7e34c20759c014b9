// `emgpu fit --bayesian`: the options of BayesianGaussianMixture from the command line, and
// reading a model file of either kind.

import { InvalidArgumentError, Option } from 'commander';
import { BayesianGaussianMixture } from '../bayesian-mixture.ts';
import type { BayesianGaussianMixtureOptions } from '../bayesian-options.ts';
import { GaussianMixture } from '../gaussian-mixture.ts';
import { WEIGHT_CONCENTRATION_PRIOR_TYPES, type WeightConcentrationPriorType } from '../model/bayesian.ts';
import { BAYESIAN_FORMAT } from '../model/validate-bayesian-json.ts';
import { EmgpuInputError, type BackendChoice, type MissingMode } from '../options.ts';
import { CliError } from './errors.ts';
import { UNSIGNED_NUMBER } from './option-sets.ts';

/** Either estimator, as the commands that use a fitted model see it. */
export type Mixture = GaussianMixture | BayesianGaussianMixture;

export interface BayesianOpts {
  bayesian?: boolean;
  weightPriorType?: WeightConcentrationPriorType;
  weightConcentrationPrior?: number;
  meanPrecisionPrior?: number;
  degreesOfFreedomPrior?: number;
  meanPrior?: number[];
  covariancePrior?: number[];
}

const PRIOR_FLAGS: ReadonlyArray<[keyof BayesianOpts, string]> = [
  ['weightPriorType', '--weight-prior-type'],
  ['weightConcentrationPrior', '--weight-concentration-prior'],
  ['meanPrecisionPrior', '--mean-precision-prior'],
  ['degreesOfFreedomPrior', '--degrees-of-freedom-prior'],
  ['meanPrior', '--mean-prior'],
  ['covariancePrior', '--covariance-prior'],
];

/** The library's option names and the flags that set them. */
const PRIOR_OPTION_FLAGS = new Map<string, string>([
  ['weightConcentrationPriorType', '--weight-prior-type'],
  ...PRIOR_FLAGS.filter(([key]) => key !== 'weightPriorType'),
]);

function positive(value: string): number {
  const n = Number(value);
  if (!UNSIGNED_NUMBER.test(value.trim()) || !(n > 0) || !Number.isFinite(n))
    throw new Error('It must be a finite number > 0.');
  return n;
}

function degreesOfFreedom(value: string): number {
  const n = Number(value);
  if (!UNSIGNED_NUMBER.test(value.trim()) || !Number.isFinite(n))
    throw new Error('It must be a finite number > D − 1, D being the number of columns (default: D).');
  return n;
}

/**
 * A library error about a prior option (e.g. "Option degreesOfFreedomPrior must be greater than
 * D − 1 = 3, got 2.9."), with the command line's flag named instead; other errors as they are.
 */
export function namingPriorFlags(error: unknown): unknown {
  if (!(error instanceof EmgpuInputError)) return error;
  const match = /^Option (\w+)(?:\[(\d+)\])?/.exec(error.message);
  const flag = PRIOR_OPTION_FLAGS.get(match?.[1] ?? '');
  if (match === null || flag === undefined) return error;
  const place = match[2] === undefined ? flag : `${flag} value ${Number(match[2]) + 1}`;
  return new CliError(place + error.message.slice(match[0].length));
}

function numberList(value: string): number[] {
  const items = value.split(',').map((item) => item.trim());
  const numbers = items.map(Number);
  if (items.some((item) => item === '') || numbers.some((n) => !Number.isFinite(n)))
    throw new Error('It must be comma-separated finite numbers, e.g. 0,1.5,-2.');
  return numbers;
}

/** The --bayesian options of `emgpu fit`. */
export function bayesianOptions(): Option[] {
  const parse = (fn: (value: string) => unknown) => (value: string) => {
    try {
      return fn(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
  return [
    new Option(
      '--bayesian',
      "fit scikit-learn's BayesianGaussianMixture (variational; the data may switch components off) instead",
    ),
    new Option(
      '--weight-prior-type <type>',
      "with --bayesian: the weights' prior (default: dirichlet_process)",
    ).choices(WEIGHT_CONCENTRATION_PRIOR_TYPES),
    new Option(
      '--weight-concentration-prior <X>',
      'with --bayesian: its concentration, > 0 (default: 1 / K)',
    ).argParser(parse(positive)),
    new Option('--mean-precision-prior <X>', "with --bayesian: the means' prior precision, > 0 (default: 1)").argParser(
      parse(positive),
    ),
    new Option('--degrees-of-freedom-prior <X>', 'with --bayesian: > D − 1 (default: D)').argParser(
      parse(degreesOfFreedom),
    ),
    new Option(
      '--mean-prior <list>',
      "with --bayesian: the means' prior mean, D comma-separated numbers (default: the data mean)",
    ).argParser(parse(numberList)),
    new Option(
      '--covariance-prior <list>',
      'with --bayesian: the covariance prior, comma-separated (full/tied: D × D row-major; diag: D; spherical: 1; default: from the data)',
    ).argParser(parse(numberList)),
  ];
}

/**
 * The Bayesian estimator's prior options, or null without --bayesian (prior flags without it are
 * refused before the command runs: src/cli/flag-rules.ts).
 */
export function priorOptions(opts: BayesianOpts): Partial<BayesianGaussianMixtureOptions> | null {
  if (opts.bayesian !== true) return null;
  return {
    ...(opts.weightPriorType !== undefined ? { weightConcentrationPriorType: opts.weightPriorType } : {}),
    ...(opts.weightConcentrationPrior !== undefined ? { weightConcentrationPrior: opts.weightConcentrationPrior } : {}),
    ...(opts.meanPrecisionPrior !== undefined ? { meanPrecisionPrior: opts.meanPrecisionPrior } : {}),
    ...(opts.degreesOfFreedomPrior !== undefined ? { degreesOfFreedomPrior: opts.degreesOfFreedomPrior } : {}),
    ...(opts.meanPrior !== undefined ? { meanPrior: opts.meanPrior } : {}),
    ...(opts.covariancePrior !== undefined
      ? {
          covariancePrior:
            opts.covariancePrior.length === 1 ? (opts.covariancePrior[0] as number) : opts.covariancePrior,
        }
      : {}),
  };
}

/** A fitted model from its JSON: a Bayesian one by its format, else a GaussianMixture (tol: in place of the file's). */
export function mixtureFromJSON(
  json: unknown,
  backend: BackendChoice | undefined,
  tol?: number,
  missing?: MissingMode,
): Mixture {
  const options = { ...(backend === undefined ? {} : { backend }), ...(tol === undefined ? {} : { tol }) };
  const format =
    json !== null && typeof json === 'object' && Object.prototype.hasOwnProperty.call(json, 'format')
      ? (json as { format: unknown }).format
      : undefined;
  if (format === BAYESIAN_FORMAT) {
    if (missing === 'marginalize')
      throw new CliError(
        '--missing marginalize works with Gaussian mixtures only, not with a Bayesian model; remove or impute the missing values.',
      );
    return BayesianGaussianMixture.fromJSON(json, options);
  }
  return GaussianMixture.fromJSON(json, { ...options, ...(missing === undefined ? {} : { missing }) });
}
