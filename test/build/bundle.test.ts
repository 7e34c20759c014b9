// The library bundle (`vite build --mode lib`): one ES module a browser loads with a plain
// <script type="module"> import, with no bare specifiers left, that fits on the CPU engine
// (worker threads included) and on WebGPU.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { bareSpecifiers } from '../helpers/bundle.ts';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';

const root = resolve(import.meta.dirname, '../..');
let outDir = '';
let server: Server;
let port = 0;
let chromium: LaunchedChromium;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { GaussianMixture } from './emgpu.js';
window.runFits = async () => {
  const n = 40000, X = new Float32Array(n * 2);
  let s = 7; const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < n; i++) { const c = i % 3; X[2*i] = c * 6 + rand() * 2; X[2*i+1] = (c % 2) * 5 + rand() * 2; }
  const out = {};
  for (const [name, options] of [['cpu1', { backend: 'cpu', cpuThreads: 1 }], ['cpu2', { backend: 'cpu', cpuThreads: 2 }], ['webgpu', { backend: 'webgpu' }]]) {
    try {
      const gm = new GaussianMixture({ nComponents: 3, randomState: 1, maxIter: 30, ...options });
      await gm.fit({ data: X, rows: n, cols: 2 });
      out[name] = { backend: gm.backend, lowerBound: gm.lowerBound, means: Array.from(gm.means) };
    } catch (error) { out[name] = { error: String(error && error.message || error) }; }
  }
  return out;
};
window.ready = true;
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'emgpu-dist-'));
  await build({
    configFile: join(root, 'vite.config.ts'),
    mode: 'lib',
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const file = path === '/' ? null : join(outDir, path);
    // Cross-origin isolation, so SharedArrayBuffer (the CPU engine's threads) is available.
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (file === null) {
      res.setHeader('Content-Type', 'text/html');
      res.end(PAGE);
    } else if (file.startsWith(outDir) && existsSync(file)) {
      res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.end(readFileSync(file));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('library bundle', () => {
  it('has no bare import specifiers', () => {
    const files = [
      join(outDir, 'emgpu.js'),
      ...readdirSync(join(outDir, 'assets'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(outDir, 'assets', f)),
    ];
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      const bare = bareSpecifiers(code);
      expect(bare, `${file} imports ${bare.join(', ')}`).toEqual([]);
    }
  });

  it('loads with <script type="module"> and fits on the CPU (1 and 2 threads) and WebGPU', async () => {
    const page = await chromium.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction('window.ready === true', { timeout: 60_000 });
    const results = (await page.evaluate('window.runFits()')) as Record<
      string,
      { backend?: string; lowerBound?: number; means?: number[]; error?: string }
    >;
    expect(errors).toEqual([]);
    type Fit = { backend?: string; lowerBound?: number; means?: number[]; error?: string };
    const { cpu1, cpu2, webgpu } = results as { cpu1: Fit; cpu2: Fit; webgpu: Fit };
    expect(cpu1.error, cpu1.error).toBeUndefined();
    expect(cpu1.backend).toMatch(/^cpu \(1 thread\)/);
    expect(cpu2.backend).toMatch(/^cpu \(2 threads\)/);
    expect(cpu2.means).toEqual(cpu1.means);
    expect(webgpu.error, webgpu.error).toBeUndefined();
    expect(webgpu.backend).toMatch(/^webgpu/);
    expect(
      Math.abs((webgpu.lowerBound as number) - (cpu1.lowerBound as number)) / Math.abs(cpu1.lowerBound as number),
    ).toBeLessThan(1e-4);
  });
});
