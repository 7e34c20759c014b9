// Runs benchmark cells in headless Chromium (WebGPU through SwiftShader on a CPU-only machine,
// or the real GPU where there is one; or the CPU engine on Web Workers): a Vite server for
// bench/browser/ and one page.
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { launchChromium, type LaunchedChromium } from '../test/helpers/chromium.ts';
import { createServer, type ViteDevServer } from 'vite';
import type { Cell } from './workload.ts';

export class BrowserRunner {
  private constructor(
    private readonly server: ViteDevServer,
    private readonly chromium: LaunchedChromium,
    private readonly page: Page,
  ) {}

  static async start(root: string): Promise<BrowserRunner> {
    const server = await createServer({
      configFile: false,
      root: join(root, 'bench/browser'),
      logLevel: 'error',
      server: {
        host: '127.0.0.1',
        port: 0,
        fs: { allow: [root] },
        // No reloads: an edit to src/ during a long run must not navigate the page mid-cell.
        hmr: false,
        watch: null,
        // Cross-origin isolation, so the CPU engine's workers can share the data.
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      },
    });
    await server.listen();
    const address = server.httpServer?.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const chromium = await launchChromium();
    const page = await chromium.browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction('window.benchReady === true', { timeout: 60_000 });
    return new BrowserRunner(server, chromium, page);
  }

  async run(
    cell: Cell & { warmup: number; reps: number; engine: 'webgpu' | 'cpu' },
  ): Promise<{ ok: boolean; median?: number; seconds?: number[]; description?: string; error?: string }> {
    return this.page.evaluate(
      (c) => (window as unknown as { runCell: (x: typeof c) => Promise<{ ok: boolean }> }).runCell(c),
      cell,
    ) as Promise<{ ok: boolean }>;
  }

  async close(): Promise<void> {
    await this.chromium.close();
    await this.server.close();
  }
}
