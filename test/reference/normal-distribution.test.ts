import { describe, expect, it } from 'vitest';
import {
  erfc,
  inverseNormalCdf,
  normalCdf,
  normalPdf,
} from '../../reference/normal-distribution.js';

/** |actual - expected| <= tolerance * |expected|. */
function expectRelative(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

// Values from mpmath at 40 digits. The points -0.6629... and -5.6568... sit on Cody's range
// boundaries |x / sqrt 2| = 0.46875 and 4.
const CDF_VALUES: [number, number][] = [
  [1.96, 0.97500210485177956586],
  [-3, 0.0013498980316300945267],
  [-1, 0.15865525393145705141],
  [0.5, 0.69146246127401310364],
  [-0.6629126073623883, 0.25369326339103100553],
  [-5.65685424949238, 7.7086289501400181899e-9],
  [-5, 2.8665157187919391167e-7],
  [-10, 7.619853024160526066e-24],
  [-20, 2.7536241186062336951e-89],
  [-37, 5.7255712225245768227e-300],
];

describe('normalCdf (Cody erfc)', () => {
  it('is exactly 1/2 at 0', () => {
    expect(normalCdf(0)).toBe(0.5);
  });

  // Rounding x / sqrt 2 costs about x^2 ulps of relative accuracy in the tail, on top of Cody's
  // 1e-16.
  it.each(CDF_VALUES)('Phi(%s) = %s to a few ulps times (1 + x^2)', (x, expected) => {
    expectRelative(normalCdf(x), expected, 4e-16 * (1 + x * x));
  });

  it('reaches 1 - 6.2e-16 at 8 and stays finite and positive far in the tail', () => {
    expect(normalCdf(8)).toBeGreaterThan(0.999999999999999);
    expect(normalCdf(8)).toBeLessThanOrEqual(1);
    const deep = normalCdf(-38);
    expect(deep).toBeGreaterThan(0);
    // A subnormal: only about 26 significant bits are left.
    expectRelative(deep, 2.8854283600687843084e-316, 1e-6);
  });

  it('is 0 and 1 at the infinities and NaN at NaN', () => {
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-60)).toBe(0);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it('is symmetric and monotone across the three ranges', () => {
    let previous = 0;
    for (let x = -9; x <= 9; x += 0.01) {
      const value = normalCdf(x);
      expect(value).toBeGreaterThanOrEqual(previous);
      expect(Math.abs(value + normalCdf(-x) - 1)).toBeLessThan(3e-16);
      previous = value;
    }
  });

  // Values of erfc at the exact doubles, so this measures Cody's approximation itself (including
  // the split exp(-y^2), without which the error grows like y^2 ulps).
  it.each([
    [0.1, 0.887537083981715101595],
    [0.46875, 0.507386526782062008412],
    [0.75, 0.288844366346484868401],
    [1.5, 0.033894853524689272933],
    [3.25, 0.00000430277946367512183048],
    [4, 1.54172579002800188522e-8],
    [5.5, 7.35784791797439806307e-15],
    [9.1, 6.69690042798860774519e-38],
    [14.3, 6.11160024079407333662e-91],
    [21.7, 8.12038877062752271511e-207],
    [26.3, 8.59024905879404915481e-303],
  ])('erfc(%s) = %s to a few ulps', (y, expected) => {
    expectRelative(erfc(y), expected, 4 * 2 ** -53);
    expectRelative(erfc(-y), 2 - expected, 4 * 2 ** -53);
  });

  it('erfc(0) = 1 and erfc(-x) = 2 - erfc(x)', () => {
    expect(erfc(0)).toBe(1);
    for (const x of [0.3, 1, 3.5, 6]) expect(erfc(-x)).toBe(2 - erfc(x));
  });
});

describe('normalPdf', () => {
  it('matches 1/sqrt(2 pi) exp(-x^2/2)', () => {
    expectRelative(normalPdf(0), 0.3989422804014327, 1e-16);
    expectRelative(normalPdf(2.3263478740408411009), 0.026652142203458048132, 1e-14);
    expect(normalPdf(-1.5)).toBe(normalPdf(1.5));
  });
});

describe('inverseNormalCdf (Wichura AS241)', () => {
  it.each([
    [0.975, 1.9599639845400542355],
    [0.99, 2.3263478740408411009],
    [0.3, -0.52440051270804078404],
    [1e-10, -6.3613409024040562047],
  ])('Phi^-1(%s) = %s', (p, expected) => {
    expectRelative(inverseNormalCdf(p), expected, 1e-15);
  });

  it('is 0 at 1/2 and infinite at 0 and 1, NaN outside', () => {
    expect(inverseNormalCdf(0.5)).toBe(0);
    expect(inverseNormalCdf(0)).toBe(-Infinity);
    expect(inverseNormalCdf(1)).toBe(Infinity);
    expect(inverseNormalCdf(1.5)).toBeNaN();
    expect(inverseNormalCdf(-0.1)).toBeNaN();
  });

  it('round-trips through normalCdf from the centre to 1e-300', () => {
    for (const p of [1e-300, 1e-100, 1e-20, 1e-12, 1e-5, 0.01, 0.02425, 0.075, 0.2, 0.4999, 0.5]) {
      const z = inverseNormalCdf(p);
      expectRelative(normalCdf(z), p, 5e-16 * (1 + z * z));
    }
    for (const p of [0.6, 0.9, 0.99, 0.999999]) {
      expectRelative(1 - normalCdf(inverseNormalCdf(p)), 1 - p, 1e-10);
    }
  });
});
