// The per-dispatch uniform of the row kernels (stats_vec, stats_resp, stats_tile, evaluate,
// kmeanspp), written by src/gpu/backend.ts: rows in this chunk, invocations, the partial slot
// and slot count, the first row of the chunk, a seed (random init) or count, a job flag, and
// the offset of the chunk's first value in the data buffer.
struct Run {
  rows: u32,
  nthreads: u32,
  slot: u32,
  slots: u32,
  row_base: u32,
  seed: u32,
  flag: u32,
  data_off: u32,
}
