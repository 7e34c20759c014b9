// Kernel shape for small K·D: one fused pass. Each invocation walks PPI rows (grid stride
// run.nthreads), keeps its partial statistics in a private array (loops have constant bounds
// so compilers unroll them and keep the array in registers), and writes them to its own slot
// of part (layout [stat e][slot]); stats_reduce.wgsl then sums the slots in a fixed order.
// Needs common.wgsl and one job file (job_small).
//
// Statistics layout (S numbers, as src/cpu/kernels.ts): [Σ w·r_k][Σ w·r_k·(x − c_k)]
// [Σ w·r_k·(x − c_k)(x − c_k)ᵀ packed][Σ w·value][Σ w].

// struct Run: shaders/run_uniform.wgsl.

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> run: Run;

override WG: u32 = 64u;
override PPI: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= run.nthreads) { return; }
  var acc: array<f32, S>;
  for (var e = 0u; e < S; e++) { acc[e] = 0.0; }
  let nt = run.nthreads;
  for (var j = 0u; j < PPI; j++) {
    let i = t + j * nt;
    if (i >= run.rows) { break; }
    let xi = (run.data_off + i) * D;
    var x: array<f32, D>;
    for (var a = 0u; a < D; a++) { x[a] = data[xi + a]; }
    var r: array<f32, K>;
    let v = job_small(run.row_base + i, &x, &r);
    let w = weight(run.data_off + i);
    acc[S - 2u] += w * v;
    acc[S - 1u] += w;
    for (var k = 0u; k < K; k++) {
      let wr = w * r[k];
      acc[k] += wr;
      var d: array<f32, D>;
      for (var a = 0u; a < D; a++) {
        d[a] = x[a] - prm[k * D + a];
        acc[K + k * D + a] += wr * d[a];
      }
      if (MOM == 2u) {
        var q = K + K * D + k * P;
        for (var a = 0u; a < D; a++) {
          let wd = wr * d[a];
          for (var b = a; b < D; b++) {
            acc[q] += wd * d[b];
            q++;
          }
        }
      } else if (MOM == 1u) {
        for (var a = 0u; a < D; a++) { acc[K + K * D + k * P + a] += wr * d[a] * d[a]; }
      }
    }
  }
  let base = run.slot + t;
  for (var e = 0u; e < S; e++) { part[e * run.slots + base] = acc[e]; }
}
