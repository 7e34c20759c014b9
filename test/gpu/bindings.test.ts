// The buffer table (src/gpu/bindings.ts): one slot per name, declarations that WGSL accepts in
// slot order, and bind-group entries that carry ranges.
import { describe, expect, it } from 'vitest';
import { bindGroupEntries, BUFFERS, declareBuffers } from '../../src/gpu/bindings.ts';

describe('GPU buffer table', () => {
  it('gives every buffer its own slot', () => {
    const slots = Object.values(BUFFERS).map((b) => b.slot);
    expect(new Set(slots).size).toBe(slots.length);
  });

  it('declares a module’s buffers with their access, in slot order', () => {
    expect(declareBuffers({ run: 'uniform', scr: 'read_write', data: 'read' })).toBe(
      [
        '@group(0) @binding(0) var<storage, read> data: array<f32>;',
        '@group(0) @binding(3) var<storage, read_write> scr: array<f32>;',
        '@group(0) @binding(4) var<uniform> run: Run;',
      ].join('\n'),
    );
    expect(() => declareBuffers({ run: 'read' })).toThrow(/uniform buffer/);
    expect(() => declareBuffers({ data: 'uniform' })).toThrow(/storage buffer/);
  });

  it('binds whole buffers and ranges by name', () => {
    const whole = { size: 64, label: 'whole' } as unknown as GPUBuffer;
    const table = { size: 1024, label: 'runs' } as unknown as GPUBuffer;
    expect(bindGroupEntries({ part: whole, run: { buffer: table, offset: 256, size: 32 } })).toEqual([
      { binding: BUFFERS.part.slot, resource: { buffer: whole } },
      { binding: BUFFERS.run.slot, resource: { buffer: table, offset: 256, size: 32 } },
    ]);
  });
});
