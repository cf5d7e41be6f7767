import { describe, expect, it } from 'vitest';
import type {
  Asset,
  OptionKind,
  Portfolio,
  Position,
  Simulation,
} from '../../host/contract/types.js';
import { NotPositiveSemidefiniteError } from '../../host/errors.js';
import { blackScholesPrice } from '../../reference/black-scholes.js';
import {
  referenceHistorical,
  referenceMonteCarlo,
  referenceParametric,
  referenceSimulatePnl,
} from '../../reference/reference-engine.js';
import { summarizePnl } from '../../host/report/risk-statistics.js';

const matrix = (rows: number[][]): Float64Array[] => rows.map((row) => Float64Array.from(row));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function spot(assetIndex: number, quantity: number): Position {
  return { assetIndex, quantity, instrument: { tag: 'spot' } };
}

function option(
  assetIndex: number,
  quantity: number,
  kind: OptionKind,
  strike: number,
  expiryYears: number,
): Position {
  const val = { kind, strike, expiryYears };
  return { assetIndex, quantity, instrument: { tag: 'european', val } };
}

function singleAsset(asset: Asset, positions: Position[] = [spot(0, 1)]): Portfolio {
  return { assets: [asset], correlation: matrix([[1]]), riskFreeRate: 0.05, positions };
}

/** Log-returns of asset 0 recovered from the P&L of one unit of it. */
function logReturns(pnl: Float64Array, spotToday: number): number[] {
  return Array.from(pnl, (x) => Math.log1p(x / spotToday));
}

const MIXED: Portfolio = {
  assets: [
    { spot: 100, drift: 0.06, vol: 0.2 },
    { spot: 50, drift: 0.02, vol: 0.35 },
    { spot: 250, drift: 0.04, vol: 0.15 },
  ],
  correlation: matrix([
    [1, 0.5, 0.2],
    [0.5, 1, -0.1],
    [0.2, -0.1, 1],
  ]),
  riskFreeRate: 0.03,
  positions: [
    spot(0, 10),
    option(1, -20, 'call', 55, 0.5),
    option(2, 5, 'put', 240, 0.02),
    spot(2, -2),
  ],
};

function run(overrides: Partial<Simulation> = {}): Simulation {
  return {
    seed: 20240601n,
    horizonDays: 10,
    antithetic: false,
    firstPath: 0n,
    pathCount: 100n,
    ...overrides,
  };
}

describe('referenceSimulatePnl', () => {
  it.each([false, true])('is the same per path however chunked (antithetic %s)', (antithetic) => {
    const whole = referenceSimulatePnl(MIXED, run({ antithetic }));
    const head = referenceSimulatePnl(MIXED, run({ antithetic, pathCount: 37n }));
    const tail = referenceSimulatePnl(MIXED, run({ antithetic, firstPath: 37n, pathCount: 63n }));
    expect(whole).toHaveLength(100);
    expect(Array.from(whole)).toEqual([...head, ...tail]);
    expect(new Set(whole).size).toBe(100);
  });

  it('depends on the seed', () => {
    const a = referenceSimulatePnl(MIXED, run());
    const b = referenceSimulatePnl(MIXED, run({ seed: 20240602n }));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('moves antithetic partners by mirrored log-returns', () => {
    const asset = { spot: 100, drift: 0.08, vol: 0.3 };
    const horizonDays = 63;
    const driftTerm = (asset.drift - asset.vol ** 2 / 2) * (horizonDays / 252);
    const paired = referenceSimulatePnl(
      singleAsset(asset),
      run({ antithetic: true, horizonDays, pathCount: 20n }),
    );
    const plain = referenceSimulatePnl(singleAsset(asset), run({ horizonDays, pathCount: 10n }));
    const centred = logReturns(paired, asset.spot).map((r) => r - driftTerm);
    for (let k = 0; k < 10; k++) {
      expect(paired[2 * k]).toBe(plain[k]);
      expect(centred[2 * k + 1]).toBeCloseTo(-centred[2 * k]!, 12);
      expect(Math.abs(centred[2 * k]!)).toBeGreaterThan(1e-6);
    }
  });

  it('draws log-returns with mean (drift - vol^2/2) h and standard deviation vol sqrt(h)', () => {
    const asset = { spot: 40, drift: 0.1, vol: 0.25 };
    const horizonDays = 126;
    const h = horizonDays / 252;
    const count = 40_000;
    const returns = logReturns(
      referenceSimulatePnl(singleAsset(asset), run({ horizonDays, pathCount: BigInt(count) })),
      asset.spot,
    );
    const average = mean(returns);
    const sd = asset.vol * Math.sqrt(h);
    const sampleSd = Math.sqrt(mean(returns.map((r) => (r - average) ** 2)));
    expect(Math.abs(average - (asset.drift - asset.vol ** 2 / 2) * h)).toBeLessThan(
      (4 * sd) / Math.sqrt(count),
    );
    expect(Math.abs(sampleSd / sd - 1)).toBeLessThan(0.02);
  });

  it('correlates the shocks as the correlation matrix says', () => {
    const portfolio: Portfolio = {
      assets: [
        { spot: 100, drift: 0, vol: 0.2 },
        { spot: 100, drift: 0, vol: 0.3 },
      ],
      correlation: matrix([
        [1, -0.6],
        [-0.6, 1],
      ]),
      riskFreeRate: 0,
      positions: [spot(0, 1)],
    };
    const simulation = run({ pathCount: 30_000n });
    const first = logReturns(referenceSimulatePnl(portfolio, simulation), 100);
    const second = logReturns(
      referenceSimulatePnl({ ...portfolio, positions: [spot(1, 1)] }, simulation),
      100,
    );
    const m1 = mean(first);
    const m2 = mean(second);
    const covariance = mean(first.map((x, i) => (x - m1) * (second[i]! - m2)));
    const variance1 = mean(first.map((x) => (x - m1) ** 2));
    const variance2 = mean(second.map((x) => (x - m2) ** 2));
    expect(Math.abs(covariance / Math.sqrt(variance1 * variance2) + 0.6)).toBeLessThan(0.02);
  });

  it('revalues options at the remaining expiry against today’s price', () => {
    // The put expires within the horizon:
    // P&L = 5 (max(240 - S(h), 0) - BS today) - 2 (S(h) - 250).
    const portfolio: Portfolio = {
      ...MIXED,
      positions: [option(2, 5, 'put', 240, 0.02), spot(2, -2)],
    };
    const simulation = run({ pathCount: 50n });
    const pnl = referenceSimulatePnl(portfolio, simulation);
    const moves = referenceSimulatePnl({ ...MIXED, positions: [spot(2, 1)] }, simulation);
    const today = blackScholesPrice('put', 250, 240, 0.02, 0.03, 0.15);
    for (let p = 0; p < 50; p++) {
      const atHorizon = 250 + moves[p]!;
      expect(pnl[p]).toBeCloseTo(5 * (Math.max(240 - atHorizon, 0) - today) - 2 * moves[p]!, 9);
    }
  });

  it('rejects a correlation matrix that is not positive semi-definite', () => {
    const correlation = matrix([
      [1, 0.9, 0.9],
      [0.9, 1, -0.9],
      [0.9, -0.9, 1],
    ]);
    expect(() => referenceSimulatePnl({ ...MIXED, correlation }, run())).toThrow(
      NotPositiveSemidefiniteError,
    );
  });

  it('simulates 100 000 paths of 10 assets in a few seconds', () => {
    const n = 10;
    const portfolio: Portfolio = {
      assets: Array.from({ length: n }, (_, i) => ({
        spot: 50 + 10 * i,
        drift: 0.05,
        vol: 0.1 + 0.02 * i,
      })),
      correlation: Array.from({ length: n }, (_, i) =>
        Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0.3)),
      ),
      riskFreeRate: 0.02,
      positions: Array.from({ length: n }, (_, i) => spot(i, 1)),
    };
    const started = performance.now();
    const pnl = referenceSimulatePnl(portfolio, run({ pathCount: 100_000n }));
    expect(pnl).toHaveLength(100_000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('referenceMonteCarlo', () => {
  it('summarises the simulated P&L', () => {
    const simulation = run({ pathCount: 500n, antithetic: true });
    expect(referenceMonteCarlo(MIXED, simulation, [0.95, 0.99])).toEqual(
      summarizePnl(referenceSimulatePnl(MIXED, simulation), [0.95, 0.99]),
    );
  });

  it('agrees with the delta-normal VaR for a spot portfolio over one day', () => {
    const portfolio: Portfolio = { ...MIXED, positions: [spot(0, 10), spot(1, -5), spot(2, 3)] };
    const levels = [0.95, 0.99];
    const simulation = run({ horizonDays: 1, pathCount: 60_000n });
    const simulated = referenceMonteCarlo(portfolio, simulation, levels);
    const closedForm = referenceParametric(portfolio, 1, levels);
    for (let i = 0; i < levels.length; i++) {
      const ratio = simulated.levels[i]!.var / closedForm.levels[i]!.var;
      expect(Math.abs(ratio - 1)).toBeLessThan(0.03);
    }
    expect(Math.abs(simulated.stdPnl / closedForm.stdPnl - 1)).toBeLessThan(0.02);
  });
});

describe('referenceHistorical', () => {
  it('revalues every row of log-returns, options aged by the horizon', () => {
    const portfolio = singleAsset({ spot: 100, drift: 0.05, vol: 0.2 }, [
      option(0, 2, 'call', 100, 1),
      spot(0, 3),
    ]);
    // A one-year horizon: the call expires exactly and is worth its intrinsic value; today it is
    // worth the textbook 10.450583572185565.
    const returns = [Math.log(1.2), Math.log(0.9), 0, Math.log(1.05)].map((r) =>
      Float64Array.from([r]),
    );
    const report = referenceHistorical(portfolio, returns, 252, [0.5, 0.75]);
    const today = 10.450583572185565;
    const pnl = [
      2 * (20 - today) + 3 * 20,
      2 * (0 - today) + 3 * -10,
      2 * (0 - today),
      2 * (5 - today) + 3 * 5,
    ];
    expect(report.scenarios).toBe(4n);
    // Losses ascending: -pnl[0], -pnl[3], -pnl[2], -pnl[1].
    expect(report.levels[0]!.var).toBeCloseTo(-pnl[3]!, 10);
    expect(report.levels[1]!.var).toBeCloseTo(-pnl[2]!, 10);
    expect(report.levels[1]!.es).toBeCloseTo(-pnl[1]!, 10);
    expect(report.meanPnl).toBeCloseTo(mean(pnl), 10);
  });

  it('uses each asset’s own column of returns', () => {
    const portfolio: Portfolio = { ...MIXED, positions: [spot(1, 1)] };
    const returns = [Float64Array.from([0.5, Math.log(2), -0.5])];
    expect(referenceHistorical(portfolio, returns, 10, [0.5]).meanPnl).toBeCloseTo(50, 10);
  });
});

describe('referenceParametric', () => {
  it('gives VaR = -mu + sigma z and ES = -mu + sigma phi(z) / (1 - c) for one asset', () => {
    const portfolio = singleAsset({ spot: 100, drift: 0.1, vol: 0.2 }, [spot(0, 3)]);
    const report = referenceParametric(portfolio, 252, [0.99]);
    const mu = 300 * (0.1 - 0.02);
    const sigma = 300 * 0.2;
    expect(report.scenarios).toBe(0n);
    expect(report.meanPnl).toBeCloseTo(mu, 12);
    expect(report.stdPnl).toBeCloseTo(sigma, 12);
    const [level] = report.levels;
    // z = Phi^-1(0.99) and phi(z), from mpmath.
    expect(level?.var).toBeCloseTo(-mu + sigma * 2.3263478740408411009, 10);
    expect(level?.es).toBeCloseTo(-mu + (sigma * 0.026652142203458048132) / 0.01, 10);
    expect(level?.stdError).toBe(0);
  });

  it('combines assets through their covariance', () => {
    const portfolio: Portfolio = {
      assets: [
        { spot: 10, drift: 0, vol: 0.3 },
        { spot: 20, drift: 0, vol: 0.1 },
      ],
      correlation: matrix([
        [1, 0.4],
        [0.4, 1],
      ]),
      riskFreeRate: 0,
      positions: [spot(0, 5), spot(1, -2), spot(1, 4)],
    };
    const h = 5 / 252;
    // Money exposures D = (10 * 5, 20 * 2), each scaled by its asset's vol.
    const [a, b] = [50 * 0.3, 40 * 0.1];
    const variance = (a * a + b * b + 2 * 0.4 * a * b) * h;
    expect(referenceParametric(portfolio, 5, [0.9]).stdPnl).toBeCloseTo(Math.sqrt(variance), 12);
  });

  it('has no risk for a delta-hedged option', () => {
    const portfolio = singleAsset({ spot: 100, drift: 0.05, vol: 0.2 }, [
      option(0, 1, 'call', 100, 1),
      // N(d1) for S = K = 100, T = 1, r = 5%, vol = 20%.
      spot(0, -0.6368306511756191),
    ]);
    const report = referenceParametric(portfolio, 10, [0.99]);
    expect(Math.abs(report.stdPnl)).toBeLessThan(1e-12);
    expect(Math.abs(report.levels[0]!.var)).toBeLessThan(1e-12);
  });
});

describe('factor portfolios in the reference', () => {
  const assets: Asset[] = [{ spot: 100, drift: 0.05, vol: 0.3 }];
  const positions = [spot(0, 10), option(0, -3, 'call', 105, 0.5)];
  const run: Simulation = { seed: 17n, horizonDays: 5, antithetic: true, firstPath: 3n, pathCount: 501n };

  it('draw the factors first: one asset wholly on one factor moves as the correlation route moves it, bit for bit', () => {
    const factors = { assets, factorLoadings: matrix([[1]]), riskFreeRate: 0.01, positions };
    const correlated: Portfolio = { assets, correlation: matrix([[1]]), riskFreeRate: 0.01, positions };
    expect(referenceSimulatePnl(factors, run)).toEqual(referenceSimulatePnl(correlated, run));
    expect(referenceParametric(factors, 5, [0.99])).toEqual(referenceParametric(correlated, 5, [0.99]));
  });

  it('give an asset the normal after the k factors as its residual, bit for bit', () => {
    // On two factors it does not load on, its shock is the third normal of each path's stream: the shock of
    // the third asset of an uncorrelated three-asset book.
    const factors = { assets, factorLoadings: matrix([[0, 0]]), riskFreeRate: 0.01, positions };
    const idle = (assetIndex: number) => spot(assetIndex, 0);
    const uncorrelated: Portfolio = {
      assets: [assets[0]!, assets[0]!, assets[0]!],
      correlation: matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
      riskFreeRate: 0.01,
      positions: [idle(0), idle(1), ...positions.map((position) => ({ ...position, assetIndex: 2 }))],
    };
    const expected = referenceSimulatePnl(uncorrelated, run);
    expect(referenceSimulatePnl(factors, run)).toEqual(expected);
    expect(referenceSimulatePnl({ ...factors, factorLoadings: matrix([[0.5, 0]]) }, run)).not.toEqual(expected);
  });
});
