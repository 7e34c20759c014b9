// Per-row passes over a bounded block of rows (run.rows rows from run.data_off in the bound
// chunk): pass A of the tiled shape (stats_tiled.wgsl is pass B) and the first pass of evaluate. Work per invocation stays small: Mesa's
// llvmpipe stops any invocation after 65535 loop iterations in total, so no invocation may
// loop over K components × D² factor entries.
//   value_main:  one invocation per (component k, row i): scr[i·K + k] = comp_value(...)
//   finish_main: one invocation per row: finish_row turns the K values into
//                responsibilities, then scr[i·K + k] = w·r_k, scr[B·K + 3i] = w·value,
//                scr[B·K + 3i + 1] = w·Σ_k r_k·log r_k, scr[B·K + 3i + 2] = w (B = BLOCK rows).
// Needs common.wgsl and a job file's scratch section (comp_value, finish_row).

// struct Run: shaders/run_uniform.wgsl.
// Buffers (declared by src/gpu/bindings.ts): data (read), scr (read_write), run.

override WG: u32 = 64u;
override BLOCK: u32 = 4096u;

@compute @workgroup_size(WG)
fn value_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= run.rows * K) { return; }
  // Component-major: neighbouring invocations share k (uniform parameter loads) and read
  // neighbouring rows.
  let k = idx / run.rows;
  let i = idx - k * run.rows;
  let xi = (run.data_off + i) * D;
  var x: array<f32, D>;
  for (var a = 0u; a < D; a++) { x[a] = data[xi + a]; }
  scr[i * K + k] = comp_value(run.row_base + i, i, k, &x);
}

// Row i's K component values at scr[i·K..] become its weighted responsibilities (finish_row,
// then × w), and its weighted value and weight are stored after the block.
fn store_row(i: u32) {
  let base = i * K;
  let v = finish_row(base);
  let w = weight(run.data_off + i);
  for (var k = 0u; k < K; k++) { scr[base + k] = w * scr[base + k]; }
  scr[BLOCK * K + 3u * i] = w * v.x;
  scr[BLOCK * K + 3u * i + 1u] = w * v.y;
  scr[BLOCK * K + 3u * i + 2u] = w;
}

@compute @workgroup_size(WG)
fn finish_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= run.rows) { return; }
  store_row(i);
}

// Tiled shape, pass A: one invocation per row (grid stride over run.nthreads invocations;
// the host keeps rows per invocation within the loop budget): the K component values,
// finish_row, then the weighted responsibilities and the row's value, as finish_main.
@compute @workgroup_size(WG)
fn rows_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  let nt = run.nthreads;
  if (t >= nt) { return; }
  for (var i = t; i < run.rows; i += nt) {
    let xi = (run.data_off + i) * D;
    var x: array<f32, D>;
    for (var a = 0u; a < D; a++) { x[a] = data[xi + a]; }
    let base = i * K;
    for (var k = 0u; k < K; k++) { scr[base + k] = comp_value(run.row_base + i, i, k, &x); }
    store_row(i);
  }
}
