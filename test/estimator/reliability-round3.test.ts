// Issue 19, reliability round 3: the rows of the issue's table that live in the library
// (streamed EM, loading models), each with what it must now do.
import { writeFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStreamedFile } from '../../src/cli/stream.ts';
import { BayesianGaussianMixture, GaussianMixture, releaseBackends, type Matrix } from '../../src/index.ts';
import { Random } from '../../src/random.ts';
import type { StreamChunk } from '../../src/stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'emgpu-rel3-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await releaseBackends();
});

const N = 600;
const D = 2;
function blobs(seed: number): Float64Array {
  const random = new Random(seed);
  const out = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let a = 0; a < D; a++) out[i * D + a] = (i % 3) * 4 + random.nextGaussian();
  return out;
}
const data = blobs(1);
const X: Matrix = { data, rows: N, cols: D };

describe('row 2: a streamed fit whose chunks change size between passes', () => {
  it('50-row chunks on the first pass, 100- and 250-row chunks later: the in-memory fit', async () => {
    let pass = 0;
    const source = async function* (): AsyncGenerator<StreamChunk> {
      const size = [50, 100, 250][Math.min(2, pass++)] as number;
      for (let start = 0; start < N; start += size) {
        const end = Math.min(N, start + size);
        yield { data: data.subarray(start * D, end * D), rows: end - start, cols: D };
      }
    };
    const options = { nComponents: 3, backend: 'cpu' as const, randomState: 4, maxIter: 4, tol: 0 };
    const streamed = await new GaussianMixture(options).fit(source, { sampleSize: N });
    const inMemory = await new GaussianMixture(options).fit(X);
    expect(pass).toBe(5); // the scan and four EM passes
    const worst = (a: Float64Array, b: Float64Array): number =>
      Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number)))) / Math.max(...Array.from(b, Math.abs));
    expect(worst(streamed.means, inMemory.means)).toBeLessThan(1e-9);
    expect(worst(streamed.covariances, inMemory.covariances)).toBeLessThan(1e-9);
    expect(Math.abs(streamed.lowerBound - inMemory.lowerBound)).toBeLessThan(1e-9);
  });
});

describe('row 12: DATA changed between streamed passes', () => {
  const csv = (rows: number): string =>
    `x,y\n${Array.from({ length: rows }, (_, i) => `${i % 7},${(i * 3) % 11}`).join('\n')}\n`;
  const pass = async (source: unknown): Promise<number> => {
    let rows = 0;
    for await (const chunk of (await (
      source as () => Promise<AsyncIterable<StreamChunk>>
    )()) as AsyncIterable<StreamChunk>)
      rows += chunk.rows;
    return rows;
  };
  const open = (path: string) =>
    openStreamedFile(path, { chunkRows: 40 }, new AbortController().signal, () => undefined);

  for (const [what, change] of [
    ['appended to', (path: string) => appendFileSync(path, '1,2\n')],
    ['truncated', (path: string) => writeFileSync(path, csv(50))],
    ['rewritten with other line lengths', (path: string) => writeFileSync(path, csv(100).replace(/,/g, ', '))],
  ] as const) {
    it(`a CSV ${what} after the first pass`, async () => {
      const path = join(dir, `${what.split(' ')[0]}.csv`);
      writeFileSync(path, csv(100));
      const file = await open(path);
      expect(await pass(file.source)).toBe(100);
      expect(await pass(file.source)).toBe(100);
      await new Promise((r) => setTimeout(r, 20)); // a later modification time, whatever the clock's grain
      change(path);
      await expect(pass(file.source)).rejects.toThrow(
        /^DATA changed during the fit: '.*\.csv' has another size or modification time since the first pass over it/,
      );
      await file.close();
    });
  }
});

describe('rows 4 and 5: model files that load but describe no usable model', () => {
  it('row 4: a Bayesian model with an asymmetric covariance prior is refused on load', async () => {
    const bgm = await new BayesianGaussianMixture({ nComponents: 2, backend: 'cpu', randomState: 0, maxIter: 3 }).fit(
      X,
    );
    const json = JSON.parse(JSON.stringify(bgm.toJSON())) as { priors: { covariancePrior: number[][] } };
    expect(() => BayesianGaussianMixture.fromJSON(json)).not.toThrow();
    json.priors.covariancePrior[0]![1]! += 0.001;
    expect(() => BayesianGaussianMixture.fromJSON(json)).toThrow(
      /^The model JSON's priors\.covariancePrior is not symmetric: \[0\]\[1\] is .* but \[1\]\[0\] is /,
    );
  });

  it('row 5: precisionsCholesky entries of 1e200 next to the original covariances are refused', async () => {
    const gm = await new GaussianMixture({ nComponents: 2, backend: 'cpu', randomState: 0, maxIter: 3 }).fit(X);
    for (const [i, j] of [
      [0, 1],
      [0, 0],
      [1, 1],
    ] as const) {
      const json = JSON.parse(JSON.stringify(gm.toJSON())) as { precisionsCholesky: number[][][] };
      json.precisionsCholesky[1]![i]![j] = 1e200;
      expect(() => GaussianMixture.fromJSON(json), `[1][${i}][${j}]`).toThrow(
        /^The model JSON's covariances\[1\] disagree with precisionsCholesky\[1\]/,
      );
    }
  });
});
