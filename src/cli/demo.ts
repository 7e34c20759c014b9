// `emgpu fit --demo`: fits Fisher's iris data (bundled in data/) and prints a human summary,
// including how well the components match the species.

import { fileURLToPath } from 'node:url';
import type { Mixture } from './bayesian.ts';
import { readData, type Table } from './data.ts';
import { PACKAGE_ROOT } from './package-root.ts';

export const IRIS_PATH = fileURLToPath(new URL('data/iris.csv', PACKAGE_ROOT));
export const IRIS_SPECIES_PATH = fileURLToPath(new URL('data/iris-species.csv', PACKAGE_ROOT));

export interface DemoData {
  readonly table: Table;
  readonly species: string[];
}

export async function loadIris(stdin: NodeJS.ReadableStream): Promise<DemoData> {
  const table = await readData(IRIS_PATH, stdin);
  const { readFile } = await import('node:fs/promises');
  const species = (await readFile(IRIS_SPECIES_PATH, 'utf8'))
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .slice(1);
  return { table, species };
}

const choose2 = (n: number): number => (n * (n - 1)) / 2;

/** Adjusted Rand index of two labelings (Hubert & Arabie 1985): 1 = identical partitions, ≈0 = chance. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    table.set(`${x},${y}`, (table.get(`${x},${y}`) ?? 0) + 1);
    rows.set(x, (rows.get(x) ?? 0) + 1);
    cols.set(y, (cols.get(y) ?? 0) + 1);
  }
  let index = 0;
  for (const count of table.values()) index += choose2(count);
  let sumRows = 0;
  for (const count of rows.values()) sumRows += choose2(count);
  let sumCols = 0;
  for (const count of cols.values()) sumCols += choose2(count);
  const expected = (sumRows * sumCols) / choose2(n);
  const max = (sumRows + sumCols) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

function table(rows: string[][], alignLeft: number): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows
    .map(
      (r) =>
        '  ' +
        r
          .map((cell, j) => (j < alignLeft ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

export interface DemoSummaryInput {
  readonly data: DemoData;
  readonly gm: Mixture;
  readonly labels: Int32Array;
  readonly milliseconds: number;
}

export function demoSummary({ data, gm, labels, milliseconds }: DemoSummaryInput): string {
  const { table: t, species } = data;
  const k = gm.nComponents;
  const d = t.cols;
  const names = t.header ?? Array.from({ length: d }, (_, j) => `x${j}`);
  const weights = gm.weights;
  const means = gm.means;
  const lines: string[] = [];
  lines.push("emgpu demo: Gaussian mixture fitted by EM to Fisher's iris data (data/iris.csv)");
  lines.push('');
  lines.push(`  data set     iris: 150 flowers of 3 species, 4 measurements in cm (Fisher 1936)`);
  lines.push(`  N, D, K      ${t.rows} rows, ${d} features, ${k} components (${gm.covarianceType} covariances)`);
  lines.push(`  backend      ${gm.backend}`);
  lines.push(`  iterations   ${gm.nIter} (${gm.converged ? 'converged' : 'did not converge; raise --max-iter'})`);
  lines.push(`  lower bound  ${gm.lowerBound.toFixed(6)} (mean log-likelihood per row)`);
  lines.push(`  time         ${milliseconds.toFixed(0)} ms`);
  lines.push('');
  lines.push('  Components (weight and mean of each measurement, cm):');
  const rows: string[][] = [['component', 'weight', ...names]];
  for (let c = 0; c < k; c++) {
    rows.push([
      String(c),
      (weights[c] as number).toFixed(3),
      ...Array.from({ length: d }, (_, j) => (means[c * d + j] as number).toFixed(3)),
    ]);
  }
  lines.push(table(rows, 1));
  lines.push('');
  const speciesNames = [...new Set(species)];
  const speciesIndex = species.map((s) => speciesNames.indexOf(s));
  lines.push('  Species against fitted component (counts; the species are not used by the fit):');
  const confusion: string[][] = [['species', ...Array.from({ length: k }, (_, c) => `comp ${c}`)]];
  for (let s = 0; s < speciesNames.length; s++) {
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < labels.length; i++) if (speciesIndex[i] === s) counts[labels[i] as number]! += 1;
    confusion.push([speciesNames[s]!, ...counts.map(String)]);
  }
  lines.push(table(confusion, 1));
  lines.push('');
  lines.push(
    `  adjusted Rand index (components vs species): ${adjustedRandIndex(labels, speciesIndex).toFixed(3)}  (1 = perfect agreement, 0 = chance)`,
  );
  return `${lines.join('\n')}\n`;
}
