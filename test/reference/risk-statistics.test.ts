import { describe, expect, it } from 'vitest';
import { LargestLosses, mergeSortedRuns, sortedLosses, summarizePnl, summarizeSortedLosses } from '../../host/report/risk-statistics.js';

// Losses (-P&L) sorted: -7 -5 -4 -2 0 1 3 6 8 10; their sum is 10 and the squared deviations from
// their mean 1 sum to 294.
const PNL = Float64Array.from([5, -3, 2, -8, 0, 7, -1, -6, 4, -10]);

describe('summarizePnl', () => {
  it('computes VaR, ES and standard errors by hand on 10 scenarios', () => {
    const report = summarizePnl(PNL, [0.8, 0.9, 0.95]);
    expect(report.scenarios).toBe(10n);
    expect(report.levels).toEqual([
      // k = 8, ES over L(9..10), j = ceil(sqrt(1.6)) = 2: (L(10) - L(6)) / 2.
      { confidence: 0.8, var: 6, es: 9, stdError: 4.5 },
      // k = 9, j = ceil(sqrt(0.9)) = 1: (L(10) - L(8)) / 2.
      { confidence: 0.9, var: 8, es: 10, stdError: 2 },
      // k = ceil(9.5) = 10 = N: ES = VaR; j = 1: (L(10) - L(9)) / 2.
      { confidence: 0.95, var: 10, es: 10, stdError: 1 },
    ]);
    expect(report.meanPnl).toBe(-1);
    expect(report.stdPnl).toBe(Math.sqrt(294 / 9));
  });

  it('takes c N within 1e-9 of an integer as that integer', () => {
    // Losses 1..100, so L(k) = k; 0.07 * 100 = 7.000000000000001 in floating point.
    const pnl = Float64Array.from({ length: 100 }, (_, i) => -(i + 1));
    const [level] = summarizePnl(pnl, [0.07]).levels;
    expect(level?.var).toBe(7);
    expect(level?.es).toBe((8 + 100) / 2);
  });

  it('clamps k to [1, N] and handles a single scenario', () => {
    const report = summarizePnl(Float64Array.from([-4]), [0.01, 0.99]);
    expect(report.levels.map((level) => [level.var, level.es, level.stdError])).toEqual([
      [4, 4, 0],
      [4, 4, 0],
    ]);
    expect(report.meanPnl).toBe(-4);
    expect(report.stdPnl).toBe(0);
    const [lowest] = summarizePnl(PNL, [0.01]).levels;
    expect(lowest?.var).toBe(-7);
  });

  it('does not depend on the order of the scenarios, bit for bit', () => {
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const pnl = Float64Array.from(
      { length: 5000 },
      () => (random() - 0.45) * Math.exp(9 * random()),
    );
    const reversed = pnl.slice().reverse();
    const rotated = Float64Array.from(pnl, (_, i) => pnl[(i + 1234) % pnl.length]!);
    const levels = [0.9, 0.95, 0.99, 0.999];
    const report = summarizePnl(pnl, levels);
    expect(summarizePnl(reversed, levels)).toEqual(report);
    expect(summarizePnl(rotated, levels)).toEqual(report);
  });

  it('does not modify its input', () => {
    const pnl = PNL.slice();
    summarizePnl(pnl, [0.9]);
    expect(pnl).toEqual(PNL);
  });

  it('gives the same report from chunks sorted apart and merged, zeros of both signs in order', () => {
    let state = 7;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    const pnl = Float64Array.from({ length: 10_007 }, (_, i) => (i % 13 === 0 ? 0 : i % 17 === 0 ? -0 : i % 19 === 0 ? 2.5 : (random() - 0.5) * 100));
    const levels = [0.5, 0.95, 0.99];
    for (const chunk of [1, 999, 2_500, 10_007]) {
      const runs: Float64Array[] = [];
      for (let first = 0; first < pnl.length; first += chunk) runs.push(sortedLosses(pnl.subarray(first, first + chunk)));
      const merged = mergeSortedRuns(runs);
      const whole = sortedLosses(pnl);
      expect(merged).toHaveLength(pnl.length);
      expect(merged.every((loss, i) => Object.is(loss, whole[i]))).toBe(true);
      expect(summarizeSortedLosses(merged, levels)).toEqual(summarizePnl(pnl, levels));
    }
    const zeros = sortedLosses(pnl);
    const firstPositiveZero = zeros.findIndex((loss) => Object.is(loss, 0));
    expect(zeros.slice(firstPositiveZero).some((loss) => Object.is(loss, -0))).toBe(false);
  });
});

describe('LargestLosses', () => {
  it('keeps exactly the largest losses of one merge of every chunk, bit for bit, whatever the chunking and the tail length', () => {
    let state = 11;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    // Ties, and zeros of both signs, so the order among equal values shows.
    const pnl = Float64Array.from({ length: 20_011 }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : i % 5 === 0 ? -3 : Math.round((random() - 0.5) * 2000) / 8));
    const whole = sortedLosses(pnl);
    for (const chunk of [1, 333, 4_096, 20_011])
      for (const keep of [1, 100, 1_999, 5_000, 20_011, 30_000]) {
        const tail = new LargestLosses(keep);
        for (let first = 0; first < pnl.length; first += chunk) tail.add(sortedLosses(pnl.subarray(first, first + chunk)));
        const expected = whole.subarray(Math.max(0, whole.length - keep));
        const largest = tail.largest();
        expect(largest).toHaveLength(expected.length);
        expect(largest.every((loss, i) => Object.is(loss, expected[i]))).toBe(true);
      }
  });

  it('holds no chunk it was given: each keeps only a copy of its largest losses', () => {
    const chunk = sortedLosses(Float64Array.from({ length: 1_000 }, (_, i) => i));
    const expected = chunk.slice(-10);
    const tail = new LargestLosses(10);
    tail.add(chunk);
    chunk.fill(-1);
    expect(tail.largest()).toEqual(expected);
  });
});
