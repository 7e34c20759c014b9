// The WebGPU engine in headless Chromium (SwiftShader): the backend against the CPU engine
// in-page, and the estimator-level suite (test/suite/) with every case run in the page and
// compared here with scikit-learn's numbers at the float32 tolerance, and the mclust parity
// suite (test/suite/mclust.ts) likewise.
// Serves test/browser-gpu/ with vite's dev server on 127.0.0.1 (a secure context, so
// navigator.gpu exists) and drives Debian's chromium through puppeteer. `npm test` makes sure
// Chromium exists (scripts/ensure-chromium.mjs); without it the tests skip, and fail under CI.
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, missingChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { inCI } from '../helpers/gpu.ts';
import { float32CanRun } from '../suite/compare.ts';
import { defineEstimatorSuite } from '../suite/define.ts';
import type { Outcome } from '../suite/run.ts';
import { defineMclustSuite } from '../suite/mclust.ts';
import type { MclustOutcome } from '../suite/mclust-run.ts';

let server: ViteDevServer | null = null;
let chromium: LaunchedChromium | null = null;
let page: Page | null = null;
let unavailable: string | null = null;
const pageErrors: string[] = [];

beforeAll(async () => {
  unavailable = missingChromium();
  if (unavailable !== null) {
    if (inCI()) throw new Error(`CI requires Chromium: ${unavailable}`);
    return;
  }
  const root = resolve(import.meta.dirname);
  const repo = resolve(root, '../..');
  server = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, fs: { allow: [repo] } },
    // Its own cache: the demo tests' server may run at the same time with other pre-bundled
    // dependencies, and a shared node_modules/.vite would be rewritten under either page.
    cacheDir: join(repo, 'node_modules/.vite-browser-gpu-test'),
    // No discovery (a dependency found mid-run would reload the page), so every CommonJS
    // dependency the page reaches is named here to be pre-bundled into an ES module.
    optimizeDeps: {
      noDiscovery: true,
      include: [
        '@stdlib/math-base-special-betaln',
        '@stdlib/math-base-special-digamma',
        '@stdlib/math-base-special-gammaln',
      ],
    },
  });
  await server.listen();
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const url = server.resolvedUrls?.local[0] ?? '';
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', { timeout: 120_000 });
  const hasGpu = await page.evaluate(
    async () => (await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()) != null,
  );
  if (!hasGpu) {
    unavailable = 'Chromium found no WebGPU adapter';
    if (inCI()) throw new Error(`CI requires a WebGPU adapter in Chromium: ${unavailable}`);
  }
});

afterAll(async () => {
  await page?.close();
  await chromium?.close();
  await server?.close();
  expect(pageErrors).toEqual([]);
});

function needPage(ctx: { skip(note?: string): never }): Page {
  if (unavailable !== null || page === null) ctx.skip(unavailable ?? 'the page did not load');
  return page as Page;
}

describe('webgpu in headless Chromium (SwiftShader): backend', () => {
  it('eStep (4 covariance types and VEI) and assign match the CPU engine in-page', async (ctx) => {
    const p = needPage(ctx);
    const outcome = await p.evaluate(() => (window as unknown as { runParity: () => Promise<unknown> }).runParity());
    const result = outcome as {
      description?: string;
      results?: Array<{ name: string; statsError: number; scalarError: number; finite: boolean }>;
      error?: string;
    };
    expect(result.error, result.error).toBeUndefined();
    expect(result.description).toMatch(/^webgpu \(/);
    expect(result.results!.length).toBe(12);
    for (const r of result.results!) {
      expect(r.finite, r.name).toBe(true);
      expect(r.statsError, r.name).toBeLessThan(1e-4);
      expect(r.scalarError, r.name).toBeLessThan(1e-5);
    }
  });
});

defineEstimatorSuite({
  engine: 'webgpu-browser',
  float32: true,
  include: (_f, c) => float32CanRun(c),
  run: async (f, c) => {
    if (page === null) throw new Error(`no page: ${unavailable ?? 'it did not load'}`);
    const result = await page.evaluate(
      (dataset, name) =>
        (window as unknown as { runCase: (d: string, n: string) => Promise<unknown> }).runCase(dataset, name),
      f.dataset,
      c.name,
    );
    const error = (result as { error?: string }).error;
    if (error !== undefined) throw new Error(`in the page: ${error}`);
    return result as Outcome;
  },
  checkBackend: (backend) => expect(backend).toMatch(/^webgpu \(.*navigator\.gpu\)$/),
});

defineMclustSuite({
  engine: 'webgpu-browser',
  float32: true,
  run: async (f, model) => {
    if (page === null) throw new Error(`no page: ${unavailable ?? 'it did not load'}`);
    const result = await page.evaluate(
      (name, m) =>
        (window as unknown as { runMclustCase: (n: string, m: string) => Promise<unknown> }).runMclustCase(name, m),
      f.name,
      model,
    );
    const error = (result as { error?: string }).error;
    if (error !== undefined) throw new Error(`in the page: ${error}`);
    return result as MclustOutcome;
  },
  checkBackend: (backend) => expect(backend).toMatch(/^webgpu \(.*navigator\.gpu\)$/),
});
