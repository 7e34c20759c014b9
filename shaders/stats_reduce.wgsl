// Fixed-order reduction of partials, one level: out[e·out_slots + g] = Σ of the group of
// GROUP consecutive slots g·GROUP .. of statistic e in part (layout [e][slot], run.slots
// slots). Summed in runs of 64, then the run sums. The host repeats levels until one slot is
// left: the same order every run (no atomics), so results are bit-identical. GROUP keeps each
// invocation under llvmpipe's 65535 loop iterations. The host prepends `const S: u32`.

// struct Run: shaders/run_uniform.wgsl.
// Buffers (declared by src/gpu/bindings.ts): part (read), res (read_write), run.

override WG: u32 = 64u;
override GROUP: u32 = 4096u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let out_slots = run.nthreads;
  if (idx >= S * out_slots) { return; }
  let e = idx / out_slots;
  let g = idx - e * out_slots;
  let slots = run.slots;
  let base = e * slots;
  var i = g * GROUP;
  let stop = min(i + GROUP, slots);
  var total = 0.0;
  loop {
    if (i >= stop) { break; }
    let end = min(i + 64u, stop);
    var s = 0.0;
    for (; i < end; i++) { s += part[base + i]; }
    total += s;
  }
  res[idx] = total;
}
