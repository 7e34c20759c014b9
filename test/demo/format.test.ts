// The demo's number formatting and density helpers, against values worked out by hand.
import { describe, expect, test } from 'vitest';
import { contourSegments, mixtureDensity2 } from '../../demo/analysis.ts';
import { formatNumber, niceTicks } from '../../demo/format.ts';

describe('niceTicks', () => {
  test('labels differ even when the range is in the seventh digit (a fit that converged in two iterations)', () => {
    const { values, labels } = niceTicks(-4.4472785, -4.4472779, 4);
    expect(values.length).toBeGreaterThanOrEqual(2);
    expect(new Set(labels).size).toBe(labels.length);
    for (const l of labels) expect(l).toMatch(/^-4\.447278\d*$/);
  });
  test('round steps, thousands separated, no "-0"', () => {
    expect(niceTicks(-1, 1, 4).labels).toEqual(['-1.0', '-0.5', '0.0', '0.5', '1.0']);
    expect(niceTicks(238_000, 262_000, 4).labels).toEqual(['240,000', '245,000', '250,000', '255,000', '260,000']);
    expect(niceTicks(0.5, 10.5, 6, true).labels).toEqual(['2', '4', '6', '8', '10']);
  });
});

describe('formatNumber', () => {
  test('four significant digits by magnitude, never "-0"', () => {
    expect(formatNumber(1)).toBe('1.000');
    expect(formatNumber(-0.61234)).toBe('-0.6123');
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(9999.7)).toBe('10,000');
    expect(formatNumber(123456.7)).toBe('123,457');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(-1e-12)).toBe('-1.000e-12');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('0');
  });
});

describe('density contours', () => {
  test('one standard Gaussian: the density at its mean and one unit away', () => {
    const model = {
      covarianceType: 'full' as const,
      d: 2,
      weights: Float64Array.of(1),
      means: Float64Array.of(0, 0),
      covariances: Float64Array.of(1, 0, 0, 1),
    };
    const grid = mixtureDensity2(model, Float64Array.of(0, 1), Float64Array.of(0));
    expect(grid[0]).toBeCloseTo(1 / (2 * Math.PI), 12);
    expect(grid[1]).toBeCloseTo(Math.exp(-0.5) / (2 * Math.PI), 12);
  });
  test('marching squares puts the level crossing where linear interpolation says', () => {
    // A 3 × 3 field, 1 in the middle, 0 around: the 0.5 level is a diamond through the edge midpoints.
    const field = Float64Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0);
    const segments = contourSegments(field, 3, 3, 0.5);
    expect(segments.length).toBe(4 * 4);
    const points = new Set<string>();
    for (let i = 0; i < segments.length; i += 2) points.add(`${segments[i]},${segments[i + 1]}`);
    expect([...points].sort()).toEqual(['0.5,1', '1,0.5', '1,1.5', '1.5,1']);
  });
});
