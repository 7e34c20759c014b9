// Tiled shape, pass B: the statistics of a block of rows as a batched product. With
// z_i = [1, x_i − c_k] (padded with zeros to NB·4 entries) and r_i = scr[i·K + k] (w·r),
// Σ_i r_i·z_i·z_iᵀ holds Σ w·r (entry 0,0), Σ w·r·(x − c_k) (row 0) and the second moments
// (the rest). Workgroup (k, block group) × row group g walks the row tiles g, g + G, ...
// (G = run.nthreads): its invocations load a tile of z (coalesced) and r into workgroup
// memory, then invocation (sub, blk) adds the tile rows sub, sub + R, ... into its 4x4 block
// blk of the upper triangle (registers; a per-tile sum, then the running total: a fixed
// order). Each invocation stores (run.flag = 0) or adds (run.flag = 1) its entries in slot
// g·R + sub of part (layout [e][slot], run.slots slots). The (blk 0, k 0) invocations also
// sum the value and weight columns (statistics S − 2, S − 1). Needs common.wgsl (prm: the
// shifts c_k are the centres). The host prepends NB (vec4 blocks per row) and NBLK (blocks).

struct Run {
  rows: u32,
  nthreads: u32,  // row groups G
  slot: u32,
  slots: u32,
  row_base: u32,
  seed: u32,
  flag: u32,
  data_off: u32,
}

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read> scr: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> run: Run;

override WG: u32 = 256u;
override BLOCK: u32 = 4096u;
// Rows per tile, blocks per row subset (min(NBLK, WG)), row subsets (WG / PER).
override TILE: u32 = 64u;
override PER: u32 = 64u;
override R: u32 = 1u;
// Column blocks per invocation (1: 4x4 blocks; 2: 4x8, blocks (ba, bq) and (ba, bq + 1), three
// workgroup loads per 32 FMAs). The host's block count (NBLK) is for this CB.
override CB: u32 = 1u;

var<workgroup> zt: array<vec4<f32>, TILE * NB>;
var<workgroup> rt: array<f32, TILE>;

// Block blk of the list -> (row block, column block). MOM 2: the upper triangle, row-major;
// otherwise row 0 (Σ w·r and the linear sums), then (MOM 1) the diagonal blocks.
fn block_of(blk: u32) -> vec2<u32> {
  if (MOM == 2u) {
    var ba = 0u;
    var q = blk;
    loop {
      let row = (NB - ba + CB - 1u) / CB;
      if (ba + 1u >= NB || q < row) { break; }
      q -= row;
      ba++;
    }
    return vec2<u32>(ba, ba + q * CB);
  }
  let row0 = (NB + CB - 1u) / CB;
  if (blk < row0) { return vec2<u32>(0u, blk * CB); }
  let b = blk - row0 + 1u;
  return vec2<u32>(b, b);
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

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let k = wid.x % K;
  let bg = wid.x / K;
  let g = wid.y;
  let groups = run.nthreads;
  let sub = lid / PER;
  let blk = bg * PER + lid % PER;
  let busy = sub < R && blk < NBLK;
  let tail = busy && k == 0u && blk == 0u;
  var bb = vec2<u32>(0u, 0u);
  if (busy) { bb = block_of(blk); }
  let n = run.rows;
  let ntiles = (n + TILE - 1u) / TILE;
  var t0 = vec4<f32>(0.0);
  var t1 = vec4<f32>(0.0);
  var t2 = vec4<f32>(0.0);
  var t3 = vec4<f32>(0.0);
  var u0 = vec4<f32>(0.0);
  var u1 = vec4<f32>(0.0);
  var u2 = vec4<f32>(0.0);
  var u3 = vec4<f32>(0.0);
  var tv = 0.0;
  var tw = 0.0;
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
        let xi = (run.data_off + row) * D;
        for (var q = 0u; q < 4u; q++) {
          let c = v * 4u + q;
          if (c == 0u) {
            z[q] = 1.0;
          } else if (c <= D) {
            z[q] = data[xi + c - 1u] - prm[k * D + c - 1u];
          }
        }
      }
      zt[j] = z;
    }
    for (var j = lid; j < TILE; j += WG) {
      var r = 0.0;
      if (r0 + j < n) { r = scr[(r0 + j) * K + k]; }
      rt[j] = r;
    }
    workgroupBarrier();
    if (busy) {
      var a0 = vec4<f32>(0.0);
      var a1 = vec4<f32>(0.0);
      var a2 = vec4<f32>(0.0);
      var a3 = vec4<f32>(0.0);
      if (CB == 2u) {
        var c0 = vec4<f32>(0.0);
        var c1 = vec4<f32>(0.0);
        var c2 = vec4<f32>(0.0);
        var c3 = vec4<f32>(0.0);
        let bc = min(bb.y + 1u, NB - 1u);
        for (var i = sub; i < TILE; i += R) {
          let za = zt[i * NB + bb.x] * rt[i];
          let zb = zt[i * NB + bb.y];
          let zc = zt[i * NB + bc];
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
          let za = zt[i * NB + bb.x] * rt[i];
          let zb = zt[i * NB + bb.y];
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
      if (tail) {
        var sv = 0.0;
        var sw = 0.0;
        for (var i = sub; i < TILE; i += R) {
          let row = r0 + i;
          if (row >= n) { break; }
          sv += scr[BLOCK * K + 2u * row];
          sw += scr[BLOCK * K + 2u * row + 1u];
        }
        tv += sv;
        tw += sw;
      }
    }
    workgroupBarrier();
    tl += groups;
  }
  if (!busy) { return; }
  let slot = g * R + sub;
  let pa = bb.x * 4u;
  let qb = bb.y * 4u;
  for (var q = 0u; q < 4u; q++) {
    store(stat_index(k, pa, qb + q), slot, t0[q]);
    store(stat_index(k, pa + 1u, qb + q), slot, t1[q]);
    store(stat_index(k, pa + 2u, qb + q), slot, t2[q]);
    store(stat_index(k, pa + 3u, qb + q), slot, t3[q]);
  }
  // The second column block (CB 2) when it exists (stat_index drops entries past D).
  if (CB == 2u && bb.y + 1u < NB) {
    let qc = qb + 4u;
    for (var q = 0u; q < 4u; q++) {
      store(stat_index(k, pa, qc + q), slot, u0[q]);
      store(stat_index(k, pa + 1u, qc + q), slot, u1[q]);
      store(stat_index(k, pa + 2u, qc + q), slot, u2[q]);
      store(stat_index(k, pa + 3u, qc + q), slot, u3[q]);
    }
  }
  if (tail) {
    store(S - 2u, slot, tv);
    store(S - 1u, slot, tw);
  }
}
