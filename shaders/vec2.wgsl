// Vector types for the two-pass register kernel (stats_vec.wgsl) when D <= 2.
alias VEC = vec2<f32>;
alias MAT = mat2x2<f32>;
const DV: u32 = 2u;
fn ldv(o: u32) -> VEC { return VEC(pf(o), pf(o + 1u)); }
fn ldm(o: u32) -> MAT { return MAT(ldv(o), ldv(o + 2u)); }
// e·dᵀ (column b = e·d_b).
fn outer(e: VEC, d: VEC) -> MAT { return MAT(e * d.x, e * d.y); }
fn ldx(i: u32) -> VEC {
  let xi = i * D;
  if (D == 2u) { return VEC(data[xi], data[xi + 1u]); }
  return VEC(data[xi], 0.0);
}
