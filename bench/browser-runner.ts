// Runs benchmark cells in headless Chromium (WebGPU through SwiftShader on a CPU-only machine,
// or the real GPU where there is one): a Vite server for bench/browser/ and one page.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import type { Cell } from './workload.ts';

export class BrowserRunner {
  private constructor(
    private readonly server: ViteDevServer,
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly profile: string,
  ) {}

  static async start(root: string): Promise<BrowserRunner> {
    const server = await createServer({
      configFile: false,
      root: join(root, 'bench/browser'),
      logLevel: 'error',
      server: { host: '127.0.0.1', port: 0, fs: { allow: [root] } },
    });
    await server.listen();
    const address = server.httpServer?.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const profile = mkdtempSync(join(os.tmpdir(), 'emgpu-bench-chrome-'));
    const browser = await puppeteer.launch({
      executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', `--user-data-dir=${profile}`],
      protocolTimeout: 1_800_000,
    });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction('window.benchReady === true', { timeout: 60_000 });
    return new BrowserRunner(server, browser, page, profile);
  }

  async run(cell: Cell & { warmup: number; reps: number }): Promise<{ ok: boolean; median?: number; seconds?: number[]; description?: string; error?: string }> {
    return this.page.evaluate((c) => (window as unknown as { runCell: (x: typeof c) => Promise<{ ok: boolean }> }).runCell(c), cell) as Promise<{ ok: boolean }>;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}
