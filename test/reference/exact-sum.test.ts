// Exact sums (host/report/exact-sum.ts): exact whatever the order or split, and rounded once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum, ratioToNumber, SCALE_BITS } from '../../host/report/exact-sum.js';
import { addMoments, lossMoments, mergeSortedRuns, sortedLosses, summarizeLossTail, summarizeSortedLosses, tailLength } from '../../host/report/risk-statistics.js';

const SCALE = 2n ** BigInt(SCALE_BITS);
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });

/** The exact value of a double times 2^SCALE_BITS, by rationals: the slow obvious way. */
function exactScaled(x: number): bigint {
  if (x === 0) return 0n;
  let m = Math.abs(x);
  let e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  const value = (BigInt(m) * SCALE) / 2n ** BigInt(-e);
  return x < 0 ? -value : value;
}

describe('ExactSum', () => {
  it('sums and sums squares exactly, tiny, huge and subnormal values included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyDouble, fc.double({ min: -1e-310, max: 1e-310, noNaN: true }), fc.double({ min: -1e-150, max: 1e-150, noNaN: true })), { maxLength: 40 }), (values) => {
        const sum = new ExactSum();
        const squares = new ExactSum();
        let expectedSum = 0n;
        let expectedSquares = 0n;
        for (const x of values) {
          sum.add(x);
          squares.addSquareOf(x);
          expectedSum += exactScaled(x);
          expectedSquares += (exactScaled(x) * exactScaled(x)) / SCALE;
        }
        expect(sum.scaled()).toBe(expectedSum);
        expect(squares.scaled()).toBe(expectedSquares);
      }),
    );
  });

  it('loses nothing where naive summation loses everything', () => {
    const sum = new ExactSum();
    for (const x of [1e100, 1, -1e100]) sum.add(x);
    expect(sum.scaled()).toBe(SCALE);
  });
});

describe('ratioToNumber', () => {
  it('rounds a ratio once, to the nearest double', () => {
    expect(ratioToNumber(1n, 3n)).toBe(1 / 3);
    expect(ratioToNumber(-2n, 3n)).toBe(-2 / 3);
    expect(ratioToNumber(10n ** 400n, 10n ** 399n)).toBe(10);
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2; a little more is not.
    expect(ratioToNumber(2n ** 54n + 2n, 2n)).toBe(2 ** 53);
    expect(ratioToNumber(2n ** 54n + 3n, 2n)).toBe(2 ** 53 + 2);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.integer({ min: 1, max: 2 ** 20 }), (a, b) => ratioToNumber(BigInt(a), BigInt(b)) === a / b));
  });
});

describe('moments and tails of a split run', () => {
  it('give the same bits as the whole, for any split', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (pnl, chunk) => {
        const levels = [0.9, 0.95, 0.99];
        const whole = summarizeSortedLosses(sortedLosses(Float64Array.from(pnl)), levels);
        const keep = tailLength(pnl.length, levels);
        let moments = { count: 0, sum: 0n, squares: 0n };
        const tails: Float64Array[] = [];
        for (let first = 0; first < pnl.length; first += chunk) {
          const losses = sortedLosses(Float64Array.from(pnl.slice(first, first + chunk)));
          moments = addMoments(moments, lossMoments(losses));
          tails.push(losses.slice(Math.max(0, losses.length - keep)));
        }
        const merged = mergeSortedRuns(tails);
        expect(summarizeLossTail(merged.slice(merged.length - keep), moments, levels)).toEqual(whole);
      }),
    );
  });
});
