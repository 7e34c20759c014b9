// bench/ab-report.ts: the before/after table of bench/ab.ts from saved runs: medians over the
// rounds, the change in percent, and the cells more than 10% slower flagged.
import { describe, expect, it } from 'vitest';
import { compareRuns, renderAbReport, type AbSide } from '../../bench/ab-report.ts';
import type { Measurement, SavedRun } from '../../bench/report.ts';

const cellA = { n: 100_000, d: 2, k: 4, covarianceType: 'full' as const };
const cellB = { n: 1_000_000, d: 2, k: 16, covarianceType: 'full' as const };

function run(medians: Array<[typeof cellA, string, number | null]>): SavedRun {
  const results: Measurement[] = medians.map(([cell, backend, median]) =>
    median === null ? { backend, cell, ok: false, skipped: 'budget' } : { backend, cell, ok: true, median },
  );
  return {
    date: '2026-12-07',
    quick: true,
    machine: { cpu: 'Test CPU', cores: 2, memory: 1, node: 'v20' },
    results,
    scale: [],
  };
}

const before: AbSide = {
  label: 'HEAD~1',
  runs: [
    run([
      [cellA, 'cpu', 0.01],
      [cellB, 'cpu', 0.1],
      [cellB, 'webgpu-node', null],
    ]),
    run([
      [cellA, 'cpu', 0.03],
      [cellB, 'cpu', 0.2],
      [cellB, 'webgpu-node', null],
    ]),
    run([
      [cellA, 'cpu', 0.02],
      [cellB, 'cpu', 0.3],
      [cellB, 'webgpu-node', null],
    ]),
  ],
};
const after: AbSide = {
  label: 'HEAD',
  runs: [
    run([
      [cellA, 'cpu', 0.021],
      [cellB, 'cpu', 0.5],
      [cellB, 'webgpu-node', 0.4],
    ]),
    run([
      [cellA, 'cpu', 0.02],
      [cellB, 'cpu', 0.1],
      [cellB, 'webgpu-node', 0.4],
    ]),
    run([
      [cellA, 'cpu', 0.5],
      [cellB, 'cpu', 0.25],
      [cellB, 'webgpu-node', 0.4],
    ]),
  ],
};

describe('bench/ab-report', () => {
  it('takes the median over the rounds of each side and flags only changes above 10%', () => {
    const cells = compareRuns(before, after);
    expect(cells.map((c) => [c.backend, c.before, c.after])).toEqual([
      ['cpu', 0.02, 0.021],
      ['cpu', 0.2, 0.25],
      ['webgpu-node', null, 0.4],
    ]);
    expect(cells[0]!.change).toBeCloseTo(0.05, 12);
    expect(cells[0]!.slower).toBe(false); // 5% slower: within the 10%
    expect(cells[1]!.change).toBeCloseTo(0.25, 12);
    expect(cells[1]!.slower).toBe(true);
    expect(cells[2]!.change).toBeNull(); // not measured before: no change, not flagged
    expect(cells[2]!.slower).toBe(false);
    expect(compareRuns(before, after, 0.3)[1]!.slower).toBe(false);
  });

  it('writes the table, the flagged cells and what ran', () => {
    const text = renderAbReport(before, after, {
      command: 'node bin/run-ts.js bench/run.ts --quick',
      date: '2026-12-07',
      files: ['before-1.json', 'after-1.json'],
    });
    expect(text).toContain('- before: HEAD~1');
    expect(text).toContain('- 3 rounds, before and after taking turns');
    expect(text).toContain('machine: Test CPU, 2 cores, Node v20');
    expect(text).toContain('**1 cell is more than 10% slower:** 1M×2 K=16 full on cpu (+25%).');
    expect(text).toContain('| cell | cpu before → after | webgpu-node before → after |');
    expect(text).toContain('| 100k×2 K=4 full | 20.0 ms → 21.0 ms (+5%) |  |');
    expect(text).toContain('| 1M×2 K=16 full | **200.0 ms → 250.0 ms (+25%)** | — → 400.0 ms |');
    const calm = renderAbReport(before, before, { command: 'x', date: 'd', files: [] });
    expect(calm).toContain('**No cell is more than 10% slower.**');
  });
});
