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
