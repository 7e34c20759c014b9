// The estimator-level suite on the WebGPU engine in Node (Dawn; Mesa's llvmpipe on machines
// without a GPU), held to the float32 contract against scikit-learn's numbers.
import { afterAll, beforeAll, expect } from 'vitest';
import { releaseBackends } from '../../src/index.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { float32CanRun } from '../suite/compare.ts';
import { defineEstimatorSuite } from '../suite/define.ts';
import { runCase, WEBGPU } from '../suite/run.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

defineEstimatorSuite({
  engine: 'webgpu-node',
  float32: true,
  include: (_f, c) => float32CanRun(c),
  run: (f, c) => {
    if (unavailable !== null) throw new Error(`no WebGPU adapter: ${unavailable}`);
    return runCase(f, c, WEBGPU);
  },
  checkBackend: (backend) => expect(backend).toMatch(/^webgpu \(/),
});
