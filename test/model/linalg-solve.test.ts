// The triangular solves of src/model/linalg.ts (used by the E-step of rows with missing values):
// an exact small case, and A·x = b through a Cholesky factor stored at an offset.
import { describe, expect, it } from 'vitest';
import { choleskyLower, solveLower, solveLowerTransposed } from '../../src/model/linalg.ts';

describe('solveLower and solveLowerTransposed', () => {
  // L = [[2, 0, 0], [1, 3, 0], [-1, 2, 4]]
  const L = Float64Array.of(2, 0, 0, 1, 3, 0, -1, 2, 4);

  it('solve L·y = b and Lᵀ·x = y exactly on small integers', () => {
    // L·[1, 2, -1] = [2, 7, -1]
    const y = Float64Array.of(2, 7, -1);
    solveLower(L, 0, 3, y);
    expect(Array.from(y)).toEqual([1, 2, -1]);
    // Lᵀ·[3, -1, 2] = [2·3 + 1·(−1) − 1·2, 3·(−1) + 2·2, 4·2] = [3, 1, 8]
    const x = Float64Array.of(3, 1, 8);
    solveLowerTransposed(L, 0, 3, x);
    expect(Array.from(x)).toEqual([3, -1, 2]);
  });

  it('one after the other solve A·x = b for A = L·Lᵀ, with the factor at an offset', () => {
    const d = 4;
    const A = Float64Array.of(5, 1, 0.5, -1, 1, 4, 0.3, 0.2, 0.5, 0.3, 3, 0.7, -1, 0.2, 0.7, 6);
    const stored = new Float64Array(7 + d * d).fill(99); // junk before the factor
    expect(choleskyLower(A, 0, d, stored, 7)).toBe(true);
    const b = [1, -2, 3, 0.5];
    const x = Float64Array.from(b);
    solveLower(stored, 7, d, x);
    solveLowerTransposed(stored, 7, d, x);
    for (let i = 0; i < d; i++) {
      let ax = 0;
      for (let j = 0; j < d; j++) ax += (A[i * d + j] as number) * (x[j] as number);
      expect(Math.abs(ax - (b[i] as number))).toBeLessThan(1e-14);
    }
  });
});
