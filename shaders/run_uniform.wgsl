// The per-dispatch uniform of every kernel, written by src/gpu/backend.ts (one layout, so one
// definition; each field's use is noted beside it).
struct Run {
  rows: u32,      // rows in this dispatch
  nthreads: u32,  // invocations that write a slot (grid stride); row groups (tiled); output slots (reduce)
  slot: u32,      // first slot of this dispatch
  slots: u32,     // slots per statistic in part
  row_base: u32,  // global index of the first row (for the hash)
  seed: u32,      // random init seed, or a count (k-means++)
  flag: u32,      // job flag (chunked kernel: 1 = add into the slot instead of overwriting it)
  data_off: u32,  // first row of this dispatch within the bound data chunk
}
