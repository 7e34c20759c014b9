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

// Returns (log p(x), Σ_k r_k·log r_k); the second from the same exponentials:
// Σ r·log r = Σ e·(v − max) / Σ e − log Σ e.
fn finish_row(base: u32) -> vec2<f32> {
  var mx = NEG_BIG;
  for (var k = 0u; k < K; k++) { mx = max(mx, scr[base + k]); }
  var s = 0.0;
  var t = 0.0;
  for (var k = 0u; k < K; k++) {
    let shifted = scr[base + k] - mx;
    let e = exp(shifted);
    scr[base + k] = e;
    s += e;
    t += e * shifted;
  }
  let inv = 1.0 / s;
  for (var k = 0u; k < K; k++) { scr[base + k] *= inv; }
  let ls = log(s);
  return vec2<f32>(mx + ls, t * inv - ls);
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

// (r, r·log r) of component k for the row.
fn vresp(row: u32, p: Comp, k: u32, x: VEC, stored: f32) -> vec2<f32> {
  let lr = comp_log_prob(p, x) - stored;
  let r = exp(lr);
  return vec2<f32>(r, r * lr);
}
