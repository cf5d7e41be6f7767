// Factor portfolios (contract 1.2): the component against the TypeScript reference path by path; the same
// numbers for any number of workers and any chunking; the same risk as the full-correlation route on a book
// whose correlation is built from the same loadings (Monte Carlo within its error, parametric to rounding);
// the engine's own refusals; and a component built against contract 1.0 refusing factor portfolios with a
// typed error while it keeps computing correlation portfolios as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineExports, FactorPortfolio, Simulation } from '../../host/contract/types.js';
import { IncompatibleComponentError } from '../../host/errors.js';
import { ComponentImage } from '../../host/load/component-image.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { validatePortfolio } from '../../host/request/portfolio.js';
import { RiskEngine, type RiskResult } from '../../host/risk-engine.js';
import { ComponentInstance } from '../../host/run/component-instance.js';
import { referenceParametric, referenceSimulatePnl } from '../../reference/reference-engine.js';
import { ENGINE, engineVersion } from '../support/fixtures.js';
import { randomFactorPortfolio, seededRandom } from '../support/random-portfolios.js';

const LEVELS = [0.95, 0.99];
const numbers = ({ levels, meanPnl, stdPnl, paths }: RiskResult) => ({ levels, meanPnl, stdPnl, paths });

/** Four assets on two factors, a spot position and an option on each; asset D has no residual. */
const LOADINGS = [
  [0.7, 0.2],
  [0.5, -0.4],
  [-0.3, 0.6],
  [0.6, 0.8],
];
const factorBook: PortfolioSpec = {
  assets: [
    { id: 'A', spot: 120, drift: 0.05, vol: 0.25 },
    { id: 'B', spot: 80, drift: 0.02, vol: 0.35 },
    { id: 'C', spot: 45, drift: 0.07, vol: 0.4 },
    { id: 'D', spot: 200, drift: 0.03, vol: 0.2 },
  ],
  factorLoadings: LOADINGS,
  riskFreeRate: 0.02,
  positions: [
    { asset: 'A', type: 'spot', quantity: 200 },
    { asset: 'B', type: 'spot', quantity: -150 },
    { asset: 'C', type: 'spot', quantity: 300 },
    { asset: 'D', type: 'spot', quantity: 50 },
    { asset: 'A', type: 'put', strike: 110, expiryYears: 0.5, quantity: 100 },
    { asset: 'C', type: 'call', strike: 50, expiryYears: 0.25, quantity: -200 },
  ],
};
/** The same book with the correlation its loadings imply: L L' off the diagonal, 1 on it. */
const correlationBook: PortfolioSpec = (({ factorLoadings: _, ...rest }) => ({
  ...rest,
  correlation: LOADINGS.map((a, i) => LOADINGS.map((b, j) => (i === j ? 1 : a[0]! * b[0]! + a[1]! * b[1]!))),
}))(factorBook);

let raw: EngineExports;
let engine: RiskEngine;
beforeAll(async () => {
  raw = (await ComponentInstance.create((await ComponentImage.load(ENGINE)).payload)).engine;
  engine = await RiskEngine.load(ENGINE, { workers: 2 });
});
afterAll(() => engine.close());

function factorPortfolioOf(spec: PortfolioSpec): FactorPortfolio {
  const { portfolio } = validatePortfolio(spec);
  if (!('factorLoadings' in portfolio)) throw new Error('not a factor portfolio');
  return portfolio;
}

describe('factor portfolios: component vs TypeScript reference', () => {
  it.each(Array.from({ length: 30 }, (_, i) => i + 1))('agree path by path on random factor portfolio #%i', (seed) => {
    const portfolio = factorPortfolioOf(randomFactorPortfolio(seed));
    const random = seededRandom(seed * 17);
    const run: Simulation = {
      seed: (BigInt(seed) * 0x9e3779b97f4a7c15n) % (1n << 64n),
      horizonDays: 0.5 + random() * 20,
      antithetic: random() < 0.5,
      firstPath: BigInt(Math.floor(random() * 1000)),
      pathCount: 1_500n,
    };
    const actual = raw.simulatePnlFactors!(portfolio, run);
    const expected = referenceSimulatePnl(portfolio, run);
    const scale = Math.max(1, ...Array.from(expected, Math.abs));
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-9 * scale);

    const parametric = raw.parametricFactors!(portfolio, run.horizonDays, Float64Array.from(LEVELS));
    const reference = referenceParametric(portfolio, run.horizonDays, LEVELS);
    expect(Math.abs(parametric.stdPnl - reference.stdPnl)).toBeLessThanOrEqual(1e-12 * Math.max(1, reference.stdPnl));
    // (The mean is summed in another association by the reference: a few ulps apart, as for correlation portfolios.)
    expect(Math.abs(parametric.meanPnl - reference.meanPnl)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(reference.meanPnl)));
  });
});

describe('factor portfolios: the same model as the full-correlation route', () => {
  it('draw the factors first: one asset wholly on one factor moves as a one-asset correlation portfolio, bit for bit', () => {
    const book = {
      assets: [{ spot: 120, drift: 0.05, vol: 0.25 }],
      riskFreeRate: 0.02,
      positions: [
        { assetIndex: 0, quantity: 200, instrument: { tag: 'spot' as const } },
        { assetIndex: 0, quantity: 100, instrument: { tag: 'european' as const, val: { kind: 'put' as const, strike: 110, expiryYears: 0.5 } } },
      ],
    };
    const run: Simulation = { seed: 3n, horizonDays: 2, antithetic: true, firstPath: 11n, pathCount: 999n };
    expect(raw.simulatePnlFactors!({ ...book, factorLoadings: [Float64Array.of(1)] }, run)).toEqual(raw.simulatePnl({ ...book, correlation: [Float64Array.of(1)] }, run));
  });

  it('gives the same parametric risk as the correlation the loadings imply, to 1e-12', async () => {
    const [factors, correlated] = await Promise.all([engine.parametric(factorBook, { horizonDays: 10 }), engine.parametric(correlationBook, { horizonDays: 10 })]);
    expect(factors.meanPnl).toBe(correlated.meanPnl);
    expect(Math.abs(factors.stdPnl / correlated.stdPnl - 1)).toBeLessThan(1e-12);
    factors.levels.forEach((level, i) => expect(Math.abs(level.var / correlated.levels[i]!.var - 1)).toBeLessThan(1e-12));
  });

  it('gives Monte Carlo VaR and ES within Monte Carlo error of the correlation route (different draws, same distribution)', async () => {
    const options = { paths: 400_000, seed: 11n, horizonDays: 10, confidence: [0.9, 0.99] };
    const [factors, correlated] = await Promise.all([engine.monteCarlo(factorBook, options), engine.monteCarlo(correlationBook, options)]);
    factors.levels.forEach((level, i) => {
      const other = correlated.levels[i]!;
      const error = Math.hypot(level.stdError, other.stdError);
      expect(Math.abs(level.var - other.var), `VaR ${level.confidence}`).toBeLessThan(4 * error);
      expect(Math.abs(level.es / other.es - 1), `ES ${level.confidence}`).toBeLessThan(0.02);
    });
    expect(Math.abs(factors.stdPnl / correlated.stdPnl - 1)).toBeLessThan(0.01);
  });

  it('is not the correlation route without its residuals (the test above can fail)', async () => {
    // Loadings scaled by 0.8: the assets keep 36% more residual variance, which moves the book's risk.
    const weaker = { ...factorBook, factorLoadings: LOADINGS.map((row) => row.map((l) => l * 0.8)) };
    const options = { paths: 400_000, seed: 11n, horizonDays: 10, confidence: [0.99] };
    const [factors, correlated] = await Promise.all([engine.monteCarlo(weaker, options), engine.monteCarlo(correlationBook, options)]);
    const error = Math.hypot(factors.levels[0]!.stdError, correlated.levels[0]!.stdError);
    expect(Math.abs(factors.levels[0]!.var - correlated.levels[0]!.var)).toBeGreaterThan(4 * error);
  });
});

describe('factor portfolios: determinism', () => {
  it('gives identical numbers on 1 and 2 workers, in-thread, and for chunk sizes that do not divide the paths', async () => {
    const engines = await Promise.all([RiskEngine.load(ENGINE, { workers: 1 }), RiskEngine.load(ENGINE, { isolation: 'in-thread' })]);
    try {
      const [one, inThread] = engines;
      for (const antithetic of [false, true]) {
        const options = { paths: 60_001, seed: 77n, horizonDays: 5, confidence: LEVELS, antithetic };
        const expected = numbers(await one!.monteCarlo(factorBook, options));
        expect(numbers(await engine.monteCarlo(factorBook, options))).toEqual(expected);
        expect(numbers(await engine.monteCarlo(factorBook, { ...options, chunkPaths: 7_777 }))).toEqual(expected);
        expect(numbers(await one!.monteCarlo(factorBook, { ...options, chunkPaths: 10_001 }))).toEqual(expected);
        expect(numbers(await inThread!.monteCarlo(factorBook, { ...options, chunkPaths: 5_000 }))).toEqual(expected);
      }
      const pnl = await engine.simulatePnl(factorBook, { paths: 20_003, seed: 5n, chunkPaths: 3_001 });
      expect(await inThread!.simulatePnl(factorBook, { paths: 20_003, seed: 5n })).toEqual(pnl);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  });
});

describe('factor portfolios: the engine checks what it is given', () => {
  const portfolio = factorPortfolioOf(factorBook);
  const levels = Float64Array.from(LEVELS);

  it.each([
    ['a row past a sum of squares of 1', { ...portfolio, factorLoadings: [...portfolio.factorLoadings.slice(0, 3), Float64Array.of(0.8, 0.6001)] }, 'invalid-input', 'factorLoadings[3]: sum of squares'],
    ['fewer rows than assets', { ...portfolio, factorLoadings: portfolio.factorLoadings.slice(0, 3) }, 'invalid-input', 'factorLoadings: must have 4 rows'],
    ['a ragged row', { ...portfolio, factorLoadings: [...portfolio.factorLoadings.slice(0, 3), Float64Array.of(0.1)] }, 'invalid-input', 'factorLoadings[3]: must have 2 entries'],
    ['no factors', { ...portfolio, factorLoadings: portfolio.factorLoadings.map(() => new Float64Array(0)) }, 'invalid-input', 'factorLoadings[0]: must have at least 1 factor'],
    ['a NaN', { ...portfolio, factorLoadings: [Float64Array.of(NaN, 0), ...portfolio.factorLoadings.slice(1)] }, 'invalid-input', 'factorLoadings[0][0]: must be a finite number'],
  ])('refuses %s', (_, bad, tag, message) => {
    for (const call of [() => raw.parametricFactors!(bad, 1, levels), () => raw.simulatePnlFactors!(bad, { seed: 1n, horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: 10n })]) {
      expect(call).toThrow();
      try {
        call();
      } catch (error) {
        expect(error).toMatchObject({ tag, val: expect.stringContaining(message) });
      }
    }
  });
});

describe('a component built against contract 1.0 (no factor functions)', () => {
  let earlier: RiskEngine;
  beforeAll(async () => {
    earlier = await RiskEngine.load(engineVersion('1.0.0'), { workers: 1 });
  });
  afterAll(() => earlier.close());

  it('refuses a factor portfolio with a typed error, for every method', async () => {
    const withReturns = { ...factorBook, returns: [[0.01, -0.02, 0.005, 0], [-0.03, 0.01, 0.02, 0.01]] };
    for (const call of [
      () => earlier.monteCarlo(factorBook, { paths: 1_000 }),
      () => earlier.simulatePnl(factorBook, { paths: 1_000 }),
      () => earlier.parametric(factorBook),
      () => earlier.historical(withReturns),
    ]) {
      const failure = call();
      await expect(failure).rejects.toBeInstanceOf(IncompatibleComponentError);
      await expect(failure).rejects.toMatchObject({ code: 'ERR_INCOMPATIBLE_COMPONENT', message: expect.stringContaining('does not support factor models (contract >= 1.2)') });
    }
  });

  it('still computes correlation portfolios, with the current engine numbers bit for bit', async () => {
    const options = { paths: 30_000, seed: 3n, antithetic: true };
    expect(numbers(await earlier.monteCarlo(correlationBook, options))).toEqual(numbers(await engine.monteCarlo(correlationBook, options)));
    expect(numbers(await earlier.parametric(correlationBook))).toEqual(numbers(await engine.parametric(correlationBook)));
  });
});
