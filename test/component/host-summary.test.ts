// The host owns the Monte Carlo summary: a component's numbers are the summary of its own P&L, the same for
// any split of the run (one call or chunks, 1 or 2 workers, in-thread), never its `monte-carlo` answer; a
// component built against contract 1.0.0 (no `sorted-losses`) keeps loading and gives the current engine's
// numbers; and the contract check asks `sorted-losses` of a 1.1 candidate only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCompatibility } from '../../host/contract/compatibility.js';
import { ENGINE_FUNCTION_SINCE } from '../../host/contract/generated/contract.js';
import { ComponentContractError } from '../../host/errors.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { loweredCorrelationPortfolio } from '../support/lowered-portfolio.js';
import { summarizePnl } from '../../host/report/risk-statistics.js';
import { RiskEngine, type RiskResult } from '../../host/risk-engine.js';
import { ComponentInstance } from '../../host/run/component-instance.js';
import { engineVersion, examplePortfolio, fixture } from '../support/fixtures.js';

/** Contract 1.2.0; its `monte-carlo` answers VaR = ES = 1000 whatever its P&L. */
const OWN_SUMMARY = fixture('own-summary');
/** Contract 1.0.0; its `monte-carlo` answers a "sum of stand-alone risks", its P&L is +1, -1, +1, ... */
const WRONG_MODEL = fixture('wrong-model');
/** The project's engine built against contract 1.0.0. */
const ENGINE_1_0 = engineVersion('1.0.0');
const portfolio = examplePortfolio();

const numbers = ({ levels, meanPnl, stdPnl, paths }: RiskResult) => ({ levels, meanPnl, stdPnl, paths });

/** The same request as one call, in chunks on one and two workers, with progress, and in-thread. (Even
 *  chunk sizes: wrong-model's P&L alternates from the first path of each call, so only they keep its paths.) */
async function everySplit(path: string, options: Parameters<RiskEngine['monteCarlo']>[1]): Promise<ReturnType<typeof numbers>[]> {
  const engines = await Promise.all([
    RiskEngine.load(path, { workers: 1 }),
    RiskEngine.load(path, { workers: 2 }),
    RiskEngine.load(path, { isolation: 'in-thread' }),
  ]);
  const [one, two, inThread] = engines;
  try {
    return [
      numbers(await one!.monteCarlo(portfolio, options)),
      numbers(await one!.monteCarlo(portfolio, { ...options, chunkPaths: 7_000 })),
      numbers(await one!.monteCarlo(portfolio, { ...options, onProgress: () => {} })),
      numbers(await two!.monteCarlo(portfolio, options)),
      numbers(await two!.monteCarlo(portfolio, { ...options, chunkPaths: 10_000 })),
      numbers(await inThread!.monteCarlo(portfolio, options)),
      numbers(await inThread!.monteCarlo(portfolio, { ...options, chunkPaths: 5_000 })),
    ];
  } finally {
    await Promise.all(engines.map((engine) => engine.close()));
  }
}

describe.each([
  ['own-summary (contract 1.2.0, sorted-losses)', OWN_SUMMARY],
  ['wrong-model (contract 1.0.0, simulate-pnl sorted by the host)', WRONG_MODEL],
])('a component whose monte-carlo is not the summary of its P&L: %s', (_, path) => {
  const options = { paths: 30_000, seed: 9n, confidence: [0.9, 0.99] };

  it('gives the summary of its P&L for every split and executor, never its own monte-carlo answer', async () => {
    const results = await everySplit(path, options);
    const engine = await RiskEngine.load(path, { workers: 1 });
    let pnl: Float64Array;
    try {
      pnl = await engine.simulatePnl(portfolio, options);
    } finally {
      await engine.close();
    }
    const expected = summarizePnl(pnl, options.confidence);
    for (const result of results) {
      expect(result).toEqual({ levels: expected.levels, meanPnl: expected.meanPnl, stdPnl: expected.stdPnl, paths: options.paths });
    }
    // The component's own summary differs, so the test above can tell who summarised.
    const raw = (await ComponentInstance.create((await ComponentImage.load(path)).payload)).engine;
    const { portfolio: lowered } = loweredCorrelationPortfolio(portfolio);
    const own = raw.monteCarlo(lowered, { seed: 9n, horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: 30_000n }, Float64Array.of(0.9, 0.99));
    expect(own.levels.map((level) => level.var)).not.toEqual(expected.levels.map((level) => level.var));
  });
});

describe('sorted-losses, checked', () => {
  it('refuses losses out of order as a contract error', async () => {
    const engine = await RiskEngine.load(OWN_SUMMARY, { workers: 1 });
    try {
      // Seed 666: own-summary returns its losses in path order.
      await expect(engine.monteCarlo(portfolio, { paths: 1_000, seed: 666n })).rejects.toThrow(ComponentContractError);
      await expect(engine.monteCarlo(portfolio, { paths: 1_000, seed: 666n })).rejects.toThrow(/^component returned losses out of order: /);
    } finally {
      await engine.close();
    }
  });
});

describe('the engine built against contract 1.0.0', () => {
  let current: RiskEngine;
  let earlier: RiskEngine;
  beforeAll(async () => {
    [current, earlier] = await Promise.all([RiskEngine.load(DEFAULT_COMPONENT, { workers: 2 }), RiskEngine.load(ENGINE_1_0, { workers: 2 })]);
  });
  afterAll(() => Promise.all([current.close(), earlier.close()]));

  it('loads, reports its own version, and gives the current engine numbers bit for bit', async () => {
    expect([(await earlier.info()).version, (await current.info()).version]).toEqual(['1.0.0', '1.2.0']);
    const withReturns = { ...portfolio, returns: [[0.01, -0.02, 0.005], [-0.03, 0.01, 0.02], [0.002, 0.004, -0.001]] };
    for (const options of [{ paths: 50_000, seed: 3n }, { paths: 50_000, seed: 3n, antithetic: true, chunkPaths: 12_345 }]) {
      expect(numbers(await earlier.monteCarlo(portfolio, options))).toEqual(numbers(await current.monteCarlo(portfolio, options)));
    }
    expect(numbers(await earlier.parametric(portfolio))).toEqual(numbers(await current.parametric(portfolio)));
    expect(numbers(await earlier.historical(withReturns))).toEqual(numbers(await current.historical(withReturns)));
  });

  it('is compatible with this host, which asks sorted-losses only of a 1.1 candidate', async () => {
    expect(ENGINE_FUNCTION_SINCE.sortedLosses).toBe('1.1.0');
    expect(await checkCompatibility((await ComponentImage.load(ENGINE_1_0)).contract)).toEqual({ compatible: true, contractVersion: '1.0.0', differences: [] });
    const { contract } = await ComponentImage.load(DEFAULT_COMPONENT);
    expect(await checkCompatibility(contract)).toEqual({ compatible: true, contractVersion: '1.2.0', differences: [] });
    const engineFile = [...contract.interfaceDeclarations.keys()].find((file) => file.endsWith('-engine.d.ts'))!;
    const withoutSortedLosses = new Map(contract.interfaceDeclarations);
    withoutSortedLosses.set(engineFile, withoutSortedLosses.get(engineFile)!.replace(/^export function sortedLosses\(.*\n/m, ''));
    expect(await checkCompatibility({ ...contract, interfaceDeclarations: withoutSortedLosses })).toEqual({
      compatible: false,
      contractVersion: '1.2.0',
      differences: ['missing function sortedLosses'],
    });
  });
});
