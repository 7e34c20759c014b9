// Finding a WebGPU adapter and device: navigator.gpu in browsers, the optional `webgpu`
// package (Dawn) in Node. Dawn's default backend (Vulkan/Metal/D3D) is tried first, then its
// OpenGL backend in compatibility mode (Mesa llvmpipe on machines without a GPU).

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly description: string;
  /** True for CPU-emulated adapters (llvmpipe, SwiftShader, lavapipe, fallback adapters). */
  readonly software: boolean;
}

export type Acquired = { ok: true; value: AcquiredDevice } | { ok: false; reason: string };

interface NodeGpuModule {
  create(flags: string[]): GPU;
}

// Dawn's GPU objects must stay referenced while any device from them lives: if one is
// garbage-collected the process dies at random. Kept for the whole process, one per flag set.
const nodeGpus = new Map<string, GPU>();
let nodeModule: NodeGpuModule | null | undefined;

async function loadNodeModule(): Promise<NodeGpuModule | null> {
  if (nodeModule !== undefined) return nodeModule;
  try {
    // Built at run time so bundlers neither resolve nor inline it: the browser bundle keeps
    // no bare specifier, and the optional package is only looked for in Node.
    // (Written inline: a minifier that inlines a variable drops the @vite-ignore comment, and a
    // project's Vite dev server then warns about this import.)
    const mod = (await import(/* @vite-ignore */ ['web', 'gpu'].join(''))) as Partial<NodeGpuModule> & {
      default?: Partial<NodeGpuModule>;
    };
    const create = mod.create ?? mod.default?.create;
    nodeModule = typeof create === 'function' ? { create } : null;
  } catch {
    nodeModule = null;
  }
  return nodeModule;
}

function nodeGpu(module: NodeGpuModule, flags: string[]): GPU {
  const key = flags.join(',');
  let gpu = nodeGpus.get(key);
  if (gpu === undefined) {
    gpu = module.create(flags);
    nodeGpus.set(key, gpu);
  }
  return gpu;
}

function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return fallback || /llvmpipe|swiftshader|lavapipe|softpipe|microsoft basic/.test(text);
}

function describe(adapter: GPUAdapter, backend: string, runtime: string): string {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device || info.description].filter((p) => p && p.length > 0);
  const name = parts.length > 0 ? parts.join(' ') : 'unknown adapter';
  return `webgpu (${name}, ${backend}, ${runtime})`;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

async function deviceFor(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  // Timestamp queries let the backend report GPU kernel time (GpuData.lastTimings).
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}

async function fromAdapter(adapter: GPUAdapter, backend: string, runtime: string): Promise<Acquired> {
  try {
    const device = await deviceFor(adapter);
    return {
      ok: true,
      value: { device, adapter, description: describe(adapter, backend, runtime), software: isSoftware(adapter) },
    };
  } catch (error) {
    return { ok: false, reason: `the WebGPU adapter refused a device: ${(error as Error).message}` };
  }
}

/** Whether libvulkan.so.1 is in a standard library folder or on LD_LIBRARY_PATH (Linux). */
async function hasVulkanLoader(): Promise<boolean> {
  const fs = (await import(/* @vite-ignore */ ['node', 'fs'].join(':'))) as typeof import('node:fs');
  const folders = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
    '/usr/local/lib',
  ];
  return folders.some((folder) => fs.existsSync(`${folder}/libvulkan.so.1`));
}

/**
 * Linux: whether any GPU device node exists (/dev/dri/renderD*, /dev/nvidia0…, WSL's /dev/dxg).
 * Without one, every adapter Dawn could find is a software rasteriser (Mesa's llvmpipe or
 * lavapipe).
 */
async function hasGpuDeviceNode(): Promise<boolean> {
  const fs = (await import(/* @vite-ignore */ ['node', 'fs'].join(':'))) as typeof import('node:fs');
  const list = (folder: string): string[] => {
    try {
      return fs.readdirSync(folder);
    } catch {
      return [];
    }
  };
  return (
    list('/dev/dri').some((name) => name.startsWith('renderD')) ||
    list('/dev').some((name) => /^nvidia\d+$/.test(name) || name === 'dxg')
  );
}

export interface AcquireOptions {
  /** Take a software adapter (llvmpipe / fallback) before a hardware one. */
  readonly preferSoftware?: boolean;
  /**
   * The caller would pass over a software adapter ('auto'): on Linux without a GPU device node,
   * Dawn is not asked at all. Creating its OpenGL adapter on Mesa's llvmpipe makes Dawn print two
   * warnings of its own on stderr ("maxDynamicUniformBuffersPerPipelineLayout artificially
   * reduced from 90 to 16 …"), for an adapter that would not be used.
   */
  readonly hardwareOnly?: boolean;
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<Acquired> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const isNode =
    typeof process !== 'undefined' && typeof process.versions?.node === 'string' && !('document' in globalThis);
  if (!isNode) {
    if (nav?.gpu === undefined) return { ok: false, reason: 'no WebGPU adapter: navigator.gpu is missing' };
    const adapter = await nav.gpu.requestAdapter(
      options.preferSoftware ? { forceFallbackAdapter: true } : { powerPreference: 'high-performance' },
    );
    if (adapter === null)
      return { ok: false, reason: 'no WebGPU adapter: navigator.gpu.requestAdapter() returned null' };
    return fromAdapter(adapter, 'browser', 'navigator.gpu');
  }
  if (options.hardwareOnly && process.platform === 'linux' && !(await hasGpuDeviceNode())) {
    return { ok: false, reason: 'no GPU device here (no /dev/dri/renderD*, /dev/nvidia* or /dev/dxg)' };
  }
  const module = await loadNodeModule();
  if (module === null)
    return { ok: false, reason: "the optional package 'webgpu' is not installed (npm install webgpu)" };
  const attempts: Array<{ flags: string[]; request: GPURequestAdapterOptions; label: string }> = [
    { flags: [], request: { powerPreference: 'high-performance' }, label: 'default backend' },
    {
      flags: ['backend=opengl'],
      request: { featureLevel: 'compatibility' } as GPURequestAdapterOptions,
      label: 'opengl compat',
    },
  ];
  if (options.preferSoftware) attempts.reverse();
  const failures: string[] = [];
  if (process.platform === 'linux' && !(await hasVulkanLoader())) {
    // Dawn would print a native "Couldn't load Vulkan" warning on stderr; skip the attempt.
    attempts.splice(
      attempts.findIndex((a) => a.flags.length === 0),
      1,
    );
    failures.push('default backend: no Vulkan loader (libvulkan.so.1) installed');
  }
  for (const attempt of attempts) {
    try {
      const adapter = await nodeGpu(module, attempt.flags).requestAdapter(attempt.request);
      if (adapter === null) {
        failures.push(`${attempt.label}: no adapter`);
        continue;
      }
      const native = process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
      const backend =
        adapter.info.description?.toLowerCase().includes('opengl') || attempt.flags.length > 0
          ? 'opengl compat'
          : native;
      const got = await fromAdapter(adapter, backend, 'Dawn/Node');
      if (got.ok) return got;
      failures.push(`${attempt.label}: ${got.reason}`);
    } catch (error) {
      failures.push(`${attempt.label}: ${withoutParentheses((error as Error).message)}`);
    }
  }
  return { ok: false, reason: `no WebGPU adapter from Dawn: ${failures.join('; ')}` };
}

/** Dawn's own message with its parentheses as brackets, so that a reason keeps one level of parentheses. */
function withoutParentheses(message: string): string {
  return message.replace(/\(/g, '[').replace(/\)/g, ']');
}
