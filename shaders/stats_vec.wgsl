// Kernel shape for small D (<= 4), any K: one fused pass whose invocations keep everything in
// vector/matrix registers (no dynamically indexed private arrays, which CPU adapters run
// ~10x slower) and write their partial statistics to their own slot; stats_reduce.wgsl then
// sums the slots in a fixed order. Invocation t of workgroup g owns the rows
// g·WG·R + j·WG + lid (j < R, R = run.flag rows per invocation, at most PPI): a workgroup
// walks a contiguous block, so the K re-reads below hit the cache.
//   1. per row, the job's quantity (log p(x) by an online log-sum-exp, the nearest centre, or
//      Σ u) into rowv[i], and the slots of Σ w·value and Σ w;
//   2. per component k, over the same rows: (r, r·log r) = vresp(...), accumulating Σ w·r,
//      Σ w·r·z and Σ w·r·z·zᵀ (z = x − c_k, or its whitened coordinates with WHITEN) in
//      registers, then written to the slot; and over every component, Σ w·r·log r.
// llvmpipe ends an invocation after 65535 loop iterations in total: the host bounds R.
// Needs common.wgsl, vec2.wgsl or vec4.wgsl and a job file's vector section (vrow, vresp).
// Vector parameter layout (prmu): centres K·DV, then factors (full: K column-major DV×DV
// matrices with column j = U[·, j]; tied: one; diag: K·DV; spherical: K), log constants K.

// struct Run: shaders/run_uniform.wgsl.
// Buffers (declared by src/gpu/bindings.ts): data (read), part, rowv (read_write), run, prmu.

// The parameters in vector layout, in a uniform buffer (NV = ceil(floats / 4) is prepended by
// the host): uniform loads at a lane-invariant address are cheap on CPU adapters.

fn pf(o: u32) -> f32 { return prmu[o >> 2u][o & 3u]; }

override WG: u32 = 64u;
override PPI: u32 = 256u;

const VOFF_F: u32 = K * DV;
const VOFF_C: u32 = VOFF_F + select(select(select(K, K * DV, COV == 2u), DV * DV, COV == 1u), K * DV * DV, COV == 0u);

// One component's parameters, loaded once per invocation in comp_main.
struct Comp {
  c: VEC,   // centre
  m: MAT,   // precision factor (full / tied)
  v: VEC,   // diagonal factor (diag)
  u: f32,   // scalar factor (spherical)
  lc: f32,  // log constant
}

fn load_comp(k: u32) -> Comp {
  var p: Comp;
  p.c = ldv(k * DV);
  if (COV == 0u) { p.m = ldm(VOFF_F + k * DV * DV); }
  if (COV == 1u) { p.m = ldm(VOFF_F); }
  if (COV == 2u) { p.v = ldv(VOFF_F + k * DV); }
  if (COV == 3u) { p.u = pf(VOFF_F + k); }
  p.lc = pf(VOFF_C + k);
  return p;
}

fn comp_log_prob(p: Comp, x: VEC) -> f32 {
  let diff = x - p.c;
  var quad = 0.0;
  if (COV <= 1u) {
    let y = diff * p.m;
    quad = dot(y, y);
  } else if (COV == 2u) {
    let y = diff * p.v;
    quad = dot(y, y);
  } else {
    quad = dot(diff, diff) * (p.u * p.u);
  }
  return p.lc - 0.5 * quad;
}

fn vlog_prob(k: u32, x: VEC) -> f32 {
  return comp_log_prob(load_comp(k), x);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x * WG + lid;
  let per = min(run.flag, PPI);
  let first = wid.x * WG * per + lid;
  let rows = run.rows;
  let slots = run.slots;
  let o = run.slot + t;
  var sv = 0.0;
  var sw = 0.0;
  for (var j = 0u; j < per; j++) {
    let i = first + j * WG;
    if (i >= rows) { break; }
    let x = ldx(run.data_off + i);
    var value = 0.0;
    rowv[i] = vrow(run.row_base + i, x, &value);
    let w = weight(run.data_off + i);
    sv += w * value;
    sw += w;
  }
  part[(S - 3u) * slots + o] = sv;
  part[(S - 1u) * slots + o] = sw;
  var se = 0.0;
  for (var k = 0u; k < K; k++) {
    let p = load_comp(k);
    var sr = 0.0;
    var sd = VEC();
    var so = MAT();
    var sq = VEC();
    for (var j = 0u; j < per; j++) {
      let i = first + j * WG;
      if (i >= rows) { break; }
      let x = ldx(run.data_off + i);
      let w = weight(run.data_off + i);
      let rv = vresp(run.row_base + i, p, k, x, rowv[i]);
      let wr = w * rv.x;
      se += w * rv.y;
      // z = x − c_k, or with WHITEN its whitened coordinates y = Uᵀ(x − μ_k) (O(1) in every
      // direction, so float32 keeps the covariance's small eigenvalues; the host maps the sums
      // back in float64).
      var z = x - p.c;
      if (WHITEN) { z = z * p.m; }
      let e = wr * z;
      sr += wr;
      sd += e;
      if (MOM == 2u) {
        so += outer(e, z);
      } else if (MOM == 1u) {
        sq += e * z;
      }
    }
    part[k * slots + o] = sr;
    for (var a = 0u; a < D; a++) { part[(K + k * D + a) * slots + o] = sd[a]; }
    if (MOM == 2u) {
      var q = K + K * D + k * P;
      for (var a = 0u; a < D; a++) {
        for (var b = a; b < D; b++) {
          part[q * slots + o] = so[b][a];
          q++;
        }
      }
    } else if (MOM == 1u) {
      for (var a = 0u; a < D; a++) { part[(K + K * D + k * P + a) * slots + o] = sq[a]; }
    }
  }
  part[(S - 2u) * slots + o] = se;
}
