// The model file the commands after fit read (predict, score, summary, sample, stats, mstep):
// a model written by `emgpu fit` or `emgpu mstep`, or the best model of `emgpu select --output`.

import type { BackendChoice, MissingMode } from '../options.ts';
import { EmgpuInputError } from '../options.ts';
import { mixtureFromJSON, type Mixture } from './bayesian.ts';
import { checkOutput, say, type Context } from './context.ts';
import { readSource, type DataOptions, type Table } from './data.ts';
import { CliError, printable } from './errors.ts';
import { readTable } from './table-input.ts';

export async function loadModel(
  path: string,
  ctx: Context,
  backend: BackendChoice | undefined,
  tol?: number,
  missing?: MissingMode,
): Promise<Mixture> {
  say(ctx, path === '-' ? 'reading the model from stdin' : `reading model file ${printable(path)}`);
  const source = await readSource(path, 'model file', ctx.stdin, ctx.abort.signal);
  let json: unknown;
  try {
    json = JSON.parse(source.text);
  } catch (error) {
    throw new CliError(
      `model file ${source.label} is not valid JSON (${error instanceof Error ? error.message : String(error)}); pass a model written by 'emgpu fit'.`,
    );
  }
  // `emgpu select --output` writes { criterion, table, best: { ..., model } }: its best model.
  if (typeof json === 'object' && json !== null && 'table' in json && 'best' in json) {
    const best = (json as { best: unknown }).best;
    if (typeof best === 'object' && best !== null && 'model' in best) json = (best as { model: unknown }).model;
  }
  try {
    return mixtureFromJSON(json, backend, tol, missing);
  } catch (error) {
    if (error instanceof EmgpuInputError)
      throw new CliError(`model file ${source.label}: ${error.message} Pass a model written by 'emgpu fit'.`);
    throw error;
  }
}

function checkColumns(table: Table, gm: Mixture, modelPath: string): void {
  if (table.cols !== gm.nFeatures) {
    throw new CliError(
      `${table.label} has ${table.cols} column${table.cols === 1 ? '' : 's'} but the model ${printable(modelPath)} has ${gm.nFeatures} features; pass data with ${gm.nFeatures} columns.`,
    );
  }
}

/** The options of a command that applies a model to DATA (predict, score, summary). */
export interface ModelOpts extends DataOptions {
  model: string;
  backend?: BackendChoice;
  output?: string;
  verbose?: boolean;
}

/** The checks and reading that predict, score and summary share: --output first, then the model, then the data. */
export async function modelAndData(
  ctx: Context,
  dataPath: string,
  opts: ModelOpts,
): Promise<{ gm: Mixture; table: Table }> {
  await checkOutput(ctx, opts.output);
  const gm = await loadModel(opts.model, ctx, opts.backend, undefined, opts.missing);
  const table = await readTable(ctx, dataPath, opts);
  checkColumns(table, gm, opts.model);
  return { gm, table };
}
