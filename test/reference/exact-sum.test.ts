// Exact sums (host/report/exact-sum.ts): exact whatever the order or split, and rounded once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitLength, ExactSum, ratioToNumber, SCALE_BITS } from '../../host/report/exact-sum.js';
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

/** Sums `values` and their squares both ways: by ExactSum, and by rationals. */
function expectExact(values: readonly number[]): void {
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
}

const words = new DataView(new ArrayBuffer(8));
/** Any finite double, every exponent equally likely: fc.double rarely leaves the middle of the range. */
const anyBits = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2046 }), fc.bigInt({ min: 0n, max: 2n ** 52n - 1n })).map(([negative, biased, fraction]) => {
  words.setBigUint64(0, (BigInt(negative) << 63n) | (BigInt(biased) << 52n) | fraction);
  return words.getFloat64(0);
});

function nextUp(x: number): number {
  words.setFloat64(0, x);
  const bits = words.getBigInt64(0);
  words.setBigInt64(0, x === 0 ? 1n : x > 0 ? bits + 1n : bits - 1n);
  return words.getFloat64(0);
}

function nextDown(x: number): number {
  return -nextUp(-x);
}

describe('ExactSum', () => {
  it('sums and sums squares exactly, tiny, huge and subnormal values included', () => {
    fc.assert(fc.property(fc.array(fc.oneof(anyDouble, fc.double({ min: -1e-310, max: 1e-310, noNaN: true }), fc.double({ min: -1e-150, max: 1e-150, noNaN: true })), { maxLength: 40 }), expectExact));
  });

  it('is exact for every exponent, subnormals, -0 and the edges of the bins and of the fast range', () => {
    const edges = [0, -0, 2 ** -1074, 2 ** -1022 - 2 ** -1074, 2 ** -1022, Number.MAX_VALUE, 2 ** 961, nextDown(2 ** 961), 2 ** 480, nextUp(2 ** 480), 2 ** -480, nextDown(2 ** -480)];
    // Doubles whose lowest or highest bit sits on either side of each 32-bit bin edge.
    for (let k = 0; k < 64; k++) for (const shift of [-1, 0, 1, 52, 53]) edges.push(2 ** (32 * k - 1075 + shift), (2 ** 53 - 1) * 2 ** (32 * k - 1075 + shift));
    const values = edges.flatMap((x) => [x, -x, nextUp(x), nextDown(x)]).filter(Number.isFinite);
    expectExact(values);
    fc.assert(fc.property(fc.array(anyBits, { maxLength: 40 }), expectExact));
  });

  it('stays exact past the additions a bin can hold, where its content moves to the integer', () => {
    // (2^31 - 1) times a bin's unit adds 2^31 - 1 units to one bin: 2^22 + 1 of them are odd and above
    // 2^53 units, not a double, so this fails if the bins are not emptied often enough.
    const fill = (2 ** 31 - 1) * 2 ** (32 * 30 - 1075);
    const oneBin = new ExactSum();
    for (let i = 0; i <= 2 ** 22; i++) oneBin.add(fill);
    expect(oneBin.scaled()).toBe((2n ** 22n + 1n) * exactScaled(fill));
    // Past 2^21 additions the bins move to the integer at least once; these fill the bins around the
    // first, and the largest square the bins take fills the top ones.
    const values = [fill, (2 ** 53 - 1) * 2 ** (32 * 30 - 1065), nextDown(2 ** 480), 2 ** -480, -3.5e5];
    const times = 2 ** 21 + 3;
    const sum = new ExactSum();
    const squares = new ExactSum();
    for (let i = 0; i < times; i++) {
      sum.add(values[i % values.length]!);
      squares.addSquareOf(values[i % values.length]!);
    }
    let expectedSum = 0n;
    let expectedSquares = 0n;
    values.forEach((x, i) => {
      const count = BigInt(Math.floor((times - 1 - i) / values.length) + 1);
      expectedSum += count * exactScaled(x);
      expectedSquares += (count * exactScaled(x) * exactScaled(x)) / SCALE;
    });
    expect(sum.scaled()).toBe(expectedSum);
    expect(squares.scaled()).toBe(expectedSquares);
  });

  it('sums an array and its squares in one pass to the same integers, sorted or not', () => {
    const inOnePass = (values: readonly number[]) => {
      const sum = new ExactSum();
      const squares = new ExactSum();
      for (const x of values) {
        sum.add(x);
        squares.addSquareOf(x);
      }
      expect(ExactSum.ofValuesAndSquares(Float64Array.from(values))).toEqual({ sum: sum.scaled(), squares: squares.scaled() });
      const sorted = Float64Array.from(values).sort();
      expect(ExactSum.ofValuesAndSquares(sorted)).toEqual({ sum: sum.scaled(), squares: squares.scaled() });
    };
    const mixed = fc.oneof(anyBits, anyDouble, fc.double({ min: -1e-310, max: 1e-310, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constantFrom(0, -0));
    fc.assert(fc.property(fc.array(mixed, { maxLength: 60 }), inOnePass));
    expect(ExactSum.ofValuesAndSquares(new Float64Array(0))).toEqual({ sum: 0n, squares: 0n });
  });

  it('sums an array in one pass exactly past the additions a bin can hold', () => {
    // As above, 2^22 + 1 odd counts of 2^31 - 1 units in one bin; here one run of equal values, whose
    // pieces are held apart from the bins until the bound says they must go.
    const fill = (2 ** 31 - 1) * 2 ** (32 * 30 - 1075);
    const count = 2n ** 22n + 1n;
    const expected = { sum: count * exactScaled(fill), squares: (count * exactScaled(fill) * exactScaled(fill)) / SCALE };
    expect(ExactSum.ofValuesAndSquares(new Float64Array(Number(count)).fill(fill))).toEqual(expected);
  });

  it('sums an array in one pass exactly with slow values among fast ones, sorted or not', () => {
    // Values outside the fast range (huge, tiny, subnormal) and zeros between the others move the pieces
    // held apart into the bins.
    const fill = (2 ** 31 - 1) * 2 ** (32 * 30 - 1075);
    const values = [fill, (2 ** 53 - 1) * 2 ** (32 * 30 - 1065), nextDown(2 ** 480), 2 ** -480, -3.5e5, fill, 2 ** 500, 12.5, -(2 ** -600), fill, 2 ** -1074, 0, -0];
    const times = 5_000;
    const array = Float64Array.from({ length: times * values.length }, (_, i) => values[i % values.length]!);
    let expectedSum = 0n;
    let expectedSquares = 0n;
    for (const x of values) {
      expectedSum += BigInt(times) * exactScaled(x);
      expectedSquares += (BigInt(times) * exactScaled(x) * exactScaled(x)) / SCALE;
    }
    expect(ExactSum.ofValuesAndSquares(array)).toEqual({ sum: expectedSum, squares: expectedSquares });
    expect(ExactSum.ofValuesAndSquares(array.sort())).toEqual({ sum: expectedSum, squares: expectedSquares });
  });

  it('loses nothing where naive summation loses everything', () => {
    const sum = new ExactSum();
    for (const x of [1e100, 1, -1e100]) sum.add(x);
    expect(sum.scaled()).toBe(SCALE);
  });
});

describe('bitLength', () => {
  /** Integers of up to 4,500 bits (a squared sum times 2^(2 SCALE_BITS) has about that many): random bits,
   *  and the shapes where a double's rounding carries into the next power of two (2^k - 1, runs of ones). */
  const anyBits = fc.integer({ min: 1, max: 4_500 });
  const shaped = fc.oneof(
    fc.tuple(anyBits, fc.integer({ min: 0, max: 2 ** 31 })).map(([bits, salt]) => (1n << BigInt(bits)) - 1n - BigInt(salt % 2)),
    anyBits.map((bits) => 1n << BigInt(bits - 1)),
    fc.tuple(anyBits, fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })).map(([bits, low]) => (1n << BigInt(bits)) + low),
    fc.bigInt({ min: 1n, max: 1n << 4_500n }),
  );

  it('counts the bits of n as its binary digits do', () => {
    expect(bitLength(0n)).toBe(0);
    fc.assert(
      fc.property(shaped, (n) => n <= 0n || bitLength(n) === n.toString(2).length),
      { numRuns: 3_000 },
    );
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
