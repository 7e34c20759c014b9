// The WebGPU engine's public entry points.

import type { Backend } from '../backend.ts';
import { WebGpuBackend } from './backend.ts';
import type { WebGpuBackendOptions } from './context.ts';
import { acquireDevice } from './device.ts';

export { DeviceLostError } from './errors.ts';
export { WebGpuBackend } from './backend.ts';
export { liveGpuBuffers, type WebGpuBackendOptions } from './context.ts';
export { MAX_COMPONENTS, MAX_FEATURES, defaultTuning, type KernelShape, type Tuning } from './tuning.ts';

/**
 * Finds a WebGPU adapter (navigator.gpu, or Dawn through the optional `webgpu` package in Node)
 * and returns a backend on it, or a one-line reason why none is available.
 */
export async function createWebGpuBackend(
  options: WebGpuBackendOptions = {},
): Promise<{ ok: true; backend: WebGpuBackend } | { ok: false; reason: string }> {
  let acquired;
  try {
    acquired = await acquireDevice({
      ...(options.preferSoftware !== undefined ? { preferSoftware: options.preferSoftware } : {}),
      ...(options.hardwareOnly !== undefined ? { hardwareOnly: options.hardwareOnly } : {}),
    });
  } catch (error) {
    return { ok: false, reason: `WebGPU initialisation failed: ${(error as Error).message}` };
  }
  if (!acquired.ok) return acquired;
  options.onProgress?.(`WebGPU device: ${acquired.value.description}`);
  return { ok: true, backend: new WebGpuBackend(acquired.value, options) };
}

export type { Backend };
