// The 'chunked' (large K·D) and 'fused' (per-invocation private arrays) kernel shapes forced at
// every size, with data split into small chunks (several storage bindings) and NaN-poisoned
// partial/result buffers.
import { afterAll, beforeAll, describe } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { gpuBackend } from './helpers.ts';
import { parityTests } from './suite.ts';

describe.each([
  { kernelShape: 'chunked', maxRowsPerChunk: 1000 },
  { kernelShape: 'fused', maxRowsPerChunk: 1500 },
] as const)('webgpu $kernelShape kernel shape, $maxRowsPerChunk-row data chunks', ({ kernelShape, maxRowsPerChunk }) => {
  let gpu: Backend | null = null;
  beforeAll(async () => {
    gpu = await gpuBackend({ kernelShape, maxRowsPerChunk, debugPoison: true });
  });
  afterAll(() => gpu?.dispose());

  parityTests(() => gpu, {
    estep: [
      { n: 4321, d: 2, k: 4, seed: 11, weighted: false },
      { n: 2500, d: 3, k: 5, seed: 12, weighted: true },
      { n: 700, d: 1, k: 1, seed: 13, weighted: false },
      { n: 5, d: 2, k: 7, seed: 14, weighted: false },
    ],
    other: [{ n: 3210, d: 3, k: 6, seed: 15, weighted: true }],
  });
});
