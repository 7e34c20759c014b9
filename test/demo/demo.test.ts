// Browser tests of the demo page (Vite dev server + headless Chromium, WebGPU on SwiftShader).

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoState, litPixels, openDemo, outputDir, root, startDemo, waitIdle, type DemoHarness } from './harness.ts';

let h: DemoHarness;

beforeAll(async () => {
  mkdirSync(outputDir, { recursive: true });
  h = await startDemo();
});

afterAll(async () => {
  await h?.close();
});

/** The library's WebGPU engine is present in this tree (it was written alongside the demo). */
const libraryHasWebGpu = existsSync(join(root, 'src/gpu/index.ts'));

describe('emgpu demo page', () => {
  test('default 1M-point fit on WebGPU: labels, lower bound, scatter', async () => {
    const { page, errors } = await openDemo(h, { maxIter: 20, tol: 1e-3, backend: 'webgpu' });
    const loaded = await demoState(page);
    expect(loaded.points).toBe(1_000_000);
    expect(loaded.renderer).toBe('webgpu');
    await page.click('#run');
    await page.waitForFunction(() => window.__emgpuDemo.running, { timeout: 10_000 }).catch(() => {});
    const s = await waitIdle(page);
    expect(s.error).toBeNull();
    expect(s.fitCount).toBe(1);
    expect(s.backend).toMatch(/^webgpu/);
    expect(s.lowerBounds.length).toBeGreaterThan(0);
    for (const lb of s.lowerBounds) expect(Number.isFinite(lb)).toBe(true);
    for (let i = 1; i < s.lowerBounds.length; i++) {
      const prev = s.lowerBounds[i - 1] as number;
      expect(s.lowerBounds[i] as number).toBeGreaterThanOrEqual(prev - 1e-6 * Math.abs(prev));
    }
    expect(s.accuracy).toBeGreaterThanOrEqual(0.99);
    // Let the coloured frame land, then check the scatter is not blank.
    await page.waitForFunction((frames: number) => window.__emgpuDemo.frames > frames, { timeout: 10_000 }, loaded.frames);
    await new Promise((r) => setTimeout(r, 500));
    const { lit, total } = await litPixels(page, '#scatter');
    expect(lit / total).toBeGreaterThan(0.02);
    await page.screenshot({ path: join(outputDir, 'demo-default-fit.png') });
    if (process.env.DEMO_SCREENSHOT) {
      await page.screenshot({ path: join(root, 'demo/screenshot.png') });
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  test('Stop cancels a running fit within an iteration or so', async () => {
    const { page, errors } = await openDemo(h, { n: 1_000_000, maxIter: 1000, tol: 0, backend: 'cpu', init: 'k-means++' });
    await page.click('#run');
    await page.waitForFunction(() => window.__emgpuDemo.iteration >= 1, { timeout: 60_000, polling: 50 });
    const clicked = Date.now();
    await page.click('#stop');
    const s = await waitIdle(page, 30_000);
    expect(Date.now() - clicked).toBeLessThan(10_000);
    expect(s.stoppedCount).toBe(1);
    expect(s.fitCount).toBe(0);
    expect(s.error).toBeNull();
    expect(s.iteration).toBeLessThan(1000);
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/stopped/i);
    // The page stays usable: a short fit afterwards works.
    await page.$eval('#max-iter', (e) => ((e as HTMLInputElement).value = '3'));
    await page.click('#run');
    const after = await waitIdle(page);
    expect(after.fitCount).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('Compare CPU vs GPU reports both timings from the same start', async () => {
    const { page, errors } = await openDemo(h, { n: 100_000, maxIter: 8, tol: 0 });
    await page.click('#compare');
    const s = await waitIdle(page);
    expect(s.error).toBeNull();
    const c = s.compare;
    expect(c).not.toBeNull();
    expect(c?.cpu.iterationTimes.length).toBe(8);
    expect(c?.cpu.backend).toMatch(/^cpu/);
    if (libraryHasWebGpu) {
      expect(c?.gpuError).toBeNull();
      expect(c?.gpu?.backend).toMatch(/^webgpu/);
      expect(c?.gpu?.iterationTimes.length).toBe(8);
      expect(c?.speedup).toBeGreaterThan(0);
      // Same data and initial parameters: the two lower-bound curves agree closely.
      const cpuLb = c?.cpu.lowerBounds ?? [];
      const gpuLb = c?.gpu?.lowerBounds ?? [];
      cpuLb.forEach((v, i) => expect(Math.abs(v - (gpuLb[i] as number))).toBeLessThan(1e-4 * Math.abs(v) + 1e-6));
      expect(await page.$eval('#compare-summary', (e) => e.textContent)).toMatch(/speed-up/);
    } else {
      expect(c?.gpuError).toMatch(/webgpu/i);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  test('Choose K charts BIC and AIC for K = 1..10 and finds the blobs', async () => {
    const { page, errors } = await openDemo(h, { n: 5000, clusters: 4, maxIter: 50, backend: 'cpu' });
    await page.click('#choose-k');
    const s = await waitIdle(page);
    expect(s.error).toBeNull();
    expect(s.chooseK?.ks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.chooseK?.bestBic).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('segments the bundled photo into K colours', async () => {
    const { page, errors } = await openDemo(h, { n: 1000, k: 4, maxIter: 30 });
    await page.click('#tab-image');
    await page.click('#sample-image');
    await page.waitForFunction(() => window.__emgpuDemo.points === 640 * 427 && !window.__emgpuDemo.running, { timeout: 60_000 });
    await page.click('#run');
    const s = await waitIdle(page);
    expect(s.error).toBeNull();
    expect(s.fitCount).toBe(1);
    expect(s.segmentationColours).toBe(4);
    expect(await page.$eval('#image-panel', (e) => (e as HTMLElement).hidden)).toBe(false);
    await page.screenshot({ path: join(outputDir, 'demo-image.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a malformed CSV file shows a clear error', async () => {
    const { page } = await openDemo(h, { n: 1000 });
    const dir = mkdtempSync(join(tmpdir(), 'emgpu-demo-csv-'));
    try {
      const file = join(dir, 'broken.csv');
      writeFileSync(file, 'a,b,c\n1,2,3\n4,5\n6,"7,8\n');
      await page.click('#tab-csv');
      const inputEl = await page.$('input#csv-file');
      if (inputEl === null) throw new Error('#csv-file missing');
      await inputEl.uploadFile(file);
      await page.waitForFunction(() => !(document.getElementById('error') as HTMLElement).hidden, { timeout: 20_000 });
      const text = await page.$eval('#error', (e) => e.textContent ?? '');
      expect(text).toMatch(/broken\.csv/);
      expect(text).toMatch(/well-formed CSV|same number of fields/);
      // A CSV without numbers is refused too, with its own message.
      const words = join(dir, 'words.csv');
      writeFileSync(words, 'name,colour\nant,red\nbee,blue\n');
      await inputEl.uploadFile(words);
      await page.waitForFunction(() => /no numeric columns/.test(document.getElementById('error')?.textContent ?? ''), { timeout: 20_000 });
      expect((await demoState(page)).running).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await page.close();
    }
  });
  test('10,000,000 points fit in the tab on WebGPU', async () => {
    const { page, errors } = await openDemo(h, { n: 10_000_000, k: 4, clusters: 4, maxIter: 3, tol: 0, init: 'random_from_data', backend: 'webgpu' });
    expect((await demoState(page)).points).toBe(10_000_000);
    await page.click('#run');
    await page.waitForFunction(() => window.__emgpuDemo.running, { timeout: 10_000 }).catch(() => {});
    const s = await waitIdle(page, 600_000);
    expect(s.error).toBeNull();
    expect(s.backend).toMatch(/^webgpu/);
    expect(s.lowerBounds.length).toBe(3);
    for (const lb of s.lowerBounds) expect(Number.isFinite(lb)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});
