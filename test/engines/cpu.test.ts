// The estimator-level suite on the CPU engine (float64): every scikit-learn fixture, in
// parity with sklearn to ~1e-9 (see test/suite/compare.ts for the tolerances).
import { afterAll, expect } from 'vitest';
import { releaseBackends } from '../../src/index.ts';
import { defineEstimatorSuite } from '../suite/define.ts';
import { CPU, runCase } from '../suite/run.ts';

afterAll(() => releaseBackends());

defineEstimatorSuite({
  engine: 'cpu',
  float32: false,
  run: (f, c) => runCase(f, c, CPU),
  checkBackend: (backend) => expect(backend).toMatch(/^cpu \(/),
});
