// Per-row outputs for a bounded range of rows, after stats_resp.wgsl's value_main (with the
// E-step job) has written the weighted log-probabilities to scr[i·K + k]:
// rowinfo[2i] = label (argmax, lowest index on ties, as f32), rowinfo[2i + 1] = log p(x), and
// with run.flag = 1 scr[i·K + k] becomes the responsibilities.
// Buffers (declared by src/gpu/bindings.ts): rowinfo (read_write), with stats_resp.wgsl's.

@compute @workgroup_size(WG)
fn eval_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= run.rows) { return; }
  let base = i * K;
  var mx = scr[base];
  var best = 0u;
  for (var k = 1u; k < K; k++) {
    let lp = scr[base + k];
    if (lp > mx) { mx = lp; best = k; }
  }
  var s = 0.0;
  for (var k = 0u; k < K; k++) { s += exp(scr[base + k] - mx); }
  let lse = mx + log(s);
  if (run.flag == 1u) {
    for (var k = 0u; k < K; k++) { scr[base + k] = exp(scr[base + k] - lse); }
  }
  rowinfo[2u * i] = f32(best);
  rowinfo[2u * i + 1u] = lse;
}
