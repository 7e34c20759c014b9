import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// One config, three jobs:
//   `vite build --mode lib`  the library: dist/emgpu.js, an ES module a browser can import
//                            directly (WGSL inlined with ?raw, no bare specifiers left).
//   `vite build --mode io`   emgpu/io: dist/io.js, readTable with its Parquet and Arrow readers
//                            bundled, a separate module so that dist/emgpu.js stays without them.
//   `vite` / `vite build`    the demo page in demo/ (served with cross-origin isolation so
//                            SharedArrayBuffer works for the multi-threaded CPU engine).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig(({ mode }) => {
  if (mode === 'io') {
    return {
      build: {
        outDir: 'dist',
        emptyOutDir: false,
        sourcemap: true,
        target: 'es2022',
        lib: {
          entry: resolve(import.meta.dirname, 'src/io/index.ts'),
          formats: ['es'],
          fileName: () => 'io.js',
        },
        rollupOptions: {
          output: { inlineDynamicImports: true },
        },
      },
    };
  }
  if (mode === 'lib') {
    return {
      worker: { format: 'es' },
      build: {
        outDir: 'dist',
        emptyOutDir: false,
        sourcemap: true,
        target: 'es2022',
        lib: {
          entry: resolve(import.meta.dirname, 'src/index.ts'),
          formats: ['es'],
          fileName: () => 'emgpu.js',
        },
        rollupOptions: {
          output: { inlineDynamicImports: true },
        },
      },
    };
  }
  return {
    root: resolve(import.meta.dirname, 'demo'),
    base: './',
    server: { headers: isolationHeaders, host: '127.0.0.1' },
    preview: { headers: isolationHeaders, host: '127.0.0.1' },
    worker: { format: 'es' },
    build: { outDir: resolve(import.meta.dirname, 'demo/dist'), emptyOutDir: true, target: 'es2022' },
  };
});
