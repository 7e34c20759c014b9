// Job: k-means assignment. One-hot responsibility on the nearest centre (squared Euclidean
// distance, lowest index on ties); the row's value is that distance (inertia term).

//#scratch
fn comp_value(row: u32, i: u32, k: u32, x: ptr<function, array<f32, D>>) -> f32 {
  return sq_dist(k, x);
}

fn finish_row(base: u32) -> vec2<f32> {
  var best = 0u;
  var best_d = 3.4e38;
  for (var k = 0u; k < K; k++) {
    let d = scr[base + k];
    if (d < best_d) { best_d = d; best = k; }
  }
  for (var k = 0u; k < K; k++) { scr[base + k] = select(0.0, 1.0, k == best); }
  return vec2<f32>(best_d, 0.0);
}

//#vector
// Register-only two-pass shape (D <= 4): the nearest centre's index is stored per row.
fn vrow(row: u32, x: VEC, value: ptr<function, f32>) -> f32 {
  var best = 0u;
  var best_d = 3.4e38;
  for (var k = 0u; k < K; k++) {
    let diff = x - ldv(k * DV);
    let d = dot(diff, diff);
    if (d < best_d) { best_d = d; best = k; }
  }
  *value = best_d;
  return f32(best);
}

fn vresp(row: u32, p: Comp, k: u32, x: VEC, stored: f32) -> vec2<f32> {
  return vec2<f32>(select(0.0, 1.0, k == u32(stored)), 0.0);
}
