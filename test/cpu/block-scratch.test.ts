// The CPU engine's kept scratches (src/cpu/blocks.ts blockScratch): selectModel's concurrent fits
// alternate between two K, and a new 4096-row scratch on every pass was most of a small data
// set's E-step. One is kept per shape, sized to the data's rows and grown when a larger block asks.
import { describe, expect, it } from 'vitest';
import { BLOCK_ROWS, blockScratch } from '../../src/cpu/blocks.ts';

describe('blockScratch', () => {
  it('keeps one scratch per K and D while fits of different K alternate', () => {
    const a = blockScratch(3, 2, 272);
    const b = blockScratch(4, 2, 272);
    expect(b).not.toBe(a);
    expect(blockScratch(3, 2, 272)).toBe(a);
    expect(blockScratch(4, 2, 272)).toBe(b);
  });

  it('is sized to the rows (at most BLOCK_ROWS), and grows for a larger block', () => {
    const small = blockScratch(5, 3, 100);
    expect(small.blockRows).toBe(100);
    expect(small.resp.length).toBe(100 * 5);
    expect(blockScratch(5, 3, 50)).toBe(small);
    const large = blockScratch(5, 3, 10 * BLOCK_ROWS);
    expect(large.blockRows).toBe(BLOCK_ROWS);
    expect(large.resp.length).toBe(BLOCK_ROWS * 5);
    expect(blockScratch(5, 3, 100)).toBe(large);
  });

  it('keeps at most eight shapes, dropping the least recently used', () => {
    const first = blockScratch(101, 1, 10);
    for (let k = 102; k < 110; k++) blockScratch(k, 1, 10);
    expect(blockScratch(101, 1, 10)).not.toBe(first);
  });
});
