// Byte-level probe of the Arrow IPC reader (issue 19, row 1): a small table written by
// apache-arrow as an IPC file and as an IPC stream, with 4 bytes overwritten at every offset by
// each of three patterns (0x80000000, 0x7fffffff, 10000 as little-endian int32), each read by
// readArrow. Every case must be read or refused with an EmgpuInputError; a hang never returns
// (run it under `timeout`). Prints a summary and writes it to bench/results/arrow-probe-<date>.json.
//
//   node bin/run-ts.js bench/arrow-probe.ts

import { mkdirSync, writeFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { readArrow } from '../src/io/arrow.ts';

const x = Float64Array.from({ length: 150 }, (_, i) => i % 7);
const y = Float64Array.from({ length: 150 }, (_, i) => (i * 3) % 11);
const patterns = [
  [0, 0, 0, 0x80],
  [0xff, 0xff, 0xff, 0x7f],
  [0x10, 0x27, 0, 0],
];
const summary: Record<string, unknown> = {};
for (const format of ['file', 'stream'] as const) {
  const bytes = tableToIPC(tableFromArrays({ x, y }), format);
  const tally = {
    cases: 0,
    read: 0,
    refusedAsDamaged: 0,
    otherInputErrors: 0,
    unexpected: [] as string[],
    slowestMs: 0,
  };
  for (let at = 0; at + 4 <= bytes.length; at++) {
    for (const pattern of patterns) {
      const copy = Uint8Array.from(bytes);
      copy.set(pattern, at);
      const started = performance.now();
      try {
        await readArrow(copy, { label: 'probe', optionName: '--columns' });
        tally.read++;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'EmgpuInputError')
          tally.unexpected.push(`${at} ${pattern.join(',')}: ${String(error)}`);
        else if (error.message.includes('is damaged')) tally.refusedAsDamaged++;
        else tally.otherInputErrors++;
      }
      tally.cases++;
      tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
    }
  }
  summary[format] = { bytes: bytes.length, ...tally, slowestMs: Math.round(tally.slowestMs) };
  console.log(format, JSON.stringify(summary[format]));
}
mkdirSync('bench/results', { recursive: true });
const out = `bench/results/arrow-probe-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`wrote ${out}`);
