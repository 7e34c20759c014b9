// emgpu/io's bundle (`vite build --mode io`): one ES module with no bare specifiers left, that
// reads Parquet and Arrow tables; and the core bundle (`--mode lib`) carries neither reader.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Float64, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import type * as Io from '../../src/io/index.ts';
import { bareSpecifiers } from '../helpers/bundle.ts';
import { writeParquet } from '../helpers/parquet-writer.ts';

const root = resolve(import.meta.dirname, '../..');
let outDir = '';

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'emgpu-io-dist-'));
  for (const mode of ['lib', 'io']) {
    await build({
      configFile: join(root, 'vite.config.ts'),
      mode,
      logLevel: 'error',
      build: { outDir, emptyOutDir: false },
    });
  }
});

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('emgpu/io bundle', () => {
  it('is one module without bare specifiers; the core bundle has no Parquet or Arrow reader', () => {
    const io = readFileSync(join(outDir, 'io.js'), 'utf8');
    expect(bareSpecifiers(io)).toEqual([]);
    expect(io).toContain('PAR1');
    const core = [
      join(outDir, 'emgpu.js'),
      ...readdirSync(join(outDir, 'assets'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(outDir, 'assets', f)),
    ];
    for (const file of core) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toMatch(/parquet|RecordBatchReader|tableFromIPC/i);
    }
    // Sizes, for the record (the Arrow and Parquet readers with their decompressors).
    console.log(
      `dist/io.js ${(statSync(join(outDir, 'io.js')).size / 1024).toFixed(0)} KiB, dist/emgpu.js ${(statSync(join(outDir, 'emgpu.js')).size / 1024).toFixed(0)} KiB`,
    );
  });

  it('reads Parquet and Arrow tables', async () => {
    const io = (await import(pathToFileURL(join(outDir, 'io.js')).href)) as typeof Io;
    const parquet = writeParquet([
      { name: 'a', type: 'DOUBLE', values: [1, 2, 3] },
      { name: 'b', type: 'INT64', values: [4n, 5n, 6n] },
    ]);
    const fromParquet = await io.readTable(new Blob([parquet]), { columns: 'b,a' });
    expect(Array.from(fromParquet.data)).toEqual([4, 1, 5, 2, 6, 3]);
    const arrow = tableToIPC(new Table({ x: vectorFromArray([0.5, 1.5], new Float64()) }), 'stream');
    expect(Array.from((await io.readTable(arrow)).data)).toEqual([0.5, 1.5]);
  });
});
