// Kernel shape for large K or D, pass 3 of 3: invocation (sub, e) sums the terms of statistic
// e < S over rows sub·TILE .. (sub + 1)·TILE of the block (in groups of 64, then the group
// sums: a fixed order), reading the weighted responsibilities from scr and the rows from data,
// and stores (run.flag = 0) or adds (run.flag = 1) it into slot run.slot·SUB + sub of part
// (layout [e][slot]; SUB = run.nthreads row ranges per block). Adjacent invocations share
// rows (coalesced / cached reads). Needs common.wgsl (prm: the shifts c_k are the centres).

// struct Run: shaders/run_uniform.wgsl.

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read> scr: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> run: Run;

override WG: u32 = 64u;
override BLOCK: u32 = 4096u;
override TILE: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let sub_count = run.nthreads;
  if (idx >= S * sub_count) { return; }
  let sub = idx / S;
  let e = idx - sub * S;
  let n = min(run.rows, (sub + 1u) * TILE);
  // kind 0: Σ w·r, 1: Σ w·r·d_a, 2: Σ w·r·d_a·d_b, 3: Σ scr value column (col).
  var kind = 0u;
  var k = 0u;
  var a = 0u;
  var b = 0u;
  var col = 0u;
  if (e < K) {
    k = e;
  } else if (e < K + K * D) {
    kind = 1u;
    k = (e - K) / D;
    a = (e - K) % D;
  } else if (e < K + K * D + K * P) {
    kind = 2u;
    let f = e - K - K * D;
    k = f / max(P, 1u);
    var q = f % max(P, 1u);
    if (MOM == 2u) {
      // packed upper triangle, row-major a ≤ b
      while (q >= D - a) { q -= D - a; a++; }
      b = a + q;
    } else {
      a = q;
      b = q;
    }
  } else {
    kind = 3u;
    col = e - (K + K * D + K * P);
  }
  var ca = 0.0;
  var cb = 0.0;
  if (kind == 1u || kind == 2u) {
    ca = prm[k * D + a];
    cb = prm[k * D + b];
  }
  var total = 0.0;
  var i = sub * TILE;
  loop {
    if (i >= n) { break; }
    let end = min(i + 64u, n);
    var s = 0.0;
    for (; i < end; i++) {
      if (kind == 3u) {
        s += scr[BLOCK * K + 2u * i + col];
      } else {
        let wr = scr[i * K + k];
        if (kind == 0u) {
          s += wr;
        } else {
          let xi = (run.data_off + i) * D;
          let da = data[xi + a] - ca;
          if (kind == 1u) {
            s += wr * da;
          } else {
            s += wr * da * (data[xi + b] - cb);
          }
        }
      }
    }
    total += s;
  }
  let o = e * run.slots + run.slot * sub_count + sub;
  if (run.flag == 1u) {
    part[o] = part[o] + total;
  } else {
    part[o] = total;
  }
}
