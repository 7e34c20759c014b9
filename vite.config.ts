import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// One config, four jobs (`npm run build` runs the first three, then tsc for dist/types):
//   `vite build --mode lib`  the library: dist/emgpu.js, an ES module a browser can import
//                            directly (WGSL inlined with ?raw, no bare specifiers left), and
//                            Node too. It empties dist/ first.
//   `vite build --mode io`   emgpu/io: dist/io.js, readTable with its Parquet and Arrow readers
//                            bundled, a separate module so that dist/emgpu.js stays without them.
//   `vite build --mode node` what Node runs without a TypeScript runner: the CLI (dist/cli.js,
//                            dependencies left as imports, lazily loaded parts in dist/cli-*.js)
//                            and the worker threads of the CPU engine (dist/node-worker.js)
//                            and of selectModel (dist/select-worker.js), which dist/emgpu.js
//                            and the CLI start from their own folder.
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
  if (mode === 'node') {
    return {
      build: {
        ssr: true,
        outDir: 'dist',
        emptyOutDir: false,
        sourcemap: true,
        target: 'node20',
        rollupOptions: {
          input: {
            cli: resolve(import.meta.dirname, 'src/cli/main.ts'),
            'node-worker': resolve(import.meta.dirname, 'src/cpu/worker.ts'),
            'select-worker': resolve(import.meta.dirname, 'src/select-thread.ts'),
          },
          // Every file in dist/ itself: src/cli/package-root.ts and the worker's URL count on it.
          output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'cli-[name]-[hash].js' },
        },
      },
    };
  }
  if (mode === 'lib') {
    return {
      // The Web Worker's URL relative to dist/emgpu.js ('./assets/…'), not to the site's root.
      base: './',
      worker: { format: 'es' },
      build: {
        outDir: 'dist',
        emptyOutDir: true,
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
