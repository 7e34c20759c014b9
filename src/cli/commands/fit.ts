// `emgpu fit DATA`: fit a Gaussian mixture (or with --bayesian a Bayesian one) and write the
// model JSON. --online and --stream run in commands/fit-modes.ts.

import { Command, Option } from 'commander';
import type { FitOptions } from '../../base-mixture.ts';
import { BayesianGaussianMixture } from '../../bayesian-mixture.ts';
import { GaussianMixture } from '../../gaussian-mixture.ts';
import { UnobservedColumnError } from '../../missing.ts';
import { COVARIANCE_TYPES, INIT_METHODS } from '../../options.ts';
import { abortable } from '../abort.ts';
import { bayesianOptions, namingPriorFlags, priorOptions, type Mixture } from '../bayesian.ts';
import { checkOutput, printToStdout, writeText, type Context } from '../context.ts';
import type { Table } from '../data.ts';
import { demoSummary, loadIris } from '../demo.ts';
import { CliError, quoted } from '../errors.ts';
import { initParamsFromFile, respFromFile } from '../init-file.ts';
import { onlineOptions } from '../online.ts';
import {
  addOptions,
  dataOptions,
  emOptions,
  engineOptions,
  integerAtLeast,
  outputOption,
  verboseOption,
  weightOptions,
} from '../option-sets.ts';
import { FitProgress } from '../progress.ts';
import { DATA_ARGUMENT, DATA_HELP, EXIT_HELP, subcommand } from '../program.ts';
import { hcSubsetOption } from '../select.ts';
import { streamOptions } from '../stream.ts';
import { matrixOf, readTableAndWeights } from '../table-input.ts';
import {
  componentsOf,
  covarianceOf,
  estimatorOptions,
  fileInitOptions,
  modelJSON,
  onlineFit,
  readInit,
  streamFit,
  warnAfterFit,
  type FitOpts,
} from './fit-modes.ts';

/** Runs a fit with progress on stderr and Ctrl-C aborting it cleanly. */
async function runFit(
  ctx: Context,
  gm: Mixture,
  table: Table,
  fitOptions: FitOptions,
  progress: FitProgress,
): Promise<{ labels: Int32Array; ms: number }> {
  const start = performance.now();
  try {
    // The fit itself stops within an iteration; this stops waiting for it at once.
    const labels = await abortable(gm.fitPredict(matrixOf(table), fitOptions), ctx.abort.signal);
    return { labels, ms: performance.now() - start };
  } catch (error) {
    if (!(error instanceof UnobservedColumnError)) throw namingPriorFlags(error);
    // The library counts from 0 in X; the command line names the file's column, from 1.
    const name = table.header?.[error.column];
    throw new CliError(
      `${table.label} column ${error.column + 1}${name === undefined ? '' : ` (${quoted(name)})`} has no observed value${fitOptions.sampleWeight == null ? '' : ' with a positive weight'}; drop that column (--columns), as nothing can be learnt about it.`,
    );
  } finally {
    progress.stop();
  }
}

function fitDetails(gm: Mixture, table: Table, ms: number): string {
  return `emgpu: fitted ${gm instanceof BayesianGaussianMixture ? 'a Bayesian mixture of ' : ''}${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) to ${table.rows} × ${table.cols} from ${table.label}: ${gm.nIter} iterations, ${gm.converged ? 'converged' : 'NOT converged (raise --max-iter or --tol)'}, lower bound ${gm.lowerBound.toFixed(6)}, ${ms.toFixed(0)} ms, ${gm.backend}\n`;
}

/** The flags that cannot go together were refused before this runs (src/cli/flag-rules.ts). */
async function fitCommand(ctx: Context, dataPath: string | undefined, opts: FitOpts): Promise<void> {
  if (opts.demo !== true && dataPath === undefined) {
    throw new CliError(
      "fit needs DATA: a CSV, TSV, JSON, Parquet or Arrow file, or - for stdin (or run 'emgpu fit --demo'); see 'emgpu fit --help'.",
    );
  }
  await checkOutput(ctx, opts.output);
  const { initParams, initFile } = await readInit(ctx, opts.init);
  if (opts.stream === true) {
    await streamFit(ctx, dataPath as string, opts, initParams, initFile);
    return;
  }

  const demo = opts.demo === true ? await loadIris(ctx.stdin) : null;
  const { table, weights: sampleWeight } =
    demo !== null ? { table: demo.table, weights: null } : await readTableAndWeights(ctx, dataPath as string, opts);

  const covarianceType = covarianceOf(opts, initFile);
  const k = componentsOf(opts, initFile, demo !== null ? 3 : 1);
  if (table.rows < k) {
    throw new CliError(
      `${table.label} has ${table.rows} data row${table.rows === 1 ? '' : 's'} but --components is ${k}; pass at least ${k} rows or lower --components.`,
    );
  }
  const priors = priorOptions(opts);
  const resp = initFile === null ? null : respFromFile(initFile, table.rows, k, table.label);
  if (priors !== null && initFile !== null && resp === null) {
    throw new CliError(
      `init file ${initFile.label}: the Bayesian mixture starts from responsibilities; give 'resp' (N × K) in the file, or an init method.`,
    );
  }
  if (opts.online === true && resp !== null) {
    throw new CliError(
      `init file ${initFile?.label ?? ''}: --online starts from an init method or from weights, means and covariances; responsibilities ('resp') are for fit without --online.`,
    );
  }
  const fromFile =
    initFile === null || resp !== null
      ? null
      : initParamsFromFile(initFile, k, table.cols, covarianceType, table.label);

  const maxIter = opts.maxIter ?? 100;
  const options = estimatorOptions(
    ctx,
    opts,
    { k, covarianceType, maxIter, seed: demo !== null ? 0 : null },
    initParams,
  );
  const progress = new FitProgress(ctx.stderr, ctx.verbose, maxIter, opts.nInit ?? 1);
  if (opts.online === true) {
    // Online EM reports its batches itself; the estimator's other messages still show.
    await onlineFit(ctx, table, sampleWeight, opts, {
      ...options,
      onProgress: progress.onProgress,
      ...fileInitOptions(fromFile),
      ...(opts.stepDecay !== undefined ? { stepDecay: opts.stepDecay } : {}),
      ...(opts.burnIn !== undefined ? { burnIn: opts.burnIn } : {}),
    });
    return;
  }
  const watched = { ...options, onIteration: progress.onIteration, onProgress: progress.onProgress };
  const gm: Mixture =
    priors !== null
      ? new BayesianGaussianMixture({ ...watched, ...priors })
      : new GaussianMixture({
          ...watched,
          ...fileInitOptions(fromFile),
          ...(opts.missing !== undefined ? { missing: opts.missing } : {}),
        });
  const { labels, ms } = await runFit(ctx, gm, table, { sampleWeight, ...(resp !== null ? { resp } : {}) }, progress);
  warnAfterFit(ctx, gm, maxIter, ctx.verbose ? fitDetails(gm, table, ms) : null);
  if (demo !== null) {
    if (ctx.target !== null) await writeText(ctx, modelJSON(gm));
    await printToStdout(ctx, (out) => out.text(demoSummary({ data: demo, gm, labels, milliseconds: ms })));
    return;
  }
  await writeText(ctx, modelJSON(gm));
}

const FIT_HELP = `
The model JSON is GaussianMixture.toJSON(): covarianceType, weights, means,
covariances and precisionsCholesky in scikit-learn's shapes, converged, nIter,
lowerBound, lowerBounds, backend, nFeatures, nComponents. With --bayesian it is
BayesianGaussianMixture.toJSON(), which adds weightConcentration, meanPrecision,
degreesOfFreedom and the resolved priors.
Progress goes to stderr: one line per iteration with --verbose, a progress bar
when stderr is a terminal.

With --online the model is fitted by online (stepwise) EM instead: the rows go
in batches of at most --batch-size (as equal as possible; file order, or a new
random order per pass with --shuffle) through GaussianMixture.partialFit. Each
batch's statistics under the current parameters enter running statistics with
step (t + 2)^-a for batch t from 0 (--step-decay a), after --burn-in batches
summed; one M-step per batch after that; --passes P passes. The first batch is
initialised by --init. The model JSON is written as fit writes it, lowerBound
being the last batch's mean log-likelihood and converged false; --verbose adds
one line per batch and the mean log-likelihood of all rows at the end; a progress
bar over the batches shows when stderr is a terminal.

With --stream the fit is exact EM, the same as without it from the same start,
but DATA (a CSV, TSV or Parquet file) is read again on every iteration in chunks
of --chunk-rows rows, each through the engine and released: memory is bounded
by a chunk, not by the table. --init methods run on a uniform sample of 100000
rows taken in a first pass; an --init file gives the exact start. A progress bar
per pass over the file shows when stderr is a terminal.
${DATA_HELP}

Examples:
  emgpu fit data/iris.csv -k 3 --seed 0 -o model.json
  emgpu fit points.csv -k 8 --online --batch-size 10000 --seed 0 -o model.json
  emgpu fit flights.parquet --columns delay,distance -k 6 --stream --seed 0 -o model.json
  emgpu fit data/iris.csv -k 3 --covariance diag --init init.json --verbose
  emgpu fit data/iris.csv -k 6 --bayesian --weight-concentration-prior 0.01 --seed 0
  cat points.csv | emgpu fit - -k 2 > model.json
${EXIT_HELP}`;

export function registerFit(program: Command, ctx: Context): void {
  const fit = subcommand(ctx, program, 'fit')
    .description('fit a Gaussian mixture to DATA and write the model as JSON (stdout, or --output)')
    .argument('[DATA]', DATA_ARGUMENT)
    .addOption(
      new Option(
        '-k, --components <K>',
        'number of mixture components (default: 1, or as many as the --init file has)',
      ).argParser(integerAtLeast(1)),
    )
    .addOption(
      new Option(
        '--covariance <type>',
        "covariance type: sklearn's full, tied, diag, spherical or mclust's EII … VVV (default: full)",
      ).choices(COVARIANCE_TYPES),
    )
    .addOption(
      new Option(
        '--init <method|file.json>',
        `initialisation: ${INIT_METHODS.join(', ')} (default: kmeans), or a JSON file with any of weights, means, and covariances or precisions (scikit-learn shapes; a model written by fit works too), or with 'resp': initial responsibilities, N × K`,
      ),
    )
    .addOption(hcSubsetOption());
  addOptions(fit, [
    ...emOptions({
      maxIter: '100',
      tol: '0.001',
      nInit: 'initialisations; the best is kept (default: 1)',
      seed: 'random seed, 0 to 4294967295, for a reproducible fit (default: random)',
    }),
    ...dataOptions(),
    ...engineOptions(),
    ...weightOptions({ column: true }),
    outputOption('the model JSON', 'write the model JSON to this file (atomically) instead of stdout'),
    verboseOption(),
    new Option('--demo', "fit Fisher's bundled iris data (K = 3, seed 0) and print a readable summary"),
    ...bayesianOptions(),
    ...onlineOptions(),
    ...streamOptions(),
  ])
    .addHelpText('after', FIT_HELP)
    .action(async (data: string | undefined, opts: FitOpts) => fitCommand(ctx, data, opts));
}
