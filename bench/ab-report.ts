// The report of an interleaved before/after benchmark (bench/ab.ts): from the result JSONs that
// `bench/run.ts` wrote in each round, the median over the rounds of each cell's median seconds
// per iteration, before → after, with the change in percent; cells more than `threshold` slower
// are flagged. Pure: no files, no processes (tested in test/bench/ab-report.test.ts).

import type { Measurement, SavedRun } from './report.ts';
import { median, type Cell } from './workload.ts';

export interface AbSide {
  /** What was measured: a revision (with its commit) or a worktree path. */
  readonly label: string;
  /** One saved run per round, in the order they ran. */
  readonly runs: readonly SavedRun[];
}

export interface AbCell {
  readonly cell: Cell;
  readonly backend: string;
  /** Median over the rounds of the run's median s/iteration; null where no round measured it. */
  readonly before: number | null;
  readonly after: number | null;
  /** after / before − 1; null unless both were measured. */
  readonly change: number | null;
  /** change > threshold. */
  readonly slower: boolean;
}

export const cellLabel = (c: Cell): string =>
  `${c.n >= 1e6 ? `${c.n / 1e6}M` : `${c.n / 1e3}k`}×${c.d} K=${c.k} ${c.covarianceType}`;

const cellKey = (c: Cell): string => `${c.n}:${c.d}:${c.k}:${c.covarianceType}`;

const seconds = (s: number): string => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);

/** Each measured (cell, backend) of both sides, in the order the runs list them. */
export function compareRuns(before: AbSide, after: AbSide, threshold = 0.1): AbCell[] {
  const order: { cell: Cell; backend: string }[] = [];
  const seen = new Set<string>();
  const times = { before: new Map<string, number[]>(), after: new Map<string, number[]>() };
  const collect = (side: 'before' | 'after', runs: readonly SavedRun[]): void => {
    for (const run of runs) {
      for (const m of run.results as Measurement[]) {
        const key = `${cellKey(m.cell)}|${m.backend}`;
        if (!seen.has(key)) {
          seen.add(key);
          order.push({ cell: m.cell, backend: m.backend });
        }
        if (m.ok && typeof m.median === 'number' && Number.isFinite(m.median)) {
          const list = times[side].get(key) ?? [];
          list.push(m.median);
          times[side].set(key, list);
        }
      }
    }
  };
  collect('before', before.runs);
  collect('after', after.runs);
  return order.map(({ cell, backend }) => {
    const key = `${cellKey(cell)}|${backend}`;
    const b = times.before.get(key);
    const a = times.after.get(key);
    const bm = b === undefined ? null : median(b);
    const am = a === undefined ? null : median(a);
    const change = bm !== null && am !== null ? am / bm - 1 : null;
    return { cell, backend, before: bm, after: am, change, slower: change !== null && change > threshold };
  });
}

/** report.md: what ran, the flagged cells, and a table of cells × backends, before → after (change). */
export function renderAbReport(
  before: AbSide,
  after: AbSide,
  options: { command: string; date: string; threshold?: number; files: readonly string[] },
): string {
  const threshold = options.threshold ?? 0.1;
  const cells = compareRuns(before, after, threshold);
  const backends = [...new Set(cells.map((c) => c.backend))];
  const rows = [...new Map(cells.map((c) => [cellKey(c.cell), c.cell])).values()];
  const machine = (before.runs[0] ?? after.runs[0])?.machine;
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
  const entry = (c: AbCell | undefined): string => {
    if (c === undefined) return '';
    if (c.before === null && c.after === null) return 'not measured';
    if (c.before === null || c.after === null)
      return `${c.before === null ? '—' : seconds(c.before)} → ${c.after === null ? '—' : seconds(c.after)}`;
    const text = `${seconds(c.before)} → ${seconds(c.after)} (${pct(c.change as number)})`;
    return c.slower ? `**${text}**` : text;
  };
  const rounds = Math.max(before.runs.length, after.runs.length);
  const lines = [
    `# Before/after benchmark, ${options.date}`,
    '',
    `- before: ${before.label}`,
    `- after: ${after.label}`,
    `- ${rounds} round${rounds === 1 ? '' : 's'}, before and after taking turns (the order swapped every round), each \`${options.command}\` in the revision's own worktree`,
    machine === undefined
      ? '- machine: unknown'
      : `- machine: ${machine.cpu ?? 'unknown CPU'}, ${machine.cores} cores, Node ${machine.node}`,
    `- raw results: ${options.files.join(', ')}`,
    '',
    `Seconds per EM iteration: for each side, the median over the rounds of each run's median. Bold: more than ${(threshold * 100).toFixed(0)}% slower after.`,
    '',
  ];
  const slower = cells.filter((c) => c.slower);
  lines.push(
    slower.length === 0
      ? `**No cell is more than ${(threshold * 100).toFixed(0)}% slower.**`
      : `**${slower.length} cell${slower.length === 1 ? ' is' : 's are'} more than ${(threshold * 100).toFixed(0)}% slower:** ${slower
          .map((c) => `${cellLabel(c.cell)} on ${c.backend} (${pct(c.change as number)})`)
          .join('; ')}.`,
    '',
    `| cell | ${backends.map((b) => `${b} before → after`).join(' | ')} |`,
    `|---|${backends.map(() => '---').join('|')}|`,
  );
  for (const cell of rows) {
    const entries = backends.map((b) => entry(cells.find((c) => c.backend === b && cellKey(c.cell) === cellKey(cell))));
    lines.push(`| ${cellLabel(cell)} | ${entries.join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}
