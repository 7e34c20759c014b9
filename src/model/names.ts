// mclust's names for the covariance models (Celeux & Govaert 1995: volume, shape and orientation
// Equal, Variable or Identity), and scikit-learn's four names as aliases of four of them. The one
// place that maps between the two vocabularies.

/** mclust's 14 models, in mclust's own order (its `mclust.options("emModelNames")`). */
export const MCLUST_MODELS = [
  'EII',
  'VII',
  'EEI',
  'VEI',
  'EVI',
  'VVI',
  'EEE',
  'VEE',
  'EVE',
  'VVE',
  'EEV',
  'VEV',
  'EVV',
  'VVV',
] as const;

export type MclustModelName = (typeof MCLUST_MODELS)[number];

/** scikit-learn's covariance_type names and the mclust model each one is. */
export const SKLEARN_ALIASES = { spherical: 'VII', diag: 'VVI', tied: 'EEE', full: 'VVV' } as const;

export type SklearnCovarianceName = keyof typeof SKLEARN_ALIASES;

/** The mclust name of a covariance type given by either vocabulary, or null for an unknown name. */
export function mclustName(type: string): MclustModelName | null {
  if (Object.hasOwn(SKLEARN_ALIASES, type)) return SKLEARN_ALIASES[type as SklearnCovarianceName];
  return (MCLUST_MODELS as readonly string[]).includes(type) ? (type as MclustModelName) : null;
}
