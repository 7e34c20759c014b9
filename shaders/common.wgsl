// Shared by the kernels that read mixture parameters. The host prepends a header of
// constants: K, D (components, features), COV (0 full, 1 tied, 2 diag, 3 spherical),
// MOM (0 none, 1 diag, 2 full packed upper triangle), P (packed moment size), S (statistics
// per partial), OFF_F (offset of the precision factors in prm), OFF_C (offset of the
// per-component log constants), WHITEN (second moments in whitened coordinates), and the
// functions weight(i) (1.0 when unweighted) and store_y(k, i, a, v).
//
// prm layout (f32): [centres K·D][factors][log constants K]. The centres are the means for
// the E-step and also the shifts c_k the statistics are taken about.
// Buffers (declared by src/gpu/bindings.ts from each module's list): prm (read).

// A finite stand-in for −∞ (log of a zero weight): software compilers may assume no infinities.
const NEG_BIG: f32 = -3.0e38;

// log w_k + log N(x | μ_k, Σ_k), with P_k = U·Uᵀ, U upper triangular (full/tied), for row i
// of the block. Full/tied: y = Uᵀ(x − μ_k) goes to store_y (the host defines it: a no-op, or
// the store of the whitened coordinates whose second moments pass B accumulates).
fn log_prob(k: u32, i: u32, x: ptr<function, array<f32, D>>) -> f32 {
  let mb = k * D;
  var quad = 0.0;
  if (COV <= 1u) {
    var ub = OFF_F;
    if (COV == 0u) { ub = OFF_F + k * D * D; }
    var diff: array<f32, D>;
    for (var a = 0u; a < D; a++) { diff[a] = (*x)[a] - prm[mb + a]; }
    // y_j = Σ_{a ≤ j} diff_a·U_aj
    for (var j = 0u; j < D; j++) {
      var y = 0.0;
      for (var a = 0u; a <= j; a++) { y += diff[a] * prm[ub + a * D + j]; }
      store_y(k, i, j, y);
      quad += y * y;
    }
  } else if (COV == 2u) {
    for (var a = 0u; a < D; a++) {
      let y = ((*x)[a] - prm[mb + a]) * prm[OFF_F + mb + a];
      quad += y * y;
    }
  } else {
    var sq = 0.0;
    for (var a = 0u; a < D; a++) {
      let v = (*x)[a] - prm[mb + a];
      sq += v * v;
    }
    let u = prm[OFF_F + k];
    quad = sq * (u * u);
  }
  return prm[OFF_C + k] - 0.5 * quad;
}

fn sq_dist(k: u32, x: ptr<function, array<f32, D>>) -> f32 {
  let mb = k * D;
  var s = 0.0;
  for (var a = 0u; a < D; a++) {
    let v = (*x)[a] - prm[mb + a];
    s += v * v;
  }
  return s;
}

// lowbias32 (Chris Wellons), as hash32 in src/random.ts.
fn hash32(value: u32) -> u32 {
  var x = value;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// uniformFromHash(seed, row, component) of src/random.ts: 24 bits, exact in f32, in (0, 1].
fn uniform_from_hash(seed: u32, row: u32, k: u32) -> f32 {
  let h = hash32(hash32(seed ^ hash32(row)) + k);
  return f32((h >> 8u) + 1u) / 16777216.0;
}
