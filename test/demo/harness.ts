// Shared set-up for the demo's browser tests: a Vite dev server on a free port serving
// demo/ (with the COOP/COEP headers from vite.config.ts) and one headless Chromium.

import { join, resolve } from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'puppeteer';
import { launchChromium } from '../helpers/chromium.ts';
import { createServer, type ViteDevServer } from 'vite';
import type { DemoState } from '../../demo/state.ts';

export const root = resolve(import.meta.dirname, '../..');
export const outputDir = join(root, 'test-output');

export interface DemoHarness {
  readonly server: ViteDevServer;
  readonly browser: Browser;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startDemo(): Promise<DemoHarness> {
  const server = await createServer({
    configFile: join(root, 'vite.config.ts'),
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
    // Pre-bundle up front: a dependency discovered late makes Vite reload the page mid-test.
    optimizeDeps: { include: ['papaparse'], entries: ['index.html', 'fit-worker.ts'] },
    logLevel: (process.env.DEMO_VITE_LOG as 'info' | undefined) ?? 'warn',
    clearScreen: false,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') throw new Error('Vite did not report a port.');
  const baseUrl = `http://127.0.0.1:${address.port}/`;
  const chromium = await launchChromium();
  const browser = chromium.browser;
  return {
    server,
    browser,
    baseUrl,
    async close() {
      await chromium.close();
      await server.close().catch(() => {});
    },
  };
}

/** Console errors, page errors and failed requests seen by a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
  page.on('requestfailed', (request) => errors.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  return errors;
}

/** Opens the demo with URL settings (autorun off unless given) and waits for its data. */
export async function openDemo(h: DemoHarness, params: Record<string, string | number> = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await h.browser.newPage();
  await page.setViewport({ width: 1360, height: 860 });
  const errors = collectErrors(page);
  const query = new URLSearchParams({ autorun: '0', ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  await page.goto(`${h.baseUrl}?${query}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__emgpuDemo?.ready === true && !window.__emgpuDemo.running, { timeout: 120_000 });
  return { page, errors };
}

export function demoState(page: Page): Promise<DemoState> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.__emgpuDemo)) as DemoState);
}

/** Waits until the page's current job is over (running false, and `done` holds). */
export async function waitIdle(page: Page, timeout = 300_000): Promise<DemoState> {
  await page.waitForFunction(() => !window.__emgpuDemo.running, { timeout, polling: 200 });
  return demoState(page);
}

/**
 * Pixels of an element's screenshot that differ from the scatter background, counted in the
 * page (the browser decodes the PNG, so no image library is needed here).
 */
export async function litPixels(page: Page, selector: string): Promise<{ lit: number; total: number }> {
  const element = await page.$(selector);
  if (element === null) throw new Error(`${selector} not found`);
  const png = await element.screenshot({ encoding: 'base64' });
  return page.evaluate(async (b64: string) => {
    const image = new Image();
    image.src = `data:image/png;base64,${b64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return { lit: 0, total: 0 };
    ctx.drawImage(image, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) {
      const d = Math.abs((data[i] as number) - 16) + Math.abs((data[i + 1] as number) - 20) + Math.abs((data[i + 2] as number) - 28);
      if (d > 30) lit++;
    }
    return { lit, total: data.length / 4 };
  }, png);
}

declare global {
  interface Window {
    __emgpuDemo: DemoState;
  }
}
