// mclust 6.0.0 parity of the 14 covariance models on the WebGPU engine in Node (Dawn; Mesa's
// llvmpipe on machines without a GPU), held to the float32 contract: see test/suite/mclust.ts.
// Every model is an E-step over K full precision factors, so this also covers the 'full'
// kernels with diagonal second moments (EII, VII, EEI, VEI, EVI, VVI).
import { afterAll, beforeAll, expect } from 'vitest';
import { releaseBackends } from '../../src/index.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { defineMclustSuite } from '../suite/mclust.ts';
import { runMclustCase } from '../suite/mclust-run.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

defineMclustSuite({
  engine: 'webgpu-node',
  float32: true,
  run: (f, model) => {
    if (unavailable !== null) throw new Error(`no WebGPU adapter: ${unavailable}`);
    return runMclustCase(f, model, 'webgpu');
  },
  checkBackend: (backend) => expect(backend).toMatch(/^webgpu \(/),
});
