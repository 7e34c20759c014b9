// Default (auto) kernel shapes with data split into many chunks; NaN-poisoned buffers.
import { afterAll, beforeAll, describe } from 'vitest';
import type { Backend } from '../../src/backend.ts';
import { gpuBackend } from './helpers.ts';
import { parityTests } from './suite.ts';

let gpu: Backend | null = null;
beforeAll(async () => {
  gpu = await gpuBackend({ maxRowsPerChunk: 777, debugPoison: true });
});
afterAll(() => gpu?.dispose());

describe('webgpu auto shape, 777-row data chunks', () => {
  parityTests(() => gpu, {
    estep: [
      { n: 5000, d: 2, k: 4, seed: 21, weighted: true },
      { n: 3000, d: 16, k: 64, seed: 22, weighted: true, covs: ['full', 'diag'] },
    ],
    other: [
      { n: 4000, d: 2, k: 3, seed: 23, weighted: false },
      { n: 1000, d: 16, k: 64, seed: 24, weighted: true, covs: ['full'] },
    ],
  });
});
