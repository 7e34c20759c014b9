// Job: sklearn's 'random' initialisation. r_k = u_k / Σ u with u_k = uniformFromHash(seed,
// row, k) computed in u32 arithmetic exactly as src/random.ts does. Row value: 0.

//#scratch
fn comp_value(row: u32, i: u32, k: u32, x: ptr<function, array<f32, D>>) -> f32 {
  return uniform_from_hash(run.seed, row, k);
}

fn finish_row(base: u32) -> vec2<f32> {
  var s = 0.0;
  for (var k = 0u; k < K; k++) { s += scr[base + k]; }
  for (var k = 0u; k < K; k++) { scr[base + k] = scr[base + k] / s; }
  return vec2<f32>(0.0, 0.0);
}

//#vector
// Register-only two-pass shape (D <= 4): Σ_k u_k is stored per row.
fn vrow(row: u32, x: VEC, value: ptr<function, f32>) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < K; k++) { s += uniform_from_hash(run.seed, row, k); }
  *value = 0.0;
  return s;
}

fn vresp(row: u32, p: Comp, k: u32, x: VEC, stored: f32) -> vec2<f32> {
  return vec2<f32>(uniform_from_hash(run.seed, row, k) / stored, 0.0);
}
