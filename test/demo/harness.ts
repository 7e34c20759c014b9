// Shared set-up for the demo's browser tests: a Vite dev server on a free port serving
// demo/ (with the COOP/COEP headers from vite.config.ts) and one headless Chromium.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, ConsoleMessage, Page, Viewport } from 'puppeteer';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { launchChromium, missingChromium } from '../helpers/chromium.ts';
import { createServer, type ViteDevServer } from 'vite';
import { BACKGROUND, NEUTRAL } from '../../demo/scatter.ts';
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
    // In a cache of its own: the WebGPU page test's server, which may run at the same time,
    // pre-bundles other dependencies, and in the shared node_modules/.vite each rewrote the
    // other's, leaving this page waiting on modules Vite then answered as outdated.
    cacheDir: join(root, 'node_modules/.vite-demo-test'),
    optimizeDeps: {
      include: ['papaparse', 'hyparquet', 'hyparquet-compressors', 'apache-arrow'],
      entries: ['index.html', 'fit-worker.ts'],
    },
    logLevel: (process.env.DEMO_VITE_LOG as 'info' | undefined) ?? 'warn',
    clearScreen: false,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string')
    throw new Error('Vite did not report a port.');
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
  page.on('requestfailed', (request) =>
    errors.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
  );
  return errors;
}

/** Opens the demo with URL settings (autorun off unless given) and waits for its data. */
export async function openDemo(
  h: DemoHarness,
  params: Record<string, string | number> = {},
  viewport: Viewport = { width: 1360, height: 860 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await h.browser.newPage();
  await page.setViewport(viewport);
  const errors = collectErrors(page);
  const query = new URLSearchParams({
    autorun: '0',
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  });
  await page.goto(`${h.baseUrl}?${query}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__emgpuDemo?.ready === true && !window.__emgpuDemo.running, {
    timeout: 120_000,
  });
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

/** The scatter canvas's own pixels (not the overlay's axes and ellipses above it). */
export interface ScatterPixels {
  /** Pixels not of the background colour. */
  readonly lit: number;
  /** Lit pixels in a component's colour rather than the unlabelled grey-blue. */
  readonly labelled: number;
  readonly total: number;
}

/**
 * Counts, in the page, the pixels of the #scatter canvas (copied with drawImage, so it works
 * for the Canvas2D and the read-back WebGPU renderer alike); returns the counts once they
 * reach `want`, else null (so it serves page.waitForFunction as well as page.evaluate).
 */
const scatterPixelsReaching = (
  want: { lit: number; labelled: number },
  colours: { background: readonly number[]; neutral: readonly number[] },
): ScatterPixels | null => {
  const source = document.getElementById('scatter') as HTMLCanvasElement | null;
  if (source === null || source.width === 0 || source.height === 0) return null;
  const copy = document.createElement('canvas');
  copy.width = source.width;
  copy.height = source.height;
  const ctx = copy.getContext('2d');
  if (ctx === null) return null;
  // Over the scatter's background, as the page shows it (an unpainted canvas is transparent).
  const [br, bg, bb] = colours.background as [number, number, number];
  ctx.fillStyle = `rgb(${br}, ${bg}, ${bb})`;
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
  // Unlabelled points are the neutral colour blended over the background: a ramp along n.
  const n = [
    (colours.neutral[0] as number) - br,
    (colours.neutral[1] as number) - bg,
    (colours.neutral[2] as number) - bb,
  ] as [number, number, number];
  const nn = n[0] * n[0] + n[1] * n[1] + n[2] * n[2];
  let lit = 0;
  let labelled = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = (data[i] as number) - br;
    const g = (data[i + 1] as number) - bg;
    const b = (data[i + 2] as number) - bb;
    if (Math.abs(r) + Math.abs(g) + Math.abs(b) <= 30) continue;
    lit++;
    const t = (r * n[0] + g * n[1] + b * n[2]) / nn;
    if (Math.hypot(r - t * n[0], g - t * n[1], b - t * n[2]) > 25) labelled++;
  }
  return lit >= want.lit && labelled >= want.labelled ? { lit, labelled, total: data.length / 4 } : null;
};

const SCATTER_COLOURS = { background: BACKGROUND, neutral: NEUTRAL };

export async function scatterPixels(page: Page): Promise<ScatterPixels> {
  const pixels = await page.evaluate(scatterPixelsReaching, { lit: 0, labelled: 0 }, SCATTER_COLOURS);
  return pixels ?? { lit: 0, labelled: 0, total: 0 };
}

/**
 * Waits up to `timeout` ms for the scatter to show at least `want` lit / labelled pixels;
 * returns the pixels then (or at the timeout) and how long it took.
 */
export async function waitForScatter(
  page: Page,
  want: { lit: number; labelled?: number },
  timeout: number,
): Promise<ScatterPixels & { ms: number }> {
  const began = Date.now();
  await page
    .waitForFunction(
      scatterPixelsReaching,
      { timeout, polling: 100 },
      { lit: want.lit, labelled: want.labelled ?? 0 },
      SCATTER_COLOURS,
    )
    .catch(() => {});
  const ms = Date.now() - began;
  return { ...(await scatterPixels(page)), ms };
}

declare global {
  interface Window {
    __emgpuDemo: DemoState;
  }
}

/**
 * One demo server and Chromium for a test file: started before its tests and closed after them.
 * Returns the accessor each test calls: the running demo, or the test is skipped with the reason.
 * Without Chromium, CI=true fails the file instead of skipping it.
 */
export function useDemo(): (ctx: TestContext) => DemoHarness {
  const unavailable = missingChromium();
  let harness: DemoHarness | undefined;
  beforeAll(async () => {
    if (unavailable !== null) {
      if (process.env.CI === 'true')
        throw new Error(`The demo tests cannot run: ${unavailable}; CI=true requires them.`);
      return;
    }
    mkdirSync(outputDir, { recursive: true });
    harness = await startDemo();
  });
  afterAll(async () => {
    await harness?.close();
  });
  return (ctx) => (harness === undefined ? ctx.skip(unavailable ?? 'the demo did not start') : harness);
}
