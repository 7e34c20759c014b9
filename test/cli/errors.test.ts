import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFsError } from '../../src/cli/data.ts';
import { releaseBackends } from '../../src/select-backend.ts';
import { IRIS, listDir, run, tempDir, writeFile } from './helpers.ts';

afterAll(() => releaseBackends());

const CPU = ['--backend', 'cpu'];
const GOOD = '1,2\n3,4\n5,7\n8,1\n2,2\n';

const NOTE = /^emgpu: note: /;

/**
 * Runs a failing command and checks: exit code, exactly one error line on stderr matching
 * (besides notes such as a header being detected), --output untouched.
 */
async function expectFailure(argv: string[], message: RegExp, exitCode = 2, stdin?: string): Promise<string> {
  const outDir = tempDir();
  const withOutput = ['fit', 'predict', 'score', 'sample'].includes(argv[0] as string)
    ? [...argv, '--output', join(outDir, 'out.txt')]
    : argv;
  const result = await run(withOutput, stdin === undefined ? {} : { stdin });
  expect(result.stderr.endsWith('\n')).toBe(true);
  const lines = result.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !NOTE.test(line));
  expect(lines).toHaveLength(1);
  const error = `${lines[0]}\n`;
  expect(error).toMatch(message);
  expect(error).toMatch(/^emgpu: /);
  expect(result.code).toBe(exitCode);
  expect(result.stdout).toBe('');
  expect(listDir(outDir)).toEqual([]); // nothing written, no temporary file
  return error;
}

describe('bad data', () => {
  const dir = tempDir();
  it('a non-numeric cell: file, row as in the file (counting the header), column', async () => {
    const file = writeFile(dir, 'text.csv', 'x,y\n1,2\n3,4\n5,abc\n');
    await expectFailure(
      ['fit', file, ...CPU],
      new RegExp(
        `^emgpu: ${file}, row 4, column 2 \\("y"\\): "abc" is not a number; every value must be a finite number \\(fix or remove that row\\)\\.\n$`,
      ),
    );
  });

  it('row numbers count blank lines and quoted multi-line cells', async () => {
    const file = writeFile(dir, 'blank.csv', '1,2\n\n3,"4\n"\n5,x\n');
    await expectFailure(['fit', file, ...CPU], /blank\.csv, row 5, column 2: "x" is not a number/);
    const later = writeFile(dir, 'blank2.csv', '1,2\n\n3,4\n\n5,x\n');
    await expectFailure(['fit', later, ...CPU], /blank2\.csv, row 5, column 2: "x" is not a number/);
  });

  it('ragged rows', async () => {
    const file = writeFile(dir, 'ragged.csv', 'a,b\n1,2\n3,4,5\n');
    await expectFailure(
      ['fit', file, ...CPU],
      /ragged\.csv, row 3 has 3 columns but row 1 has 2; every row needs the same number of columns/,
    );
  });

  it.each([
    [
      'NaN',
      /row 2, column 1: the value is "NaN" \(not a number\); every value must be a finite number \(remove or impute missing values, or marginalise over them: --missing marginalize\)/,
    ],
    ['nan', /row 2, column 1: the value is "nan" \(not a number\)/],
    ['inf', /row 2, column 1: the value is "inf" \(infinite\); every value must be a finite number/],
    ['-Infinity', /row 2, column 1: the value is "-Infinity" \(infinite\)/],
    ['1e999', /row 2, column 1: 1e999 overflows to Infinity/],
    ['', /row 2, column 1: the cell is empty \(a missing value\)/],
  ])('a non-finite or missing value %j', async (value, message) => {
    const file = writeFile(dir, `value-${value || 'empty'}.csv`, `1,2\n${value},3\n4,5\n`);
    await expectFailure(['fit', file, ...CPU], message);
  });

  it('NaN in the first row is data, not a header', async () => {
    const file = writeFile(dir, 'nanfirst.csv', 'NaN,1\n2,3\n');
    await expectFailure(['fit', file, ...CPU], /nanfirst\.csv, row 1, column 1: the value is "NaN"/);
  });

  it('empty data', async () => {
    await expectFailure(
      ['fit', writeFile(dir, 'empty.csv', ''), ...CPU],
      /empty\.csv has no data rows; pass at least one row of numbers/,
    );
    await expectFailure(
      ['fit', writeFile(dir, 'header.csv', 'a,b\n'), ...CPU],
      /header\.csv has no data rows \(only a header row\)/,
    );
    await expectFailure(['fit', writeFile(dir, 'empty.json', '[]'), ...CPU], /empty\.json has no data rows/);
    await expectFailure(['fit', '-', ...CPU], /^emgpu: stdin has no data rows/, 2, '');
  });

  it('fewer rows than components', async () => {
    const file = writeFile(dir, 'few.csv', '1,2\n3,4\n');
    await expectFailure(
      ['fit', file, '-k', '3', ...CPU],
      /few\.csv has 2 data rows but --components is 3; pass at least 3 rows or lower --components/,
    );
  });

  it('bad JSON data', async () => {
    await expectFailure(
      ['fit', writeFile(dir, 'bad.json', '[[1, 2], [3'), ...CPU],
      /bad\.json is not valid JSON \(.*\); a JSON data file must hold an array of rows/,
    );
    await expectFailure(
      ['fit', writeFile(dir, 'obj.json', '{"a": 1}'), ...CPU],
      /obj\.json holds a JSON object, not an array/,
    );
    await expectFailure(
      ['fit', writeFile(dir, 'rag.json', '[[1, 2], [3]]'), ...CPU],
      /rag\.json, row 2 has 1 columns but row 1 has 2/,
    );
    await expectFailure(
      ['fit', writeFile(dir, 'null.json', '[[1, 2], [3, null]]'), ...CPU],
      /null\.json, row 2, column 2: the value is null \(a missing value\)/,
    );
    await expectFailure(
      ['fit', writeFile(dir, 'str.json', '[[1, 2], [3, "NaN"]]'), ...CPU],
      /str\.json, row 2, column 2: the value is "NaN"/,
    );
  });

  it('unreadable files', async () => {
    await expectFailure(
      ['fit', join(dir, 'missing.csv'), ...CPU],
      /cannot read data file '.*missing\.csv': no such file or directory; check the path/,
    );
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expectFailure(['fit', sub, ...CPU], /cannot read data file '.*a-directory': it is a directory; pass a file/);
    await expectFailure(
      ['predict', '-m', join(dir, 'nomodel.json'), IRIS],
      /cannot read model file '.*nomodel\.json': no such file or directory/,
    );
  });
});

describe('an input larger than the longest string', () => {
  it('is named as such, with the limit (readFile throws a RangeError, Buffer#toString a coded error)', () => {
    const expected = /^it is too large to read at once \(the limit is 512 MiB of text\); split it into smaller files$/;
    expect(describeFsError(new RangeError('Invalid string length'))).toMatch(expected);
    expect(
      describeFsError(
        Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), {
          code: 'ERR_STRING_TOO_LONG',
        }),
      ),
    ).toMatch(expected);
  });
});

describe('text from files is printed safely', () => {
  const dir = tempDir();
  // Control characters (other than the line ends) and bidirectional overrides: none may reach the terminal.
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('header names with escape sequences, in the note and in the error', async () => {
    const file = writeFile(dir, 'esc.csv', 'a\u001b[2J,b\u0007,7\n1,2,3\n3,x,4\n');
    const result = await run(['fit', file, ...CPU]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr).toBe(
      `emgpu: note: ${file}: row 1 is read as a header, not as data ("a\\u001b[2J" in column 1 is not a number as emgpu reads them); if it is data, write its values as plain decimals.\n` +
        `emgpu: ${file}, row 3, column 2 ("b\\u0007"): "x" is not a number; every value must be a finite number (fix or remove that row).\n`,
    );
  });

  it.each([
    [
      'cell.csv',
      '1,2\n3,\u001b]0;title\u0007\u009b2J\n',
      /row 2, column 2: "\\u001b]0;title\\u0007\\u009b2J" is not a number/,
    ],
    ['bidi.csv', 'x\u202egnp.exe,y\nz,1\n', /row 2, column 1 \("x\\u202egnp\.exe"\): "z" is not a number/],
    ['cell.json', '[[1, "\\u001b[31mred"]]', /row 1, column 2: "\\u001b\[31mred" is not a number/],
    [
      'object.json',
      '[[1, {"a": "\\u009b"}]]',
      /row 1, column 2: the value is \{"a":"\\u009b"\}; every value must be a finite number/,
    ],
    ['evil\u001b[31m.csv', '1,2\n3,x\n', /evil\\u001b\[31m\.csv, row 2, column 2: "x" is not a number/],
  ])('%j', async (name, text, message) => {
    const result = await run(['fit', writeFile(dir, name, text), ...CPU]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
  });

  it('a model file whose JSON error quotes a control character', async () => {
    const model = writeFile(dir, 'ctl.json', '{"weights": \u001b}');
    const result = await run(['predict', '-m', model, writeFile(dir, 'ok.csv', GOOD)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^emgpu: model file .*ctl\.json is not valid JSON/);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
  });

  it("command-line values in commander's messages", async () => {
    const result = await run(['fit', writeFile(dir, 'fine.csv', GOOD), '--covariance', 'x\u001b[5m']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/argument 'x\\u001b\[5m' is invalid/);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
  });
});

describe('a first row read as a header is said so', () => {
  const dir = tempDir();
  it('0x10,2 is a header row (hexadecimal is not a number here): one note on stderr, the fit goes on', async () => {
    const file = writeFile(dir, 'hex.csv', '0x10,2\n1,2\n3,4\n5,7\n');
    const result = await run(['fit', file, ...CPU, '--seed', '0']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `emgpu: note: ${file}: row 1 is read as a header, not as data ("0x10" in column 1 is not a number as emgpu reads them); if it is data, write its values as plain decimals.\n`,
    );
    const [mean] = JSON.parse(result.stdout).means as number[][];
    expect(mean![0]).toBeCloseTo(3, 12); // the mean of the three data rows, not of four
    expect(mean![1]).toBeCloseTo(13 / 3, 12);
  });

  it('no note without a header or for a header of names; the note names the first non-numeric cell and its row', async () => {
    const plain = await run(['fit', writeFile(dir, 'plain.csv', GOOD), ...CPU]);
    expect(plain.stderr).toBe('');
    const names = await run(['fit', writeFile(dir, 'names.csv', 'x,y\n1,2\n3,4\n5,7\n'), ...CPU]);
    expect(names.stderr).toBe('');
    const later = await run(['fit', writeFile(dir, 'late.csv', '\n\n1,name\n1,2\n3,4\n'), ...CPU]);
    expect(later.stderr).toMatch(
      /late\.csv: row 3 is read as a header, not as data \("name" in column 2 is not a number as emgpu reads them\); if it is data, write its values as plain decimals\.\n$/,
    );
    const weights = await run([
      'fit',
      writeFile(dir, 'x.csv', GOOD),
      ...CPU,
      '--sample-weight',
      writeFile(dir, 'w.csv', 'w\n1\n1\n1\n1\n1\n'),
    ]);
    expect(weights.stderr).toBe('');
  });
});

describe('bad options', () => {
  const dir = tempDir();
  const data = writeFile(dir, 'x.csv', GOOD);
  it.each([
    [['--components', '0'], /option '-k, --components <K>' argument '0' is invalid\. It must be an integer ≥ 1/],
    [['-k', '1.5'], /argument '1\.5' is invalid\. It must be an integer ≥ 1/],
    [
      ['--covariance', 'foo'],
      /option '--covariance <type>' argument 'foo' is invalid\. Allowed choices are full, tied, diag, spherical/,
    ],
    [['--tol', '-1'], /option '--tol <T>' argument '-1' is invalid\. It must be a finite number ≥ 0/],
    [['--reg-covar', 'x'], /option '--reg-covar <R>' argument 'x' is invalid/],
    [['--max-iter', '-3'], /option '--max-iter <N>' argument '-3' is invalid/],
    [['--n-init', '0'], /option '--n-init <N>' argument '0' is invalid/],
    [['--seed', '-1'], /option '--seed <S>' argument '-1' is invalid\. It must be an integer from 0 to 4294967295/],
    [
      ['--backend', 'cuda'],
      /option '--backend <name>' argument 'cuda' is invalid\. Allowed choices are auto, cpu, webgpu/,
    ],
    [
      ['--init', 'kmeens'],
      /--init 'kmeens' is neither a method \(kmeans, k-means\+\+, random, random_from_data, hc\) nor a \.json file/,
    ],
    [['--frobnicate'], /unknown option '--frobnicate' \(see 'emgpu fit --help'\)/],
  ])('fit %j', async (args, message) => {
    await expectFailure(['fit', data, ...args], message);
  });

  it('fit without DATA, and --demo with DATA', async () => {
    await expectFailure(['fit', ...CPU], /fit needs DATA: a CSV, TSV, JSON, Parquet or Arrow file, or - for stdin/);
    await expectFailure(['fit', '--demo', data], /fit --demo uses the bundled iris data; drop the DATA argument/);
  });

  it('unknown command and missing required options', async () => {
    await expectFailure(['frob'], /^emgpu: unknown command 'frob'/);
    await expectFailure(['predict', data], /required option '-m, --model <file>' not specified/);
    await expectFailure(['sample', '-m', 'm.json'], /required option '-n, --n-samples <N>' not specified/);
    await expectFailure(['sample', '-m', 'm.json', '-n', '0'], /option '-n, --n-samples <N>' argument '0' is invalid/);
  });
});

describe('sample-weight file', () => {
  const dir = tempDir();
  const data = writeFile(dir, 'x.csv', GOOD);
  it.each([
    [
      'count.txt',
      '1\n1\n1\n',
      /sample-weight file .*count\.txt has 3 weights but .*x\.csv has 5 rows; give one weight per data row/,
    ],
    [
      'neg.txt',
      '1\n1\n-2\n1\n1\n',
      /sample-weight file .*neg\.txt, row 3: the weight -2 is negative; weights must be finite and ≥ 0/,
    ],
    ['neghead.csv', 'w\n1\n1\n-2\n1\n1\n', /sample-weight file .*neghead\.csv, row 4: the weight -2 is negative/],
    [
      'zero.txt',
      '0\n0\n0\n0\n0\n',
      /sample-weight file .*zero\.txt: every weight is 0; at least one row needs a positive weight/,
    ],
    ['nan.txt', '1\nNaN\n1\n1\n1\n', /sample-weight file .*nan\.txt, row 2, column 1: the value is "NaN"/],
    ['inf.txt', '1\n1\ninf\n1\n1\n', /sample-weight file .*inf\.txt, row 3, column 1: the value is "inf" \(infinite\)/],
    [
      'two.csv',
      '1,2\n1,2\n1,2\n1,2\n1,2\n',
      /sample-weight file .*two\.csv has 2 columns; it needs one number per line \(or a one-column CSV\)/,
    ],
  ])('%s', async (name, text, message) => {
    await expectFailure(['fit', data, ...CPU, '--sample-weight', writeFile(dir, name, text)], message);
  });

  it('too few positive weights for the components', async () => {
    await expectFailure(
      ['fit', data, '-k', '2', ...CPU, '--sample-weight', writeFile(dir, 'one.txt', '0\n0\n1\n0\n0\n')],
      /sampleWeight has 1 positive weights but nComponents is 2/,
    );
  });

  it('missing file', async () => {
    await expectFailure(
      ['fit', data, ...CPU, '--sample-weight', join(dir, 'nope.txt')],
      /cannot read sample-weight file '.*nope\.txt': no such file/,
    );
  });
});

describe('--init file', () => {
  const dir = tempDir();
  const data = writeFile(dir, 'x.csv', GOOD);
  const init = (name: string, json: unknown): string =>
    writeFile(dir, name, typeof json === 'string' ? json : JSON.stringify(json));
  it.each([
    [
      'cols.json',
      {
        means: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      [],
      /init file .*cols\.json: 'means' has 3 columns but .*x\.csv has 2; the init file must match the data's columns/,
    ],
    [
      'k.json',
      {
        means: [
          [1, 2],
          [4, 5],
        ],
      },
      ['-k', '3'],
      /init file .*k\.json: 'means' has 2 rows but --components is 3/,
    ],
    [
      'covshape.json',
      {
        covariances: [
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
        ],
      },
      [],
      /init file .*covshape\.json: 'covariances' has shape 1 × 3 × 3 \(3 columns but .*x\.csv has 2\) but --covariance full with 1 components and 2 columns needs 1 × 2 × 2/,
    ],
    [
      'diagshape.json',
      { covariances: [1, 2] },
      ['--covariance', 'diag', '-k', '2'],
      /'covariances' has shape 2 but --covariance diag with 2 components and 2 columns needs 2 × 2/,
    ],
    [
      'both.json',
      { covariances: [1], precisions: [1] },
      [],
      /init file .*both\.json has both 'covariances' and 'precisions'; keep only one/,
    ],
    ['none.json', { foo: 1 }, [], /init file .*none\.json has none of weights, means, covariances, precisions/],
    [
      'notspd.json',
      {
        covariances: [
          [
            [1, 2],
            [2, 1],
          ],
        ],
      },
      [],
      /init file .*notspd\.json: covariances\[0\] is not positive definite/,
    ],
    [
      'asym.json',
      {
        covariances: [
          [1, 0.5],
          [0.1, 1],
        ],
      },
      ['--covariance', 'tied'],
      /covariances is not symmetric \(entry \[1\]\[0\] is 0\.1 but \[0\]\[1\] is 0\.5\)/,
    ],
    [
      'negvar.json',
      { covariances: [1, -1] },
      ['--covariance', 'spherical', '-k', '2'],
      /covariances value 1 is -1; spherical covariances must all be > 0/,
    ],
    [
      'sum.json',
      { weights: [0.5, 0.3] },
      [],
      /init file .*sum\.json: 'weights' sum to 0\.80000000; they must sum to 1/,
    ],
    ['ragged.json', { means: [[1, 2], [3]] }, ['-k', '2'], /'means' is ragged/],
    [
      'nan.json',
      {
        means: [
          [1, 2],
          [3, 'x'],
        ],
      },
      ['-k', '2'],
      /means\[1\]\[1\] is "x"; every value must be a finite number/,
    ],
    [
      'type.json',
      { covarianceType: 'diag', means: [[1, 2]] },
      ['--covariance', 'full'],
      /is for covarianceType 'diag' but --covariance is 'full'/,
    ],
    ['syntax.json', '{"means": [[1, 2]', [], /init file .*syntax\.json is not valid JSON/],
    ['array.json', [[1, 2]], [], /init file .*array\.json must hold a JSON object/],
  ])('%s', async (name, json, args, message) => {
    await expectFailure(['fit', data, ...CPU, '--init', init(name, json), ...(args as string[])], message as RegExp);
  });

  it('missing init file', async () => {
    await expectFailure(
      ['fit', data, ...CPU, '--init', join(dir, 'nope.json')],
      /cannot read init file '.*nope\.json': no such file/,
    );
  });
});

describe('model files', () => {
  const dir = tempDir();
  const data = writeFile(dir, 'x.csv', GOOD);
  it('malformed JSON, a non-model, a column mismatch', async () => {
    const broken = writeFile(dir, 'broken.json', '{"weights": [1');
    await expectFailure(
      ['predict', '-m', broken, data],
      /model file .*broken\.json is not valid JSON \(.*\); pass a model written by 'emgpu fit'/,
    );
    const notModel = writeFile(dir, 'notmodel.json', '{"covarianceType": "full", "nComponents": 1, "nFeatures": 2}');
    await expectFailure(
      ['score', '-m', notModel, data],
      /model file .*notmodel\.json: The model JSON has no 'weights'\. Pass a model written by 'emgpu fit'/,
    );
    await expectFailure(
      ['sample', '-m', notModel, '-n', '3'],
      /model file .*notmodel\.json: The model JSON has no 'weights'/,
    );

    const model = join(dir, 'model.json');
    expect((await run(['fit', IRIS, '-k', '2', '--seed', '0', ...CPU, '-o', model])).code).toBe(0);
    await expectFailure(
      ['predict', '-m', model, data, ...CPU],
      /.*x\.csv has 2 columns but the model .*model\.json has 4 features; pass data with 4 columns/,
    );
    await expectFailure(
      ['score', '-m', model, '-', ...CPU],
      /^emgpu: stdin has 2 columns but the model .*model\.json has 4 features/,
      2,
      GOOD,
    );
    await expectFailure(
      ['predict', '-m', model, writeFile(dir, 'bad.csv', '1,2,3,4\n1,2,x,4\n')],
      /bad\.csv, row 2, column 3: "x" is not a number/,
    );
  });
});

describe('model files that would give NaN or crash are refused, exit 2', () => {
  const dir = tempDir();
  const data = writeFile(dir, 'x.csv', GOOD);
  const fitted = join(dir, 'fitted.json');
  const edited = (name: string, change: (model: Record<string, unknown>) => void): string => {
    const model = JSON.parse(readFileSync(fitted, 'utf8')) as Record<string, unknown>;
    change(model);
    return writeFile(dir, name, JSON.stringify(model));
  };
  it.each<[string, (model: Record<string, unknown>) => void, RegExp]>([
    [
      'constructor.json',
      (m) => (m.covarianceType = 'constructor'),
      /model file .*constructor\.json: The model JSON has covarianceType "constructor"; expected 'full', 'tied', 'diag', 'spherical' or one of mclust's models EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV\. Pass a model written by 'emgpu fit'\.\n$/,
    ],
    [
      'negweight.json',
      (m) => (m.weights = [1.5, -0.5]),
      /negweight\.json: The model JSON's weights\[1\] is -0\.5; every weight must be > 0\./,
    ],
    [
      'unnormalised.json',
      (m) => (m.weights = [0.5, 0.6]),
      /unnormalised\.json: The model JSON's 'weights' sum to 1\.1000000; they must sum to 1/,
    ],
    [
      'nottriangular.json',
      (m) =>
        ((m.precisionsCholesky as number[][][])[0] = [
          [1, 1],
          [1, 1],
        ]),
      /nottriangular\.json: The model JSON's precisionsCholesky\[0\] is not triangular/,
    ],
    [
      'negdiag.json',
      (m) => ((m.precisionsCholesky as number[][][])[1]![0]![0] = -1),
      /negdiag\.json: The model JSON's precisionsCholesky\[1\]\[0\]\[0\] is -1; the diagonal/,
    ],
    [
      'disagree.json',
      (m) => ((m.covariances as number[][][])[0]![0]![0] = 100),
      /disagree\.json: The model JSON's covariances\[0\] disagree with precisionsCholesky\[0\]/,
    ],
  ])('%s', async (name, change, message) => {
    if (!existsSync(fitted))
      expect((await run(['fit', data, '-k', '2', '--seed', '0', ...CPU, '-o', fitted])).code).toBe(0);
    const model = edited(name, change);
    await expectFailure(['predict', '-m', model, data, ...CPU], message);
    await expectFailure(['score', '-m', model, data, ...CPU], message);
    await expectFailure(['sample', '-m', model, '-n', '2'], message);
  });
});

describe('fit failures and internal errors', () => {
  it('an ill-defined covariance prints the sklearn-like message, exit 1, nothing written', async () => {
    const dir = tempDir();
    const data = writeFile(dir, 'dup.csv', '1,1\n1,1\n1,1\n2,2\n');
    await expectFailure(
      ['fit', data, '-k', '2', '--reg-covar', '0', ...CPU],
      /ill-defined empirical covariance .*increase regCovar \(--reg-covar\), or scale the input data/,
      1,
    );
  });

  it('--output into a missing directory fails before fitting', async () => {
    const dir = tempDir();
    const result = await run(['fit', IRIS, ...CPU, '--output', join(dir, 'no', 'such', 'model.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^emgpu: cannot write --output '.*model\.json': its directory '.*such' does not exist/,
    );
    expect(listDir(dir)).toEqual([]);
  });

  it('unexpected errors: "internal error", exit 70, the stack only with --verbose', async () => {
    const failing = () =>
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(new TypeError('disk on fire'));
        },
      });
    // A fit writes to stdout at the end: the failure surfaces as an internal error.
    const plain = await run(['fit', IRIS, ...CPU], { stdout: failing() });
    expect(plain.code).toBe(70);
    expect(plain.stderr).toMatch(
      /^emgpu: internal error: TypeError: disk on fire \(please report this; rerun with --verbose for the stack\)\n$/,
    );
    const verbose = await run(['fit', IRIS, ...CPU, '--verbose'], { stdout: failing() });
    expect(verbose.code).toBe(70);
    expect(verbose.stderr).toMatch(
      /emgpu: internal error: TypeError: disk on fire[^\n]*\nTypeError: disk on fire\n\s+at /,
    );
  });
});
