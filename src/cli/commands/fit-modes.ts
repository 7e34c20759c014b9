// What `emgpu fit` runs beside the in-memory fit of commands/fit.ts: --online (online EM over
// the table in batches) and --stream (exact EM with DATA read in chunks on every iteration),
// and what the three share: fit's options, the --init method or file, the covariance type, the
// estimator's options and the lines written after a fit.

import { GaussianMixture } from '../../gaussian-mixture.ts';
import {
  COVARIANCE_TYPES,
  INIT_METHODS,
  type BackendChoice,
  type BaseMixtureOptions,
  type CovarianceType,
  type GaussianMixtureOptions,
  type InitMethod,
} from '../../options.ts';
import { freshSeed } from '../../random.ts';
import type { StreamProgress } from '../../stream.ts';
import { abortable } from '../abort.ts';
import type { BayesianOpts, Mixture } from '../bayesian.ts';
import { readOptions, say, writeText, type Context } from '../context.ts';
import { readSource, type DataOptions, type Table } from '../data.ts';
import { CliError, printable, quoted } from '../errors.ts';
import { componentsInFile, initParamsFromFile, parseInitFile, type InitFile, type InitParams } from '../init-file.ts';
import { DEFAULT_BATCH_SIZE, runOnline, type OnlineOpts, type OnlineRun } from '../online.ts';
import { OnlineProgress } from '../progress.ts';
import { SpillSource, spillFolder } from '../spill.ts';
import { DEFAULT_CHUNK_ROWS, heapKeeper, openStreamedFile, StreamProgressBars, type StreamOpts } from '../stream.ts';
import { matrixOf } from '../table-input.ts';
import { columnsWithWeight, weightColumnIndex, weightedChunks } from '../weight-column.ts';

export interface FitOpts extends BayesianOpts, OnlineOpts, StreamOpts, DataOptions {
  components?: number;
  covariance?: CovarianceType;
  init?: string;
  hcSubset?: number;
  maxIter?: number;
  tol?: number;
  regCovar?: number;
  nInit?: number;
  seed?: number;
  backend?: BackendChoice;
  sampleWeight?: string;
  weightColumn?: string;
  output?: string;
  verbose?: boolean;
  demo?: boolean;
}

/** --init: a method name, or a JSON file of initial parameters (read now). */
export async function readInit(
  ctx: Context,
  init: string | undefined,
): Promise<{ initParams: InitMethod | undefined; initFile: InitFile | null }> {
  if (init === undefined) return { initParams: undefined, initFile: null };
  if ((INIT_METHODS as readonly string[]).includes(init)) return { initParams: init as InitMethod, initFile: null };
  if (!/\.json$/i.test(init) && init !== '-') {
    throw new CliError(
      `--init '${printable(init)}' is neither a method (${INIT_METHODS.join(', ')}) nor a .json file of initial parameters.`,
    );
  }
  const source = await readSource(init, 'init file', ctx.stdin, ctx.abort.signal);
  return { initParams: undefined, initFile: parseInitFile(source.label, source.text) };
}

/** --covariance, else the init file's covariance type, else full. */
export function covarianceOf(opts: FitOpts, initFile: InitFile | null): CovarianceType {
  const fileType = initFile?.json.covarianceType;
  return (
    opts.covariance ??
    (typeof fileType === 'string' && (COVARIANCE_TYPES as readonly string[]).includes(fileType)
      ? (fileType as CovarianceType)
      : 'full')
  );
}

/** --components, else as many as the init file has, else `fallback`. */
export function componentsOf(opts: FitOpts, initFile: InitFile | null, fallback: number): number {
  return opts.components ?? (initFile !== null ? componentsInFile(initFile) : null) ?? fallback;
}

/** The estimator's options that fit's flags set, whichever the fit. */
export function estimatorOptions(
  ctx: Context,
  opts: FitOpts,
  settled: { k: number; covarianceType: CovarianceType; maxIter: number; seed: number | null },
  initParams: InitMethod | undefined,
): BaseMixtureOptions {
  return {
    nComponents: settled.k,
    covarianceType: settled.covarianceType,
    maxIter: settled.maxIter,
    nInit: opts.nInit ?? 1,
    randomState: opts.seed ?? settled.seed,
    backend: opts.backend ?? 'auto',
    signal: ctx.abort.signal,
    ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
    ...(opts.regCovar !== undefined ? { regCovar: opts.regCovar } : {}),
    ...(initParams !== undefined ? { initParams } : {}),
    ...(opts.hcSubset !== undefined ? { hcSubset: opts.hcSubset } : {}),
  };
}

/** The start an init file gives a GaussianMixture: weightsInit, meansInit, precisionsInit. */
export function fileInitOptions(fromFile: InitParams | null): Partial<GaussianMixtureOptions> {
  return {
    ...(fromFile?.weightsInit ? { weightsInit: fromFile.weightsInit } : {}),
    ...(fromFile?.meansInit ? { meansInit: fromFile.meansInit } : {}),
    ...(fromFile?.precisionsInit ? { precisionsInit: fromFile.precisionsInit } : {}),
  };
}

/** The warnings after a fit: not converged (without --verbose, which says so), then the estimator's. */
export function warnAfterFit(ctx: Context, gm: Mixture, maxIter: number, details: string | null): void {
  if (details !== null) ctx.stderr.write(details);
  // --max-iter 0 asks for the initialisation alone (a start for 'emgpu stats'): nothing to warn about.
  else if (!gm.converged && maxIter > 0)
    ctx.stderr.write(
      `emgpu: warning: the fit did not converge in ${gm.nIter} iterations; raise --max-iter or --tol.\n`,
    );
  for (const warning of gm.warnings) ctx.stderr.write(`emgpu: warning: ${warning}\n`);
}

/** The model file `emgpu fit` writes. */
export const modelJSON = (gm: Mixture): string => `${JSON.stringify(gm.toJSON(), null, 2)}\n`;

/** `fit --online`: partialFit over the rows in batches; the model JSON as fit writes it. */
export async function onlineFit(
  ctx: Context,
  table: Table,
  sampleWeight: Float64Array | null,
  opts: FitOpts,
  options: GaussianMixtureOptions,
): Promise<void> {
  // A seed for the shuffle too, so that --seed makes the whole run reproducible.
  const seed = opts.seed ?? freshSeed();
  const gm = new GaussianMixture({ ...options, randomState: seed });
  const { signal } = ctx.abort;
  const progress = new OnlineProgress(ctx.stderr, ctx.verbose, opts.batchSize ?? DEFAULT_BATCH_SIZE);
  let run: OnlineRun;
  try {
    run = await runOnline(gm, table, sampleWeight, opts, (seed ^ 0x5bd1e995) >>> 0, signal, progress.onBatch);
  } finally {
    progress.stop();
  }
  if (ctx.verbose) {
    // One more pass, for the mean log-likelihood of every row under the final parameters.
    const score = await abortable(gm.score(matrixOf(table), { sampleWeight }), signal);
    ctx.stderr.write(
      `emgpu: fitted ${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) online to ${table.rows} × ${table.cols} from ${table.label}: ${run.passes} pass${run.passes === 1 ? '' : 'es'} of ${run.batches} batch${run.batches === 1 ? '' : 'es'} of ≤ ${opts.batchSize ?? DEFAULT_BATCH_SIZE} rows (step decay ${gm.options.stepDecay}, burn-in ${gm.options.burnIn}${run.skipped > 0 ? `, ${run.skipped} all-zero-weight batch${run.skipped === 1 ? '' : 'es'} skipped` : ''}), ${gm.nIter} M-steps, mean log-likelihood of all rows ${score.toFixed(6)}, ${run.ms.toFixed(0)} ms, ${gm.backend}\n`,
    );
  }
  for (const warning of gm.warnings) ctx.stderr.write(`emgpu: warning: ${warning}\n`);
  await writeText(ctx, modelJSON(gm));
}

/** `fit --stream`: exact EM with DATA read in chunks on every iteration; the model JSON as fit writes it. */
export async function streamFit(
  ctx: Context,
  dataPath: string,
  opts: FitOpts,
  initParams: InitMethod | undefined,
  initFile: InitFile | null,
): Promise<void> {
  const { signal } = ctx.abort;
  const chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS;
  say(ctx, `streaming data file ${printable(dataPath)} in chunks of ${chunkRows} rows`);
  const { weightColumn } = opts;
  const columns = weightColumn === undefined ? opts.columns : columnsWithWeight(opts.columns, weightColumn);
  const { columns: _omitted, ...rest } = opts;
  const { note } = readOptions(ctx);
  const file = await openStreamedFile(dataPath, columns === undefined ? rest : { ...rest, columns }, signal, note);
  let spill: SpillSource | null = null;
  try {
    // --weight-column: the last column read (or the named one), split off every chunk as its weights.
    const w =
      weightColumn === undefined
        ? null
        : weightColumnIndex(file.header, file.cols, weightColumn, columns !== undefined, file.label);
    const cols = w === null ? file.cols : file.cols - 1;
    const decoded =
      w === null
        ? file.source
        : weightedChunks(file.source, w, file.header?.[w] ?? (weightColumn as string), file.label);
    // The first pass spills the decoded chunks to a temporary file; later passes read it (src/cli/spill.ts).
    spill = opts.spill === false ? null : new SpillSource(decoded, await spillFolder(opts.spill), note);
    const source = spill?.source ?? decoded;
    if (file.header !== null)
      say(
        ctx,
        `columns: ${file.header.map((name) => quoted(name)).join(', ')}${file.rows !== null ? `; ${file.rows} rows` : ''}`,
      );
    const covarianceType = covarianceOf(opts, initFile);
    const k = componentsOf(opts, initFile, 1);
    if (initFile !== null && initFile.json.resp !== undefined && initFile.json.resp !== null) {
      throw new CliError(
        `init file ${initFile.label}: --stream starts from an init method or from weights, means and covariances; responsibilities ('resp') need the table in memory (fit without --stream).`,
      );
    }
    const fromFile = initFile === null ? null : initParamsFromFile(initFile, k, cols, covarianceType, file.label);
    const maxIter = opts.maxIter ?? 100;
    const progress = new StreamProgressBars(ctx.stderr, ctx.verbose, maxIter, file.rows);
    const gm = new GaussianMixture({
      ...estimatorOptions(ctx, opts, { k, covarianceType, maxIter, seed: null }, initParams),
      onIteration: progress.onIteration,
      onProgress: progress.onProgress,
      ...fileInitOptions(fromFile),
    });
    const start = performance.now();
    try {
      // The fit stops at the next chunk; this stops waiting for it at once.
      const collect = heapKeeper();
      const onChunk = (p: StreamProgress): void => {
        collect?.();
        progress.onChunk(p);
      };
      await abortable(gm.fit(source, { onChunk }), signal);
    } finally {
      progress.stop();
    }
    const ms = performance.now() - start;
    const spilled = spill?.report();
    if (spilled !== undefined && spilled.state === 'ready')
      say(ctx, `later passes read a spill file of ${(spilled.bytes / 2 ** 20).toFixed(1)} MiB (deleted)`);
    const details = ctx.verbose
      ? `emgpu: fitted ${gm.nComponents} component${gm.nComponents === 1 ? '' : 's'} (${gm.covarianceType}) streamed from ${file.label} (${gm.nFeatures} columns, chunks of ≤ ${chunkRows} rows): ${gm.nIter} iterations, ${gm.converged ? 'converged' : 'NOT converged (raise --max-iter or --tol)'}, lower bound ${gm.lowerBound.toFixed(6)}, ${ms.toFixed(0)} ms, ${gm.backend}\n`
      : null;
    warnAfterFit(ctx, gm, maxIter, details);
    await writeText(ctx, modelJSON(gm));
  } finally {
    await spill?.close();
    await file.close();
  }
}
