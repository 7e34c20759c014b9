// BENCHMARKS.md from a saved benchmark run (bench/results/*.json) plus the real-GPU runs
// saved beside it (bench/results/h200-*-shapes.json, from bench/gpu/device.sh), with the
// bytes-and-FLOPs floor of each GPU case.
//   node bin/run-ts.js bench/report.ts bench/results/RUN.json     rewrites BENCHMARKS.md

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Cell } from './workload.ts';

export interface Measurement {
  backend: string;
  cell: Cell;
  ok: boolean;
  median?: number;
  seconds?: number[];
  peakMiB?: number;
  description?: string;
  error?: string;
  skipped?: string;
}

export interface SavedRun {
  date: string;
  quick?: boolean;
  machine: { cpu?: string | undefined; cores: number; memory: number; node: string };
  results: Measurement[];
  scale: Measurement[];
}

const sameCell = (a: Cell, b: Cell): boolean =>
  a.n === b.n && a.d === b.d && a.k === b.k && a.covarianceType === b.covarianceType;
const label = (c: Cell): string =>
  `${c.n >= 1e6 ? `${c.n / 1e6}M` : `${c.n / 1e3}k`}×${c.d} K=${c.k} ${c.covarianceType}`;
const fmt = (s: number | undefined): string =>
  s === undefined ? '—' : s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : `${s.toFixed(3)} s`;

function unique<T>(items: T[], same: (a: T, b: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) if (!out.some((o) => same(o, item))) out.push(item);
  return out;
}

function fitExponent(points: { n: number; t: number }[]): number | null {
  const usable = points.filter((p) => p.n >= 100_000);
  if (usable.length < 2) return null;
  const xs = usable.map((p) => Math.log(p.n));
  const ys = usable.map((p) => Math.log(p.t));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * ((ys[i] as number) - my);
    den += (x - mx) * (x - mx);
  });
  return num / den;
}

/**
 * FLOPs of one E-step + statistics per (row, component), full covariance: the triangular solve
 * D(D+1)/2 FMAs, the outer-product accumulation D(D+1)/2 FMAs, the differences and linear sums
 * (≈ 4D), and ≈ 10 for the exponent and log-sum-exp.
 */
export function flopsPerPair(d: number): number {
  return 2 * d * (d + 1) + 4 * d + 10;
}

/** H200 ceilings measured on the lent machines (KINDS.md): copy bandwidth; fp32 FMA rate by datasheet. */
const H200 = { bandwidth: 4.3e12, fp32: 60e12 };

function gpuFloorSection(root: string): string[] {
  const dir = join(root, 'bench/results');
  const files = readdirSync(dir)
    .filter((f) => /^h200-.*\.json$/.test(f))
    .sort();
  if (files.length === 0) return [];
  const lines: string[] = ['', '## Real GPU: NVIDIA H200, and the floor', ''];
  lines.push(
    `Runs of \`bench/gpu/device.sh\` on a lent NVIDIA H200 (Dawn + Vulkan in Node; the machine has no Node or npm, so the script carries a Node binary, Dawn and the bundled benchmark). Seconds per EM iteration (E-step + statistics + readback), median of 5; kernel ms from timestamp queries. The floor of an iteration is the larger of bytes of X read ÷ memory bandwidth (${H200.bandwidth / 1e12} TB/s, measured copy) and FLOPs ÷ the fp32 rate (${H200.fp32 / 1e12} TFLOP/s), with ${'`'}2·D(D+1) + 4D + 10${'`'} FLOPs per (row, component); "× floor" is the measured time over it.`,
    '',
  );
  type Row = {
    n: number;
    d: number;
    k: number;
    gpu?: number | null;
    kernelMs?: number | null;
    shapes?: Record<string, { s: number | null; kernelMs?: number | null }>;
  };
  for (const file of files) {
    const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { gpu: string; rows: Row[] };
    // Two layouts: one timing per row, or one per kernel shape.
    const shapesOf = (row: Row): Array<[string, { s: number | null; kernelMs?: number | null }]> =>
      row.shapes ? Object.entries(row.shapes) : [['auto', { s: row.gpu ?? null, kernelMs: row.kernelMs ?? null }]];
    const names = saved.rows.length > 0 ? shapesOf(saved.rows[0] as Row).map(([name]) => name) : [];
    lines.push(`### ${file.replace(/\.json$/, '')} (${saved.gpu}, 2026-11-27)`, '');
    lines.push(
      `| N × D | K | ${names.map((s) => `${s} s/iter | ${s} kernel ms`).join(' | ')} | floor ms | × floor (best) |`,
    );
    lines.push(`|${'---|'.repeat(3 + names.length * 2 + 1)}`);
    for (const row of saved.rows) {
      const { n, d, k } = row;
      const floor = Math.max((n * d * 4) / H200.bandwidth, (n * k * flopsPerPair(d)) / H200.fp32);
      const shapes = shapesOf(row);
      const times = shapes.map(([, v]) => v.s).filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
      const best = times.length > 0 ? Math.min(...times) : NaN;
      const cells = shapes.map(
        ([, v]) =>
          `${typeof v.s === 'number' ? fmt(v.s) : '—'} | ${typeof v.kernelMs === 'number' ? v.kernelMs.toFixed(2) : '—'}`,
      );
      lines.push(
        `| ${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`} × ${d} | ${k} | ${cells.join(' | ')} | ${(floor * 1000).toFixed(3)} | ${Number.isFinite(best) ? `${(best / floor).toFixed(1)}×` : '—'} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** BENCHMARKS.md from a saved run; `source` is the run's result file (relative to root), named in the header. */
export function renderReport(run: SavedRun, root: string, source?: string): string {
  const backends = unique(
    run.results.map((m) => m.backend),
    (a, b) => a === b,
  );
  const grid = unique(
    run.results.map((m) => m.cell),
    sameCell,
  );
  const scaleSizes = unique(
    run.scale.map((m) => m.cell.n),
    (a, b) => a === b,
  );
  const hasSklearn = backends.includes('sklearn');
  const engines = backends.filter((b) => b !== 'sklearn');
  const describe = new Map<string, string>();
  for (const m of [...run.results, ...run.scale]) if (m.ok && m.description) describe.set(m.backend, m.description);

  const lines: string[] = ['# Benchmarks', ''];
  lines.push(
    `Generated by \`npm run bench${run.quick ? ' -- --quick' : ''}\` on ${run.date}${source === undefined ? '' : `; the grid and the scale curve are [${source}](${source}), each H200 section the \`bench/results/\` file of its name`}. Machine: ${run.machine.cpu ?? 'unknown CPU'}, ${run.machine.cores} cores, ${(run.machine.memory / 2 ** 30).toFixed(0)} GiB, Node ${run.machine.node}, no GPU (WebGPU runs on the CPU cores through Mesa's llvmpipe in Node and SwiftShader in Chromium).`,
    '',
    'Backends:',
    '',
  );
  for (const b of backends) lines.push(`- \`${b}\`: ${describe.get(b) ?? 'not measured'}`);
  lines.push(
    '',
    "Seconds per EM iteration (one E-step on the backend + the float64 M-step; median of 5 after 1 warm-up), throughput in million points × components per second, peak resident memory of the measuring process. Ratios are scikit-learn's time over the backend's (higher is faster). \"skip\": estimated beyond the run's time budget.",
    '',
  );
  lines.push(
    `| cell | ${backends.map((b) => `${b} s/iter`).join(' | ')} | ${engines.map((b) => `${b} M/s`).join(' | ')}${hasSklearn ? ` | ${engines.map((b) => `${b} vs sklearn`).join(' | ')}` : ''} | peak MiB cpu-1 / cpu |`,
  );
  lines.push(`|${'---|'.repeat(1 + backends.length + engines.length * (hasSklearn ? 2 : 1) + 1)}`);
  for (const cell of grid) {
    const of = (b: string) => run.results.find((m) => m.backend === b && sameCell(m.cell, cell));
    const times = backends.map((b) => {
      const m = of(b);
      return m?.ok ? fmt(m.median) : m?.skipped ? 'skip' : 'error';
    });
    const throughput = engines.map((b) => {
      const m = of(b);
      return m?.ok && m.median ? ((cell.n * cell.k) / m.median / 1e6).toFixed(0) : '—';
    });
    const sk = of('sklearn');
    const ratios = hasSklearn
      ? engines.map((b) => {
          const m = of(b);
          return m?.ok && sk?.ok && m.median && sk.median ? `${(sk.median / m.median).toFixed(1)}×` : '—';
        })
      : [];
    const peak = [of('cpu-1')?.peakMiB, of('cpu')?.peakMiB]
      .map((p) => (p === undefined ? '—' : p.toFixed(0)))
      .join(' / ');
    lines.push(`| ${label(cell)} | ${[...times, ...throughput, ...ratios].join(' | ')} | ${peak} |`);
  }
  if (!hasSklearn) lines.push('', 'scikit-learn was not found (python3 with sklearn), so its column is omitted.');
  if (run.scale.length > 0) {
    lines.push('', '## Scale curve (D = 2, K = 16, full)', '');
    lines.push(
      'Time per iteration against N. The exponent is the least-squares slope of log t on log N for N ≥ 100k (1 = linear). Below the N where the time first reaches twice the time at the smallest N, fixed per-iteration costs (dispatch, submit, readback, M-step, worker messages) dominate.',
      '',
    );
    lines.push(
      `| backend | ${scaleSizes.map((n) => `N=${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`}`).join(' | ')} | exponent | overhead dominates below |`,
    );
    lines.push(`|${'---|'.repeat(scaleSizes.length + 3)}`);
    for (const b of unique(
      run.scale.map((m) => m.backend),
      (x, y) => x === y,
    )) {
      const pts = run.scale
        .filter((m) => m.backend === b && m.ok && m.median !== undefined)
        .map((m) => ({ n: m.cell.n, t: m.median as number }));
      const exponent = fitExponent(pts);
      const base = pts[0];
      const knee = base ? pts.find((p) => p.t >= 2 * base.t)?.n : undefined;
      lines.push(
        `| ${b} | ${scaleSizes.map((n) => fmt(pts.find((p) => p.n === n)?.t)).join(' | ')} | ${exponent === null ? '—' : exponent.toFixed(2)} | ${knee ? knee.toLocaleString('en') : '—'} |`,
      );
    }
  }
  lines.push(...gpuFloorSection(root));
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bin/run-ts.js bench/report.ts bench/results/RUN.json');
    process.exit(2);
  }
  const root = resolve(import.meta.dirname, '..');
  const source = relative(root, resolve(file));
  writeFileSync(
    join(root, 'BENCHMARKS.md'),
    renderReport(JSON.parse(readFileSync(file, 'utf8')) as SavedRun, root, source),
  );
  console.log('wrote BENCHMARKS.md');
}
