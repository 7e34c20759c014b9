// The CPU engine's loops for D beyond the generated kernels work on four rows at a time; each
// sum must still receive its terms one row at a time in row order, so they equal the plain
// per-row loops below bit for bit (which is what makes results independent of the blocking).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulate, Scratch } from '../../src/cpu/accumulate.ts';
import { weightedLogProb } from '../../src/cpu/log-prob.ts';
import { statsLayout } from '../../src/sufficient-stats.ts';
import { setUnrolledEnabled } from '../../src/cpu/unrolled.ts';
import type { KernelParams } from '../../src/model/params.ts';
import { Random } from '../../src/random.ts';

beforeAll(() => setUnrolledEnabled(false));
afterAll(() => setUnrolledEnabled(true));

function plainAccumulate(
  data: Float64Array,
  d: number,
  n: number,
  k: number,
  resp: Float64Array,
  weights: Float64Array | null,
  shifts: Float64Array,
  moments: 'full' | 'diag' | null,
  out: Float64Array,
): void {
  const p = moments === 'full' ? (d * (d + 1)) / 2 : moments === 'diag' ? d : 0;
  const diff = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    let s0 = 0;
    for (let i = 0; i < n; i++) {
      let r = resp[i * k + c] as number;
      if (r === 0) continue;
      if (weights !== null) r *= weights[i] as number;
      s0 += r;
      for (let a = 0; a < d; a++) {
        diff[a] = (data[i * d + a] as number) - (shifts[c * d + a] as number);
        out[k + c * d + a] = (out[k + c * d + a] as number) + r * (diff[a] as number);
      }
      let q = k + k * d + c * p;
      for (let a = 0; a < d; a++) {
        if (moments === 'full') {
          const rd = r * (diff[a] as number);
          for (let b = a; b < d; b++) {
            out[q] = (out[q] as number) + rd * (diff[b] as number);
            q++;
          }
        } else if (moments === 'diag') {
          out[q + a] = (out[q + a] as number) + r * (diff[a] as number) * (diff[a] as number);
        }
      }
    }
    out[c] = (out[c] as number) + s0;
  }
}

function plainSolve(
  data: Float64Array,
  d: number,
  n: number,
  k: number,
  c: number,
  means: Float64Array,
  u: Float64Array,
  constant: number,
  dest: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    let quad = 0;
    for (let j = 0; j < d; j++) {
      let y = 0;
      for (let a = 0; a <= j; a++)
        y += ((data[i * d + a] as number) - (means[c * d + a] as number)) * (u[c * d * d + a * d + j] as number);
      quad += y * y;
    }
    dest[i * k + c] = constant - 0.5 * quad;
  }
}

describe('four-row loops equal the per-row loops bit for bit', () => {
  const cases = [1, 2, 3, 5, 17, 24, 33].flatMap((d) => [[d, 4099] as const, [d, 6] as const]);
  it.each(cases)('D = %i, %i rows', (d, n) => {
    const random = new Random(40 + d + n);
    const k = 3;
    const data = Float64Array.from({ length: n * d }, () => random.nextGaussian() * 3);
    const shifts = Float64Array.from({ length: k * d }, () => random.nextGaussian());
    const weights = Float64Array.from({ length: n }, (_, i) => (i % 5) * 0.5);
    // Responsibilities with exact zeros scattered through them (skipped rows).
    const scratch = new Scratch(n, k, d);
    for (let i = 0; i < n * k; i++) scratch.resp[i] = i % 7 === 0 ? 0 : random.nextFloat();
    for (const moments of ['full', 'diag', null] as const) {
      for (const w of [null, weights]) {
        const fast = new Float64Array(statsLayout(k, d, moments).size);
        const plain = new Float64Array(statsLayout(k, d, moments).size);
        accumulate({ data, cols: d, weights: w }, 0, n, k, shifts, moments, scratch, fast);
        plainAccumulate(data, d, n, k, scratch.resp, w, shifts, moments, plain);
        expect(Array.from(fast)).toEqual(Array.from(plain));
      }
    }
    // The triangular solve of full covariance.
    const u = Float64Array.from({ length: k * d * d }, (_, i) =>
      Math.floor(i / d) % d <= i % d ? random.nextGaussian() : 0,
    );
    const params: KernelParams = {
      covarianceType: 'full',
      nComponents: k,
      nFeatures: d,
      means: shifts,
      factors: u,
      logConstants: Float64Array.from([0.5, -1, 2]),
    };
    const fast = new Float64Array(n * k);
    const plain = new Float64Array(n * k);
    weightedLogProb({ data, cols: d, weights: null }, 0, n, params, fast, scratch.diff);
    for (let c = 0; c < k; c++) plainSolve(data, d, n, k, c, shifts, u, params.logConstants[c] as number, plain);
    expect(Array.from(fast)).toEqual(Array.from(plain));
  });
});
