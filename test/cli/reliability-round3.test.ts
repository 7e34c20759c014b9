// Issue 19, reliability round 3: each row of the issue's table, as a user (or a careless one)
// would meet it on the command line, with what it must now do. Files are made here with
// independent writers (apache-arrow, hand-edited JSON), never with the code under test.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArrow } from '../../src/io/arrow.ts';
import { readTable } from '../../src/io/index.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, run, tempDir, writeFile, type RunResult } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];
const BIN = fileURLToPath(new URL('../../bin/emgpu.js', import.meta.url));
type Stats = Record<string, unknown> & {
  totalWeight: number;
  sumResp: number[];
  sumOuter: number[][][];
  nRows: number;
};

/** A failed run: exit code, one line on stderr matching `pattern`, nothing on stdout. */
function expectOneLine(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.stderr.split('\n').filter((l) => l !== '').length, result.stderr).toBe(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
}

let dir: string;
let model: string;
let part1: string;
let part2: string;
beforeAll(async () => {
  dir = tempDir();
  model = join(dir, 'm.json');
  const rows = readFileSync(IRIS, 'utf8').trim().split('\n');
  const a = writeFile(dir, 'a.csv', `${rows.slice(0, 76).join('\n')}\n`);
  const b = writeFile(dir, 'b.csv', `${[rows[0], ...rows.slice(76)].join('\n')}\n`);
  expect((await run(['fit', IRIS, '-k', '2', '--seed', '0', '--max-iter', '0', '-o', model, ...CPU])).code).toBe(0);
  part1 = join(dir, 's1.json');
  part2 = join(dir, 's2.json');
  expect((await run(['stats', '--model', model, a, '-o', part1, ...CPU])).code).toBe(0);
  expect((await run(['stats', '--model', model, b, '-o', part2, ...CPU])).code).toBe(0);
});

const readStats = (path: string): Stats => JSON.parse(readFileSync(path, 'utf8')) as Stats;
function editedStats(name: string, edit: (s: Stats) => void, from = part1): string {
  const s = readStats(from);
  edit(s);
  return writeFile(dir, name, JSON.stringify(s));
}

describe('row 1: a corrupted Arrow IPC file is refused in words (exit 2), not decoded for ever', () => {
  const x = Float64Array.from({ length: 150 }, (_, i) => i % 7);
  const y = Float64Array.from({ length: 150 }, (_, i) => (i * 3) % 11);
  const file = tableToIPC(tableFromArrays({ x, y }), 'file');
  const corrupt = (name: string, at: number, bytes: number[]): string => {
    const copy = Uint8Array.from(file);
    copy.set(bytes, at);
    const path = join(dir, name);
    writeFileSync(path, copy);
    return path;
  };

  it('a negative message length (bytes 12-15 = 00 00 00 80), which made apache-arrow loop at 100% CPU', async () => {
    const path = corrupt('len.arrow', 12, [0, 0, 0, 0x80]);
    expectOneLine(
      await run(['fit', path, '-k', '2', ...CPU]),
      2,
      /^emgpu: .*len\.arrow is damaged: the message at byte 8 declares -2147483648 bytes of metadata, but \d+ bytes remain; check that it is a complete Arrow IPC file/,
    );
  });

  it("a damaged flatbuffer table in the record batch's metadata (another endless loop in apache-arrow)", async () => {
    // Bytes 22-25 end inside the Message's vtable: its size becomes 0x8000, which flatbuffers
    // reads as negative, so the block no longer leads to a record batch.
    const path = corrupt('vtable.arrow', 22, [0, 0, 0, 0x80]);
    expectOneLine(await run(['fit', path, '-k', '2', ...CPU]), 2, /vtable\.arrow is damaged: /);
  });

  it('a record batch claiming 2^31 - 1 rows, which made apache-arrow allocate until the heap ran out', async () => {
    // The RecordBatch header's length (int64) lives in the metadata; find the 150 written there.
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let at = 16;
    while (!(view.getInt32(at, true) === 150 && view.getInt32(at + 4, true) === 0)) at += 4;
    const path = corrupt('rows.arrow', at, [0xff, 0xff, 0xff, 0x7f]);
    expectOneLine(
      await run(['fit', path, '-k', '2', ...CPU]),
      2,
      /rows\.arrow is damaged: the record batch at byte 8 declares 2147483647 rows/,
    );
  });

  it('every 4-byte overwrite in the footer (its schema and blocks) is read or refused, none hangs', async () => {
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const footerStart = file.length - 10 - view.getInt32(file.length - 10, true);
    const outcomes = new Set<string>();
    for (let at = footerStart; at + 4 <= file.length - 10; at++) {
      for (const pattern of [
        [0, 0, 0, 0x80],
        [0xff, 0xff, 0xff, 0x7f],
        [0x10, 0x27, 0, 0],
      ]) {
        const copy = Uint8Array.from(file);
        copy.set(pattern, at);
        try {
          await readArrow(copy, { label: 'f.arrow', optionName: '--columns' });
          outcomes.add('read');
        } catch (error) {
          expect((error as Error).name, `${at}: ${String(error)}`).toBe('EmgpuInputError');
          outcomes.add((error as Error).message.includes('is damaged') ? 'damaged' : 'refused');
        }
      }
    }
    expect(outcomes.has('damaged')).toBe(true);
  });

  it('the intact file still fits', async () => {
    const path = join(dir, 'ok.arrow');
    writeFileSync(path, file);
    expect((await run(['fit', path, '-k', '2', ...CPU])).code).toBe(0);
    const stream = join(dir, 'ok.arrows');
    writeFileSync(stream, tableToIPC(tableFromArrays({ x, y }), 'stream'));
    expect((await run(['fit', stream, '--format', 'arrow', '-k', '2', ...CPU])).code).toBe(0);
  });
});

describe('rows 3 and 11: statistics that do not add up are refused naming the file and the field', () => {
  it('totalWeight 3.7 where the sumResp add up to 76', async () => {
    const path = editedStats('tw.json', (s) => (s.totalWeight = 3.7));
    const out = join(dir, 'tw-next.json');
    expectOneLine(
      await run(['mstep', '--model', model, path, '-o', out]),
      2,
      /^emgpu: statistics file .*tw\.json has totalWeight 3\.7 but its sumResp adds up to 75(\.\d*)?; .*the statistics are corrupt/,
    );
    expect(listDir(dir)).not.toContain('tw-next.json');
  });

  it('one sumResp scaled', async () => {
    const path = editedStats('sr.json', (s) => (s.sumResp[0] = (s.sumResp[0] as number) * 1.5));
    expectOneLine(await run(['merge', part2, path]), 2, /^emgpu: statistics file .*sr\.json has totalWeight 75 but/);
  });

  it('an asymmetric sumOuter', async () => {
    const path = editedStats('asym.json', (s) => (s.sumOuter[1]![0]![2]! += 1));
    expectOneLine(
      await run(['mstep', '--model', model, path]),
      2,
      /^emgpu: statistics file .*asym\.json has an asymmetric sumOuter\[1\]: \[0\]\[2\] is .* but \[2\]\[0\] is /,
    );
  });

  it('a negative second-moment diagonal names the corrupt statistics, not the data', async () => {
    const path = editedStats('neg.json', (s) => (s.sumOuter[0]![1]![1] = -3));
    const result = await run(['mstep', '--model', model, path]);
    expectOneLine(
      result,
      2,
      /^emgpu: statistics file .*neg\.json has sumOuter\[0\]\[1\]\[1\] -3, a negative sum of squares .*the statistics are corrupt/,
    );
    expect(result.stderr).not.toMatch(/ill-defined|decrease/);
  });
});

describe('row 6: a merge that overflows is refused before anything is written', () => {
  it('sumOuter 1e308 in two parts', async () => {
    const big = (s: Stats): void => {
      // Large but consistent: the diagonal and a symmetric pair.
      s.sumOuter[0]![0]![0] = 1e308;
    };
    const a = editedStats('big1.json', big);
    const b = editedStats('big2.json', big, part2);
    const out = join(dir, 'big-merged.json');
    expectOneLine(
      await run(['merge', a, b, '-o', out]),
      2,
      /^emgpu: statistics file .*big2\.json makes the sum of sumOuter overflow \(beyond ±1\.8e308/,
    );
    expect(listDir(dir)).not.toContain('big-merged.json');
  });
});

describe('row 7: a partition whose rows are all missing merges as zero', () => {
  it('stats --missing marginalize on it, merge with the others: the sum of the others', async () => {
    const empty = writeFile(dir, 'empty.csv', 'sepal_length,sepal_width,petal_length,petal_width\n,,,\nNaN,,,\n');
    const s0 = join(dir, 's0.json');
    expect((await run(['stats', '--model', model, '--missing', 'marginalize', empty, '-o', s0, ...CPU])).code).toBe(0);
    expect(readStats(s0).totalWeight).toBe(0);
    const withEmpty = await run(['merge', part1, s0, part2]);
    const without = await run(['merge', part1, part2]);
    expect(withEmpty.code, withEmpty.stderr).toBe(0);
    const merged = JSON.parse(withEmpty.stdout) as Stats;
    const expected = JSON.parse(without.stdout) as Stats;
    expect(merged.nRows).toBe(expected.nRows + 2);
    expect({ ...merged, nRows: 0 }).toEqual({ ...expected, nRows: 0 });
    // On its own it is no step to take.
    expectOneLine(
      await run(['mstep', '--model', model, s0]),
      2,
      /^emgpu: statistics file .*s0\.json has totalWeight 0: .*merge it with the statistics of the other parts first/,
    );
  });
});

describe('row 20: merge of the same file twice', () => {
  it('the same file given twice is refused', async () => {
    expectOneLine(
      await run(['merge', part1, part2, part1]),
      2,
      /^emgpu: statistics file .*s1\.json is given twice \(it is statistics file .*s1\.json\); merging it twice would count its rows twice/,
    );
  });

  it('a byte-identical copy under another name is merged with a warning', async () => {
    const copy = writeFile(dir, 's1-copy.json', readFileSync(part1, 'utf8'));
    const result = await run(['merge', part1, copy]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^emgpu: warning: statistics file .*s1-copy\.json is byte for byte the same as statistics file .*s1\.json; its rows are counted twice/,
    );
    expect((JSON.parse(result.stdout) as Stats).nRows).toBe(2 * readStats(part1).nRows);
  });
});

describe('row 8: stdout on a full disk', () => {
  it('ENOSPC from stdout is one line and exit 1 (fit, predict, sample, merge)', async () => {
    const full = (): Writable =>
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        },
      });
    for (const argv of [
      ['fit', IRIS, '-k', '2', ...CPU],
      ['predict', '-m', model, IRIS, ...CPU],
      ['sample', '-m', model, '-n', '10'],
      ['merge', part1, part2],
    ]) {
      const result = await run(argv, { stdout: full() });
      expect(result.stderr, argv[0]).toBe('emgpu: cannot write to stdout: no space left on the device.\n');
      expect(result.code, argv[0]).toBe(1);
    }
  });

  it('the real command with stdout on /dev/full', (ctx) => {
    if (!existsSync('/dev/full')) return ctx.skip('no /dev/full on this system');
    const fd = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [BIN, 'sample', '-m', model, '-n', '1000'], {
        stdio: ['ignore', fd, 'pipe'],
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('emgpu: cannot write to stdout: no space left on the device.\n');
      expect(result.status).toBe(1);
    } finally {
      closeSync(fd);
    }
  });
});

describe('row 9: SIGTERM or SIGHUP during a write', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal}: no temporary file is left, exit ${code}`, async () => {
      const outDir = tempDir();
      const out = join(outDir, 'x.csv');
      writeFileSync(out, 'old\n');
      const child = spawn(process.execPath, [BIN, 'sample', '-m', model, '-n', '20000000', '-o', out], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (c, s) => resolve({ code: c, signal: s })),
      );
      try {
        const deadline = Date.now() + 60_000;
        while (listDir(outDir).length < 2) {
          if (Date.now() > deadline) throw new Error(`no temporary file after 60 s; stderr: ${stderr}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        child.kill(signal);
        expect(await exited).toEqual({ code, signal: null });
        expect(listDir(outDir)).toEqual(['x.csv']);
        expect(readFileSync(out, 'utf8')).toBe('old\n');
        expect(stderr).toMatch(/was not written\.\n$/);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});

describe('rows 18 and 19: short messages', () => {
  it('select --components 1-1000 on 150 rows is a short line', async () => {
    const result = await run(['select', IRIS, '--components', '1-1000', ...CPU]);
    expectOneLine(
      result,
      2,
      /^emgpu: .*iris\.csv has 150 rows but --components includes 850 values above that \(151, 152, 153, …, 1000\); try at most 150 components\.\n$/,
    );
    expect(result.stderr.length).toBeLessThan(250);
  });

  it('-o "" is an empty path', async () => {
    expectOneLine(
      await run(['fit', IRIS, '-k', '2', '-o', '', ...CPU]),
      2,
      /^emgpu: --output is an empty path; pass a file name, or leave --output out to write to stdout\.\n$/,
    );
  });
});

describe('row 13: an all-missing column is named from 1, with the file and the column name', () => {
  it('column 2 "b"', async () => {
    const path = writeFile(dir, 'holes.csv', 'a,b,c\n1,,3\n2,,4\n5,,1\n4,NaN,2\n');
    expectOneLine(
      await run(['fit', path, '-k', '1', '--missing', 'marginalize', ...CPU]),
      2,
      /^emgpu: .*holes\.csv column 2 \("b"\) has no observed value; drop that column \(--columns\)/,
    );
  });
});

describe('row 14: Bayesian flags are named by flag, with their real limits', () => {
  const bayes = (...flags: string[]) => run(['fit', IRIS, '-k', '2', '--bayesian', ...flags, ...CPU]);
  it('--mean-prior 1e308,…', async () => {
    const result = await bayes('--mean-prior', '1e308,1,1,1');
    expectOneLine(result, 2, /^emgpu: --mean-prior value 1 is 1e\+308; each value must be within ±1e\+150/);
    expect(result.stderr).not.toMatch(/decrease|ill-defined/);
  });
  it('--degrees-of-freedom-prior 2.9 at D = 4', async () => {
    expectOneLine(
      await bayes('--degrees-of-freedom-prior', '2.9'),
      2,
      /^emgpu: --degrees-of-freedom-prior must be greater than D − 1 = 3, got 2\.9\.\n$/,
    );
  });
  it('--degrees-of-freedom-prior NaN states the limit > D − 1, not > 0', async () => {
    expectOneLine(
      await bayes('--degrees-of-freedom-prior', 'NaN'),
      2,
      /^emgpu: option '--degrees-of-freedom-prior <X>' argument 'NaN' is invalid\. It must be a finite number > D − 1/,
    );
  });
});

describe('rows 15 and 16: damaged Parquet and Arrow files are described in words', () => {
  const x = Array.from({ length: 50 }, (_, i) => i % 7);
  const parquet = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'x', data: x, type: 'DOUBLE' },
        { name: 'y', data: x.map((v) => v * 2 + 1), type: 'DOUBLE' },
      ],
    }),
  );

  it('a Parquet footer length of 5', async () => {
    const bytes = Uint8Array.from(parquet);
    new DataView(bytes.buffer).setInt32(bytes.length - 8, 5, true);
    const path = join(dir, 'f5.parquet');
    writeFileSync(path, bytes);
    const result = await run(['fit', path, '-k', '2', ...CPU]);
    expectOneLine(
      result,
      2,
      /^emgpu: .*f5\.parquet could not be read as Parquet: its metadata or data is damaged or cut short \(the bytes do not describe a valid table\); check that it is a complete Parquet file\.\n$/,
    );
    expect(result.stderr).not.toMatch(/Cannot read|undefined/);
  });

  it('a truncated Arrow file', async () => {
    const path = join(dir, 'cut.arrow');
    writeFileSync(path, tableToIPC(tableFromArrays({ x: Float64Array.from(x) }), 'file').subarray(0, 200));
    expectOneLine(
      await run(['fit', path, '-k', '2', ...CPU]),
      2,
      /^emgpu: .*cut\.arrow is damaged: it starts as an Arrow IPC file but does not end with 'ARROW1' \(truncated\?\)/,
    );
  });

  it('a leading PAR2 is not Parquet', async () => {
    const bytes = Uint8Array.from(parquet);
    bytes.set([0x50, 0x41, 0x52, 0x32], 0);
    const path = join(dir, 'par2.parquet');
    writeFileSync(path, bytes);
    expectOneLine(
      await run(['fit', path, '-k', '2', ...CPU]),
      2,
      /^emgpu: .*par2\.parquet does not start with Parquet's magic 'PAR1' \(it starts with "PAR2"\)/,
    );
  });
});

describe('row 10: an online burn-in longer than the data', () => {
  it('--batch-size 50 --burn-in 1000 on 150 rows is refused; a burn-in of every batch still fits', async () => {
    expectOneLine(
      await run(['fit', IRIS, '-k', '2', '--online', '--batch-size', '50', '--burn-in', '1000', ...CPU]),
      2,
      /^emgpu: --burn-in 1000 is longer than the fit: .*iris\.csv makes 3 batches of at most 50 rows, so the fit would end before its first M-step; lower --burn-in to at most 3, or raise --passes\.\n$/,
    );
    const result = await run(['fit', IRIS, '-k', '2', '--online', '--batch-size', '50', '--burn-in', '3', ...CPU]);
    expect(result.code, result.stderr).toBe(0);
    const start = await run(['fit', IRIS, '-k', '2', '--max-iter', '0', ...CPU]);
    // An M-step was taken: the model is not the k-means start.
    expect((JSON.parse(result.stdout) as { means: number[][] }).means).not.toEqual(
      (JSON.parse(start.stdout) as { means: number[][] }).means,
    );
  });
});

describe('row 17: two Parquet columns with one name', () => {
  const x = Array.from({ length: 40 }, (_, i) => i % 7);
  const y = x.map((v, i) => v * 2 + (i % 3));
  const bytes = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'x', data: x, type: 'DOUBLE' },
        { name: 'x', data: y, type: 'DOUBLE' },
        { name: 'z', data: x.map((v) => -v), type: 'DOUBLE' },
      ],
    }),
  );

  it('are chosen by index, each with its own values (library and CLI)', async () => {
    const table = await readTable(bytes, { name: 'dup.parquet', format: 'parquet', columns: [1, 0, 2] });
    expect(table.columns).toEqual(['x', 'x', 'z']);
    expect(Array.from(table.data)).toEqual(x.flatMap((v, i) => [y[i] as number, v, -v]));
    const path = join(dir, 'dup.parquet');
    writeFileSync(path, bytes);
    const byIndex = await run(['fit', path, '--columns', '1', '-k', '2', '--max-iter', '0', '--seed', '0', ...CPU]);
    expect(byIndex.code, byIndex.stderr).toBe(0);
    const only = join(dir, 'y.csv');
    writeFileSync(only, `y\n${y.join('\n')}\n`);
    const reference = await run(['fit', only, '-k', '2', '--max-iter', '0', '--seed', '0', ...CPU]);
    expect(JSON.parse(byIndex.stdout)).toEqual(JSON.parse(reference.stdout));
  });

  it('by name stays refused: the name does not say which', async () => {
    expectOneLine(
      await run(['fit', join(dir, 'dup.parquet'), '--columns', 'x', '-k', '2', ...CPU]),
      2,
      /has two columns named "x" \(0-based 0 and 1\); choose one by index in --columns\./,
    );
  });
});
