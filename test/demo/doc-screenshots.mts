// Regenerates the screenshots of docs/demo.md, one per view, at 1280×720 in headless Chromium
// (WebGPU on SwiftShader): npx tsx test/demo/doc-screenshots.mts
// Each PNG is reduced to a 256-colour palette by /usr/bin/python3 (Pillow) when it is there, to
// keep the files small.
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { demoState, openDemo, root, startDemo, waitIdle } from './harness.ts';

const dir = join(root, 'docs/img');
mkdirSync(dir, { recursive: true });
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function shot(page: Page, name: string): Promise<void> {
  // Two more frames of points after the last change, so the picture matches the overlay.
  const frames = (await demoState(page)).frames;
  await page.evaluate(() => window.dispatchEvent(new Event('resize')));
  await page.waitForFunction((n) => window.__emgpuDemo.frames >= n + 1, { timeout: 20_000 }, frames).catch(() => {});
  await pause(1000);
  const path = join(dir, `demo-${name}.png`);
  await page.screenshot({ path });
  const quantised = spawnSync('/usr/bin/python3', [
    '-c',
    'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); im.quantize(256, dither=Image.Dither.NONE).save(sys.argv[1], optimize=True)',
    path,
  ]);
  const note = quantised.status === 0 ? '' : ' (not quantised: no Pillow)';
  console.log(`${path}: ${(statSync(path).size / 1024).toFixed(0)} KB${note}`);
}

const h = await startDemo();
try {
  const viewport = { width: 1280, height: 720 };
  const params = {
    n: 50_000,
    k: 5,
    clusters: 5,
    shape: 'anisotropic',
    spread: 2,
    batch: 2000,
    maxIter: 100,
    backend: 'cpu',
    maxK: 6,
  };
  const { page } = await openDemo(h, params, viewport);
  await page.click('#run');
  await waitIdle(page);
  await shot(page, 'fit');
  await page.select('#view-mode', 'uncertainty');
  await page.waitForFunction(() => window.__emgpuDemo.uncertaintyShown && !window.__emgpuDemo.running, {
    timeout: 120_000,
  });
  await shot(page, 'uncertainty');
  await page.select('#view-mode', 'density');
  await shot(page, 'density');
  await page.select('#view-mode', 'points');
  await page.click('#select-model');
  await waitIdle(page, 600_000);
  await shot(page, 'model-choice');
  await page.click('#stream');
  await waitIdle(page);
  await shot(page, 'stream');
  await page.click('#tab-image');
  await page.click('#sample-image');
  await page.waitForFunction(() => window.__emgpuDemo.points === 640 * 427 && !window.__emgpuDemo.running, {
    timeout: 60_000,
  });
  await page.$eval('#k', (e) => ((e as HTMLInputElement).value = '6'));
  await page.click('#run');
  await waitIdle(page);
  await shot(page, 'image');
  await page.close();
  const phone = await openDemo(h, params, { width: 390, height: 844, isMobile: true, hasTouch: true });
  await phone.page.tap('#run');
  await waitIdle(phone.page);
  await shot(phone.page, 'phone');
  console.log((await demoState(phone.page)).error ?? 'no errors');
} finally {
  await h.close();
}
