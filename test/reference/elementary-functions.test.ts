import { describe, expect, it } from 'vitest';
import { cosSinTurns, exp, ln, lnPositiveNormal } from '../../reference/elementary-functions.js';

// The model's exp, ln and cos/sin of a turn must (1) be as accurate as a libm (under 1 ulp, checked
// against V8's Math functions, which are fdlibm ports) and (2) give exactly the bits the Rust engine
// gives: the pinned values below were printed by components/risk-engine (`elementary::tests`).

const buffer = new Float64Array(1);
const bits = new BigInt64Array(buffer.buffer);
function ulps(a: number, b: number): number {
  buffer[0] = a;
  const x = bits[0]!;
  buffer[0] = b;
  return Number(x > bits[0]! ? x - bits[0]! : bits[0]! - x);
}

function* sample(count: number, low: number, high: number): Generator<number> {
  let state = 0x2545f491;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield low + ((high - low) * state) / 2 ** 32;
  }
}

describe('exp', () => {
  it('is within 1 ulp of Math.exp over the whole range', () => {
    for (const x of [...sample(50_000, -740, 709), ...sample(50_000, -1, 1)]) {
      expect(ulps(exp(x), Math.exp(x)), `exp(${x})`).toBeLessThanOrEqual(1);
    }
  });

  it('is exact at 0, overflows to Infinity, underflows gradually to 0, and passes NaN', () => {
    expect(exp(0)).toBe(1);
    expect(exp(709.78)).toBe(Math.exp(709.78));
    expect(exp(709.79)).toBe(Infinity);
    expect(exp(-744.44007192138126)).toBe(5e-324);
    expect(exp(-745.14)).toBe(0);
    expect(Math.abs(exp(-720) / Math.exp(-720) - 1)).toBeLessThan(1e-10);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(Number.NaN)).toBeNaN();
  });
});

describe('ln', () => {
  it('is within 1 ulp of Math.log from 1e-300 to 1e300', () => {
    for (const x of [...sample(30_000, 1e-300, 1), ...sample(30_000, 0.5, 4), ...sample(30_000, 1, 1e300)]) {
      expect(ulps(ln(x), Math.log(x)), `ln(${x})`).toBeLessThanOrEqual(1);
    }
  });

  it('handles 1, 0, negatives, subnormals, Infinity and NaN', () => {
    expect(ln(1)).toBe(0);
    expect(ln(0)).toBe(-Infinity);
    expect(ln(-1)).toBeNaN();
    expect(ln(Number.NaN)).toBeNaN();
    expect(ln(Infinity)).toBe(Infinity);
    expect(Math.abs(ln(5e-324) - Math.log(5e-324))).toBeLessThan(1e-12);
    expect(lnPositiveNormal(0.5)).toBe(ln(0.5));
  });
});

describe('cosSinTurns', () => {
  it('agrees with Math.cos and Math.sin of 2 pi u', () => {
    const out = new Float64Array(2);
    for (const u of sample(50_000, 0, 1)) {
      cosSinTurns(u, out);
      expect(Math.abs(out[0]! - Math.cos(2 * Math.PI * u))).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(out[1]! - Math.sin(2 * Math.PI * u))).toBeLessThanOrEqual(1e-15);
    }
  });

  it('is exact on the quarter turns', () => {
    const out = new Float64Array(2);
    cosSinTurns(0, out);
    expect(Array.from(out)).toEqual([1, 0]);
    cosSinTurns(0.5, out);
    expect(Array.from(out)).toEqual([-1, -0]);
    cosSinTurns(0.125, out);
    expect(out[0]).toBe(Math.SQRT1_2);
  });
});

const cosSin = (u: number): Float64Array => {
  const out = new Float64Array(2);
  cosSinTurns(u, out);
  return out;
};

const PINNED: [string, number, string][] = [
  ['exp(0.5)', exp(0.5), '3ffa61298e1e069c'],
  ['exp(-3.7)', exp(-3.7), '3f99511fc6871044'],
  ['exp(123.456)', exp(123.456), '4b11428e1cbc0143'],
  ['exp(-700.25)', exp(-700.25), 'caf5fe9a485c8e'],
  ['ln(0.3)', ln(0.3), 'bff34378fcbda721'],
  ['ln(7.5e10)', ln(7.5e10), '40390a6ed9d4818f'],
  ['ln(1e-200)', ln(1e-200), 'c07cc845b54b54f2'],
  ['cos(2 pi 0.123456789)', cosSin(0.123456789)[0]!, '3fe6d8832e5981ec'],
  ['sin(2 pi 0.123456789)', cosSin(0.123456789)[1]!, '3fe6682e33636dbf'],
  ['cos(2 pi 0.87654321)', cosSin(0.87654321)[0]!, '3fe6d8832bfcd4ed'],
  ['sin(2 pi 0.87654321)', cosSin(0.87654321)[1]!, 'bfe6682e35cbf225'],
];

describe('the same bits as the Rust engine', () => {
  it.each(PINNED)('%s', (_name, value, hex) => {
    buffer[0] = value;
    expect(BigInt.asUintN(64, bits[0]!).toString(16)).toBe(hex);
  });
});
