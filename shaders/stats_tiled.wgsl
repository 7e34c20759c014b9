// Tiled shape, pass B: the statistics of a block of rows as a batched product. With
// z_i = [1, v_i] (padded with zeros to NB·4 entries), v_i = x_i − c_k or, with WHITEN, the
// whitened coordinates y = Uᵀ(x_i − μ_k) pass A stored, and r_i = scr[i·K + k] (w·r),
// Σ_i r_i·z_i·z_iᵀ holds Σ w·r (entry 0,0), Σ w·r·v (row 0) and the second moments (the rest).
// The host prepends tile_value(k, row, a): entry a of v for row `row` of the block and
// component k (KB > 1: x itself; the centre is subtracted in registers). Workgroup (component group of KB, block group) × row group g walks the row
// tiles g, g + G, ... (G = run.nthreads): its invocations load a tile of z (KB 1) or [1, x]
// (KB > 1), coalesced, and the r of its KB components into workgroup memory, then invocation
// (sub, component kk, blk) adds the tile rows sub, sub + R, ... into its (4·RB)x(4·CB) block
// blk of the upper triangle (registers; RB 1: a per-tile sum, then the running total; RB 2:
// straight into the running total; either way a fixed order). Each invocation stores (run.flag = 0) or adds (run.flag = 1) its entries in slot
// g·R + sub of part (layout [e][slot], run.slots slots). The (blk 0, k 0) invocations also
// sum the value, Σ r·log r and weight columns (statistics S − 3, S − 2, S − 1). Needs common.wgsl (prm: the
// shifts c_k are the centres). The host prepends NB (vec4 blocks per row) and NBLK (blocks).

// struct Run: shaders/run_uniform.wgsl.
// Buffers (declared by src/gpu/bindings.ts): data, scr (read), part (read_write), run.

override WG: u32 = 256u;
override BLOCK: u32 = 4096u;
// Rows per tile, blocks per row subset (min(NBLK, WG)), row subsets (WG / PER).
override TILE: u32 = 64u;
override PER: u32 = 64u;
override R: u32 = 1u;
// Column blocks per invocation (1: 4x4 blocks; 2: 4x8, blocks (ba, bq) and (ba, bq + 1), three
// workgroup loads per 32 FMAs). The host's block count (NBLK) is for this CB.
override CB: u32 = 1u;
// Row blocks per invocation: 1, or 2 with CB = 2 (8x8 register blocks: 4 workgroup vec4 loads
// per 64 FMAs; MOM 2 only). RB 2 adds each row straight into the running totals (64
// registers instead of 128; still a fixed order). The host's block count (NBLK) is for CB, RB.
override RB: u32 = 1u;
// Components per workgroup: KB 1 keeps z = [1, x − c_k] in workgroup memory (as before); KB > 1
// keeps [1, x] there (X read once per KB components) and each invocation subtracts its
// component's centre (registers) from the loaded vec4s; the r of the KB components are stored
// side by side (rt[i·KB + kk]).
override KB: u32 = 1u;

var<workgroup> zt: array<vec4<f32>, TILE * NB>;
var<workgroup> rt: array<f32, TILE * KB>;

// Block blk of the list -> (row block, column block). MOM 2: the upper triangle, row-major
// in steps of RB row blocks; otherwise row 0 (Σ w·r and the linear sums), then (MOM 1) the
// diagonal blocks (RB 1 only).
fn block_of(blk: u32) -> vec2<u32> {
  if (MOM == 2u) {
    var ba = 0u;
    var q = blk;
    loop {
      let row = (NB - ba + CB - 1u) / CB;
      if (ba + RB >= NB || q < row) { break; }
      q -= row;
      ba += RB;
    }
    return vec2<u32>(ba, ba + q * CB);
  }
  let row0 = (NB + CB - 1u) / CB;
  if (blk < row0) { return vec2<u32>(0u, blk * CB); }
  let b = blk - row0 + 1u;
  return vec2<u32>(b, b);
}

// The centre of component k as padded vec4 v of z (entry 0 and the padding are 0).
fn centre4(k: u32, v: u32) -> vec4<f32> {
  var m = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let c = v * 4u + q;
    if (c >= 1u && c <= D) { m[q] = prm[k * D + c - 1u]; }
  }
  return m;
}

// Padded vec4 v of tile row i as z of this invocation's component (m: its centre, KB > 1).
fn zrow(i: u32, v: u32, m: vec4<f32>) -> vec4<f32> {
  let z = zt[i * NB + v];
  if (KB > 1u) { return z - m; }
  return z;
}

// Index of padded entry (pa, qb) in the statistics, or S when it is not stored here.
fn stat_index(k: u32, pa: u32, qb: u32) -> u32 {
  if (pa > qb || qb > D) { return S; }
  if (pa == 0u) {
    if (qb == 0u) { return k; }
    return K + k * D + qb - 1u;
  }
  let a = pa - 1u;
  let b = qb - 1u;
  if (MOM == 2u) { return K + K * D + k * P + a * D - (a * (a - 1u)) / 2u + (b - a); }
  if (MOM == 1u && a == b) { return K + K * D + k * P + a; }
  return S;
}

fn store(e: u32, slot: u32, v: f32) {
  if (e >= S) { return; }
  let o = e * run.slots + slot;
  if (run.flag == 1u) {
    part[o] = part[o] + v;
  } else {
    part[o] = v;
  }
}

// The 4x4 block (ba, bq) (rows t0..t3) when both blocks exist (stat_index drops the rest).
fn store_block(k: u32, slot: u32, ba: u32, bq: u32, t0: vec4<f32>, t1: vec4<f32>, t2: vec4<f32>, t3: vec4<f32>) {
  if (ba >= NB || bq >= NB) { return; }
  let pa = ba * 4u;
  let qb = bq * 4u;
  for (var q = 0u; q < 4u; q++) {
    store(stat_index(k, pa, qb + q), slot, t0[q]);
    store(stat_index(k, pa + 1u, qb + q), slot, t1[q]);
    store(stat_index(k, pa + 2u, qb + q), slot, t2[q]);
    store(stat_index(k, pa + 3u, qb + q), slot, t3[q]);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  // Workgroup (component group kg, block group bg) x row group g; invocation (sub, item),
  // item = kk·NBLK + blk: component kg·KB + kk, block blk.
  let kgs = (K + KB - 1u) / KB;
  let kg = wid.x % kgs;
  let bg = wid.x / kgs;
  let g = wid.y;
  let groups = run.nthreads;
  let sub = lid / PER;
  let item = bg * PER + lid % PER;
  let kk = item / NBLK;
  let blk = item - kk * NBLK;
  let k = kg * KB + kk;
  let busy = sub < R && kk < KB && k < K;
  let tail = busy && k == 0u && blk == 0u;
  var bb = vec2<u32>(0u, 0u);
  if (busy) { bb = block_of(blk); }
  let ba1 = min(bb.x + 1u, NB - 1u);
  let bc = min(bb.y + 1u, NB - 1u);
  var ma0 = vec4<f32>(0.0);
  var ma1 = vec4<f32>(0.0);
  var mb0 = vec4<f32>(0.0);
  var mb1 = vec4<f32>(0.0);
  if (KB > 1u && busy) {
    ma0 = centre4(k, bb.x);
    mb0 = centre4(k, bb.y);
    if (RB == 2u) { ma1 = centre4(k, ba1); }
    if (CB == 2u) { mb1 = centre4(k, bc); }
  }
  let n = run.rows;
  let ntiles = (n + TILE - 1u) / TILE;
  // Running totals: rows t (row block bb.x) / s (RB 2: row block bb.x + 1); columns 0..3
  // (block bb.y) and u / w (CB 2: block bb.y + 1).
  var t0 = vec4<f32>(0.0);
  var t1 = vec4<f32>(0.0);
  var t2 = vec4<f32>(0.0);
  var t3 = vec4<f32>(0.0);
  var u0 = vec4<f32>(0.0);
  var u1 = vec4<f32>(0.0);
  var u2 = vec4<f32>(0.0);
  var u3 = vec4<f32>(0.0);
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  var w0 = vec4<f32>(0.0);
  var w1 = vec4<f32>(0.0);
  var w2 = vec4<f32>(0.0);
  var w3 = vec4<f32>(0.0);
  var tv = 0.0;
  var te = 0.0;
  var tw = 0.0;
  let kz = kg * KB;
  var tl = g;
  loop {
    if (tl >= ntiles) { break; }
    let r0 = tl * TILE;
    for (var j = lid; j < TILE * NB; j += WG) {
      let i = j / NB;
      let v = j - i * NB;
      let row = r0 + i;
      var z = vec4<f32>(0.0);
      if (row < n) {
        for (var q = 0u; q < 4u; q++) {
          let c = v * 4u + q;
          if (c == 0u) {
            z[q] = 1.0;
          } else if (c <= D) {
            z[q] = tile_value(kz, row, c - 1u);
          }
        }
      }
      zt[j] = z;
    }
    for (var j = lid; j < TILE * KB; j += WG) {
      let i = j / KB;
      let kq = kz + j - i * KB;
      var r = 0.0;
      if (r0 + i < n && kq < K) { r = scr[(r0 + i) * K + kq]; }
      rt[j] = r;
    }
    workgroupBarrier();
    if (busy) {
      if (RB == 2u) {
        for (var i = sub; i < TILE; i += R) {
          let rr = rt[i * KB + kk];
          let za = zrow(i, bb.x, ma0) * rr;
          let zs = zrow(i, ba1, ma1) * rr;
          let zb = zrow(i, bb.y, mb0);
          let zc = zrow(i, bc, mb1);
          t0 += za.x * zb;
          t1 += za.y * zb;
          t2 += za.z * zb;
          t3 += za.w * zb;
          u0 += za.x * zc;
          u1 += za.y * zc;
          u2 += za.z * zc;
          u3 += za.w * zc;
          s0 += zs.x * zb;
          s1 += zs.y * zb;
          s2 += zs.z * zb;
          s3 += zs.w * zb;
          w0 += zs.x * zc;
          w1 += zs.y * zc;
          w2 += zs.z * zc;
          w3 += zs.w * zc;
        }
      } else {
        var a0 = vec4<f32>(0.0);
        var a1 = vec4<f32>(0.0);
        var a2 = vec4<f32>(0.0);
        var a3 = vec4<f32>(0.0);
        if (CB == 2u) {
          var c0 = vec4<f32>(0.0);
          var c1 = vec4<f32>(0.0);
          var c2 = vec4<f32>(0.0);
          var c3 = vec4<f32>(0.0);
          for (var i = sub; i < TILE; i += R) {
            let za = zrow(i, bb.x, ma0) * rt[i * KB + kk];
            let zb = zrow(i, bb.y, mb0);
            let zc = zrow(i, bc, mb1);
            a0 += za.x * zb;
            a1 += za.y * zb;
            a2 += za.z * zb;
            a3 += za.w * zb;
            c0 += za.x * zc;
            c1 += za.y * zc;
            c2 += za.z * zc;
            c3 += za.w * zc;
          }
          u0 += c0;
          u1 += c1;
          u2 += c2;
          u3 += c3;
        } else {
          for (var i = sub; i < TILE; i += R) {
            let za = zrow(i, bb.x, ma0) * rt[i * KB + kk];
            let zb = zrow(i, bb.y, mb0);
            a0 += za.x * zb;
            a1 += za.y * zb;
            a2 += za.z * zb;
            a3 += za.w * zb;
          }
        }
        t0 += a0;
        t1 += a1;
        t2 += a2;
        t3 += a3;
      }
      if (tail) {
        var sv = 0.0;
        var se = 0.0;
        var sw = 0.0;
        for (var i = sub; i < TILE; i += R) {
          let row = r0 + i;
          if (row >= n) { break; }
          sv += scr[BLOCK * K + 3u * row];
          se += scr[BLOCK * K + 3u * row + 1u];
          sw += scr[BLOCK * K + 3u * row + 2u];
        }
        tv += sv;
        te += se;
        tw += sw;
      }
    }
    workgroupBarrier();
    tl += groups;
  }
  if (!busy) { return; }
  let slot = g * R + sub;
  store_block(k, slot, bb.x, bb.y, t0, t1, t2, t3);
  // The second column block (CB 2) and second row block (RB 2) where they exist.
  if (CB == 2u) { store_block(k, slot, bb.x, bb.y + 1u, u0, u1, u2, u3); }
  if (RB == 2u) {
    store_block(k, slot, bb.x + 1u, bb.y, s0, s1, s2, s3);
    store_block(k, slot, bb.x + 1u, bb.y + 1u, w0, w1, w2, w3);
  }
  if (tail) {
    store(S - 3u, slot, tv);
    store(S - 2u, slot, te);
    store(S - 1u, slot, tw);
  }
}
