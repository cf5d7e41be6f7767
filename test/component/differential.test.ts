// The component against the pure TypeScript reference, path by path, on many random portfolios; and the
// component's raw exports against the host's chunked merge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentInstance } from '../../host/run/component-instance.js';
import { ComponentImage } from '../../host/load/component-image.js';
import type { EngineExports, Simulation } from '../../host/contract/types.js';
import { loweredCorrelationPortfolio } from '../support/lowered-portfolio.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { referenceHistorical, referenceParametric, referenceSimulatePnl } from '../../reference/reference-engine.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { summarizePnl } from '../../host/report/risk-statistics.js';
import { componentFailure } from '../../host/contract/checked-results.js';
import { randomPortfolio, seededRandom } from '../support/random-portfolios.js';

let raw: EngineExports;
let engine: RiskEngine;
beforeAll(async () => {
  raw = (await ComponentInstance.create((await ComponentImage.load(DEFAULT_COMPONENT)).payload)).engine;
  engine = await RiskEngine.load();
});
afterAll(() => engine.close());

const LEVELS = [0.9, 0.95, 0.99, 0.995];

function expectClose(actual: number, expected: number, scale: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * scale);
}

describe('component vs TypeScript reference', () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('agrees on random portfolio #%i', (seed) => {
    const { portfolio, assetIds } = loweredCorrelationPortfolio(randomPortfolio(seed));
    const random = seededRandom(seed * 31);
    const run: Simulation = {
      seed: BigInt(seed) * 0x9e3779b97f4a7c15n % (1n << 64n),
      horizonDays: 0.5 + random() * 20,
      antithetic: random() < 0.5,
      firstPath: BigInt(Math.floor(random() * 1000)),
      pathCount: 2_000n,
    };
    const actual = raw.simulatePnl(portfolio, run);
    const expected = referenceSimulatePnl(portfolio, run);
    const scale = Math.max(1, ...Array.from(expected, Math.abs));
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expectClose(actual[i]!, expected[i]!, scale);

    const report = raw.monteCarlo(portfolio, run, Float64Array.from(LEVELS));
    const reference = summarizePnl(expected, LEVELS);
    report.levels.forEach((level, i) => {
      expectClose(level.var, reference.levels[i]!.var, scale);
      expectClose(level.es, reference.levels[i]!.es, scale);
      expect(level.es).toBeGreaterThanOrEqual(level.var);
    });

    const returns = Array.from({ length: 50 }, () => Float64Array.from(assetIds, () => (random() - 0.5) * 0.1));
    const historical = raw.historical(portfolio, returns, run.horizonDays, Float64Array.from(LEVELS));
    const referenceHistory = referenceHistorical(portfolio, returns, run.horizonDays, LEVELS);
    historical.levels.forEach((level, i) => expectClose(level.var, referenceHistory.levels[i]!.var, scale));

    const parametric = raw.parametric(portfolio, run.horizonDays, Float64Array.from(LEVELS));
    const referenceClosedForm = referenceParametric(portfolio, run.horizonDays, LEVELS);
    parametric.levels.forEach((level, i) => {
      expectClose(level.var, referenceClosedForm.levels[i]!.var, Math.max(1, Math.abs(referenceClosedForm.stdPnl)));
      expect(level.es).toBeGreaterThanOrEqual(level.var);
    });
  });
});

describe('the closed form near the overflow edge', () => {
  // The fallback answers with the reference: it must refuse exactly the books the engine refuses. Exposures
  // around sqrt(largest double) = 1.34e154, where D_i D_j overflows before the covariance scales it down.
  const outcome = (call: () => { meanPnl: number; stdPnl: number }) => {
    try {
      const { meanPnl, stdPnl } = call();
      return { meanPnl, stdPnl };
    } catch (thrown) {
      // The raw export throws its `risk-error` case; the host maps it as any call's.
      const error = componentFailure(thrown);
      return { code: error.code, message: error.message };
    }
  };
  const quantities = Array.from({ length: 41 }, (_, i) => 10 ** (150 + i / 8));
  it.each([
    ['a vol of 0.001 over a day', 1e-3, 1],
    ['a vol of 0.3 over ten years', 0.3, 2520],
    ['a vol of 1e-100', 1e-100, 1],
  ])('refuses the same books, with the same mean and standard deviation, bit for bit: %s', (_name, vol, horizonDays) => {
    let refused = 0;
    for (const quantity of quantities) {
      const { portfolio } = loweredCorrelationPortfolio({
        assets: ['A', 'B'].map((id) => ({ id, spot: 100, drift: 0.05, vol })),
        correlation: [[1, 0.3], [0.3, 1]],
        positions: [{ asset: 'A', type: 'spot', quantity }, { asset: 'B', type: 'call', strike: 90, expiryYears: 1, quantity: -quantity / 3 }],
      });
      const fromEngine = outcome(() => raw.parametric(portfolio, horizonDays, Float64Array.from(LEVELS)));
      expect(outcome(() => referenceParametric(portfolio, horizonDays, LEVELS)), `quantity ${quantity}`).toEqual(fromEngine);
      if ('code' in fromEngine) refused += 1;
    }
    // The edge lies inside the range: some books are answered, some refused.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(quantities.length);
  });
});

describe('chunking', () => {
  it('merges chunks into the report the component computes in one call: the same levels, moments to rounding', async () => {
    const spec = randomPortfolio(99);
    const { portfolio } = loweredCorrelationPortfolio(spec);
    const paths = 123_457;
    const whole = raw.monteCarlo(portfolio, { seed: 5n, horizonDays: 3, antithetic: true, firstPath: 0n, pathCount: BigInt(paths) }, Float64Array.from(LEVELS));
    const merged = await engine.monteCarlo(spec, { paths, seed: 5n, horizonDays: 3, antithetic: true, confidence: LEVELS });
    expect(merged.levels).toEqual(whole.levels);
    // The host's moments are exact sums rounded once (split-independent, host/report/exact-sum.ts); the
    // component's own are running sums, a few ulps away.
    expect(Math.abs(merged.meanPnl / whole.meanPnl - 1)).toBeLessThan(1e-11);
    expect(Math.abs(merged.stdPnl / whole.stdPnl - 1)).toBeLessThan(1e-11);
  });

  it('simulates any sub-range of paths exactly as the whole run does', () => {
    const { portfolio } = loweredCorrelationPortfolio(randomPortfolio(5));
    const run = (firstPath: bigint, pathCount: bigint): Simulation => ({ seed: 11n, horizonDays: 1, antithetic: true, firstPath, pathCount });
    const whole = raw.simulatePnl(portfolio, run(0n, 1_001n));
    const parts = [raw.simulatePnl(portfolio, run(0n, 333n)), raw.simulatePnl(portfolio, run(333n, 1n)), raw.simulatePnl(portfolio, run(334n, 667n))];
    expect(Float64Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(whole);
  });
});

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the component defends itself', () => {
  // The host validates first; these go around it, as a different host might.
  const { portfolio } = loweredCorrelationPortfolio(randomPortfolio(3));
  const run: Simulation = { seed: 1n, horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: 10n };
  const levels = Float64Array.from([0.99]);

  it.each([
    ['NaN spot', { ...portfolio, assets: portfolio.assets.map((a) => ({ ...a, spot: Number.NaN })) }, /assets\[0\]\.spot/],
    ['unknown asset index', { ...portfolio, positions: [{ ...portfolio.positions[0]!, assetIndex: 999 }] }, /positions\[0\]\.asset/],
    ['ragged correlation', { ...portfolio, correlation: [Float64Array.from([1, 0, 0, 0, 0, 0, 0])] }, /correlation/],
    ['no positions', { ...portfolio, positions: [] }, /positions/],
  ])('refuses %s with invalid-input', (_name, bad, field) => {
    expect(thrownBy(() => raw.monteCarlo(bad, run, levels))).toMatchObject({ tag: 'invalid-input', val: expect.stringMatching(field) });
  });

  it('refuses paths past its limit with too-large', () => {
    expect(thrownBy(() => raw.simulatePnl(portfolio, { ...run, pathCount: 10_000_001n }))).toMatchObject({ tag: 'too-large' });
  });

  it('refuses confidence levels outside (0, 1)', () => {
    expect(thrownBy(() => raw.parametric(portfolio, 1, Float64Array.from([1.5])))).toMatchObject({
      tag: 'invalid-input',
      val: expect.stringMatching(/^confidence\[0\]/),
    });
  });
});
