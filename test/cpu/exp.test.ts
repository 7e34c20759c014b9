// The E-step's exp (src/cpu/exp.ts) against Math.exp over the range it serves.
import { describe, expect, it } from 'vitest';
import { expNonPositive } from '../../src/cpu/exp.ts';
import { Random } from '../../src/random.ts';

/** Distance in units in the last place between two positive doubles. */
function ulps(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const diff = (bits[0] as bigint) - (bits[1] as bigint);
  return Number(diff < 0n ? -diff : diff);
}

describe('expNonPositive', () => {
  it('is within 2 ulp of Math.exp for normal results across [−745, 0]', () => {
    const random = new Random(7);
    let worst = 0;
    for (let i = 0; i < 1_000_000; i++) {
      // Half over the whole range, half near 0 where most responsibilities live.
      const x = i % 2 === 0 ? -745 * random.nextFloat() : -8 * random.nextFloat();
      const expected = Math.exp(x);
      if (expected < 2.2250738585072014e-308) continue;
      worst = Math.max(worst, ulps(expNonPositive(x), expected));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('is exact where it must be and propagates NaN', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-1e-300)).toBe(1);
    expect(expNonPositive(Number.NaN)).toBeNaN();
    // Subnormal results stay within a few of the smallest subnormals of Math.exp's.
    for (const x of [-709, -720, -740, -744.4])
      expect(Math.abs(expNonPositive(x) - Math.exp(x))).toBeLessThan(Math.exp(x) * 1e-12 + 2e-323);
  });
});
