// `--covariance` of `emgpu select`: sklearn's names, mclust's, and `all` for mclust's 14.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { covarianceList } from '../../src/cli/select.ts';

describe('select --covariance', () => {
  it("takes sklearn's and mclust's names, in the order given, without repeats", () => {
    expect(covarianceList('VEV,full,EII,full')).toEqual(['VEV', 'full', 'EII']);
  });

  it("'all' stands for mclust's 14 models, in mclust's order", () => {
    expect(covarianceList('all')).toEqual([
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
    ]);
  });

  it('refuses an unknown name, naming the choices', () => {
    expect(() => covarianceList('VVV,XYZ')).toThrow(InvalidArgumentError);
    expect(() => covarianceList('VVV,XYZ')).toThrow(/or all \(mclust's 14\)/);
  });
});
