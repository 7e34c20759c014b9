// What a fit checks of X and its options before any engine runs: the rows left after rows with
// every value missing are dropped, enough of them (and of positive weight) for nComponents, and
// the caller's initial responsibilities as statistics.

import { prepareInput, type PreparedInput } from '../engine-session.ts';
import { responsibilityStatistics, toResponsibilities } from '../init/resp.ts';
import type { MatrixInput } from '../matrix.ts';
import { EmgpuInputError, type CovarianceType, type MissingMode } from '../options.ts';
import { momentsFor, type SufficientStats } from '../sufficient-stats.ts';

export interface FitOptions {
  /** One non-negative finite weight per row; an integer weight w acts as w copies of the row. */
  readonly sampleWeight?: ArrayLike<number> | null;
  /**
   * Initial responsibilities (N × K, flat row-major or nested; each row ≥ 0 and summing to 1)
   * in place of the init method: what sklearn's _initialize(X, resp) starts from.
   */
  readonly resp?: ArrayLike<number> | readonly (readonly number[])[] | null;
}

export interface FitSettings {
  readonly missing: MissingMode;
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly progress: (message: string) => void;
}

/** X ready for a fit: the prepared rows, the caller's responsibilities as statistics, and the fit's own warnings. */
export interface FitInput {
  readonly input: PreparedInput;
  readonly responsibilities: SufficientStats | null;
  /** Warnings every fit on this X gives (rows left out), after those about the fitted model. */
  readonly warnings: readonly string[];
}

/** Checks X and the fit options (one-sentence errors) and prepares X for the engine. */
export function prepareFit(X: MatrixInput, fitOptions: FitOptions, settings: FitSettings): FitInput {
  if (fitOptions === null || typeof fitOptions !== 'object')
    throw new EmgpuInputError(`The fit options must be an object such as { sampleWeight }, got ${String(fitOptions)}.`);
  const input = prepareInput(X, {
    missing: settings.missing,
    sampleWeight: fitOptions.sampleWeight,
    checkValues: true,
  });
  const { layout, dataset } = input;
  const k = settings.nComponents;
  // With holes: the rows with at least one value (the others are dropped and counted).
  const { matrix, weights } = input.kept;
  const dropped = layout === null ? 0 : layout.dropped;
  if (dropped > 0) settings.progress(`${dropped} row${dropped === 1 ? '' : 's'} with every value missing left out`);
  if (matrix.rows < k) {
    const more = dropped > 0 ? ` (${dropped} more have every value missing)` : '';
    throw new EmgpuInputError(
      `X has ${matrix.rows} rows${more} but nComponents is ${k}; pass at least ${k} rows or lower nComponents.`,
    );
  }
  if (layout !== null && fitOptions.resp != null) {
    throw new EmgpuInputError(
      'Initial responsibilities (resp) cannot start a fit with missing values; start from initParams or from weightsInit / meansInit / precisionsInit instead.',
    );
  }
  if (weights !== null) {
    let positive = 0;
    for (const w of weights) if (w > 0) positive++;
    if (positive < k) {
      throw new EmgpuInputError(
        `sampleWeight has ${positive} positive weights but nComponents is ${k}; give at least ${k} rows a positive weight.`,
      );
    }
  }
  const responsibilities =
    fitOptions.resp == null
      ? null
      : responsibilityStatistics(
          dataset,
          toResponsibilities(fitOptions.resp, matrix.rows, k),
          k,
          momentsFor(settings.covarianceType),
        );
  const warnings =
    dropped > 0
      ? [
          `${dropped} row${dropped === 1 ? '' : 's'} of X had every value missing and ${dropped === 1 ? 'was' : 'were'} left out of the fit.`,
        ]
      : [];
  return { input, responsibilities, warnings };
}
