// Job: E-step. Responsibilities r_k = softmax_k(log w_k + log N(x | μ_k, Σ_k)); the row's
// value is log p(x) (log-sum-exp). Two forms, one per kernel shape:
//   scratch: comp_value per (row, component), then finish_row per row in scr (tiled shape,
//            evaluate)
//   vector:  vrow / vresp in registers (vector shape, D <= 4)

//#scratch
// The value of component k for row i of the block (global row `row`), then the row's
// normalisation in scr.
fn comp_value(row: u32, i: u32, k: u32, x: ptr<function, array<f32, D>>) -> f32 {
  return log_prob(k, i, x);
}

fn finish_row(base: u32) -> f32 {
  var mx = NEG_BIG;
  for (var k = 0u; k < K; k++) { mx = max(mx, scr[base + k]); }
  var s = 0.0;
  for (var k = 0u; k < K; k++) {
    let e = exp(scr[base + k] - mx);
    scr[base + k] = e;
    s += e;
  }
  let inv = 1.0 / s;
  for (var k = 0u; k < K; k++) { scr[base + k] *= inv; }
  return mx + log(s);
}

//#vector
// Register-only two-pass shape (D <= 4): per row log p(x) by an online log-sum-exp; per
// (row, component) the responsibility from it.
fn vrow(row: u32, x: VEC, value: ptr<function, f32>) -> f32 {
  var m = NEG_BIG;
  var s = 0.0;
  for (var k = 0u; k < K; k++) {
    let lp = vlog_prob(k, x);
    if (lp > m) {
      s = s * exp(m - lp) + 1.0;
      m = lp;
    } else {
      s += exp(lp - m);
    }
  }
  let lse = m + log(s);
  *value = lse;
  return lse;
}

fn vresp(row: u32, p: Comp, k: u32, x: VEC, stored: f32) -> f32 {
  return exp(comp_log_prob(p, x) - stored);
}
