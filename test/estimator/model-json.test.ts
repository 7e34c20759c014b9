// GaussianMixture.fromJSON: a model file is checked field by field before anything is computed
// from it; a bad one is refused with an EmgpuInputError naming the field (never NaN results).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmgpuInputError, GaussianMixture } from '../../src/index.ts';
import { COVARIANCE_TYPES } from '../../src/options.ts';
import { releaseBackends } from '../../src/select-backend.ts';

afterAll(() => releaseBackends());

const X = [
  [0, 1],
  [1, 2.5],
  [2, 0],
  [0.5, 0.2],
  [5, 5],
  [6, 5.5],
  [5, 7],
  [6.5, 6],
];

type Json = Record<string, unknown>;
const models = new Map<string, Json>();

beforeAll(async () => {
  for (const covarianceType of COVARIANCE_TYPES) {
    const gm = new GaussianMixture({ nComponents: 2, covarianceType, randomState: 0, backend: 'cpu' });
    await gm.fit(X);
    models.set(covarianceType, JSON.parse(JSON.stringify(gm.toJSON())) as Json);
  }
});

/** A copy of the fitted model of that type with `change` applied. */
function model(type: string, change: (json: Json) => void = () => undefined): Json {
  const json = structuredClone(models.get(type)) as Json;
  change(json);
  return json;
}

function refusal(json: unknown): Error {
  try {
    GaussianMixture.fromJSON(json, { backend: 'cpu' });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected fromJSON to refuse the model');
}

const full = (json: Json) =>
  json as { precisionsCholesky: number[][][]; covariances: number[][][]; weights: number[]; means: number[][] };
const diag = (json: Json) => json as { precisionsCholesky: number[][]; covariances: number[][] };

describe('GaussianMixture.fromJSON accepts', () => {
  it.each(COVARIANCE_TYPES)('what toJSON wrote (%s), and scores it to finite numbers', async (type) => {
    const gm = GaussianMixture.fromJSON(model(type), { backend: 'cpu' });
    for (const value of await gm.scoreSamples(X)) expect(Number.isFinite(value)).toBe(true);
  });

  it('a model without covariances, format, version or fit record (covariances derived)', async () => {
    const json = model('full', (j) => {
      for (const key of [
        'covariances',
        'format',
        'version',
        'converged',
        'nIter',
        'lowerBound',
        'lowerBounds',
        'backend',
        'options',
      ])
        delete j[key];
    });
    const gm = GaussianMixture.fromJSON(json, { backend: 'cpu' });
    const reference = GaussianMixture.fromJSON(model('full'), { backend: 'cpu' });
    for (let i = 0; i < gm.covariances.length; i++)
      expect(gm.covariances[i]).toBeCloseTo(reference.covariances[i] as number, 10);
    expect(gm.lowerBound).toBe(-Infinity);
  });

  it('flat row-major arrays of the right length, as the options accept', async () => {
    const nested = model('full');
    const flat = model('full', (j) => {
      for (const key of ['means', 'covariances', 'precisionsCholesky']) j[key] = (j[key] as unknown[]).flat(2);
    });
    const a = GaussianMixture.fromJSON(nested, { backend: 'cpu' });
    const b = GaussianMixture.fromJSON(flat, { backend: 'cpu' });
    expect(Array.from(await b.scoreSamples(X))).toEqual(Array.from(await a.scoreSamples(X)));
  });

  it('a lower-triangular factor (sklearn keeps that form for a precisionsInit) with its covariances', async () => {
    const gm = new GaussianMixture({
      nComponents: 2,
      maxIter: 0,
      weightsInit: [0.5, 0.5],
      meansInit: [
        [1, 1],
        [5, 6],
      ],
      precisionsInit: [
        [
          [2, 0.5],
          [0.5, 1],
        ],
        [
          [1, -0.2],
          [-0.2, 3],
        ],
      ],
      backend: 'cpu',
    });
    await gm.fit(X);
    const json = JSON.parse(JSON.stringify(gm.toJSON())) as Json;
    expect(full(json).precisionsCholesky[0]![0]![1]).toBe(0); // lower triangular
    expect(full(json).precisionsCholesky[0]![1]![0]).not.toBe(0);
    const copy = GaussianMixture.fromJSON(json, { backend: 'cpu' });
    expect(Array.from(await copy.scoreSamples(X))).toEqual(Array.from(await gm.scoreSamples(X)));
  });

  it('covariances that agree with the factor to rounding, even when nearly singular', () => {
    const collinear = model('full', (j) => {
      const sigma = [
        [1, 1 - 1e-9],
        [1 - 1e-9, 1],
      ];
      const m = full(j);
      // U = (L⁻¹)ᵀ with Σ = L·Lᵀ, as fit computes it.
      const l11 = 1;
      const l21 = sigma[1]![0]!;
      const l22 = Math.sqrt(sigma[1]![1]! - l21 * l21);
      m.covariances[0] = sigma;
      m.precisionsCholesky[0] = [
        [1 / l11, -l21 / (l11 * l22)],
        [0, 1 / l22],
      ];
    });
    expect(() => GaussianMixture.fromJSON(collinear)).not.toThrow();
  });
});

describe('GaussianMixture.fromJSON refuses', () => {
  it.each([
    ['null', null, 'The model JSON is null, not an object; pass the output of toJSON() (or emgpu fit).'],
    ['an array', [1, 2], 'The model JSON is an array, not an object'],
    ['a string', 'model', 'The model JSON is a string, not an object'],
  ])('%s', (_name, json, message) => {
    const error = refusal(json);
    expect(error).toBeInstanceOf(EmgpuInputError);
    expect(error.message).toContain(message);
  });

  it.each<[string, string, (j: Json) => void, string]>([
    [
      'format',
      'full',
      (j) => (j.format = 'sklearn'),
      `The model JSON has format "sklearn"; expected 'emgpu-gaussian-mixture'`,
    ],
    ['version', 'full', (j) => (j.version = 2), 'The model JSON has version 2; this emgpu reads version 1'],
    [
      'covarianceType constructor',
      'full',
      (j) => (j.covarianceType = 'constructor'),
      `The model JSON has covarianceType "constructor"; expected 'full', 'tied', 'diag', 'spherical' or one of mclust's models EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV.`,
    ],
    ['covarianceType __proto__', 'full', (j) => (j.covarianceType = '__proto__'), 'covarianceType "__proto__"'],
    ['covarianceType toString', 'full', (j) => (j.covarianceType = 'toString'), 'covarianceType "toString"'],
    ['covarianceType missing', 'full', (j) => delete j.covarianceType, 'The model JSON has covarianceType missing'],
    [
      'nComponents 0',
      'full',
      (j) => (j.nComponents = 0),
      "The model JSON's 'nComponents' is 0; it must be a positive integer.",
    ],
    [
      'nComponents string',
      'full',
      (j) => (j.nComponents = '2'),
      `The model JSON's 'nComponents' is "2"; it must be a positive integer.`,
    ],
    ['nFeatures 1.5', 'full', (j) => (j.nFeatures = 1.5), "The model JSON's 'nFeatures' is 1.5"],
    [
      'nComponents inconsistent',
      'full',
      (j) => (j.nComponents = 3),
      "The model JSON's weights has 2 entries but must have 3; 'weights' must have shape 3 (nComponents = 3, nFeatures = 2).",
    ],
    [
      'nFeatures inconsistent',
      'diag',
      (j) => (j.nFeatures = 3),
      "The model JSON's means[0] has 2 entries but must have 3; 'means' must have shape 2 × 3",
    ],
    ['weights missing', 'full', (j) => delete j.weights, "The model JSON has no 'weights'."],
    [
      'a negative weight',
      'full',
      (j) => (full(j).weights = [1.2, -0.2]),
      "The model JSON's weights[1] is -0.2; every weight must be > 0.",
    ],
    [
      'a zero weight',
      'full',
      (j) => (full(j).weights = [1, 0]),
      "The model JSON's weights[1] is 0; every weight must be > 0.",
    ],
    [
      'unnormalised weights',
      'full',
      (j) => (full(j).weights = [0.5, 0.4]),
      "The model JSON's 'weights' sum to 0.90000000; they must sum to 1 (normalise them).",
    ],
    [
      'a string weight',
      'full',
      (j) => (full(j).weights = [0.5, '0.5' as unknown as number]),
      `The model JSON's weights[1] is "0.5"; every value must be a finite number.`,
    ],
    [
      'a null mean',
      'full',
      (j) => (full(j).means[1]![0] = null as unknown as number),
      "The model JSON's means[1][0] is null; every value must be a finite number.",
    ],
    [
      'ragged means',
      'full',
      (j) => (full(j).means[1] = [1]),
      "The model JSON's means[1] has 1 entries but must have 2",
    ],
    [
      'a precisionsCholesky of the wrong length',
      'full',
      (j) => (j.precisionsCholesky = [1, 0, 0, 1, 1, 0, 0]),
      "The model JSON's precisionsCholesky has 7 entries but must have 2; 'precisionsCholesky' must have shape 2 × 2 × 2 (nComponents = 2, nFeatures = 2, covarianceType 'full').",
    ],
    [
      'a number where a row was expected',
      'full',
      (j) => (full(j).means[0] = 1 as unknown as number[]),
      "The model JSON's means[0] is 1 where an array of 2 was expected; 'means' must have shape 2 × 2",
    ],
    [
      'a factor that is not triangular',
      'full',
      (j) =>
        (full(j).precisionsCholesky[1] = [
          [1, 0.5],
          [0.5, 1],
        ]),
      "The model JSON's precisionsCholesky[1] is not triangular (entries [0][1] and [1][0] are both non-zero); each factor must be upper (or lower) triangular with a positive diagonal.",
    ],
    [
      'a negative diagonal',
      'full',
      (j) => (full(j).precisionsCholesky[0]![1]![1] = -2),
      "The model JSON's precisionsCholesky[0][1][1] is -2; the diagonal of a precision Cholesky factor must be > 0.",
    ],
    [
      'a zero diagonal (tied)',
      'tied',
      (j) => ((j.precisionsCholesky as number[][])[0]![0] = 0),
      "The model JSON's precisionsCholesky[0][0] is 0; the diagonal of a precision Cholesky factor must be > 0.",
    ],
    [
      'a zero diag factor',
      'diag',
      (j) => (diag(j).precisionsCholesky[1]![0] = 0),
      "The model JSON's precisionsCholesky[1][0] is 0; diag precision factors must all be > 0.",
    ],
    [
      'a negative spherical factor',
      'spherical',
      (j) => ((j.precisionsCholesky as number[])[0] = -1),
      "The model JSON's precisionsCholesky[0] is -1; spherical precision factors must all be > 0.",
    ],
    [
      'covariances that disagree (full)',
      'full',
      (j) => (full(j).covariances[1] = full(j).covariances[1]!.map((row) => row.map((v) => 2 * v))),
      "The model JSON's covariances[1] disagree with precisionsCholesky[1] (Σ·U·Uᵀ is not the identity",
    ],
    [
      'covariances that disagree (tied)',
      'tied',
      (j) => ((j.covariances as number[][])[0]![1] = 0),
      "The model JSON's covariances disagree with precisionsCholesky (",
    ],
    [
      'covariances that disagree (diag)',
      'diag',
      (j) => (diag(j).covariances[0]![1] = 7),
      "The model JSON's covariances[0][1] disagree with precisionsCholesky[0][1] (7 but 1 / ",
    ],
    [
      'a negative spherical covariance',
      'spherical',
      (j) => ((j.covariances as number[])[1] = -1),
      "The model JSON's covariances[1] is -1; spherical covariances must all be > 0.",
    ],
    [
      'converged "yes"',
      'full',
      (j) => (j.converged = 'yes'),
      `The model JSON's 'converged' is "yes"; it must be true or false.`,
    ],
    ['nIter -1', 'full', (j) => (j.nIter = -1), "The model JSON's 'nIter' is -1; it must be an integer ≥ 0."],
    [
      'lowerBound "high"',
      'full',
      (j) => (j.lowerBound = 'high'),
      `The model JSON's 'lowerBound' is "high"; it must be a finite number (or null for −Infinity).`,
    ],
    [
      'lowerBounds with a string',
      'full',
      (j) => (j.lowerBounds = [1, 'x']),
      `The model JSON's lowerBounds[1] is "x"; every value must be a finite number (or null for −Infinity).`,
    ],
    [
      'lowerBounds not an array',
      'full',
      (j) => (j.lowerBounds = 1),
      "The model JSON's 'lowerBounds' is 1; it must be an array of finite numbers.",
    ],
    ['backend 5', 'full', (j) => (j.backend = 5), "The model JSON's 'backend' is 5; it must be a string."],
    [
      'options not an object',
      'full',
      (j) => (j.options = 3),
      "The model JSON's 'options' is 3; it must be an object of fit options.",
    ],
    [
      'options.tol -1',
      'full',
      (j) => ((j.options as Json).tol = -1),
      "The model JSON's 'options' are invalid: Option tol must be a finite number ≥ 0, got -1.",
    ],
    [
      'options.initParams constructor',
      'full',
      (j) => ((j.options as Json).initParams = 'constructor'),
      "The model JSON's 'options' are invalid: Option initParams must be one of",
    ],
  ])('%s', (_name, type, change, message) => {
    const error = refusal(model(type, change));
    expect(error).toBeInstanceOf(EmgpuInputError);
    expect(error.message).toContain(message);
  });

  it('inherited properties: only the object’s own fields count', () => {
    const json = Object.create(model('full')) as Json;
    expect(refusal(json).message).toContain('The model JSON has covarianceType missing');
    const withOwnType = Object.assign(Object.create(model('full')) as Json, {
      covarianceType: 'full',
      nComponents: 2,
      nFeatures: 2,
    });
    expect(refusal(withOwnType).message).toBe("The model JSON has no 'weights'.");
  });
});
