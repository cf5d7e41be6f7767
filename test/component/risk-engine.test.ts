// The project's own component, end to end through the host: the model's correctness and determinism.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotPositiveSemidefiniteError, InvalidInputError } from '../../host/errors.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { validatePortfolio } from '../../host/request/portfolio.js';
import { blackScholesPrice } from '../../reference/black-scholes.js';
import { referenceParametric, referenceSimulatePnl } from '../../reference/reference-engine.js';
import { RiskEngine } from '../../host/risk-engine.js';

let engine: RiskEngine;
beforeAll(async () => {
  engine = await RiskEngine.load();
});
afterAll(() => engine.close());

const Z_95 = 1.6448536269514722;
const Z_99 = 2.3263478740408408;

function singleStock(quantity: number, options: Partial<{ spot: number; drift: number; vol: number }> = {}): PortfolioSpec {
  const { spot = 100, drift = 0.05, vol = 0.3 } = options;
  return {
    assets: [{ id: 'X', spot, drift, vol }],
    correlation: [[1]],
    riskFreeRate: 0.02,
    positions: [{ asset: 'X', type: 'spot', quantity }],
  };
}

describe('Monte Carlo', () => {
  it('agrees with the exact lognormal quantile of a single linear position within 3 standard errors', async () => {
    const [q, spot, drift, vol, days] = [100, 100, 0.05, 0.3, 10];
    const h = days / 252;
    const result = await engine.monteCarlo(singleStock(q, { spot, drift, vol }), { paths: 200_000, seed: 7n, horizonDays: days, confidence: [0.95, 0.99] });
    for (const [level, z] of [[result.levels[0]!, Z_95], [result.levels[1]!, Z_99]] as const) {
      const exact = q * spot * (1 - Math.exp((drift - (vol * vol) / 2) * h - vol * Math.sqrt(h) * z));
      expect(level.stdError).toBeGreaterThan(0);
      expect(Math.abs(level.var - exact)).toBeLessThan(3 * level.stdError);
    }
  });

  it('gives identical results for the same seed and different ones for another seed', async () => {
    const portfolio = singleStock(-50);
    const a = await engine.monteCarlo(portfolio, { paths: 20_000, seed: 123n });
    const b = await engine.monteCarlo(portfolio, { paths: 20_000, seed: 123n });
    const c = await engine.monteCarlo(portfolio, { paths: 20_000, seed: 124n });
    expect(b.levels).toEqual(a.levels);
    expect(b.meanPnl).toBe(a.meanPnl);
    expect(c.levels[0]!.var).not.toBe(a.levels[0]!.var);
  });

  it('revalues an option to its Black-Scholes price at a near-zero horizon', async () => {
    const portfolio: PortfolioSpec = {
      assets: [{ id: 'X', spot: 100, drift: 0.05, vol: 0.2 }],
      correlation: [[1]],
      riskFreeRate: 0.05,
      positions: [{ asset: 'X', type: 'call', strike: 100, expiryYears: 1, quantity: 1 }],
    };
    // Textbook price 10.4506: a 10% jump at a 1e-9-day horizon is worth exactly BS(110) - BS(100).
    const result = await engine.historical({ ...portfolio, returns: [[Math.log(1.1)]] }, { horizonDays: 1e-9, confidence: [0.5] });
    const expected = blackScholesPrice('call', 110, 100, 1, 0.05, 0.2) - 10.450583572185565;
    expect(result.meanPnl).toBeCloseTo(expected, 6);
    const still = await engine.monteCarlo(portfolio, { paths: 1_000, horizonDays: 1e-9 });
    expect(Math.abs(still.meanPnl)).toBeLessThan(1e-3);
    expect(Math.abs(still.levels[1]!.var)).toBeLessThan(1e-3);
  });

  it('pairs antithetic paths, which makes the mean P&L of a driftless stock nearly exact', async () => {
    const result = await engine.monteCarlo(singleStock(1, { drift: 0.0, vol: 0.2 }), { paths: 10_000, antithetic: true, horizonDays: 1 });
    // E[S(h)] - S(0) = 0 with zero drift. Pairs cancel the odd moments of the shocks, leaving an error
    // near 2e-4; plain sampling's standard error of the mean is 100 * 0.2 * sqrt(1/252) / 100 = 0.0126.
    expect(Math.abs(result.meanPnl)).toBeLessThan(1e-3);
    expect(result.paths).toBe(10_000);
  });
});

describe('historical', () => {
  it('is exact on a hand-computed scenario set', async () => {
    // 100 shares at 50: scenario P&L = 100 * (50 e^r - 50), the model's order of operations.
    const returns = [-0.1, -0.05, 0, 0.02, 0.03, -0.2, 0.01, -0.01, 0.05, 0.04].map((r) => [r]);
    const result = await engine.historical({ ...singleStock(100, { spot: 50 }), returns }, { confidence: [0.8, 0.9] });
    const losses = returns.map(([r]) => -(100 * (50 * Math.exp(r!) - 50))).sort((a, b) => a - b);
    // c = 0.8: k = 8, ES = mean of L(9), L(10); c = 0.9: k = 9, ES = L(10).
    expect(result.levels[0]!.var).toBe(losses[7]);
    expect(result.levels[0]!.es).toBe((losses[8]! + losses[9]!) / 2);
    expect(result.levels[1]!.var).toBe(losses[8]);
    expect(result.levels[1]!.es).toBe(losses[9]);
    expect(result.paths).toBe(10);
  });
});

describe('parametric', () => {
  it('equals the delta-normal closed form', async () => {
    const [q, spot, drift, vol, days] = [-40, 250, 0.07, 0.25, 5];
    const h = days / 252;
    const mu = q * spot * (drift - (vol * vol) / 2) * h;
    const sigma = Math.abs(q) * spot * vol * Math.sqrt(h);
    const result = await engine.parametric(singleStock(q, { spot, drift, vol }), { horizonDays: days, confidence: [0.95, 0.99] });
    expect(result.levels[0]!.var).toBeCloseTo(-mu + sigma * Z_95, 9);
    expect(result.levels[1]!.var).toBeCloseTo(-mu + sigma * Z_99, 9);
    const phi99 = Math.exp(-(Z_99 * Z_99) / 2) / Math.sqrt(2 * Math.PI);
    expect(result.levels[1]!.es).toBeCloseTo(-mu + (sigma * phi99) / 0.01, 9);
    expect(result.levels[1]!.stdError).toBe(0);
  });

  it('is as accurate at high confidence levels as at low ones: VaR = z and ES = phi(z) / (1 - c) to 1e-15', async () => {
    // A book with mean 0 and standard deviation 1 over the year; z and the ES from mpmath at 60 digits.
    const unit = singleStock(1, { spot: 1, drift: 0.5, vol: 1 });
    const expected = [
      [0.999, 3.0902323061678133, 3.3670900770639902],
      [0.999999, 4.7534243088170878, 4.9483327165564192],
      [1 - 1e-10, 6.3613408896974219, 6.5115879846440105],
      [1 - 1e-12, 7.0344869100478352, 7.1714055026232609],
      [1 - 1e-14, 7.650730905155643, 7.7773112019287497],
    ] as const;
    const result = await engine.parametric(unit, { horizonDays: 252, confidence: expected.map(([c]) => c) });
    expect([result.meanPnl, result.stdPnl]).toEqual([0, 1]);
    result.levels.forEach((level, i) => {
      const [, z, es] = expected[i]!;
      expect(Math.abs(level.var - z) / z, `VaR at ${level.confidence}`).toBeLessThan(1e-15);
      // phi(z) magnifies an error of z by z^2 (the engine's exp is within an ulp).
      expect(Math.abs(level.es - es) / es, `ES at ${level.confidence}`).toBeLessThan(4e-15 * z * z);
    });
  });
});

describe('errors', () => {
  it('reports a correlation that is not positive semi-definite with its own error', async () => {
    const portfolio: PortfolioSpec = {
      assets: ['A', 'B', 'C'].map((id) => ({ id, spot: 10, drift: 0, vol: 0.2 })),
      correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
      positions: [{ asset: 'A', type: 'spot', quantity: 1 }],
    };
    await expect(engine.monteCarlo(portfolio, { paths: 10 })).rejects.toBeInstanceOf(NotPositiveSemidefiniteError);
    await expect(engine.parametric(portfolio)).rejects.toMatchObject({ code: 'ERR_NOT_POSITIVE_SEMIDEFINITE' });
  });

  it('refuses a matrix whose degenerate pivot leaves an entry it cannot hold, rather than dropping the entry', async () => {
    // A and B perfectly correlated, yet B correlated 0.9 with C where A is not: smallest eigenvalue -0.345. The
    // factor took the 0.9 as 0 and answered (B and C as independent), a VaR of another matrix.
    const portfolio: PortfolioSpec = {
      assets: ['A', 'B', 'C'].map((id) => ({ id, spot: 10, drift: 0, vol: 0.2 })),
      correlation: [[1, 1, 0], [1, 1, 0.9], [0, 0.9, 1]],
      positions: [{ asset: 'B', type: 'spot', quantity: 1 }, { asset: 'C', type: 'spot', quantity: -1 }],
    };
    await expect(engine.monteCarlo(portfolio, { paths: 10 })).rejects.toMatchObject({ code: 'ERR_NOT_POSITIVE_SEMIDEFINITE', message: expect.stringContaining('row 2 keeps') });
    await expect(engine.parametric(portfolio)).rejects.toBeInstanceOf(NotPositiveSemidefiniteError);
    // The same degenerate pair, consistent with C: answered.
    portfolio.correlation = [[1, 1, 0.3], [1, 1, 0.3], [0.3, 0.3, 1]];
    await expect(engine.parametric(portfolio)).resolves.toMatchObject({ method: 'parametric' });
  });

  it('turns inputs that overflow into an input error, not a number', async () => {
    const error = await engine.monteCarlo(singleStock(1e300, { spot: 1e300 }), { paths: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/not a finite number/);
  });

  it('names the path whose P&L overflows, whichever chunk simulated it', async () => {
    // A log-return of about 457 + 63 Z: exp overflows on the paths where Z passes 4 (path 18575 the first).
    const rare = singleStock(1, { spot: 1, drift: 615_000, vol: 1000 });
    const expected = 'portfolio: P&L of path 18575 is not a finite number; spots, vols, drifts or quantities are too extreme';
    for (const chunkPaths of [undefined, 10_000]) {
      await expect(engine.monteCarlo(rare, { paths: 30_000, seed: 42n, chunkPaths })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio', message: expected });
    }
    const { portfolio } = validatePortfolio(rare);
    expect(() => referenceSimulatePnl(portfolio, { seed: 42n, horizonDays: 1, antithetic: false, firstPath: 10_000n, pathCount: 20_000n })).toThrow(expected);
  });

  it('turns statistics that overflow, from finite P&Ls, into an input error, never Infinity (null in JSON)', async () => {
    const message = (what: string) => `portfolio: the P&L's ${what} is not a finite number; spots, vols, drifts or quantities are too extreme`;
    // P&Ls of about 1e199: their squares overflow. Monte Carlo is summarised by the host, historical by the engine.
    const huge = singleStock(1, { spot: 1e200 });
    await expect(engine.monteCarlo(huge, { paths: 1000 })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: message('standard deviation') });
    await expect(engine.historical({ ...huge, returns: [[0.1], [0.2], [-0.1]] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: message('standard deviation') });
    // Five hundred tail losses of 1e307, a tiny spread: only the ES's sum overflows.
    const doubling = singleStock(-1, { spot: 1e307, drift: 174.7, vol: 1e-160 });
    await expect(engine.monteCarlo(doubling, { paths: 1000, confidence: [0.5] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: message('ES at confidence 0.5') });
  });

  it('turns a closed form that overflows into an input error, not an infinite VaR or a variance of 0', async () => {
    // Exposures of 1e160 of each sign: their covariance terms overflow to +-Infinity, whose sum is NaN.
    const hedged: PortfolioSpec = {
      assets: ['A', 'B'].map((id) => ({ id, spot: 100, drift: 0, vol: 1e-3 })),
      correlation: [[1, -1], [-1, 1]],
      positions: [{ asset: 'A', type: 'spot', quantity: 1e158 }, { asset: 'B', type: 'spot', quantity: 2e158 }],
    };
    for (const [portfolio, what] of [[singleStock(1e308), 'mean'], [singleStock(1, { vol: 1e200 }), 'mean'], [singleStock(1e160), 'variance'], [hedged, 'variance']] as const) {
      const expected = { code: 'ERR_INVALID_INPUT', field: 'portfolio', message: `portfolio: the delta-normal P&L's ${what} is not a finite number; spots, vols, drifts or quantities are too extreme` };
      await expect(engine.parametric(portfolio)).rejects.toMatchObject(expected);
      const { portfolio: engineForm } = validatePortfolio(portfolio);
      expect(() => referenceParametric(engineForm, 1, [0.99])).toThrow(expect.objectContaining(expected));
    }
  });

  it('names the field of an invalid request', async () => {
    await expect(engine.monteCarlo(singleStock(1), { paths: 0 })).rejects.toThrow(/^paths: /);
    await expect(engine.parametric(singleStock(1), { confidence: [0.99, 1] })).rejects.toThrow(/^confidence\[1\]: /);
    await expect(engine.historical(singleStock(1))).rejects.toThrow(/^returns: /);
  });
});
