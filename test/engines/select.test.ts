// Model selection against scikit-learn: for each grid of K × covariance type, the model
// selectModel picks by BIC is sklearn's best, and most cells' BIC agree with sklearn's within
// 0.5% (the engines draw their own random starts, so a cell may end in another local optimum).
// On the CPU engine and on WebGPU in Node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBackends, selectModel, type CovarianceType } from '../../src/index.ts';
import { webgpuUnavailable } from '../helpers/gpu.ts';
import { matrixOf } from '../suite/run.ts';

interface SelectFixture {
  dataset: string;
  X: number[][];
  selection: {
    n_components: number[];
    n_init: number;
    table: Array<{ n_components: number; covariance_type: CovarianceType; bic: number }>;
    best: { n_components: number; covariance_type: CovarianceType; bic: number };
  };
}

const fixtures = Object.values(
  import.meta.glob<SelectFixture>('../fixtures/sklearn/select/*.json', { eager: true, import: 'default' }),
);

let unavailable: string | null = null;
beforeAll(async () => {
  unavailable = await webgpuUnavailable();
});
afterAll(() => releaseBackends());

describe.each(['cpu', 'webgpu'] as const)('selectModel on %s', (backend) => {
  it.for(fixtures.map((f) => [f.dataset, f] as const))(
    '%s: the same best model as sklearn, and most cells within 0.5%',
    async ([, f], ctx) => {
      if (backend === 'webgpu' && unavailable !== null) ctx.skip(`no WebGPU adapter: ${unavailable}`);
      const s = f.selection;
      const result = await selectModel(matrixOf(f.X), {
        nComponents: s.n_components,
        nInit: s.n_init,
        randomState: 0,
        backend,
        criterion: 'bic',
        // scikit-learn's settings (selectModel's own defaults start each cell more thoroughly).
        strategy: 'init',
        tol: 1e-3,
        maxIter: 100,
      });
      expect(result.table).toHaveLength(s.table.length);
      expect({ nComponents: result.bestRow.nComponents, covarianceType: result.bestRow.covarianceType }).toEqual({
        nComponents: s.best.n_components,
        covarianceType: s.best.covariance_type,
      });
      expect(result.best.nComponents).toBe(s.best.n_components);
      expect(Math.abs(result.bestRow.bic - s.best.bic) / Math.abs(s.best.bic)).toBeLessThan(5e-3);
      let close = 0;
      s.table.forEach((cell) => {
        const row = result.table.find(
          (r) => r.nComponents === cell.n_components && r.covarianceType === cell.covariance_type,
        );
        if (row !== undefined && Math.abs(row.bic - cell.bic) / Math.abs(cell.bic) < 5e-3) close++;
      });
      console.log(`${backend} ${f.dataset}: ${close} of ${s.table.length} cells within 0.5% of sklearn's BIC`);
      expect(close / s.table.length).toBeGreaterThanOrEqual(0.75);
      // ICL penalises overlap: never below BIC.
      for (const row of result.table) expect(row.icl).toBeGreaterThanOrEqual(row.bic - 1e-9);
      // The table's ICL is mclust's hard ICL, the one summary() reports for the same model.
      const summary = await result.best.summary(matrixOf(f.X));
      expect(Math.abs(result.bestRow.icl - summary.icl) / Math.abs(summary.icl)).toBeLessThan(1e-9);
    },
  );
});
