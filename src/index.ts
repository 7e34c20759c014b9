// Public exports of emgpu.
export { GaussianMixture } from './gaussian-mixture.ts';
export type { FitOptions, GaussianMixtureJSON, SampleResult } from './gaussian-mixture.ts';
export { EmgpuInputError } from './options.ts';
export type {
  BackendChoice,
  CovarianceType,
  GaussianMixtureOptions,
  InitMethod,
  IterationInfo,
} from './options.ts';
export { COVARIANCE_TYPES, INIT_METHODS, BACKEND_CHOICES, DEFAULT_OPTIONS } from './options.ts';
export type { Matrix, MatrixInput } from './matrix.ts';
export { IllDefinedCovarianceError } from './model/covariance.ts';
export { BackendUnavailableError, releaseBackends } from './select-backend.ts';
export type { Backend, LoadedData, SufficientStats, MixtureParams } from './backend.ts';
