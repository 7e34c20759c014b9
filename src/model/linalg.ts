// Small dense float64 linear algebra on row-major D x D blocks stored at an offset.

/**
 * Lower Cholesky factor L (A = L·Lᵀ) of the symmetric matrix at a[offset..], reading the lower
 * triangle only. Writes L into out[outOffset..] (upper part zeroed). Returns false when A is not
 * numerically positive definite.
 */
export function choleskyLower(
  a: Float64Array,
  offset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
): boolean {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[offset + i * d + j] as number;
      for (let k = 0; k < j; k++) {
        sum -= (out[outOffset + i * d + k] as number) * (out[outOffset + j * d + k] as number);
      }
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return false;
        out[outOffset + i * d + i] = Math.sqrt(sum);
      } else {
        out[outOffset + i * d + j] = sum / (out[outOffset + j * d + j] as number);
      }
    }
    for (let j = i + 1; j < d; j++) out[outOffset + i * d + j] = 0;
  }
  return true;
}

/** Inverse of a lower-triangular L (forward substitution against I); the result is lower triangular. */
export function invertLower(l: Float64Array, offset: number, d: number, out: Float64Array, outOffset: number): void {
  for (let col = 0; col < d; col++) {
    for (let i = 0; i < d; i++) {
      if (i < col) {
        out[outOffset + i * d + col] = 0;
        continue;
      }
      let sum = i === col ? 1 : 0;
      for (let k = col; k < i; k++) sum -= (l[offset + i * d + k] as number) * (out[outOffset + k * d + col] as number);
      out[outOffset + i * d + col] = sum / (l[offset + i * d + i] as number);
    }
  }
}

/** Solves L·y = b in place for the lower-triangular L at l[offset..] (D x D, row-major). */
export function solveLower(l: Float64Array, offset: number, d: number, b: Float64Array): void {
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let j = 0; j < i; j++) s -= (l[offset + i * d + j] as number) * (b[j] as number);
    b[i] = s / (l[offset + i * d + i] as number);
  }
}

/** Solves Lᵀ·x = y in place for the lower-triangular L at l[offset..]: with solveLower, A·x = b for A = L·Lᵀ. */
export function solveLowerTransposed(l: Float64Array, offset: number, d: number, y: Float64Array): void {
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let j = i + 1; j < d; j++) s -= (l[offset + j * d + i] as number) * (y[j] as number);
    y[i] = s / (l[offset + i * d + i] as number);
  }
}

/** out = M·Mᵀ for the D x D block at m[offset..]. */
export function multiplyByTranspose(
  m: Float64Array,
  offset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += (m[offset + i * d + k] as number) * (m[offset + j * d + k] as number);
      out[outOffset + i * d + j] = sum;
      out[outOffset + j * d + i] = sum;
    }
  }
}

/** Inverse of a symmetric positive-definite matrix via its Cholesky factor; false if not SPD. */
export function invertSpd(a: Float64Array, offset: number, d: number, out: Float64Array, outOffset: number): boolean {
  const l = new Float64Array(d * d);
  if (!choleskyLower(a, offset, d, l, 0)) return false;
  const li = new Float64Array(d * d);
  invertLower(l, 0, d, li, 0);
  // A⁻¹ = L⁻ᵀ·L⁻¹
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < d; k++) sum += (li[k * d + i] as number) * (li[k * d + j] as number);
      out[outOffset + i * d + j] = sum;
      out[outOffset + j * d + i] = sum;
    }
  }
  return true;
}

/**
 * Eigen-decomposition of the symmetric D x D matrix at a[offset..] by cyclic Jacobi rotations
 * (accurate to working precision, and D is small). Returns the eigenvalues in decreasing order
 * and the eigenvectors as the columns of a row-major D x D matrix, in the same order.
 */
export function symmetricEigen(
  a: Float64Array,
  offset: number,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = a.slice(offset, offset + d * d);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  jacobiRotate(m, v, d);
  // The diagonal's indices by decreasing value, ties in index order (as a stable sort puts them).
  const order = new Int32Array(d);
  for (let t = 0; t < d; t++) {
    const x = m[t * d + t] as number;
    let k = t - 1;
    for (; k >= 0 && x - (m[(order[k] as number) * (d + 1)] as number) > 0; k--) order[k + 1] = order[k] as number;
    order[k + 1] = t;
  }
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let to = 0; to < d; to++) {
    const from = order[to] as number;
    values[to] = m[from * d + from] as number;
    for (let r = 0; r < d; r++) vectors[r * d + to] = v[r * d + from] as number;
  }
  return { values, vectors };
}

// largestEigenvalue's copy of its matrix, grown to the largest D seen.
let eigenScratch = new Float64Array(0);

/**
 * The largest eigenvalue of the symmetric D x D matrix at a[offset..]: symmetricEigen's
 * values[0], from the same rotations (their angles do not depend on the eigenvectors, which are
 * not accumulated here).
 */
export function largestEigenvalue(a: Float64Array, offset: number, d: number): number {
  if (eigenScratch.length < d * d) eigenScratch = new Float64Array(d * d);
  const m = eigenScratch;
  for (let i = 0; i < d * d; i++) m[i] = a[offset + i] as number;
  jacobiRotate(m, null, d);
  let largest = m[0] as number;
  for (let t = 1; t < d; t++) {
    const x = m[t * d + t] as number;
    if (x - largest > 0) largest = x;
  }
  return largest;
}

/** Cyclic Jacobi rotations of the symmetric D x D matrix m (in place) until it is diagonal; v, when given, accumulates them. */
function jacobiRotate(m: Float64Array, v: Float64Array | null, d: number): void {
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < d; i++) {
      scale += (m[i * d + i] as number) ** 2;
      for (let j = i + 1; j < d; j++) off += (m[i * d + j] as number) ** 2;
    }
    if (!(off > 1e-30 * scale)) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q] as number;
        if (apq === 0) continue;
        const app = m[p * d + p] as number;
        const aqq = m[q * d + q] as number;
        // The rotation that zeroes (p, q): t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let r = 0; r < d; r++) {
          const mrp = m[r * d + p] as number;
          const mrq = m[r * d + q] as number;
          m[r * d + p] = c * mrp - s * mrq;
          m[r * d + q] = s * mrp + c * mrq;
        }
        for (let r = 0; r < d; r++) {
          const mpr = m[p * d + r] as number;
          const mqr = m[q * d + r] as number;
          m[p * d + r] = c * mpr - s * mqr;
          m[q * d + r] = s * mpr + c * mqr;
        }
        if (v !== null)
          for (let r = 0; r < d; r++) {
            const vrp = v[r * d + p] as number;
            const vrq = v[r * d + q] as number;
            v[r * d + p] = c * vrp - s * vrq;
            v[r * d + q] = s * vrp + c * vrq;
          }
      }
    }
  }
}

// procrustesRotation's work arrays, grown to the largest D seen (the calls run one at a time).
let procrustesScratch = {
  d: 0,
  u: new Float64Array(0),
  r: new Float64Array(0),
  norms: new Float64Array(0),
  changed: new Int32Array(0),
  checked: new Int32Array(0),
  singular: new Int32Array(0),
  done: new Int32Array(0),
  v: new Float64Array(0),
  best: new Float64Array(0),
};

/**
 * The orthogonal matrix Q maximising tr(F·Q) for a D x D matrix F (row-major): with the SVD
 * F = P·S·Rᵀ it is R·Pᵀ. The SVD comes from one-sided Jacobi rotations of F's columns. Where F
 * is singular, the singular vectors of a zero singular value are an orthonormal completion whose
 * sign does not change tr(F·Q); it is chosen to keep Q nearest `reference` (tr(referenceᵀ·Q)
 * largest), so that an iteration does not flip needlessly.
 *
 * `right`, when given, is an orthogonal guess at R on entry (the previous call's, in an
 * iteration whose F changes little) and holds the R found on return: the rotations start from
 * F·R instead of F, and need fewer sweeps. `out`, when given, receives Q (it may be `reference`).
 */
export function procrustesRotation(
  f: Float64Array,
  d: number,
  reference: Float64Array | null = null,
  right: Float64Array | null = null,
  out: Float64Array = new Float64Array(d * d),
): Float64Array {
  const dd = d * d;
  if (procrustesScratch.d < d)
    procrustesScratch = {
      d,
      u: new Float64Array(dd),
      r: new Float64Array(dd),
      norms: new Float64Array(d),
      changed: new Int32Array(d),
      checked: new Int32Array(dd),
      singular: new Int32Array(d),
      done: new Int32Array(d),
      v: new Float64Array(d),
      best: new Float64Array(d),
    };
  const { u, r, norms, changed, checked, singular } = procrustesScratch;
  // Columns rotated in place until orthogonal: F·R = P·S.
  if (right === null) {
    for (let i = 0; i < dd; i++) u[i] = f[i] as number;
    for (let i = 0; i < dd; i++) r[i] = 0;
    for (let i = 0; i < d; i++) r[i * d + i] = 1;
  } else {
    for (let i = 0; i < dd; i++) r[i] = right[i] as number;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let sum = 0;
        for (let m = 0; m < d; m++) sum += (f[i * d + m] as number) * (r[m * d + j] as number);
        u[i * d + j] = sum;
      }
  }
  // A column below this squared norm is a zero singular value's (completed below): rotating it
  // against the others only moves rounding noise, and where F is singular (K = 1 in EVE/VVE's
  // steps) the pair test below never passes on that noise, which ran every sweep there was.
  let frobenius = 0;
  for (let i = 0; i < dd; i++) frobenius += (f[i] as number) ** 2;
  const negligible = 1e-26 * frobenius;
  // A pair found orthogonal enough is not tested again until one of its columns rotates: the
  // test would see the same numbers. changed[j]: the count of rotations when column j last
  // rotated; checked[p·D + q]: the count when the pair last passed its test (−1: not yet).
  let rotations = 0;
  for (let j = 0; j < d; j++) changed[j] = 0;
  for (let i = 0; i < dd; i++) checked[i] = -1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const seen = checked[p * d + q] as number;
        if (seen >= 0 && (changed[p] as number) <= seen && (changed[q] as number) <= seen) continue;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = p, j = q; i < dd; i += d, j += d) {
          const up = u[i] as number;
          const uq = u[j] as number;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (!(Math.abs(gamma) > 1e-15 * Math.sqrt(alpha * beta)) || alpha <= negligible || beta <= negligible) {
          checked[p * d + q] = rotations;
          continue;
        }
        rotated = true;
        rotations++;
        changed[p] = rotations;
        changed[q] = rotations;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = p, j = q; i < dd; i += d, j += d) {
          const up = u[i] as number;
          const uq = u[j] as number;
          u[i] = c * up - s * uq;
          u[j] = s * up + c * uq;
          const rp = r[i] as number;
          const rq = r[j] as number;
          r[i] = c * rp - s * rq;
          r[j] = s * rp + c * rq;
        }
      }
    }
    if (!rotated) break;
  }
  // P = columns of F·R normalised; columns of (numerically) zero norm completed orthonormally.
  let largest = 0;
  for (let j = 0; j < d; j++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += (u[i * d + j] as number) ** 2;
    norms[j] = Math.sqrt(norm);
    largest = Math.max(largest, norms[j] as number);
  }
  let singularCount = 0;
  for (let j = 0; j < d; j++) {
    const norm = norms[j] as number;
    if (norm > 1e-13 * largest && norm * norm > negligible)
      for (let i = 0; i < d; i++) u[i * d + j] = (u[i * d + j] as number) / norm;
    else singular[singularCount++] = j;
  }
  if (singularCount > 0) completeSingular(u, r, d, singular, singularCount, reference);
  if (right !== null) for (let i = 0; i < dd; i++) right[i] = r[i] as number;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += (r[i * d + k] as number) * (u[j * d + k] as number);
      out[i * d + j] = sum;
    }
  }
  return out;
}

/** procrustesRotation's columns `singular` of P (zero singular values): an orthonormal completion, signs kept nearest `reference`. */
function completeSingular(
  u: Float64Array,
  r: Float64Array,
  d: number,
  singular: Int32Array,
  singularCount: number,
  reference: Float64Array | null,
): void {
  // The columns done so far, in the order they are projected out: the others, then each completed one.
  const { done, v, best } = procrustesScratch;
  let doneCount = 0;
  for (let j = 0, s = 0; j < d; j++)
    if (s < singularCount && singular[s] === j) s++;
    else done[doneCount++] = j;
  for (let s = 0; s < singularCount; s++) {
    const j = singular[s] as number;
    // Gram–Schmidt of the unit vector least covered by the columns so far.
    let bestNorm = -1;
    for (let e = 0; e < d; e++) {
      v.fill(0);
      v[e] = 1;
      for (let o = 0; o < doneCount; o++) {
        const other = done[o] as number;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += (v[i] as number) * (u[i * d + other] as number);
        for (let i = 0; i < d; i++) v[i] = (v[i] as number) - dot * (u[i * d + other] as number);
      }
      let squares = 0;
      for (let i = 0; i < d; i++) squares += (v[i] as number) * (v[i] as number);
      const norm = Math.sqrt(squares);
      if (norm > bestNorm) {
        bestNorm = norm;
        for (let i = 0; i < d; i++) best[i] = (v[i] as number) / norm;
      }
    }
    // Only a non-finite F leaves no candidate (it threw a TypeError here before, and still does).
    if (bestNorm < 0) throw new TypeError('procrustesRotation: no orthonormal completion of a non-finite F');
    for (let i = 0; i < d; i++) u[i * d + j] = best[i] as number;
    if (reference !== null) {
      // Sign of the term r_j·p_jᵀ: the one that agrees with the reference.
      let agreement = 0;
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++)
          agreement += (reference[a * d + b] as number) * (r[a * d + j] as number) * (u[b * d + j] as number);
      if (agreement < 0) for (let i = 0; i < d; i++) u[i * d + j] = -(u[i * d + j] as number);
    }
    done[doneCount++] = j;
  }
}
