// Public exports of emgpu.
export { GaussianMixture } from './gaussian-mixture.ts';
export type { FitOptions, GaussianMixtureJSON, PartialFitOptions, SampleResult } from './gaussian-mixture.ts';
export { BayesianGaussianMixture } from './bayesian-mixture.ts';
export type { BayesianGaussianMixtureJSON } from './bayesian-mixture.ts';
export type { BayesianGaussianMixtureOptions } from './bayesian-options.ts';
export { WEIGHT_CONCENTRATION_PRIOR_TYPES } from './model/bayesian.ts';
export type { BayesianPriors, WeightConcentrationPriorType } from './model/bayesian.ts';
export { AbortError, DeviceLostError, EmgpuInputError, InternalError } from './errors.ts';
export type {
  BackendChoice,
  BaseMixtureOptions,
  CovarianceType,
  GaussianMixtureOptions,
  InitMethod,
  IterationInfo,
} from './options.ts';
export {
  COVARIANCE_TYPES,
  SKLEARN_COVARIANCE_TYPES,
  INIT_METHODS,
  BACKEND_CHOICES,
  DEFAULT_OPTIONS,
} from './options.ts';
export { MCLUST_MODELS, SKLEARN_ALIASES, mclustName } from './model/names.ts';
export type { MclustModelName, SklearnCovarianceName } from './model/names.ts';
export type { Matrix, MatrixInput } from './matrix.ts';
export type {
  ChunkInput,
  ChunkIterable,
  ChunkSource,
  StreamChunk,
  StreamFitOptions,
  StreamProgress,
} from './stream.ts';
export { IllDefinedCovarianceError } from './model/covariance.ts';
export { BackendUnavailableError, releaseBackends } from './select-backend.ts';
export type { Backend, LoadedData, MixtureParams } from './backend.ts';
export type { SufficientStats } from './sufficient-stats.ts';
export { mergeStatistics, STATISTICS_FORMAT, STATISTICS_VERSION } from './statistics-api.ts';
export type {
  MixtureStatistics,
  MStepOptions,
  MStepResult,
  StatisticsEstimator,
  StatisticsOptions,
} from './statistics-api.ts';
export { selectModel, CRITERIA, SELECT_STRATEGIES, SELECT_DEFAULTS } from './select-model.ts';
export type { Criterion, SelectionResult, SelectionRow, SelectModelOptions, SelectStrategy } from './select-model.ts';
export type { MixtureSummary } from './summary.ts';
