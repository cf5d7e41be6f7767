// Impossible reports are refused, genuine ones never: the host checks what the estimators guarantee
// (ES >= VaR, both non-decreasing in confidence, and how far from the mean a standard deviation lets
// them lie). Property tests summarise loss sets exactly as the engine does and assert that the checker
// accepts every one, heavy-tailed and degenerate included; the impossible-report fixture returns each
// impossibility through the library and the CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedReport } from '../../host/contract/checked-results.js';
import type { RiskReport } from '../../host/contract/types.js';
import { ComponentContractError } from '../../host/errors.js';
import { validatePortfolio, type PortfolioSpec } from '../../host/request/portfolio.js';
import { inverseNormalCdf, normalPdf } from '../../reference/normal-distribution.js';
import { referenceHistorical, referenceMonteCarlo, referenceParametric } from '../../reference/reference-engine.js';
import { RiskEngine, type RiskResult } from '../../host/risk-engine.js';
import { summarizeSortedLosses } from '../../host/report/risk-statistics.js';
import { randomPortfolio, seededRandom } from '../support/random-portfolios.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const FIXTURE = fixture('impossible-report');
const EXAMPLE = EXAMPLE_PORTFOLIO;
const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as PortfolioSpec;
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-report-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The report of these losses, as the engine computes it, and whether the checker accepts it. */
function accepts(losses: ArrayLike<number>, confidence: number[]): RiskReport {
  const sorted = Float64Array.from(losses).sort();
  return checkedReport(summarizeSortedLosses(sorted, confidence), confidence, BigInt(sorted.length));
}

/** Losses whose squares stay finite (a larger spread is refused as a non-finite stdPnl, rightly). */
const loss = fc.double({ min: -1e150, max: 1e150, noNaN: true });
const confidence = fc.oneof(
  fc.double({ min: 0, max: 1, minExcluded: true, maxExcluded: true, noNaN: true }),
  fc.constantFrom(0.5, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999),
  // c N an integer, or within the 1e-9 tolerance of one: the edges of the VaR's rank.
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom(1000, 200, 7)).map(([i, n]) => (i % n) / n || 0.5),
);
const levels = fc.array(confidence, { minLength: 1, maxLength: 8 });
const magnitude = fc.integer({ min: -300, max: 140 }).map((e) => 10 ** e);

/** Loss sets the bounds are tight on, or that stress rounding and the N = 1 and zero-spread edges. */
const lossSets = fc.oneof(
  fc.array(loss, { minLength: 1, maxLength: 300 }),
  // Two values only: the VaR bound is attained at the rank where the lower value ends.
  fc.tuple(loss, loss, fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 })).map(([a, b, m, n]) => [...Array(m).fill(a), ...Array(n).fill(b)]),
  // One value repeated: the rounded mean is not the value, the rounded spread not exactly 0.
  fc.tuple(loss, fc.integer({ min: 1, max: 2000 })).map(([value, n]) => Array(n).fill(value)),
  // Heavy tail: one enormous loss (or gain) among many small ones.
  fc.tuple(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }), loss).map(([small, outlier]) => [...small, outlier]),
  // The same shapes scaled from subnormal to huge.
  fc.tuple(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 100 }), magnitude).map(([base, scale]) => base.map((x) => x * scale)),
);

describe('the checker never refuses a genuine report', () => {
  it('of any loss set: random, two-point, constant, heavy-tailed, subnormal, huge, N = 1', () => {
    fc.assert(
      fc.property(lossSets, levels, (losses, confidences) => {
        accepts(losses, confidences);
      }),
      { numRuns: 3000 },
    );
  });

  it('of the normal closed form, at any mean, spread and confidence (the extremes included)', () => {
    const extremeLevels = fc.array(fc.oneof(confidence, fc.constantFrom(Number.MIN_VALUE, 1e-300, 1 - 2 ** -53)), { minLength: 1, maxLength: 8 });
    const scale = fc.oneof(fc.constant(0), magnitude);
    fc.assert(
      fc.property(fc.double({ min: -1e150, max: 1e150, noNaN: true }), scale, extremeLevels, (mean, std, confidences) => {
        // The engine's parametric, term for term (components/risk-engine/src/parametric.rs).
        const levels = confidences.map((c) => {
          const z = inverseNormalCdf(c);
          return { confidence: c, var: -mean + std * z, es: -mean + (std * normalPdf(z)) / (1 - c), stdError: 0 };
        });
        checkedReport({ scenarios: 0n, levels, meanPnl: mean, stdPnl: std }, confidences, 0n);
      }),
      { numRuns: 3000 },
    );
  });

  it('of a million heavy-tailed losses (Pareto, tail index 1.1) and of a million two-point losses', () => {
    const random = seededRandom(7);
    const pareto = Float64Array.from({ length: 1_000_000 }, () => random() ** (-1 / 1.1) * (random() < 0.5 ? -1 : 1));
    const everyLevel = [0.5, 0.9, 0.95, 0.99, 0.999, 0.999999, 1e-6];
    accepts(pareto, everyLevel);
    accepts(Float64Array.from({ length: 1_000_000 }, (_, i) => (i < 989_999 ? 0.1 : 1e6)), everyLevel);
  });

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))('of the reference engine on random portfolio #%i, all three methods', (seed) => {
    const { portfolio } = validatePortfolio(randomPortfolio(seed));
    const random = seededRandom(seed);
    const confidences = [0.99, 0.5, 0.95, 0.999, 0.9];
    const horizonDays = 0.5 + random() * 20;
    const run = { seed: BigInt(seed), horizonDays, antithetic: seed % 2 === 0, firstPath: 0n, pathCount: 2_000n };
    checkedReport(referenceMonteCarlo(portfolio, run, confidences), confidences, 2_000n);
    const returns = Array.from({ length: 250 }, () => Float64Array.from(portfolio.assets, () => (random() - 0.5) * 0.1));
    checkedReport(referenceHistorical(portfolio, returns, horizonDays, confidences), confidences, 250n);
    checkedReport(referenceParametric(portfolio, horizonDays, confidences), confidences, 0n);
  });
});

describe('the project engine through RiskEngine', () => {
  let engine: RiskEngine;
  beforeAll(async () => {
    engine = await RiskEngine.load(undefined, { workers: 1 });
  });
  afterAll(() => engine.close());

  it('is accepted for every method, levels in any order', async () => {
    const confidence = [0.99, 0.5, 0.95];
    await expect(engine.monteCarlo(example, { paths: 5_000, confidence })).resolves.toMatchObject({ method: 'monte-carlo' });
    await expect(engine.parametric(example, { confidence })).resolves.toMatchObject({ method: 'parametric' });
    if (example.returns?.length) await expect(engine.historical(example, { confidence })).resolves.toMatchObject({ method: 'historical' });
  });
});

/** The fixture's cases, picked by the integer part of the first asset's spot. */
const IMPOSSIBLE: [string, number, RegExp][] = [
  ['es-below-var', 1, /es \S+ is below var/],
  ['var-not-monotone', 2, /var falls as confidence rises/],
  ['es-not-monotone', 3, /es falls as confidence rises/],
  ['huge-zero-std', 4, /var 1e\+308 exceeds the mean loss by more than 0/],
  ['var-beyond-spread', 5, /var 10000 exceeds the mean loss by more than/],
  ['zero-std-spread', 6, /var 5 exceeds the mean loss by more than 0/],
];

/** The example portfolio with the first asset's spot set to `spot`. */
function withSpot(spot: number): PortfolioSpec {
  return { ...example, assets: example.assets.map((asset, i) => (i === 0 ? { ...asset, spot } : asset)) };
}

/** Every number zero (of either sign: the losses of a zero P&L are -0). */
function noRisk({ levels, meanPnl, stdPnl }: RiskResult): boolean {
  return [meanPnl, stdPnl, ...levels.flatMap((level) => [level.var, level.es, level.stdError])].every((value) => value === 0);
}

describe('the impossible-report fixture', () => {
  let engine: RiskEngine;
  beforeAll(async () => {
    engine = await RiskEngine.load(FIXTURE, { workers: 1 });
  });
  afterAll(() => engine.close());

  it('is accepted when its report is consistent (every loss 0), so the refusals below are its numbers', async () => {
    expect(noRisk(await engine.monteCarlo(withSpot(100), { paths: 1_000 }))).toBe(true);
    await expect(engine.parametric(withSpot(100))).resolves.toMatchObject({ meanPnl: 0, stdPnl: 0 });
  });

  describe.each(IMPOSSIBLE)('%s', (_, spot, message) => {
    it('is refused as a contract error by historical and parametric; monte-carlo is the summary the host makes of the P&L', async () => {
      const portfolio = withSpot(spot);
      expect(noRisk(await engine.monteCarlo(portfolio, { paths: 1_000 }))).toBe(true);
      const calls = [() => engine.parametric(portfolio)];
      if (portfolio.returns?.length) calls.push(() => engine.historical(portfolio));
      for (const call of calls) {
        const refused = call();
        await expect(refused).rejects.toBeInstanceOf(ComponentContractError);
        await expect(refused).rejects.toThrow(message);
      }
    });
  });

  it.each(IMPOSSIBLE)('%s: `var` exits 3 with one line', (_, spot, message) => {
    const portfolioFile = join(scratch, `spot-${spot}.json`);
    writeFileSync(portfolioFile, JSON.stringify(withSpot(spot)));
    const run = runCli(['var', portfolioFile, '--method', 'parametric', '--component', FIXTURE, '--workers', '1']);
    expectOneLineFailure(run, 3, /^wasm-risk: ERR_COMPONENT_CONTRACT: component returned an invalid report: /);
    expect(run.stderr).toMatch(message);
  });
});
