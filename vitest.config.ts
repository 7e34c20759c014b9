import { defineConfig } from 'vitest/config';

// Dawn's native code reads these when the first device is created; set them here, in the
// main process, so the forked test workers inherit them (test.env would not reach it).
process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: GPU software rasterisers and Chromium already use both.
    maxWorkers: 2,
  },
});
