// Device loss mid-fit: 'auto' restarts on the CPU engine and says so; 'webgpu' rejects with
// DeviceLostError; the next fit gets a fresh device. Never half-fitted parameters.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { WebGpuBackend } from '../../src/gpu/index.ts';
import { selectBackend, setAutoTakesSoftwareAdapters } from '../../src/select-backend.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { Random } from '../../src/random.ts';

// On a machine without a GPU the adapter is llvmpipe, which 'auto' would pass over.
let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
  setAutoTakesSoftwareAdapters(true);
});
afterAll(async () => {
  setAutoTakesSoftwareAdapters(false);
  await releaseBackends();
});

const random = new Random(2);
const X = Array.from({ length: 20_000 }, (_, i) => [(i % 3) * 6 + random.nextGaussian(), random.nextGaussian()]);

async function loseDevice(): Promise<void> {
  const backend = await selectBackend('webgpu', null);
  if (!(backend instanceof WebGpuBackend)) throw new Error(`expected the WebGPU engine, got ${backend.description}`);
  backend.device.destroy();
}

it("with 'auto', a device lost mid-fit restarts the fit on the CPU", async (ctx) => {
  if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
  let lost = false;
  const gm = new GaussianMixture({
    nComponents: 3,
    backend: 'auto',
    randomState: 0,
    maxIter: 6,
    tol: 0,
    onIteration: (info) => {
      if (info.iteration === 2 && !lost) {
        lost = true;
        void loseDevice();
      }
    },
  });
  await gm.fit(X);
  expect(lost).toBe(true);
  expect(gm.backend).toMatch(/^cpu .*the WebGPU device was lost/);
  expect(gm.nIter).toBe(6);
  const cpu = new GaussianMixture({ nComponents: 3, backend: 'cpu', randomState: 0, maxIter: 6, tol: 0 });
  await cpu.fit(X);
  expect(gm.lowerBounds).toEqual(cpu.lowerBounds);
  // The next fit asks for a fresh device.
  const again = new GaussianMixture({ nComponents: 3, backend: 'auto', randomState: 0, maxIter: 2 });
  await again.fit(X);
  expect(again.backend).toMatch(/^webgpu/);
});

it("with 'webgpu', a device lost mid-fit rejects with DeviceLostError and leaves the model unfitted", async (ctx) => {
  if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
  const gm = new GaussianMixture({
    nComponents: 3,
    backend: 'webgpu',
    randomState: 0,
    maxIter: 6,
    tol: 0,
    onIteration: (info) => {
      if (info.iteration === 2) void loseDevice();
    },
  });
  await expect(gm.fit(X)).rejects.toMatchObject({ name: 'DeviceLostError' });
  expect(gm.isFitted).toBe(false);
});
