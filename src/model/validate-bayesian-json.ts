// Checks a BayesianGaussianMixture model read back from JSON before anything is computed from
// it: the fields every mixture has (src/model/validate-json.ts), then the posterior's
// (weightConcentration, meanPrecision, degreesOfFreedom) and the resolved priors.

import {
  WEIGHT_CONCENTRATION_PRIOR_TYPES,
  type BayesianPriors,
  type WeightConcentrationPriorType,
} from './bayesian.ts';
import { COVARIANCE_MODELS } from './covariance.ts';
import { choleskyLower } from './linalg.ts';
import { fail, numbers, own, show, validateModelJson, type ValidModelJson } from './validate-json.ts';

export const BAYESIAN_FORMAT = 'emgpu-bayesian-gaussian-mixture';

export interface ValidBayesianJson extends ValidModelJson {
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  /** K (dirichlet_distribution) or 2K (dirichlet_process: the first Beta parameters, then the second). */
  readonly weightConcentration: Float64Array;
  readonly meanPrecision: Float64Array;
  readonly degreesOfFreedom: Float64Array;
  readonly priors: BayesianPriors;
}

function positive(name: string, values: Float64Array, above = 0): void {
  values.forEach((v, i) => {
    if (!(v > above)) fail(`The model JSON's ${name}[${i}] is ${v}; it must be > ${above}.`);
  });
}

function positiveNumber(name: string, value: unknown, above = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > above))
    fail(`The model JSON's ${name} is ${show(value)}; it must be a finite number > ${above}.`);
  return value as number;
}

export function validateBayesianJson(json: unknown): ValidBayesianJson {
  const base = validateModelJson(json, BAYESIAN_FORMAT);
  const record = json as Record<string, unknown>;
  const { covarianceType: type, nComponents: k, nFeatures: d } = base;
  if (COVARIANCE_MODELS[type].form !== type) {
    fail(
      `The model JSON has covarianceType '${type}', an mclust model that only GaussianMixture fits; a BayesianGaussianMixture model has 'full', 'tied', 'diag' or 'spherical'.`,
    );
  }
  const sizes = `nComponents = ${k}, nFeatures = ${d}`;
  const priorType = own(record, 'weightConcentrationPriorType');
  if (typeof priorType !== 'string' || !(WEIGHT_CONCENTRATION_PRIOR_TYPES as readonly string[]).includes(priorType)) {
    fail(
      `The model JSON has weightConcentrationPriorType ${show(priorType)}; expected 'dirichlet_process' or 'dirichlet_distribution'.`,
    );
  }
  const wcType = priorType as WeightConcentrationPriorType;
  const weightConcentration = numbers(
    'weightConcentration',
    own(record, 'weightConcentration'),
    wcType === 'dirichlet_process' ? [2, k] : [k],
    sizes,
  );
  positive('weightConcentration', weightConcentration);
  const meanPrecision = numbers('meanPrecision', own(record, 'meanPrecision'), [k], sizes);
  positive('meanPrecision', meanPrecision);
  const rawDof = own(record, 'degreesOfFreedom');
  const degreesOfFreedom =
    type === 'tied'
      ? Float64Array.of(positiveNumber('degreesOfFreedom', rawDof, d - 1))
      : numbers('degreesOfFreedom', rawDof, [k], sizes);
  positive('degreesOfFreedom', degreesOfFreedom, d - 1);
  const rawPriors = own(record, 'priors');
  if (rawPriors === null || typeof rawPriors !== 'object' || Array.isArray(rawPriors))
    fail(`The model JSON's 'priors' is ${show(rawPriors)}; it must be the object toJSON() writes.`);
  const p = rawPriors as Record<string, unknown>;
  const covarianceShape = type === 'full' || type === 'tied' ? [d, d] : type === 'diag' ? [d] : [1];
  const rawCovariancePrior = own(p, 'covariancePrior');
  const covariancePrior = numbers(
    'priors.covariancePrior',
    typeof rawCovariancePrior === 'number' ? [rawCovariancePrior] : rawCovariancePrior,
    covarianceShape,
    sizes,
  );
  if (type === 'full' || type === 'tied') {
    // As fit's covariancePrior option: exactly symmetric (the Cholesky factorisation below reads
    // one triangle only, and predict refuses the model an asymmetric prior leads to).
    for (let i = 0; i < d; i++)
      for (let j = i + 1; j < d; j++)
        if (covariancePrior[i * d + j] !== covariancePrior[j * d + i])
          fail(
            `The model JSON's priors.covariancePrior is not symmetric: [${i}][${j}] is ${covariancePrior[i * d + j]} but [${j}][${i}] is ${covariancePrior[j * d + i]}; keep the prior fit wrote.`,
          );
    if (!choleskyLower(covariancePrior, 0, d, new Float64Array(d * d), 0))
      fail("The model JSON's priors.covariancePrior is not symmetric positive definite.");
  } else {
    positive('priors.covariancePrior', covariancePrior);
  }
  const priors: BayesianPriors = {
    weightConcentrationPriorType: wcType,
    weightConcentrationPrior: positiveNumber('priors.weightConcentrationPrior', own(p, 'weightConcentrationPrior')),
    meanPrecisionPrior: positiveNumber('priors.meanPrecisionPrior', own(p, 'meanPrecisionPrior')),
    meanPrior: numbers('priors.meanPrior', own(p, 'meanPrior'), [d], sizes),
    degreesOfFreedomPrior: positiveNumber('priors.degreesOfFreedomPrior', own(p, 'degreesOfFreedomPrior'), d - 1),
    covariancePrior,
  };
  return {
    ...base,
    weightConcentrationPriorType: wcType,
    weightConcentration,
    meanPrecision,
    degreesOfFreedom,
    priors,
  };
}
