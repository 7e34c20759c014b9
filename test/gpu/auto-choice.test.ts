// What 'auto' picks: a hardware WebGPU adapter, or the CPU engine (saying why) when the only
// adapter is a software rasteriser such as llvmpipe or SwiftShader, which the CPU engine beats.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { releaseBackends, selectBackend } from '../../src/select-backend.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

it("'auto' takes a hardware adapter and passes over a software one", async (ctx) => {
  if (unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
  const webgpu = await selectBackend('webgpu', null);
  const auto = await selectBackend('auto', 1);
  if (/swiftshader|llvmpipe|lavapipe/i.test(webgpu.description)) {
    expect(auto.description).toMatch(
      /^cpu \(1 thread\): the WebGPU adapter is a software rasteriser, slower than the CPU engine: webgpu \(/,
    );
  } else {
    expect(auto).toBe(webgpu);
  }
});
