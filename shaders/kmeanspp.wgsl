// k-means++ seeding helpers, one invocation per block of BS rows of the bound chunk
// (blocks run.slot .. in the global block numbering). The host prepends `const D: u32` and
// fn weight(i). closest[i] holds min over chosen centres of ‖x_i − centre‖².
//   run.flag 0: sums[b] = Σ w                                    (first draw ∝ w)
//   run.flag 1: closest = ‖x − cand_0‖² (first) ...
//   run.flag 2: closest = min(closest, ‖x − cand_0‖²); sums[b] = Σ w·closest
//   run.flag 3: sums[l·run.slots + b] = Σ w·min(closest, ‖x − cand_l‖²), l < run.seed (count)
// flag 1 also writes sums[b] = Σ w·closest.

// struct Run: shaders/run_uniform.wgsl.
// Buffers (declared by src/gpu/bindings.ts): data, cand (read), closest, sums (read_write), run.

override WG: u32 = 64u;
override BS: u32 = 256u;

fn dist_to(i: u32, l: u32) -> f32 {
  var s = 0.0;
  for (var a = 0u; a < D; a++) {
    let v = data[i * D + a] - cand[l * D + a];
    s += v * v;
  }
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  if (blk >= run.nthreads) { return; }
  let start = blk * BS;
  let end = min(start + BS, run.rows);
  let mode = run.flag;
  if (mode == 3u) {
    for (var l = 0u; l < run.seed; l++) {
      var s = 0.0;
      for (var i = start; i < end; i++) { s += weight(i) * min(closest[i], dist_to(i, l)); }
      sums[l * run.slots + run.slot + blk] = s;
    }
    return;
  }
  var s = 0.0;
  for (var i = start; i < end; i++) {
    if (mode == 0u) {
      s += weight(i);
    } else {
      var c = dist_to(i, 0u);
      if (mode == 2u) { c = min(closest[i], c); }
      closest[i] = c;
      s += weight(i) * c;
    }
  }
  sums[run.slot + blk] = s;
}
