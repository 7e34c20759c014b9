// Regenerates demo/screenshot.png (1M elongated blobs, K = 6): npx tsx test/demo/screenshot.mts
import { join } from 'node:path';
import { openDemo, root, startDemo, waitIdle } from './harness.ts';
const h = await startDemo();
try {
  const { page } = await openDemo(h, { maxIter: 30, tol: 1e-4, shape: 'anisotropic', clusters: 6, k: 6 });
  await page.setViewport({ width: 1280, height: 760 });
  await page.click('#run');
  await new Promise((r) => setTimeout(r, 300));
  const s = await waitIdle(page);
  await new Promise((r) => setTimeout(r, 1500));
  await page.evaluate(`document.querySelector('.controls').scrollTop = 0`);
  await page.screenshot({ path: join(root, 'demo/screenshot.png') });
  console.log(s.backend, s.accuracy, s.nIter, s.error);
} finally {
  await h.close();
}
