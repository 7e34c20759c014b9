// Which engine a call runs on. Backends are created once and shared by every call of the
// process (a GPU device costs a second to create); releaseBackends() frees them.

import type { Backend, JobShape } from './backend.ts';
import { CpuBackend } from './cpu/engine.ts';
import { clearLoaded } from './loaded-cache.ts';
import { EmgpuInputError, type BackendChoice } from './options.ts';

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

const cache = new Map<string, Promise<Backend>>();
interface WebGpuAttempt {
  /** Asked for hardware adapters only ('auto'), so a failure says nothing of software ones. */
  readonly hardwareOnly: boolean;
  readonly result: Promise<{ backend: Backend | null; reason: string }>;
}
let webgpuAttempt: WebGpuAttempt | null = null;

let coresCount: Promise<number> | null = null;

/**
 * All cores: navigator.hardwareConcurrency in browsers, os.availableParallelism() in Node. Asked
 * once per process: every call selects a backend, and online EM calls once per batch, where a
 * dynamic import each time cost ~1.5 ms (a round trip to Node's module loader thread under tsx).
 */
export function availableCores(): Promise<number> {
  coresCount ??= countCores();
  return coresCount;
}

async function countCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return Math.max(1, nav.hardwareConcurrency);
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    const os = (await import(/* @vite-ignore */ ['node', 'os'].join(':'))) as typeof import('node:os');
    return Math.max(1, os.availableParallelism());
  }
  return 1;
}

/**
 * The CPU engine with `threads` worker threads (default: all cores). More threads than cores
 * only cost memory and time (each thread holds its own scratch), so the count is capped there.
 */
export async function cpuBackend(threads: number | null, reason = ''): Promise<Backend> {
  const cores = await availableCores();
  const count = Math.min(threads ?? cores, cores);
  const note = threads !== null && threads > cores ? `cpuThreads ${threads} capped to the ${cores} cores here` : '';
  const why = [note, reason].filter(Boolean).join('; ');
  const key = `cpu:${count}:${why}`;
  let backend = cache.get(key);
  if (backend === undefined) {
    backend = CpuBackend.create({ threads: count, reason: why });
    cache.set(key, backend);
    backend.catch(() => cache.delete(key));
  }
  return backend;
}

/**
 * Software rasterisers: WebGPU there runs on the CPU cores and is slower than the CPU engine
 * (2 cores, 1M × 8, K = 16: Dawn on llvmpipe 1.9 s, SwiftShader in Chromium 6.1 s, the CPU
 * engine 0.30 s in Node and 0.26 s in Chromium's Web Workers; BENCHMARKS.md).
 */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;
let autoTakesSoftwareAdapters = false;

/**
 * Lets 'auto' take a software WebGPU adapter, so tests on machines without a GPU can exercise
 * what 'auto' does with a GPU (device-loss fallback, limits). Not for production use.
 */
export function setAutoTakesSoftwareAdapters(on: boolean): void {
  autoTakesSoftwareAdapters = on;
}

function startWebGpuAttempt(hardwareOnly: boolean): WebGpuAttempt {
  const attempt: WebGpuAttempt = {
    hardwareOnly,
    result: (async () => {
      try {
        const gpu = await import('./gpu/index.ts');
        const result = await gpu.createWebGpuBackend(hardwareOnly ? { hardwareOnly } : {});
        return result.ok ? { backend: result.backend, reason: '' } : { backend: null, reason: result.reason };
      } catch (error) {
        return { backend: null, reason: error instanceof Error ? error.message : String(error) };
      }
    })(),
  };
  webgpuAttempt = attempt;
  return attempt;
}

/** The shared WebGPU backend, started by the first call that needs it; a failure is retried next time. */
async function tryWebGpu(hardwareOnly: boolean): Promise<{ backend: Backend | null; reason: string }> {
  for (;;) {
    const attempt = webgpuAttempt ?? startWebGpuAttempt(hardwareOnly);
    const result = await attempt.result;
    if (result.backend !== null) return result;
    if (webgpuAttempt === attempt) webgpuAttempt = null; // try again next time
    // An attempt for hardware adapters only that found none: this call takes software ones too.
    if (!attempt.hardwareOnly || hardwareOnly) return result;
  }
}

/**
 * 'cpu': the CPU engine. 'webgpu': WebGPU, or a clear error (no adapter: BackendUnavailableError;
 * a job beyond its limits: EmgpuInputError naming the limit). 'auto': WebGPU on a hardware
 * adapter when it can take the job, else the CPU engine, saying why.
 */
export async function selectBackend(
  choice: BackendChoice,
  cpuThreads: number | null,
  job: JobShape | null = null,
): Promise<Backend> {
  if (choice === 'cpu') return cpuBackend(cpuThreads);
  // 'auto' passes over software adapters, so it need not look for them (see acquireDevice).
  const attempt = await tryWebGpu(choice === 'auto' && !autoTakesSoftwareAdapters);
  if (choice === 'webgpu') {
    if (attempt.backend === null) {
      throw new BackendUnavailableError(
        `Backend 'webgpu' is not available: ${attempt.reason}; use backend 'auto' or 'cpu' to run on the CPU.`,
      );
    }
    const refusal = job === null ? null : attempt.backend.refuse(job);
    if (refusal !== null)
      throw new EmgpuInputError(`Backend 'webgpu' cannot take this job: ${refusal}; use backend 'auto' or 'cpu'.`);
    return attempt.backend;
  }
  // Reasons keep one level of parentheses: "cpu (2 threads): no WebGPU adapter: no GPU device here (…)".
  if (attempt.backend === null)
    return cpuBackend(
      cpuThreads,
      attempt.reason.startsWith('no WebGPU adapter') ? attempt.reason : `no WebGPU adapter: ${attempt.reason}`,
    );
  if (!autoTakesSoftwareAdapters && SOFTWARE_ADAPTER.test(attempt.backend.description)) {
    return cpuBackend(
      cpuThreads,
      `the WebGPU adapter is a software rasteriser, slower than the CPU engine: ${attempt.backend.description}`,
    );
  }
  const refusal = job === null ? null : attempt.backend.refuse(job);
  if (refusal !== null) return cpuBackend(cpuThreads, `the job is beyond the WebGPU engine's limits: ${refusal}`);
  return attempt.backend;
}

/** Drops a backend whose device was lost, so the next call asks for a fresh one. */
export async function forgetBackend(backend: Backend): Promise<void> {
  const attempt = webgpuAttempt;
  if (attempt !== null && (await attempt.result).backend === backend && webgpuAttempt === attempt) webgpuAttempt = null;
  backend.dispose();
}

const releasers = new Set<() => void>();

/** Something releaseBackends() releases too (selectModel's idle worker threads). */
export function onRelease(release: () => void): void {
  releasers.add(release);
}

/**
 * Destroys every cached backend (GPU devices, worker threads) and the cached loaded data, so a
 * Node process can exit. Calls still running reject with an AbortError; later calls start afresh.
 */
export async function releaseBackends(): Promise<void> {
  clearLoaded();
  for (const release of releasers) release();
  const backends = [...cache.values()];
  cache.clear();
  const gpu = webgpuAttempt;
  webgpuAttempt = null;
  for (const backend of await Promise.allSettled(backends)) if (backend.status === 'fulfilled') backend.value.dispose();
  if (gpu !== null) (await gpu.result).backend?.dispose();
}
