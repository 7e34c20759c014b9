// Large outputs go out in bounded chunks with back-pressure (never as one string), and stop
// early when the reader goes away.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/cli/data.ts';
import { ChunkedOutput, CHUNK_CHARS } from '../../src/cli/output.ts';
import { GaussianMixture } from '../../src/gaussian-mixture.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];

/** A stdout that records each write, takes it after a delay, and counts writes in flight. */
class RecordingStdout extends Writable {
  readonly chunks: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly failAfter = Infinity) {
    super({ highWaterMark: 1024, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.chunks.length >= this.failAfter) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    this.chunks.push(String(chunk));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => {
      this.inFlight--;
      callback();
    }, 1);
  }
  text(): string {
    return this.chunks.join('');
  }
}

/** Data in 16 blobs along a line, 2 columns, deterministic. */
function blobRows(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => [(i % 16) * 3 + Math.sin(i), Math.cos(i * 1.7) + (i % 5)]);
}

const dir = tempDir();
let model = '';
let data = '';
let rows: number[][] = [];
let gm: GaussianMixture;
const N = 30_000;

beforeAll(async () => {
  model = join(dir, 'model16.json');
  const fit = await run([
    'fit',
    writeFile(
      dir,
      'train.csv',
      blobRows(2000)
        .map((r) => r.join(','))
        .join('\n'),
    ),
    '-k',
    '16',
    '--seed',
    '0',
    '--max-iter',
    '20',
    ...CPU,
    '-o',
    model,
  ]);
  expect(fit.code).toBe(0);
  rows = blobRows(N);
  data = writeFile(dir, 'data.csv', rows.map((r) => r.join(',')).join('\n'));
  gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(model, 'utf8')), { backend: 'cpu' });
});

/** Checks that the output came in several chunks, none much over CHUNK_CHARS, one at a time. */
function expectChunked(stdout: RecordingStdout, minChunks: number): void {
  expect(stdout.chunks.length).toBeGreaterThanOrEqual(minChunks);
  for (const chunk of stdout.chunks) expect(chunk.length).toBeLessThanOrEqual(1.5 * CHUNK_CHARS);
  expect(stdout.maxInFlight).toBe(1); // the next chunk waits until the previous one is taken
}

describe('large outputs stream in chunks', () => {
  it('predict --proba: N × 16 probabilities, exactly the library’s', async () => {
    const stdout = new RecordingStdout();
    const result = await run(['predict', '-m', model, data, '--proba', ...CPU], { stdout });
    expect(result.code).toBe(0);
    expectChunked(stdout, 5);
    const expected = await gm.predictProba(rows);
    const lines = stdout.text().split('\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[N]).toBe('');
    for (const i of [0, 1, 4095, 4096, 20_000, N - 1]) {
      expect(lines[i]!.split(',').map(Number)).toEqual(Array.from(expected.subarray(i * 16, (i + 1) * 16)));
    }
  });

  it('predict labels and score per row', async () => {
    const labels = new RecordingStdout();
    expect((await run(['predict', '-m', model, data, ...CPU], { stdout: labels })).code).toBe(0);
    expect(labels.text()).toBe(`${Array.from(await gm.predict(rows)).join('\n')}\n`);
    const scores = new RecordingStdout();
    expect((await run(['score', '-m', model, data, ...CPU], { stdout: scores })).code).toBe(0);
    expectChunked(scores, 1);
    expect(scores.text()).toBe(`${Array.from(await gm.scoreSamples(rows), String).join('\n')}\n`);
    const mean = await run(['score', '-m', model, data, '--mean', ...CPU]);
    expect(Number(mean.stdout)).toBe(await gm.score(rows)); // the same sum, block by block
  });

  it('sample: the same numbers as gm.sample(n, seed), in chunks', async () => {
    const n = 120_000;
    const stdout = new RecordingStdout();
    const result = await run(['sample', '-m', model, '-n', String(n), '--seed', '9', '--labels'], { stdout });
    expect(result.code).toBe(0);
    expectChunked(stdout, 4);
    const expected = gm.sample(n, 9);
    const lines = stdout.text().trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    for (const i of [0, 1, 25_000, n - 1]) {
      expect(lines[i]!.split(',').map(Number)).toEqual([
        ...Array.from(expected.X.data.subarray(i * 2, i * 2 + 2)),
        expected.labels[i],
      ]);
    }
  });

  it('stops early, exit 0, when the reader goes away (a closed pipe)', async () => {
    const stdout = new RecordingStdout(2);
    const result = await run(['sample', '-m', model, '-n', '5000000', '--seed', '1'], { stdout });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(stdout.chunks).toHaveLength(2);
  });

  it('sample -n has a limit, named in the message', async () => {
    const result = await run(['sample', '-m', model, '-n', '100000000000']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "emgpu: option '-n, --n-samples <N>' argument '100000000000' is invalid. It must be an integer from 1 to 1000000000 (the most one run draws; for more, run sample again with other --seed values). (see 'emgpu sample --help')\n",
    );
  });
});

describe('ChunkedOutput', () => {
  it('hands over lines in chunks of about CHUNK_CHARS, one at a time, and stops when the reader goes', async () => {
    const writes: string[] = [];
    let open = 0;
    let most = 0;
    const sink = {
      started: true,
      write: async (text: string) => {
        open++;
        most = Math.max(most, open);
        writes.push(text);
        await new Promise((r) => setImmediate(r));
        open--;
        return writes.length < 5;
      },
      commit: async () => undefined,
      discard: async () => undefined,
    };
    const out = new ChunkedOutput(sink, new AbortController().signal);
    expect(await out.lines(4_000_000, 2, (i) => String(i % 10))).toBe(false); // the reader left after 5 chunks
    expect(writes).toHaveLength(5);
    expect(most).toBe(1);
    for (const chunk of writes) expect(chunk.length).toBe(CHUNK_CHARS);
    expect(writes[0]!.slice(0, 6)).toBe('0\n1\n2\n');
  });

  it('stops at the next chunk when aborted', async () => {
    const controller = new AbortController();
    let writes = 0;
    const sink = {
      started: true,
      write: async () => (++writes === 3 && controller.abort(), true),
      commit: async () => undefined,
      discard: async () => undefined,
    };
    await expect(new ChunkedOutput(sink, controller.signal).lines(10_000_000, 2, () => '7')).rejects.toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
    expect(writes).toBe(3);
  });
});

describe('CSV read in segments', () => {
  it('row numbers and quoted line breaks across segment boundaries', async () => {
    // Rows of ~40 characters over several 1 MiB segments; at each segment boundary a quoted cell
    // whose line break is the first one past the boundary (a split there would cut the row).
    const lines: string[] = ['a,b'];
    let boundary = 2 ** 20;
    for (let i = 0, chars = 4; chars < 3.2 * 2 ** 20; i++) {
      let line = `${i}.000000000000001,${i}.5000000000000001`;
      if (chars + line.length + 1 >= boundary - 4) {
        const head = `${i},"`;
        line = `${head}${' '.repeat(Math.max(0, boundary - (chars + head.length + 1)))}7\n"`;
        boundary += 2 ** 20;
      }
      lines.push(line);
      chars += line.length + 1;
    }
    const text = `${lines.join('\n')}\n`;
    const table = await parseCsv({ label: 'big.csv', text });
    const breaks = lines.filter((l) => l.includes('\n')).length;
    expect(table.rows).toBe(lines.length - 1);
    // Each row's line number counts the lines before it, quoted line breaks included.
    let expectedLine = 2;
    for (let r = 0; r < table.rows; r++) {
      expect(table.lines[r]).toBe(expectedLine);
      expectedLine += lines[r + 1]!.includes('\n') ? 2 : 1;
    }
    expect(breaks).toBe(3);
    // An error far into the file names the row as numbered in the file.
    const bad = `${text}1,2\n3,x\n`;
    await expect(parseCsv({ label: 'big.csv', text: bad })).rejects.toThrow(
      `big.csv, row ${expectedLine + 1}, column 2 ("b"): "x" is not a number`,
    );
  });
});
