// A synthetic Parquet table for streamed EM (bench/stream.ts), written with hyparquet-writer one
// row group at a time, so that generating 100M rows needs the memory of one row group:
// columns x, y (DOUBLE, uncompressed), four well-separated Gaussian clusters of unequal weight.
//
//   node bin/run-ts.js bench/make-synthetic.ts OUT.parquet ROWS [ROW_GROUP_ROWS]

import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { Random } from '../src/random.ts';

const CENTRES = [
  [0, 0],
  [8, 1],
  [3, 9],
  [-6, 5],
] as const;
const WEIGHTS = [0.4, 0.3, 0.2, 0.1];

/** Writes `rows` rows to `path`; returns the seconds it took. */
export function makeSynthetic(path: string, rows: number, groupRows = 1_000_000, seed = 1): number {
  const started = performance.now();
  const random = new Random(seed);
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'x', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      { name: 'y', type: 'DOUBLE', repetition_type: 'REQUIRED' },
    ],
    codec: 'UNCOMPRESSED',
    statistics: false,
  });
  for (let start = 0; start < rows; start += groupRows) {
    const n = Math.min(groupRows, rows - start);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = random.nextFloat();
      let c = 0;
      for (let acc = WEIGHTS[0] as number; u > acc && c < 3; acc += WEIGHTS[++c] as number);
      const centre = CENTRES[c] as readonly [number, number];
      x[i] = centre[0] + (1 + 0.3 * c) * random.nextGaussian();
      y[i] = centre[1] + 0.5 * x[i]! * (c === 1 ? 0.3 : 0) + (1 - 0.1 * c) * random.nextGaussian();
    }
    writer.write({
      columnData: [
        { name: 'x', data: x },
        { name: 'y', data: y },
      ],
      rowGroupSize: n,
    });
  }
  writer.finish();
  return (performance.now() - started) / 1000;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('make-synthetic.ts')) {
  const [path, rows, group] = process.argv.slice(2);
  if (path === undefined || rows === undefined) {
    console.error('usage: node bin/run-ts.js bench/make-synthetic.ts OUT.parquet ROWS [ROW_GROUP_ROWS]');
    process.exit(2);
  }
  const seconds = makeSynthetic(path, Number(rows), group === undefined ? undefined : Number(group));
  console.log(`wrote ${rows} rows to ${path} in ${seconds.toFixed(1)} s`);
}
