// `emgpu select DATA`: every K × covariance type of a grid fitted and scored (BIC, AIC, ICL);
// a readable table on stdout with the best marked, and with --output the table and the best
// model as JSON.

import { InvalidArgumentError, Option } from 'commander';
import type { DataOptions, Table } from './data.ts';
import { MCLUST_MODELS } from '../model/names.ts';
import {
  COVARIANCE_TYPES,
  SKLEARN_COVARIANCE_TYPES,
  INIT_METHODS,
  type BackendChoice,
  type CovarianceType,
  type InitMethod,
} from '../options.ts';
import { HC_MAX_ROWS } from '../init/hc.ts';
import { mclustName } from '../model/names.ts';
import {
  CRITERIA,
  SELECT_DEFAULTS,
  SELECT_STRATEGIES,
  selectModel,
  type Criterion,
  type SelectionResult,
  type SelectionRow,
  type SelectStrategy,
} from '../select-model.ts';
import { CliError } from './errors.ts';
import type { ChunkedOutput } from './output.ts';

export interface SelectOpts extends DataOptions {
  components?: number[];
  covariance?: CovarianceType[];
  criterion?: Criterion;
  strategy?: SelectStrategy;
  hcSubset?: number;
  nInit?: number;
  seed?: number;
  maxIter?: number;
  tol?: number;
  regCovar?: number;
  init?: string;
  backend?: BackendChoice;
  sampleWeight?: string;
  output?: string;
  verbose?: boolean;
}

/** What the command needs from the CLI's plumbing (src/cli/commands/select.ts). */
export interface SelectIO {
  readonly signal: AbortSignal;
  readTable(path: string): Promise<Table>;
  readWeights(path: string, table: Table): Promise<Float64Array>;
  /** Writes to --output (atomically) when given. */
  writeJson(text: string): Promise<void>;
  /** The readable table, on stdout. */
  print(write: (out: ChunkedOutput) => Promise<unknown>): Promise<void>;
  progress(line: string): void;
}

/** "1-10", "2,4,8" or "3". */
export function componentList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range !== null) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (from < 1 || to < from || to - from > 1000)
        throw new InvalidArgumentError('A range must be FROM-TO with 1 ≤ FROM ≤ TO, e.g. 1-10.');
      for (let k = from; k <= to; k++) out.push(k);
    } else if (/^\d+$/.test(part) && Number(part) >= 1) {
      out.push(Number(part));
    } else {
      throw new InvalidArgumentError('It must be K values ≥ 1 as a range or a list, e.g. 1-10 or 2,4,8.');
    }
  }
  return [...new Set(out)];
}

/** A comma-separated list of covariance types; 'all' stands for mclust's 14 models. */
export function covarianceList(value: string): CovarianceType[] {
  const items = value.split(',').flatMap((p) => (p.trim() === 'all' ? [...MCLUST_MODELS] : [p.trim()]));
  for (const item of items) {
    if (!(COVARIANCE_TYPES as readonly string[]).includes(item))
      throw new InvalidArgumentError(
        `Each type must be one of ${SKLEARN_COVARIANCE_TYPES.join(', ')}, mclust's ${MCLUST_MODELS.join(', ')}, or all (mclust's 14).`,
      );
  }
  return [...new Set(items as CovarianceType[])];
}

/** --hc-subset, for fit and select. */
export function hcSubsetOption(): Option {
  return new Option(
    '--hc-subset <N>',
    `init hc: build the tree on at most N rows, drawn at random from larger data (2 to ${HC_MAX_ROWS}; default: 2000, as mclust)`,
  ).argParser((value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < 2 || n > HC_MAX_ROWS)
      throw new InvalidArgumentError(
        `It must be an integer from 2 to ${HC_MAX_ROWS} (hc holds every pair of rows in memory).`,
      );
    return n;
  });
}

export function selectOptions(): Option[] {
  return [
    new Option('-k, --components <list>', 'the K to try: a range or a list (default: 1-10)').argParser(componentList),
    new Option(
      '--covariance <list>',
      `the covariance types to try, comma-separated: sklearn's names or mclust's (EII … VVV), or all for mclust's 14 (default: ${SKLEARN_COVARIANCE_TYPES.join(',')})`,
    ).argParser(covarianceList),
    new Option(
      '--criterion <name>',
      'the criterion that picks the best model, smaller is better (default: bic)',
    ).choices(CRITERIA),
    new Option(
      '--strategy <name>',
      `how each cell starts: init (one fit from --init), hc (mclust's hierarchical clustering), emEM (${SELECT_DEFAULTS.shortRuns} short runs of ${SELECT_DEFAULTS.shortIter} iterations from k-means++ seeds, the best continued), hc+emEM (both, the better kept), emEM+hc (hc's start among the short runs, one continued), hc+best (hc everywhere, emEM too in the 5 best rows; every cell on data above --hc-subset rows) (default: ${SELECT_DEFAULTS.strategy})`,
    ).choices(SELECT_STRATEGIES),
    hcSubsetOption(),
  ];
}

const fmt = (v: number): string => (Math.abs(v) >= 1e7 ? v.toExponential(6) : v.toFixed(3));

function renderTable(result: SelectionResult, header: string): string {
  const lines = [header, "BIC, AIC and ICL in emgpu's sign (smaller is better; mclust's BIC is −BIC)", ''];
  const names = result.table.map((row) => {
    const mclust = mclustName(row.covarianceType);
    return mclust === null || (mclust as string) === row.covarianceType
      ? row.covarianceType
      : `${row.covarianceType} (${mclust})`;
  });
  const width = Math.max(10, ...names.map((n) => n.length));
  lines.push(
    [
      'covariance'.padEnd(width),
      'K'.padStart(3),
      'BIC'.padStart(14),
      'AIC'.padStart(14),
      'ICL'.padStart(14),
      'lower bound'.padStart(13),
      'iterations'.padStart(11),
      'seconds'.padStart(8),
    ].join('  '),
  );
  result.table.forEach((row, i) => {
    const mark = row === result.bestRow ? ' *' : row.degenerate ? ' ~' : '';
    lines.push(
      [
        (names[i] as string).padEnd(width),
        String(row.nComponents).padStart(3),
        fmt(row.bic).padStart(14),
        fmt(row.aic).padStart(14),
        fmt(row.icl).padStart(14),
        row.lowerBound.toFixed(6).padStart(13),
        `${row.nIter}${row.converged ? '' : '!'}`.padStart(11),
        row.seconds.toFixed(2).padStart(8),
      ].join('  ') + mark,
    );
  });
  const b = result.bestRow;
  lines.push(
    '',
    `best by ${result.criterion.toUpperCase()} (*): ${names[result.table.indexOf(b)] as string}, K = ${b.nComponents} (${result.criterion.toUpperCase()} ${fmt(b[result.criterion])})`,
  );
  if (result.table.some((r) => r.degenerate))
    lines.push(
      '~ degenerate: a component collapsed onto too few rows (singular but for --reg-covar), never chosen; mclust reports NA',
    );
  if (result.table.some((r) => !r.converged))
    lines.push('! did not converge within --max-iter (raise --max-iter or --tol)');
  return `${lines.join('\n')}\n`;
}

const rowJson = (row: SelectionRow) => ({ ...row });

export async function selectCommand(io: SelectIO, dataPath: string, opts: SelectOpts): Promise<void> {
  let initParams: InitMethod | undefined;
  if (opts.init !== undefined) {
    if (!(INIT_METHODS as readonly string[]).includes(opts.init))
      throw new CliError(`--init for select must be a method (${INIT_METHODS.join(', ')}); init files are for fit.`);
    initParams = opts.init as InitMethod;
  }
  const table = await io.readTable(dataPath);
  const sampleWeight = opts.sampleWeight === undefined ? null : await io.readWeights(opts.sampleWeight, table);
  const components = opts.components ?? Array.from({ length: 10 }, (_, i) => i + 1);
  const tooMany = components.filter((k) => k > table.rows);
  if (tooMany.length > 0)
    throw new CliError(
      `${table.label} has ${table.rows} rows but --components includes ${tooMany.length <= 5 ? tooMany.join(', ') : `${tooMany.length} values above that (${tooMany.slice(0, 3).join(', ')}, …, ${tooMany.at(-1)})`}; try at most ${table.rows} components.`,
    );
  const covarianceTypes = opts.covariance ?? [...SKLEARN_COVARIANCE_TYPES];
  const criterion = opts.criterion ?? 'bic';
  const total = components.length * covarianceTypes.length;
  let backendName = '';
  const result = await selectModel(
    { data: table.data, rows: table.rows, cols: table.cols },
    {
      nComponents: components,
      covarianceTypes,
      criterion,
      randomState: opts.seed ?? null,
      backend: opts.backend ?? 'auto',
      signal: io.signal,
      sampleWeight,
      ...(opts.nInit !== undefined ? { nInit: opts.nInit } : {}),
      ...(opts.maxIter !== undefined ? { maxIter: opts.maxIter } : {}),
      ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
      ...(opts.regCovar !== undefined ? { regCovar: opts.regCovar } : {}),
      ...(initParams !== undefined ? { initParams } : {}),
      ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}),
      ...(opts.hcSubset !== undefined ? { hcSubset: opts.hcSubset } : {}),
      onProgress: ({ done, row }) =>
        io.progress(
          `select: ${done}/${total} fitted (${row.covarianceType}, K = ${row.nComponents}: BIC ${fmt(row.bic)})`,
        ),
    },
  );
  backendName = result.best.backend;
  const header = `emgpu select: ${table.rows} × ${table.cols} from ${table.label}; K ${components.join(', ')} × ${covarianceTypes.join(', ')}; ${backendName}`;
  if (opts.output !== undefined) {
    const json = {
      criterion,
      table: result.table.map(rowJson),
      best: { ...rowJson(result.bestRow), model: result.best.toJSON() },
    };
    await io.writeJson(`${JSON.stringify(json, null, 2)}\n`);
  }
  await io.print((out) => out.text(renderTable(result, header)));
}
