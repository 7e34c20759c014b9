// Run as a program by test/estimator/reliability.test.ts: two fits, a predict and a score at once on
// the 2-thread CPU engine, in a process that has nothing else keeping it alive (the worker pool
// once let go of its workers when the first job ended, and the process exited mid-fit with
// every promise pending). Prints the results as one JSON line.
import { GaussianMixture, releaseBackends } from '../../src/index.ts';
import { Random } from '../../src/random.ts';

/** The blobs of reliability.test.ts. */
function blobs(n: number, seed: number) {
  const random = new Random(seed);
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < 3; a++) data[i * 3 + a] = (i % 4) * 4 + random.nextGaussian() * (1 + 0.2 * a);
  return { data, rows: n, cols: 3 };
}
const X = blobs(30_000, 1);
const Y = blobs(20_000, 2);
const options = { nComponents: 4, backend: 'cpu' as const, cpuThreads: 2, randomState: 7, maxIter: 6, tol: 0 };
const a = new GaussianMixture(options);
const b = new GaussianMixture({ ...options, covarianceType: 'diag' });
await Promise.all([a.fit(X), b.fit(Y)]);
const [labels, score] = await Promise.all([a.predict(Y), b.score(X)]);
console.log(
  JSON.stringify({
    a: Array.from(a.means),
    b: Array.from(b.covariances),
    labels: Array.from(labels.subarray(0, 20)),
    score,
  }),
);
await releaseBackends();
