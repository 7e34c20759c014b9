// mclust 6.0.0 parity of the 14 covariance models, registered once per engine (vitest side).
// From the same starting responsibilities z (one-hot labels), regCovar 0 and tol 0, an engine's
// parameters after maxIter = m equal mclust's me() after itmax = m + 1, and its mean
// log-likelihoods lowerBounds[m − 1] equal mclust's loglik after itmax = m, divided by n
// (fixtures and their R script: scripts/make_mclust_fixtures.R). The float64 CPU engine is held
// to 1e-6 on parameters and 1e-8 on the log-likelihood; float32 engines to the README's
// contract (2e-3 and 1e-4).

import { describe, expect, it } from 'vitest';
import { MCLUST_MODELS, type MclustModelName } from '../../src/index.ts';
import { nParameters } from '../../src/model/covariance.ts';
import { groupError } from './compare.ts';
import { MCLUST_FIXTURES, type MclustFixture, type MclustOutcome } from './mclust-run.ts';

/** Largest |a − b| / |b| over paired numbers. */
function relative(ours: readonly number[], theirs: readonly number[]): number {
  if (ours.length !== theirs.length) return Infinity;
  let worst = 0;
  theirs.forEach((b, i) => {
    const e = Math.abs((ours[i] as number) - b) / Math.abs(b);
    if (!(e <= worst)) worst = e;
  });
  return worst;
}

export interface MclustSuiteOptions {
  readonly engine: string;
  readonly float32: boolean;
  /** Which fixtures run (default: all). */
  readonly include?: (f: MclustFixture) => boolean;
  readonly run: (f: MclustFixture, model: MclustModelName) => Promise<MclustOutcome>;
  readonly checkBackend?: (backend: string) => void;
}

export function defineMclustSuite(options: MclustSuiteOptions): void {
  const tol = options.float32 ? { params: 2e-3, logLik: 1e-4 } : { params: 1e-6, logLik: 1e-8 };
  for (const f of MCLUST_FIXTURES.filter((x) => options.include?.(x) ?? true)) {
    const n = f.X.length;
    const d = (f.X[0] as number[]).length;
    const k = f.nComponents;
    describe(`${options.engine}: mclust parity on ${f.name} (${n} × ${d}, G = ${k})`, () => {
      it.each(MCLUST_MODELS.map((m) => [m] as const))('%s', async (model) => {
        const expected = f.models[model];
        // mclust's nMclustParams, and so its BIC (2·loglik − df·log n = −emgpu's BIC).
        expect(nParameters(model, k, d)).toBe(expected.df);
        if (expected.failed) return;
        const outcome = await options.run(f, model);
        options.checkBackend?.(outcome.backend);
        const errors = {
          loglik: relative(
            outcome.lowerBounds.map((b) => b * n),
            expected.loglik as number[],
          ),
          weights: groupError(outcome.weights, expected.weights as number[], 1),
          means: groupError(outcome.means, (expected.means as number[][]).flat(), d),
          covariances: groupError(outcome.covariances, (expected.covariances as number[][][]).flat(2), d * d),
        };
        expect(errors.loglik, 'log-likelihoods').toBeLessThan(tol.logLik);
        expect(errors.weights, 'weights').toBeLessThan(tol.params);
        expect(errors.means, 'means').toBeLessThan(tol.params);
        expect(errors.covariances, 'covariances').toBeLessThan(tol.params);
        // BIC at the final parameters: emgpu's is −mclust's (fixtures: the fit after itmax = m + 1).
        expect(Math.abs(outcome.bic + (expected.bic as number)) / Math.abs(expected.bic as number)).toBeLessThan(
          tol.logLik,
        );
      });
    });
  }
}
