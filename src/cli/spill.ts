// The spill file of `fit --stream`: the first pass over DATA (the scan) writes each chunk's
// numbers as they were decoded (raw float64, with the chunk's weights after them) to a file in
// the OS temporary directory (or --spill DIR), and every later pass (one per EM iteration) reads
// the chunks back from it instead of reading, decompressing and parsing DATA again. A pass then
// costs a sequential read of N × D × 8 bytes (mostly from the page cache) plus the E-step.
// Memory stays that of two chunks: the chunks go to disk, not to the heap.
//
// The file never outlives the process: it is created in a fresh folder and unlinked (with its
// folder) as soon as it is open, so only its open descriptor names it; the kernel frees it when
// the descriptor closes, however the process ends (exit, Ctrl-C, SIGTERM, SIGKILL). Where the
// platform cannot unlink an open file (Windows), it is removed when the fit ends and on exit.
// A failed write (a full disk) gives up spilling, with a note, and the fit reads DATA as before.

import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkInput, ChunkIterable, ChunkSource, StreamChunk } from '../stream.ts';
import { CliError, printable } from './errors.ts';

/** Where a spilled chunk lies in the file. */
interface SpilledChunk {
  readonly offset: number;
  readonly rows: number;
  readonly cols: number;
  readonly weighted: boolean;
}

/** What the spill did, for --verbose. */
export interface SpillReport {
  readonly state: 'writing' | 'ready' | 'off';
  readonly bytes: number;
  readonly reason: string | null;
}

const describe = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);

/**
 * A chunk source that reads `inner` once and then serves its chunks from a spill file in `dir`.
 * Call close() when the fit is done.
 */
export class SpillSource {
  private handle: FileHandle | null = null;
  private path: string | null = null;
  private readonly table: SpilledChunk[] = [];
  private bytes = 0;
  private state: SpillReport['state'] = 'writing';
  private reason: string | null = null;
  private passes = 0;
  private readonly removeOnExit = (): void => {
    if (this.path !== null) rmSync(this.path, { force: true, recursive: true });
  };

  constructor(
    private readonly inner: ChunkSource,
    private readonly dir: string = tmpdir(),
    private readonly note: (line: string) => void = () => undefined,
  ) {}

  /** The source to give fit: the first pass reads `inner` and spills it, later passes read the spill. */
  readonly source: ChunkSource = () => {
    this.passes++;
    return this.state === 'ready' ? this.readPass() : this.firstPass(this.passes === 1);
  };

  report(): SpillReport {
    return { state: this.state, bytes: this.bytes, reason: this.reason };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.state = 'off';
    await handle?.close();
    if (this.path !== null) {
      await rm(this.path, { force: true, recursive: true });
      this.path = null;
      process.removeListener('exit', this.removeOnExit);
    }
  }

  private giveUp(reason: string): void {
    if (this.state === 'off') return;
    this.state = 'off';
    this.reason = reason;
    this.note(`the spill file was given up (${reason}); every pass reads DATA again`);
    void this.close();
  }

  /** A fresh, nameless file: created in a new folder, which is then removed with it. */
  private async create(): Promise<FileHandle> {
    const folder = mkdtempSync(join(this.dir, 'emgpu-spill-'));
    const handle = await open(join(folder, 'chunks.f64'), 'w+', 0o600);
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // Not unlinkable while open: removed on close and on exit instead.
      this.path = folder;
      process.once('exit', this.removeOnExit);
    }
    return handle;
  }

  private async *firstPass(spill: boolean): AsyncGenerator<ChunkInput> {
    const iterable: ChunkIterable = typeof this.inner === 'function' ? await this.inner() : this.inner;
    if (!spill || this.state !== 'writing') {
      yield* iterable;
      return;
    }
    try {
      this.handle = await this.create();
    } catch (error) {
      this.giveUp(`cannot create it in ${this.dir}: ${describe(error)}`);
      yield* iterable;
      return;
    }
    let complete = false;
    try {
      for await (const input of iterable) {
        if (this.state === 'writing') await this.write(input);
        yield input;
      }
      complete = true;
    } finally {
      // A pass that stopped early (an error, Ctrl-C) leaves no usable spill.
      if (this.state === 'writing') {
        if (complete) this.state = 'ready';
        else void this.close(); // silently: the error or Ctrl-C that stopped it is what to report
      }
    }
  }

  private async write(input: ChunkInput): Promise<void> {
    if (Array.isArray(input) || this.handle === null) {
      this.giveUp('the chunks are not typed arrays');
      return;
    }
    const chunk = input as StreamChunk;
    const values = chunk.rows * chunk.cols;
    // Chunks that fit() would refuse are not spilled: the scan pass reports them.
    if (chunk.data.length < values) return this.giveUp('a chunk is shorter than its shape');
    const data =
      chunk.data instanceof Float64Array
        ? chunk.data.subarray(0, values)
        : Float64Array.from(chunk.data.subarray(0, values));
    const weights = chunk.sampleWeight == null ? null : Float64Array.from(chunk.sampleWeight);
    const offset = this.bytes;
    try {
      await this.handle.write(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        0,
        data.byteLength,
        offset,
      );
      if (weights !== null)
        await this.handle.write(new Uint8Array(weights.buffer), 0, weights.byteLength, offset + data.byteLength);
    } catch (error) {
      return this.giveUp(`writing it failed: ${describe(error)}`);
    }
    this.table.push({ offset, rows: chunk.rows, cols: chunk.cols, weighted: weights !== null });
    this.bytes += data.byteLength + (weights?.byteLength ?? 0);
  }

  /** A later pass: the chunks read back, each into one of two buffers (one chunk is in flight while the next is read). */
  private async *readPass(): AsyncGenerator<StreamChunk> {
    const handle = this.handle;
    if (handle === null) throw new Error('internal: the spill file is closed');
    const largest = this.table.reduce((most, c) => Math.max(most, c.rows * (c.cols + (c.weighted ? 1 : 0))), 0);
    const buffers = [new Float64Array(largest), new Float64Array(largest)];
    let turn = 0;
    for (const { offset, rows, cols, weighted } of this.table) {
      const buffer = buffers[turn] as Float64Array;
      turn ^= 1;
      const values = rows * (cols + (weighted ? 1 : 0));
      const bytes = values * 8;
      const view = new Uint8Array(buffer.buffer, 0, bytes);
      let done = 0;
      while (done < bytes) {
        const { bytesRead } = await handle.read(view, done, bytes - done, offset + done);
        if (bytesRead === 0) throw new Error('internal: the spill file ended early');
        done += bytesRead;
      }
      const data = buffer.subarray(0, rows * cols);
      yield weighted ? { data, rows, cols, sampleWeight: buffer.subarray(rows * cols, values) } : { data, rows, cols };
    }
  }
}

/** The folder of the spill file: --spill DIR (checked: an existing folder) or the OS temporary folder. */
export async function spillFolder(option: string | undefined): Promise<string> {
  if (option === undefined) return tmpdir();
  let ok = false;
  try {
    ok = (await stat(option)).isDirectory();
  } catch (error) {
    throw new CliError(`--spill '${printable(option)}' cannot be used: ${describe(error)}; pass an existing folder.`);
  }
  if (!ok)
    throw new CliError(`--spill '${printable(option)}' is not a folder; pass an existing folder for the spill file.`);
  return option;
}
