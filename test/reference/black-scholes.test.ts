import { describe, expect, it } from 'vitest';
import { blackScholesDelta, blackScholesPrice } from '../../reference/black-scholes.js';

describe('blackScholesPrice', () => {
  it('matches the textbook at-the-money values (S = K = 100, T = 1, r = 5%, vol = 20%)', () => {
    expect(blackScholesPrice('call', 100, 100, 1, 0.05, 0.2)).toBeCloseTo(10.450583572185565, 12);
    expect(blackScholesPrice('put', 100, 100, 1, 0.05, 0.2)).toBeCloseTo(5.573526022256971, 12);
  });

  it('satisfies put-call parity C - P = S - K e^{-rT}', () => {
    const cases: [number, number, number, number, number][] = [
      [100, 80, 0.5, 0.03, 0.25],
      [50, 70, 2, 0.01, 0.4],
      [1000, 1000, 0.01, -0.005, 0.6],
      [100, 150, 5, 0.08, 0.1],
    ];
    for (const [spot, strike, years, rate, vol] of cases) {
      const call = blackScholesPrice('call', spot, strike, years, rate, vol);
      const put = blackScholesPrice('put', spot, strike, years, rate, vol);
      expect(call - put).toBeCloseTo(spot - strike * Math.exp(-rate * years), 10);
    }
  });

  it('is the intrinsic value at or after expiry', () => {
    expect(blackScholesPrice('call', 120, 100, 0, 0.05, 0.2)).toBe(20);
    expect(blackScholesPrice('call', 80, 100, -0.1, 0.05, 0.2)).toBe(0);
    expect(blackScholesPrice('put', 80, 100, 0, 0.05, 0.2)).toBe(20);
    expect(blackScholesPrice('put', 120, 100, -1, 0.05, 0.2)).toBe(0);
  });

  it.each([
    // [spot, strike, years, rate, vol, call, put], values from mpmath at 40 digits.
    [300, 100, 1, 0.05, 0.2, 204.87705757570424312, 2.5775644033816511231e-8],
    [50, 70, 2, 0.01, 0.4, 5.8421552639739485589, 24.456062395446819714],
    [100, 150, 0.25, 0.08, 0.1, 4.8181491278986836681e-15, 47.029800996013300151],
  ])('prices S=%s K=%s T=%s r=%s vol=%s to 1e-12 relative', (...values) => {
    const [spot, strike, years, rate, vol, call, put] = values;
    const callPrice = blackScholesPrice('call', spot, strike, years, rate, vol);
    const putPrice = blackScholesPrice('put', spot, strike, years, rate, vol);
    expect(Math.abs(callPrice - call)).toBeLessThanOrEqual(1e-12 * call);
    expect(Math.abs(putPrice - put)).toBeLessThanOrEqual(1e-12 * put);
  });
});

describe('blackScholesDelta', () => {
  it('is N(d1) for a call and N(d1) - 1 for a put', () => {
    // N(d1) at S = K = 100, T = 1, r = 5%, vol = 20% (d1 = 0.35), from mpmath.
    const nD1 = 0.63683065117561907122;
    expect(blackScholesDelta('call', 100, 100, 1, 0.05, 0.2)).toBeCloseTo(nD1, 15);
    expect(blackScholesDelta('put', 100, 100, 1, 0.05, 0.2)).toBeCloseTo(nD1 - 1, 15);
  });

  it('is the derivative of the price', () => {
    for (const kind of ['call', 'put'] as const) {
      for (const spot of [70, 100, 130]) {
        const bump = 1e-4;
        const slope =
          (blackScholesPrice(kind, spot + bump, 100, 0.75, 0.02, 0.3) -
            blackScholesPrice(kind, spot - bump, 100, 0.75, 0.02, 0.3)) /
          (2 * bump);
        expect(blackScholesDelta(kind, spot, 100, 0.75, 0.02, 0.3)).toBeCloseTo(slope, 7);
      }
    }
  });

  it('is the slope of the intrinsic value at expiry', () => {
    expect(blackScholesDelta('call', 120, 100, 0, 0.05, 0.2)).toBe(1);
    expect(blackScholesDelta('call', 100, 100, 0, 0.05, 0.2)).toBe(0);
    expect(blackScholesDelta('put', 80, 100, -1, 0.05, 0.2)).toBe(-1);
    expect(blackScholesDelta('put', 100, 100, 0, 0.05, 0.2)).toBe(0);
  });
});
