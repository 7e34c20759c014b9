// Every buffer a kernel binds, declared once by name: its slot, address space and WGSL type. A
// module's WGSL declarations come from `declareBuffers` and a dispatch's bind group from
// `bindGroupEntries`, both keyed by these names, so no slot number is written anywhere else
// (the WGSL files use the names and leave the declarations to this table).

import { InternalError } from '../errors.ts';

/** Storage buffers are read or read-write per kernel; uniform buffers are read. */
export type Access = 'read' | 'read_write' | 'uniform';

interface BufferSpec {
  readonly slot: number;
  readonly space: 'storage' | 'uniform';
  readonly type: string;
}

export const BUFFERS = {
  /** The uploaded rows of one chunk (conditioned float32, row-major). */
  data: { slot: 0, space: 'storage', type: 'array<f32>' },
  /** Their sample weights. */
  wts: { slot: 1, space: 'storage', type: 'array<f32>' },
  /** Kernel parameters: means, precision factors, log constants. */
  prm: { slot: 2, space: 'storage', type: 'array<f32>' },
  /** Per-row scratch: the values, then the responsibilities, of a block of rows. */
  scr: { slot: 3, space: 'storage', type: 'array<f32>' },
  /** The dispatch's entry of the uniform table (src/gpu/uniforms.ts). */
  run: { slot: 4, space: 'uniform', type: 'Run' },
  /** Partial statistics, one slot per workgroup or invocation. */
  part: { slot: 5, space: 'storage', type: 'array<f32>' },
  /** Kernel parameters as a uniform array (the vector shape). */
  prmu: { slot: 6, space: 'uniform', type: 'array<vec4<f32>, NV>' },
  /** Whitened coordinates y = Uᵀ(x − μ) of a block of rows per component. */
  yscr: { slot: 7, space: 'storage', type: 'array<f32>' },
  /** A reduction level's sums. */
  res: { slot: 8, space: 'storage', type: 'array<f32>' },
  /** k-means++: the candidate centres of a round. */
  cand: { slot: 9, space: 'storage', type: 'array<f32>' },
  /** k-means++: each row's squared distance to its closest centre. */
  closest: { slot: 10, space: 'storage', type: 'array<f32>' },
  /** k-means++: per-block sums of those distances. */
  sums: { slot: 11, space: 'storage', type: 'array<f32>' },
  /** The vector shape's per-row values. */
  rowv: { slot: 12, space: 'storage', type: 'array<f32>' },
  /** Evaluation: each row's label and log-likelihood. */
  rowinfo: { slot: 13, space: 'storage', type: 'array<f32>' },
} as const satisfies Record<string, BufferSpec>;

export type BufferName = keyof typeof BUFFERS;

/** The buffers a module declares, with their access. */
export type BufferUse = Readonly<Partial<Record<BufferName, Access>>>;

/** WGSL declarations of `use`'s buffers, in slot order. */
export function declareBuffers(use: BufferUse): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(BUFFERS) as [BufferName, BufferSpec][]) {
    const access = use[name];
    if (access === undefined) continue;
    if ((access === 'uniform') !== (spec.space === 'uniform'))
      throw new InternalError(`buffer ${name} is a ${spec.space} buffer, not ${access}`);
    const space = spec.space === 'uniform' ? 'uniform' : `storage, ${access}`;
    lines.push(`@group(0) @binding(${spec.slot}) var<${space}> ${name}: ${spec.type};`);
  }
  return lines.join('\n');
}

/** A bound buffer: the whole of it, or a range. */
export type BoundBuffer = GPUBuffer | { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number };

/** A dispatch's buffers by name. */
export type Bindings = Readonly<Partial<Record<BufferName, BoundBuffer>>>;

export function bindGroupEntries(bindings: Bindings): GPUBindGroupEntry[] {
  return (Object.entries(bindings) as [BufferName, BoundBuffer | undefined][])
    .filter((entry): entry is [BufferName, BoundBuffer] => entry[1] !== undefined)
    .map(([name, bound]) => ({
      binding: BUFFERS[name].slot,
      // A GPUBuffer has no `buffer` property; a range does.
      resource:
        'buffer' in bound ? { buffer: bound.buffer, offset: bound.offset, size: bound.size } : { buffer: bound },
    }));
}
