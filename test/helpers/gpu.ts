// Acquiring the WebGPU engine in tests. Where no adapter exists a test skips with the reason
// (ctx.skip), except under CI=true, where a missing adapter fails the test: CI must run the GPU
// path (on this project's machines: Dawn on Mesa's llvmpipe, or SwiftShader in Chromium).

import { afterAll, beforeAll } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from '../../src/gpu/index.ts';

export function inCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

interface SkipContext {
  skip(note?: string): never;
}

/** The backend, or a skip (a failure under CI) with the reason no adapter was found. */
export type GpuHandle = (ctx: SkipContext) => WebGpuBackend;

/**
 * Creates a WebGPU backend with these options before the file's tests and destroys it after;
 * returns an accessor for the tests.
 */
export function useGpu(options: WebGpuBackendOptions = {}): GpuHandle {
  let backend: WebGpuBackend | null = null;
  let reason = 'the WebGPU backend was not created';
  beforeAll(async () => {
    const made = await createWebGpuBackend(options);
    if (made.ok) backend = made.backend;
    else reason = made.reason;
    if (backend === null && inCI()) throw new Error(`CI requires a WebGPU adapter: ${reason}`);
  });
  afterAll(() => backend?.dispose());
  return (ctx) => backend ?? ctx.skip(`no WebGPU adapter: ${reason}`);
}

/** Whether the process-wide 'webgpu' backend choice can run here (null), or why not. */
export async function webgpuUnavailable(): Promise<string | null> {
  const made = await createWebGpuBackend();
  if (!made.ok) {
    if (inCI()) throw new Error(`CI requires a WebGPU adapter: ${made.reason}`);
    return made.reason;
  }
  made.backend.dispose();
  return null;
}
