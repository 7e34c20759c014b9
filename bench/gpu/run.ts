// Benchmark launcher: `npx tsx bench/gpu/run.ts [flags]` (flags: see bench.ts).
// The shaders are imported with vite's `?raw` suffix, which plain tsx/Node cannot resolve, so
// this loads bench.ts through vite's SSR module loader (createServer + ssrLoadModule), which
// applies the same transforms as the tests. The device script uses a vite-built bundle instead.
import { createServer } from 'vite';
import { resolve } from 'node:path';

process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const root = resolve(import.meta.dirname, '../..');
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  server: { middlewareMode: true, hmr: false, ws: false },
  appType: 'custom',
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const mod = (await server.ssrLoadModule('/bench/gpu/bench.ts')) as { main: () => Promise<void> };
  await mod.main();
} finally {
  await server.close();
}
process.exit(0);
