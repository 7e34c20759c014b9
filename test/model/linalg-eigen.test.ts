// The dense eigen-decomposition and orthogonal Procrustes factor behind mclust's M-steps
// (src/model/linalg.ts), against numpy (numbers from numpy.linalg.eigh / svd, written below) and
// against their defining properties.
import { describe, expect, it } from 'vitest';
import { procrustesRotation, symmetricEigen } from '../../src/model/linalg.ts';

// numpy: rng = default_rng(3); B = rng.normal(size=(5, 5)); A = round(B·Bᵀ + diag(0.5 … 2.5), 6).
const A = Float64Array.from([
  11.898835, 3.612509, 2.101322, -2.582369, -3.303565, 3.612509, 16.971538, -2.199392, -2.326547, -3.424638, 2.101322,
  -2.199392, 3.314079, -0.62009, -0.162519, -2.582369, -2.326547, -0.62009, 3.399127, 0.158128, -3.303565, -3.424638,
  -0.162519, 0.158128, 5.475977,
]);
const EIGENVALUES = [
  20.885752042121375, 11.492486655664619, 4.4233744729238476, 2.3935937751149177, 1.8643490541752386,
];
// F = round(rng.normal(size=(4, 4)), 6); Q = R·Pᵀ for numpy's svd F = P·S·Rᵀ.
const F = Float64Array.from([
  0.540525, 1.935088, -0.26962, -0.243559, 1.002314, -0.88646, -0.29172, 0.882539, 0.58035, 0.091517, 0.670104,
  -2.828162, 1.021307, -0.959645, -1.66862, 0.276446,
]);
const Q = [
  0.40072421584115125, 0.8107746490602867, 0.3256090636504885, 0.27575951288815964, 0.8993503193929526,
  -0.30711968673026435, -0.08971973685137474, -0.29798803642062577, -0.17450267193755697, 0.3055098293709485,
  0.22379597709084703, -0.9089157949350098, 0.011744076504454429, 0.39368224575361166, -0.9142452992090946,
  -0.09503630316634384,
];

function expectOrthogonal(q: Float64Array, d: number): void {
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let dot = 0;
      for (let m = 0; m < d; m++) dot += (q[m * d + i] as number) * (q[m * d + j] as number);
      expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-13);
    }
}

describe('symmetricEigen', () => {
  it('gives numpy eigh eigenvalues in decreasing order, and A·v = λ·v with orthonormal v', () => {
    const d = 5;
    const { values, vectors } = symmetricEigen(A, 0, d);
    values.forEach((v, i) =>
      expect(Math.abs(v - (EIGENVALUES[i] as number)) / (EIGENVALUES[i] as number)).toBeLessThan(1e-13),
    );
    expectOrthogonal(vectors, d);
    for (let j = 0; j < d; j++)
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let m = 0; m < d; m++) av += (A[i * d + m] as number) * (vectors[m * d + j] as number);
        expect(Math.abs(av - (values[j] as number) * (vectors[i * d + j] as number))).toBeLessThan(1e-12);
      }
  });
});

describe('procrustesRotation', () => {
  it("is numpy's R·Pᵀ for a non-singular F", () => {
    const q = procrustesRotation(F, 4);
    q.forEach((v, i) => expect(Math.abs(v - (Q[i] as number))).toBeLessThan(1e-12));
  });

  it('for a singular F (a zero column) is orthogonal and reaches the maximum tr(F·Q) = Σ singular values', () => {
    const g = Float64Array.from(F);
    for (let i = 0; i < 4; i++) g[i * 4 + 2] = 0;
    const q = procrustesRotation(g, 4, null);
    expectOrthogonal(q, 4);
    let trace = 0;
    for (let i = 0; i < 4; i++)
      for (let m = 0; m < 4; m++) trace += (g[i * 4 + m] as number) * (q[m * 4 + i] as number);
    // numpy: svd(G)[1].sum()
    expect(Math.abs(trace - 6.879441058716791)).toBeLessThan(1e-12);
  });

  it('for F = M·(I − v·vᵀ) (singular, its null column only rounding noise) is orthogonal and reaches Σ singular values', () => {
    // EVE/VVE's steps at K = 1 give such F: W − ω·I with ω W's largest eigenvalue.
    const d = 6;
    const v = Float64Array.from({ length: d }, (_, i) => (i + 1) / Math.sqrt(91));
    const m = Float64Array.from({ length: d * d }, (_, i) => Math.sin(1.7 * i + 0.3) * (1 + (i % 5)));
    const g = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let sum = 0;
        for (let a = 0; a < d; a++)
          sum += (m[i * d + a] as number) * ((a === j ? 1 : 0) - (v[a] as number) * (v[j] as number));
        g[i * d + j] = sum;
      }
    const q = procrustesRotation(g, d, null);
    expectOrthogonal(q, d);
    let trace = 0;
    for (let i = 0; i < d; i++)
      for (let a = 0; a < d; a++) trace += (g[i * d + a] as number) * (q[a * d + i] as number);
    // Σ singular values = Σ √eigenvalues of Gᵀ·G.
    const gtg = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        for (let a = 0; a < d; a++)
          gtg[i * d + j] = (gtg[i * d + j] as number) + (g[a * d + i] as number) * (g[a * d + j] as number);
    const singular = symmetricEigen(gtg, 0, d).values.reduce((sum, x) => sum + Math.sqrt(Math.max(0, x)), 0);
    expect(Math.abs(trace - singular) / singular).toBeLessThan(1e-10);
  });

  it('started from a guess at R (right), gives the same Q and leaves the R found there', () => {
    const right = new Float64Array(16);
    for (let i = 0; i < 4; i++) right[i * 4 + i] = 1;
    const cold = procrustesRotation(F, 4, null, right);
    cold.forEach((v, i) => expect(Math.abs(v - (Q[i] as number))).toBeLessThan(1e-12));
    expectOrthogonal(right, 4);
    // F·R has orthogonal columns (R: F's right singular vectors).
    for (let a = 0; a < 4; a++)
      for (let b = a + 1; b < 4; b++) {
        let dot = 0;
        for (let i = 0; i < 4; i++) {
          let fa = 0;
          let fb = 0;
          for (let m = 0; m < 4; m++) {
            fa += (F[i * 4 + m] as number) * (right[m * 4 + a] as number);
            fb += (F[i * 4 + m] as number) * (right[m * 4 + b] as number);
          }
          dot += fa * fb;
        }
        expect(Math.abs(dot)).toBeLessThan(1e-12);
      }
    // A slightly different F started from that R: the same answer as from scratch.
    const g = F.map((v, i) => v * (1 + 1e-3 * Math.sin(i)));
    const warm = procrustesRotation(g, 4, null, right);
    const fresh = procrustesRotation(g, 4, null);
    warm.forEach((v, i) => expect(Math.abs(v - (fresh[i] as number))).toBeLessThan(1e-12));
  });
});
