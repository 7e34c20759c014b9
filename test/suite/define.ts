// The estimator-level suite, registered once per engine (vitest side): every scikit-learn
// fixture case runs through the public API and is compared with sklearn's numbers at the
// engine's tolerance. With EMGPU_MEASURE=1 the worst error per quantity and per fixture group
// is written to test-output/measured-<engine>.json (the contract table of docs/webgpu.md comes from it).

import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOutcome, toleranceFor } from './compare.ts';
import { FIXTURES, type SklearnCase, type SklearnFixture } from './fixtures.ts';
import type { Outcome } from './run.ts';

export interface SuiteOptions {
  /** The engine's name in test titles and the measurement file. */
  readonly engine: string;
  /** float32 engines are held to the contract of docs/webgpu.md, float64 ones to sklearn parity. */
  readonly float32: boolean;
  /** Runs one case (in-process, or in a browser page). */
  readonly run: (f: SklearnFixture, c: SklearnCase) => Promise<Outcome>;
  /** Which cases run (default: all). */
  readonly include?: (f: SklearnFixture, c: SklearnCase) => boolean;
  /** Checks that the outcome came from the engine meant (e.g. not a silent CPU fallback). */
  readonly checkBackend?: (backend: string) => void;
}

type Measured = Record<string, Record<string, { error: number; case: string }>>;

export function defineEstimatorSuite(options: SuiteOptions): void {
  const measured: Measured = {};
  const record = (groupName: string, caseName: string, errors: Readonly<Record<string, number>>): void => {
    const group = (measured[groupName] ??= {});
    for (const [q, e] of Object.entries(errors))
      if (!(e <= (group[q]?.error ?? -1))) group[q] = { error: e, case: caseName };
  };
  afterAll(() => {
    if (process.env.EMGPU_MEASURE !== '1') return;
    mkdirSync('test-output', { recursive: true });
    writeFileSync(`test-output/measured-${options.engine}.json`, `${JSON.stringify(measured, null, 2)}\n`);
  });
  for (const f of FIXTURES) {
    const cases = f.cases.filter((c) => options.include?.(f, c) ?? true);
    if (cases.length === 0) continue;
    describe(`${options.engine}: ${f.dataset} (${f.description})`, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const outcome = await options.run(f, c);
        options.checkBackend?.(outcome.backend);
        const result = compareOutcome(f, c, outcome, toleranceFor(f, c, options.float32));
        record(c.group ?? 'parity', c.name, result.errors);
        record(f.dataset, c.name, result.errors);
        expect(result.failures, `${c.name} on ${outcome.backend}`).toEqual([]);
      });
    });
  }
}
