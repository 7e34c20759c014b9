// The WebGPU backend in headless Chromium (SwiftShader) against the CPU engine, in-page.
// Serves test/browser-gpu/ with vite's dev server on 127.0.0.1 (a secure context, so
// navigator.gpu exists) and drives Debian's chromium through puppeteer.
// `npm test` makes sure Chromium exists (scripts/ensure-chromium.mjs); a missing browser or
// adapter fails this test rather than skipping it.
import { resolve } from 'node:path';
import type { Browser } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';

let server: ViteDevServer | null = null;
let chromium: LaunchedChromium | null = null;
let browser: Browser | null = null;

beforeAll(async () => {
  const root = resolve(import.meta.dirname);
  const repo = resolve(root, '../..');
  server = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, fs: { allow: [repo] } },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  chromium = await launchChromium();
  browser = chromium.browser;
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe('webgpu in headless Chromium (SwiftShader)', () => {
  it('eStep (4 covariance types) and assign match the CPU engine in-page', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const url = server!.resolvedUrls?.local[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', { timeout: 60_000 });
    const outcome = await page.evaluate(() => (window as unknown as { runParity: () => Promise<unknown> }).runParity());
    expect(errors).toEqual([]);
    const result = outcome as { description?: string; results?: Array<{ name: string; statsError: number; scalarError: number; finite: boolean }>; error?: string };
    expect(result.error, result.error).toBeUndefined();
    console.log(`browser adapter: ${result.description}`);
    expect(result.results!.length).toBe(10);
    for (const r of result.results!) {
      expect(r.finite, r.name).toBe(true);
      expect(r.statsError, r.name).toBeLessThan(1e-4);
      expect(r.scalarError, r.name).toBeLessThan(1e-5);
    }
    await page.close();
  });
});
