// Browser tests of the demo's layout, charts, views and take-away files (issue 21): the primary
// button in sight at desktop and phone sizes, the scatter on a phone's first screen, chart
// texts that never overlap, the uncertainty and density views, hover, and downloads that the
// CLI reads. Screenshots of every view go to test-output/ (look at them).
// Without Chromium they are skipped with the reason, except under CI=true, where they fail.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { describe, expect, test } from 'vitest';
import { demoState, openDemo, outputDir, root, useDemo, waitIdle } from './harness.ts';

/** The running demo, or the test is skipped with the reason (under CI=true, beforeAll fails instead). */
const demo = useDemo();

const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };

/** Where an element is, and whether a click at its centre reaches it without any scrolling. */
async function inSight(page: Page, selector: string) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    const cx = r.left + r.width / 2;
    const cy = r.top + r.height / 2;
    const hit = document.elementFromPoint(cx, cy);
    return {
      top: r.top,
      bottom: r.bottom,
      height: r.height,
      scrollY: window.scrollY,
      inViewport: r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth,
      clickable: hit !== null && (hit === el || el.contains(hit)),
    };
  });
}

/** Pairs of texts whose boxes overlap, per chart, as the page recorded them when it drew. */
async function chartOverlaps(page: Page): Promise<string[]> {
  const s = await demoState(page);
  const problems: string[] = [];
  for (const [chart, boxes] of Object.entries(s.charts)) {
    const size = await page.$eval(`#${chart}`, (c) => [c.clientWidth, c.clientHeight] as const);
    for (const [i, a] of boxes.entries()) {
      if (a.x < -0.5 || a.y < -0.5 || a.x + a.width > size[0] + 0.5 || a.y + a.height > size[1] + 0.5)
        problems.push(`${chart}: "${a.text}" is clipped by the canvas`);
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        if (overlap) problems.push(`${chart}: "${a.text}" overlaps "${b.text}"`);
      }
    }
  }
  return problems;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('demo layout', () => {
  test('1280×720, 1440×900, 1920×1080: the actions are in sight and clickable without scrolling', async (ctx) => {
    const desktops = [
      { width: 1280, height: 720 },
      { width: 1440, height: 900 },
      { width: 1920, height: 1080 },
    ];
    const first = desktops[0] as (typeof desktops)[number];
    const { page, errors } = await openDemo(demo(ctx), { n: 2000, k: 3, clusters: 3, maxIter: 20 }, first);
    for (const viewport of desktops) {
      await page.setViewport(viewport);
      await pause(300);
      const size = `${viewport.width}×${viewport.height}`;
      for (const id of ['#run', '#stop', '#compare', '#select-model', '#stream', '#view-mode', '#downloads summary']) {
        const where = await inSight(page, id);
        expect(where.inViewport, `${size}: ${id} at y ${where.top}–${where.bottom}`).toBe(true);
        expect(where.clickable, `${size}: ${id} is covered`).toBe(true);
      }
      const scatter = await inSight(page, '#scatter-wrap');
      expect(scatter.height, size).toBeGreaterThan(300);
      expect(scatter.bottom, size).toBeLessThanOrEqual(viewport.height);
      await page.click('#run');
      expect((await waitIdle(page)).error).toBeNull();
      await page.waitForFunction(() => !window.__emgpuDemo.labelling && window.__emgpuDemo.drawn?.labelled === true, {
        timeout: 30_000,
      });
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      await page.screenshot({ path: join(outputDir, `demo-layout-${viewport.width}x${viewport.height}.png`) });
      expect(await chartOverlaps(page)).toEqual([]);
    }
    expect((await demoState(page)).fitCount).toBe(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('390×844 phone: the scatter first, Run in sight and clickable, then the result', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), { n: 2000, k: 3, clusters: 3, maxIter: 20 }, PHONE);
    const run = await inSight(page, '#run');
    expect(run.scrollY).toBe(0);
    expect(run.inViewport).toBe(true);
    expect(run.clickable).toBe(true);
    const scatter = await inSight(page, '#scatter-wrap');
    // It starts on the first screen and most of it is there, above the action bar.
    expect(scatter.top).toBeLessThan(200);
    expect(scatter.height).toBeGreaterThan(250);
    expect(scatter.bottom).toBeLessThanOrEqual(run.top);
    // The backend's name is not cut off.
    expect(
      await page.$$eval('.status-side > div', (lines) => lines.every((e) => e.scrollWidth <= e.clientWidth + 1)),
    ).toBe(true);
    await page.tap('#run');
    const s = await waitIdle(page);
    expect(s.fitCount).toBe(1);
    await pause(500);
    await page.screenshot({ path: join(outputDir, 'demo-phone-390x844.png') });
    await page.screenshot({ path: join(outputDir, 'demo-phone-390x844-full.png'), fullPage: true });
    expect(await chartOverlaps(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('demo views and take-away', () => {
  test('charts: distinct ticks for a fit that converges at once, iteration or batch labels, 14-series legend outside the plot', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 3000,
      k: 3,
      clusters: 3,
      maxIter: 100,
      tol: 1e-2,
      backend: 'cpu',
      maxK: 3,
    });
    // The empty state first: its hint fits the canvas.
    expect(await chartOverlaps(page)).toEqual([]);
    await page.click('#run');
    const fitted = await waitIdle(page);
    expect(fitted.fitCount).toBe(1);
    const lb = fitted.charts['lb-chart'] ?? [];
    const texts = lb.map((b) => b.text);
    expect(texts).toContain('EM iteration');
    // The y ticks: the labels left of the plot, all different.
    const yTicks = lb.filter((b) => /^-?[\d,.]+(e[+-]\d+)?$/.test(b.text) && b.x < 40).map((b) => b.text);
    expect(yTicks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(yTicks).size).toBe(yTicks.length);
    expect(await chartOverlaps(page)).toEqual([]);
    // Parameters: rows in component order, nothing that reads "-0".
    const first = await page.$$eval('#params tbody tr', (trs) => trs.map((tr) => tr.cells[0]?.textContent ?? ''));
    expect(first.map(Number)).toEqual([0, 1, 2]);
    expect(await page.$eval('#params', (t) => /(^|\s)-0(\.0*)?(\s|$)/.test(t.textContent ?? ''))).toBe(false);

    // Stream: the chart says batches.
    await page.click('#stream');
    const streamed = await waitIdle(page);
    expect(streamed.error).toBeNull();
    expect(await page.$eval('#lb-title', (e) => e.textContent)).toMatch(/per batch/);
    expect((streamed.charts['lb-chart'] ?? []).map((b) => b.text)).toContain('batch');
    expect(await chartOverlaps(page)).toEqual([]);
    await page.screenshot({ path: join(outputDir, 'demo-view-stream.png') });

    // Choose the model with every covariance type the library has: one styled line each, legend outside.
    const types = await page.$$eval('#select-types input', (boxes) => boxes.map((b) => (b as HTMLInputElement).value));
    await page.$$eval('#select-types input', (boxes) => boxes.forEach((b) => ((b as HTMLInputElement).checked = true)));
    await page.click('#select-model');
    const chosen = await waitIdle(page);
    expect(chosen.error).toBeNull();
    expect(chosen.selection?.series).toEqual(types);
    const legend = (chosen.charts['select-chart'] ?? []).filter((b) => types.includes(b.text));
    expect(legend.map((b) => b.text)).toEqual(types);
    // Right of every plotted point: the legend starts right of the last x tick ("3").
    const lastTick = (chosen.charts['select-chart'] ?? []).filter((b) => b.text === '3').at(-1);
    for (const b of legend) expect(b.x).toBeGreaterThan((lastTick?.x ?? 0) + (lastTick?.width ?? 0));
    expect(await chartOverlaps(page)).toEqual([]);
    await page.screenshot({ path: join(outputDir, 'demo-view-model-choice.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  test('downloads: the CLI predicts the page labels from the model and data files; hover shows the same row', async (ctx) => {
    const h = demo(ctx);
    const { page, errors } = await openDemo(h, { n: 5000, k: 3, clusters: 3, maxIter: 50, seed: 0, backend: 'cpu' });
    const dir = mkdtempSync(join(tmpdir(), 'emgpu-demo-downloads-'));
    try {
      const cdp = await page.createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
      await page.click('#run');
      expect((await waitIdle(page)).fitCount).toBe(1);
      const files = {
        model: 'emgpu-model.json',
        labels: 'emgpu-labels.csv',
        data: 'emgpu-data.csv',
        png: 'emgpu-view.png',
      };
      for (const kind of Object.keys(files) as (keyof typeof files)[]) {
        await page.click('#downloads summary');
        await page.click(`#download-${kind}`);
        await waitIdle(page);
        const path = join(dir, files[kind]);
        for (let i = 0; i < 100 && !existsSync(path); i++) await pause(100);
        expect(existsSync(path), `${files[kind]} was saved`).toBe(true);
      }
      expect((await demoState(page)).downloads).toEqual(Object.values(files));
      const png = readFileSync(join(dir, files.png));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');

      // The CLI reads the model and the data and predicts what the page's labels file says.
      const cli = (args: string[]) =>
        spawnSync(process.execPath, [join(root, 'bin/emgpu.js'), ...args], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 120_000,
        });
      const predicted = cli(['predict', '--model', files.model, '--backend', 'cpu', files.data]);
      expect(predicted.stderr).toBe('');
      expect(predicted.status).toBe(0);
      const cliLabels = predicted.stdout.trim().split('\n').map(Number);
      const lines = readFileSync(join(dir, files.labels), 'utf8').trim().split('\n');
      expect(lines[0]).toBe('label,p0,p1,p2');
      const pageLabels = lines.slice(1).map((l) => Number(l.split(',')[0]));
      expect(cliLabels).toHaveLength(5000);
      expect(pageLabels).toEqual(cliLabels);
      const score = cli(['score', '--model', files.model, '--mean', '--backend', 'cpu', files.data]);
      expect(score.status).toBe(0);
      expect(Number.isFinite(Number(score.stdout.trim()))).toBe(true);
      const dataLines = readFileSync(join(dir, files.data), 'utf8').trim().split('\n');
      expect(dataLines[0]).toBe('x,y');
      expect(dataLines).toHaveLength(5001);

      // Hover: the nearest point's row, as in the data file, with the labels file's probabilities.
      const box = await page.$eval('#scatter-wrap', (e) => {
        const r = e.getBoundingClientRect();
        return { x: r.left, y: r.top, w: r.width, h: r.height };
      });
      let hover = null;
      for (let i = 0; i < 40 && hover === null; i++) {
        await page.mouse.move(
          box.x + box.w * (0.2 + (0.6 * ((i * 7) % 10)) / 10),
          box.y + box.h * (0.2 + 0.06 * (i % 10)),
        );
        await pause(150);
        const s = await demoState(page);
        hover = s.hover?.probabilities !== null ? s.hover : null;
      }
      if (hover === null) throw new Error('no point found under the pointer');
      const data = (dataLines[hover.row + 1] ?? '').split(',').map(Number);
      hover.values.forEach((v, j) => expect(v).toBeCloseTo(data[j] as number, 5));
      const [label, ...ps] = (lines[hover.row + 1] ?? '').split(',').map(Number);
      expect(hover.component).toBe(label);
      hover.probabilities?.forEach((p, j) => expect(p).toBeCloseTo(ps[j] as number, 4));
      expect(await page.$eval('#tooltip', (e) => (e as HTMLElement).hidden)).toBe(false);
      await page.screenshot({ path: join(outputDir, 'demo-view-hover.png') });
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await page.close();
    }
  });

  test('uncertainty and density views (on the WebGPU renderer where the browser has one)', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 20_000,
      k: 3,
      clusters: 3,
      spread: 2.5,
      maxIter: 50,
      backend: 'cpu',
    });
    await page.click('#run');
    expect((await waitIdle(page)).fitCount).toBe(1);
    await pause(500);
    await page.screenshot({ path: join(outputDir, 'demo-view-fit.png') });
    const before = (await demoState(page)).frames;
    await page.select('#view-mode', 'uncertainty');
    await page.waitForFunction(() => window.__emgpuDemo.uncertaintyShown && !window.__emgpuDemo.running, {
      timeout: 60_000,
    });
    await page.waitForFunction((n) => window.__emgpuDemo.frames > n, { timeout: 30_000 }, before);
    const u = await demoState(page);
    expect(u.viewMode).toBe('uncertainty');
    expect(u.drawn).toEqual({ points: 20_000, labelled: true });
    await pause(500);
    await page.screenshot({ path: join(outputDir, 'demo-view-uncertainty.png') });
    await page.select('#view-mode', 'density');
    await page.waitForFunction(() => window.__emgpuDemo.contours >= 3, { timeout: 10_000 });
    await pause(500);
    await page.screenshot({ path: join(outputDir, 'demo-view-density.png') });
    // A new fit in the uncertainty view brings its own uncertainties.
    await page.select('#view-mode', 'uncertainty');
    await page.click('#run');
    await page.waitForFunction(
      () => window.__emgpuDemo.fitCount === 2 && window.__emgpuDemo.uncertaintyShown && !window.__emgpuDemo.running,
      { timeout: 120_000 },
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
