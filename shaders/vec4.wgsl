// Vector types for the two-pass register kernel (stats_vec.wgsl) when 2 < D <= 4.
alias VEC = vec4<f32>;
alias MAT = mat4x4<f32>;
const DV: u32 = 4u;
fn ldv(o: u32) -> VEC { return VEC(pf(o), pf(o + 1u), pf(o + 2u), pf(o + 3u)); }
fn ldm(o: u32) -> MAT { return MAT(ldv(o), ldv(o + 4u), ldv(o + 8u), ldv(o + 12u)); }
// e·dᵀ (column b = e·d_b).
fn outer(e: VEC, d: VEC) -> MAT { return MAT(e * d.x, e * d.y, e * d.z, e * d.w); }
fn ldx(i: u32) -> VEC {
  let xi = i * D;
  if (D == 4u) { return VEC(data[xi], data[xi + 1u], data[xi + 2u], data[xi + 3u]); }
  return VEC(data[xi], data[xi + 1u], data[xi + 2u], 0.0);
}
