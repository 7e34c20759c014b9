// mclust 6.0.0 parity of the 14 covariance models on the CPU engine (float64): see
// test/suite/mclust.ts.
import { afterAll, expect } from 'vitest';
import { releaseBackends } from '../../src/index.ts';
import { defineMclustSuite } from '../suite/mclust.ts';
import { runMclustCase } from '../suite/mclust-run.ts';

afterAll(() => releaseBackends());

defineMclustSuite({
  engine: 'cpu',
  float32: false,
  run: (f, model) => runMclustCase(f, model, 'cpu'),
  checkBackend: (backend) => expect(backend).toMatch(/^cpu \(/),
});
