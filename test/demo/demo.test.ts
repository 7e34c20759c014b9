// Browser tests of the demo page (Vite dev server + headless Chromium, WebGPU on SwiftShader).
// Without Chromium they are skipped with the reason, except under CI=true, where they fail.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test, type TestContext } from 'vitest';
import { generate } from '../../demo/datasets.ts';
import { releaseBackends, selectModel } from '../../src/index.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';
import { demoState, openDemo, outputDir, root, waitForScatter, waitIdle, useDemo } from './harness.ts';

/** The running demo, or the test is skipped with the reason (under CI=true, beforeAll fails instead). */
const demo = useDemo();

/** The library's WebGPU engine is present in this tree (it was written alongside the demo). */
const libraryHasWebGpu = existsSync(join(root, 'src/gpu/index.ts'));

describe('emgpu demo page', () => {
  test('default 1M-point fit on WebGPU: labels, lower bound, scatter', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), { maxIter: 20, tol: 1e-3, backend: 'webgpu' });
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
    // The points themselves (not just the ellipses over them) in their components' colours.
    const scatter = await waitForScatter(page, { lit: 5000, labelled: 5000 }, 30_000);
    expect(scatter.labelled / scatter.total).toBeGreaterThan(0.02);
    await page.screenshot({ path: join(outputDir, 'demo-default-fit.png') });
    if (process.env.DEMO_SCREENSHOT) {
      await page.screenshot({ path: join(root, 'demo/screenshot.png') });
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  test('Stop cancels a running fit within an iteration or so', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 1_000_000,
      maxIter: 1000,
      tol: 0,
      backend: 'cpu',
      init: 'k-means++',
    });
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

  test('Compare CPU vs GPU reports both timings from the same start', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), { n: 100_000, maxIter: 8, tol: 0 });
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

  test('Choose the model fits K 1-3 × two covariance types on WebGPU, shows the best, and stops', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 5000,
      clusters: 3,
      maxIter: 50,
      seed: 0,
      backend: 'webgpu',
      maxK: 3,
      types: 'full,spherical',
    });
    await page.click('#select-model');
    await page.waitForFunction(() => window.__emgpuDemo.running, { timeout: 10_000 }).catch(() => {});
    const s = await waitIdle(page);
    expect(s.error).toBeNull();
    expect(s.backend).toMatch(/^webgpu/);
    const sel = s.selection;
    if (sel === null) throw new Error('no selection in the page state');
    // The whole grid, in the library's order, one chart line per chosen type.
    expect(sel.table.map((r) => `${r.covarianceType} ${r.nComponents}`)).toEqual([
      'full 1',
      'full 2',
      'full 3',
      'spherical 1',
      'spherical 2',
      'spherical 3',
    ]);
    expect(sel.series).toEqual(['full', 'spherical']);
    // The table as shown: finite criteria, exactly one best row, and it has the smallest BIC.
    const shown = await page.$$eval('#select-table tbody tr', (trs) =>
      trs.map((tr) => {
        const cells = [...tr.querySelectorAll('td')];
        const bic = tr.querySelector<HTMLElement>('td[data-column="bic"]');
        return {
          best: tr.classList.contains('best'),
          type: cells[0]?.textContent ?? '',
          k: Number(cells[1]?.textContent),
          bic: Number(bic?.dataset.value),
          bicText: bic?.textContent ?? '',
        };
      }),
    );
    expect(shown).toHaveLength(6);
    for (const row of shown) {
      expect(Number.isFinite(row.bic)).toBe(true);
      expect(Number.isFinite(Number(row.bicText.replace(/,/g, '')))).toBe(true);
    }
    const bestRows = shown.filter((r) => r.best);
    expect(bestRows).toHaveLength(1);
    const bestRow = bestRows[0] as (typeof shown)[number];
    expect(bestRow.bic).toBe(Math.min(...shown.map((r) => r.bic)));
    expect({ type: bestRow.type, k: bestRow.k }).toEqual({ type: sel.best?.covarianceType, k: sel.best?.nComponents });
    expect(bestRow.k).toBe(3); // three generated blobs
    // The best model is the result: named over the parameters, one row per component, labels.
    const label = `${bestRow.type}, K = 3`;
    expect(await page.$eval('#model-caption', (e) => e.textContent)).toContain(label);
    expect(await page.$$eval('#params tbody tr', (trs) => trs.length)).toBe(3);
    expect(await page.$eval('#status', (e) => e.textContent)).toContain(`BIC picks ${label}`);
    expect(s.nIter).toBeGreaterThan(0);
    expect(s.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(await page.$eval('#k', (e) => (e as HTMLInputElement).value)).toBe('3');

    // Stop: a grid of K = 1..10 × every covariance type (sklearn's four and mclust's 14) stopped
    // once its first model is in.
    await page.$eval('#max-k', (e) => ((e as HTMLInputElement).value = '10'));
    const types = await page.$$eval('#select-types input', (boxes) => {
      boxes.forEach((b) => ((b as HTMLInputElement).checked = true));
      return boxes.length;
    });
    expect(types).toBe(18);
    await page.click('#select-model');
    await page.waitForFunction(
      (total) =>
        (window.__emgpuDemo.selection?.table.length ?? 0) >= 1 && window.__emgpuDemo.selection?.total === total,
      { timeout: 120_000, polling: 50 },
      10 * types,
    );
    await page.click('#stop');
    const stopped = await waitIdle(page, 30_000);
    expect(stopped.stoppedCount).toBe(1);
    expect(stopped.error).toBeNull();
    expect(stopped.selection?.best).toBeNull();
    expect(stopped.selection?.table.length).toBeLessThan(10 * types);
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/stopped/i);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("Choose the model 'as emgpu select' gives selectModel's default answer on the same points", async (ctx) => {
    const grid = { n: 3000, clusters: 3, dataSeed: 1, seed: 0, maxK: 4, types: 'full,spherical' };
    const { page, errors } = await openDemo(demo(ctx), { ...grid, backend: 'cpu', starts: 'select' });
    const began = Date.now();
    await page.click('#select-model');
    await page.waitForFunction(() => window.__emgpuDemo.running, { timeout: 10_000 }).catch(() => {});
    const s = await waitIdle(page);
    console.log(`demo select (hc+emEM), ${grid.n} points, K 1-${grid.maxK} x 2 types: ${Date.now() - began} ms`);
    expect(s.error).toBeNull();
    // The same generated points and selectModel's defaults in Node, on the CPU engine.
    const ds = generate({
      kind: 'generator',
      shape: 'blobs',
      n: grid.n,
      k: grid.clusters,
      spread: 1,
      seed: grid.dataSeed,
    });
    const lib = await selectModel(
      { data: ds.data, rows: ds.rows, cols: ds.cols },
      { nComponents: [1, 2, 3, 4], covarianceTypes: ['full', 'spherical'], randomState: grid.seed, backend: 'cpu' },
    );
    const table = s.selection?.table ?? [];
    expect(table.map((r) => `${r.covarianceType} ${r.nComponents} ${r.nIter}`)).toEqual(
      lib.table.map((r) => `${r.covarianceType} ${r.nComponents} ${r.nIter}`),
    );
    table.forEach((r, i) => {
      const want = lib.table[i]!;
      expect(Math.abs(r.bic - want.bic) / Math.abs(want.bic)).toBeLessThan(1e-9);
      expect(Math.abs(r.icl - want.icl) / Math.abs(want.icl)).toBeLessThan(1e-9);
    });
    expect(s.selection?.best).toMatchObject({
      covarianceType: lib.bestRow.covarianceType,
      nComponents: lib.bestRow.nComponents,
    });
    expect(await page.$eval('#select-summary', (e) => e.textContent)).toMatch(/as emgpu select does/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('segments the bundled photo into K colours', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), { n: 1000, k: 4, maxIter: 30 });
    await page.click('#tab-image');
    await page.click('#sample-image');
    await page.waitForFunction(() => window.__emgpuDemo.points === 640 * 427 && !window.__emgpuDemo.running, {
      timeout: 60_000,
    });
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

  test('a malformed CSV file shows a clear error', async (ctx) => {
    const { page } = await openDemo(demo(ctx), { n: 1000 });
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
      await page.waitForFunction(() => /no numeric columns/.test(document.getElementById('error')?.textContent ?? ''), {
        timeout: 20_000,
      });
      expect((await demoState(page)).running).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await page.close();
    }
  });
  // A real CSV: the first 200,000 rows of the flights data (integer delays, distances and
  // minutes, many repeated), uploaded through the file input. The scatter used to stay empty
  // for 10-20 s on a software adapter (200,000 instanced squares took SwiftShader 5-6 s a
  // frame, and a frame in flight when the canvas was resized was thrown away); it now shows
  // the points in well under a second, so 5 s is a generous bound.
  test.for(['webgpu', 'canvas2d'] as const)(
    'a 200,000-row flights CSV is drawn (%s) before and after a short fit',
    async (renderer, ctx) => {
      const h = demo(ctx);
      const csv = flightsCsv(ctx);
      // Ten generated points first, so what the scatter shows afterwards can only be the CSV.
      const { page, errors } = await openDemo(h, {
        n: 10,
        clusters: 1,
        k: 3,
        maxIter: 3,
        tol: 0,
        backend: 'cpu',
        ...(renderer === 'canvas2d' ? { renderer } : {}),
      });
      const start = await demoState(page);
      if (start.renderer !== renderer) {
        const reason = `this Chromium draws with ${start.renderer} (${start.webgpuReason || 'no reason given'})`;
        if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires the ${renderer} renderer.`);
        ctx.skip(reason);
      }
      await page.click('#tab-csv');
      const fileInput = await page.$('input#csv-file');
      if (fileInput === null) throw new Error('#csv-file missing');
      await fileInput.uploadFile(csv);
      await page.waitForFunction(() => window.__emgpuDemo.points === 200_000 && !window.__emgpuDemo.running, {
        timeout: 60_000,
      });
      expect((await demoState(page)).columns).toEqual(['delay', 'distance', 'minute_of_day']);

      const before = await waitForScatter(page, { lit: 5000 }, 5000);
      expect(before.lit, `lit scatter pixels ${before.ms} ms after loading`).toBeGreaterThanOrEqual(5000);
      expect(before.labelled).toBeLessThan(before.lit / 20); // not yet coloured by component
      expect((await demoState(page)).drawn).toEqual({ points: 200_000, labelled: false });

      await page.click('#run');
      const fitted = await waitIdle(page);
      expect(fitted.error).toBeNull();
      expect(fitted.fitCount).toBe(1);
      const after = await waitForScatter(page, { lit: 5000, labelled: 5000 }, 5000);
      expect(
        after.labelled,
        `scatter pixels in a component's colour ${after.ms} ms after the fit`,
      ).toBeGreaterThanOrEqual(5000);
      expect((await demoState(page)).drawn).toEqual({ points: 200_000, labelled: true });
      await page.screenshot({ path: join(outputDir, `demo-flights-${renderer}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  // A Parquet table through the same file input: emgpu/io's reader in the worker, string
  // columns left out and named, a timestamp column as milliseconds, several row groups.
  test('a Parquet file loads its numeric columns, names the skipped ones and fits', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 10,
      clusters: 1,
      k: 3,
      maxIter: 3,
      tol: 0,
      backend: 'cpu',
    });
    const dir = mkdtempSync(join(tmpdir(), 'emgpu-demo-parquet-'));
    try {
      const n = 20_000;
      const x = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -5 : 5) + Math.sin(i));
      const y = Array.from({ length: n }, (_, i) => Math.cos(i * 1.7));
      const t = Array.from({ length: n }, (_, i) => 1_700_000_000_000n + BigInt(i) * 60_000n);
      const file = join(dir, 'table.parquet');
      writeFileSync(
        file,
        writeParquet(
          [
            {
              name: 'city',
              type: 'BYTE_ARRAY',
              converted: 'UTF8',
              values: x.map((_, i) => (i % 3 === 0 ? 'Oslo' : 'Lima')),
            },
            { name: 'x', type: 'DOUBLE', values: x },
            { name: 'y', type: 'FLOAT', values: y },
            { name: 'when', type: 'INT64', converted: 'TIMESTAMP_MILLIS', values: t },
          ],
          5000,
        ),
      );
      await page.click('#tab-csv');
      const fileInput = await page.$('input#csv-file');
      if (fileInput === null) throw new Error('#csv-file missing');
      await fileInput.uploadFile(file);
      await page.waitForFunction(
        (rows) => window.__emgpuDemo.points === rows && !window.__emgpuDemo.running,
        { timeout: 60_000 },
        n,
      );
      expect((await demoState(page)).columns).toEqual(['x', 'y', 'when']);
      const info = await page.$eval('#data-info', (e) => e.textContent ?? '');
      expect(info).toContain('20,000 rows × 3 columns');
      expect(info).toContain('Skipped non-numeric columns: city (string)');
      await page.click('#run');
      const fitted = await waitIdle(page);
      expect(fitted.error).toBeNull();
      expect(fitted.fitCount).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await page.close();
    }
  });

  test('Stream feeds shuffled batches to partialFit, moving the ellipses after each, and labels every point', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 100_000,
      k: 4,
      clusters: 4,
      seed: 1,
      batch: 5000,
      backend: 'cpu',
    });
    // The live model after each batch: the iteration counter seen while the stream runs, sampled
    // in the page every 5 ms (a poll from here costs a round trip, and on a loaded machine saw
    // too few of the batches, which are paced at up to 25 a second).
    type Sampled = Window & { __seen?: number[]; __sampler?: number };
    await page.evaluate(() => {
      const w = window as Sampled;
      w.__seen = [];
      w.__sampler = window.setInterval(() => {
        if (window.__emgpuDemo.running) w.__seen?.push(window.__emgpuDemo.iteration);
      }, 5);
    });
    await page.click('#stream');
    await page.waitForFunction(() => window.__emgpuDemo.running, { timeout: 10_000 }).catch(() => {});
    const s = await waitIdle(page);
    const seen = new Set(
      await page.evaluate(() => {
        const w = window as Sampled;
        window.clearInterval(w.__sampler);
        return w.__seen ?? [];
      }),
    );
    expect(s.error).toBeNull();
    expect(s.fitCount).toBe(1);
    // 100,000 rows in batches of 5,000: one lower bound (the batch's mean log-likelihood) per batch.
    expect(s.lowerBounds.length).toBe(20);
    for (const lb of s.lowerBounds) expect(Number.isFinite(lb)).toBe(true);
    expect(seen.size, `batches seen while streaming: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(5);
    expect(s.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(await page.$eval('#status', (e) => e.textContent ?? '')).toMatch(
      /^Stream done: 20 batches of up to 5,000 rows/,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a CSV with holes: numeric columns kept, rows with missing values counted, fitted with marginalisation', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 10,
      clusters: 1,
      k: 2,
      maxIter: 20,
      backend: 'cpu',
      seed: 0,
    });
    const dir = mkdtempSync(join(tmpdir(), 'emgpu-demo-holes-'));
    try {
      // Two clusters; every 7th row misses x (empty, NA or NaN), every 11th misses y.
      const lines = ['x,y,name'];
      const markers = ['', 'NA', 'NaN'];
      for (let i = 0; i < 3000; i++) {
        const c = i % 2 === 0 ? -6 : 6;
        const x = i % 7 === 0 ? (markers[i % 3] as string) : String(c + Math.sin(i));
        const y = i % 11 === 0 ? '' : String(c / 2 + Math.cos(i * 1.3));
        lines.push(`${x},${y},row${i}`);
      }
      const file = join(dir, 'holes.csv');
      writeFileSync(file, `${lines.join('\n')}\n`);
      await page.click('#tab-csv');
      const fileInput = await page.$('input#csv-file');
      if (fileInput === null) throw new Error('#csv-file missing');
      await fileInput.uploadFile(file);
      await page.waitForFunction(() => window.__emgpuDemo.points === 3000 && !window.__emgpuDemo.running, {
        timeout: 60_000,
      });
      const state = await demoState(page);
      expect(state.columns).toEqual(['x', 'y']);
      // Rows missing x (i % 7 == 0) or y (i % 11 == 0), counted once when both are missing.
      let expected = 0;
      for (let i = 0; i < 3000; i++) if (i % 7 === 0 || i % 11 === 0) expected++;
      expect(state.missingRows).toBe(expected);
      expect(await page.$eval('#data-info', (e) => e.textContent ?? '')).toContain(
        `${expected} rows have missing values`,
      );
      // Without the box ticked, the fit is refused naming the option; with it, it fits.
      await page.click('#run');
      const refused = await waitIdle(page);
      expect(refused.fitCount).toBe(0);
      expect(await page.$eval('#error', (e) => e.textContent ?? '')).toContain("missing: 'marginalize'");
      await page.click('#marginalize');
      await page.click('#run');
      const fitted = await waitIdle(page);
      expect(fitted.fitCount).toBe(1);
      expect(fitted.lowerBounds.length).toBeGreaterThan(0);
      for (const lb of fitted.lowerBounds) expect(Number.isFinite(lb)).toBe(true);
      // Allow the one refusal above, nothing else.
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await page.close();
    }
  });

  test('10,000,000 points fit in the tab on WebGPU', async (ctx) => {
    const { page, errors } = await openDemo(demo(ctx), {
      n: 10_000_000,
      k: 4,
      clusters: 4,
      maxIter: 3,
      tol: 0,
      init: 'random_from_data',
      backend: 'webgpu',
    });
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

let flightsDir: string | null = null;

/**
 * The first 200,000 flights of vega-datasets' flights-200k.json as a CSV file
 * (delay,distance,minute_of_day), written once per run; skips (fails under CI) without it.
 */
function flightsCsv(ctx: TestContext): string {
  let json: string;
  try {
    json = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '../data/flights-200k.json');
    if (!existsSync(json)) throw new Error(`${json} is missing`);
  } catch (error) {
    const reason = `the devDependency vega-datasets is not installed (npm install): ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI === 'true') throw new Error(reason);
    return ctx.skip(reason);
  }
  flightsDir ??= mkdtempSync(join(tmpdir(), 'emgpu-demo-flights-'));
  const csv = join(flightsDir, 'flights-200k.csv');
  if (!existsSync(csv)) {
    const rows = JSON.parse(readFileSync(json, 'utf8')) as { delay: number; distance: number; time: number }[];
    // `time` is the hour of day as a decimal (e.g. 13.5); the CSV has whole minutes.
    const lines = rows.map((r) => `${r.delay},${r.distance},${Math.round(r.time * 60)}`);
    writeFileSync(csv, `delay,distance,minute_of_day\n${lines.join('\n')}\n`);
  }
  return csv;
}

afterAll(() => {
  releaseBackends();
  if (flightsDir !== null) rmSync(flightsDir, { recursive: true, force: true });
});
