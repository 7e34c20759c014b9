// `emgpu summary --model M DATA`: mclust's summary() of a fitted model on DATA (model name,
// log-likelihood, n, df, BIC, ICL, mixing proportions, cluster sizes), as a readable block or,
// with --json, as JSON.

import { BayesianGaussianMixture } from '../bayesian-mixture.ts';
import type { GaussianMixture } from '../gaussian-mixture.ts';
import type { BackendChoice } from '../options.ts';
import { renderSummary } from '../summary.ts';
import { abortable } from './abort.ts';
import type { Mixture } from './bayesian.ts';
import type { DataOptions, Table } from './data.ts';
import { CliError, printable } from './errors.ts';

export interface SummaryOpts extends DataOptions {
  model: string;
  json?: boolean;
  sampleWeight?: string;
  backend?: BackendChoice;
  output?: string;
  verbose?: boolean;
}

/** What the command needs from the CLI's plumbing (src/cli/commands/summary.ts). */
export interface SummaryIO {
  readonly signal: AbortSignal;
  /** The model (checked), then the data (checked against it). */
  modelAndData(dataPath: string): Promise<{ gm: Mixture; table: Table }>;
  readWeights(path: string, table: Table): Promise<Float64Array>;
  /** Writes to --output (atomically) or stdout. */
  write(text: string): Promise<void>;
}

export async function summaryCommand(io: SummaryIO, dataPath: string, opts: SummaryOpts): Promise<void> {
  const { gm, table } = await io.modelAndData(dataPath);
  if (gm instanceof BayesianGaussianMixture)
    throw new CliError(
      `model file ${printable(opts.model)} is a Bayesian mixture, which has no BIC or ICL; summarise a model written by 'emgpu fit' without --bayesian.`,
    );
  const sampleWeight = opts.sampleWeight === undefined ? null : await io.readWeights(opts.sampleWeight, table);
  const X = { data: table.data, rows: table.rows, cols: table.cols };
  const summary = await abortable((gm as GaussianMixture).summary(X, { sampleWeight }), io.signal);
  if (opts.json === true) {
    const json = { ...summary, weights: Array.from(summary.weights), clusterSizes: Array.from(summary.clusterSizes) };
    await io.write(`${JSON.stringify(json, null, 2)}\n`);
  } else await io.write(renderSummary(summary));
}
