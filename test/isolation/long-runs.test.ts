// A long Monte Carlo run does not make memory grow with its paths: the host splits it into calls of at most
// 2,000,000 paths (16 MB of losses each), keeps only the largest losses of the chunks (LargestLosses,
// test/reference/risk-statistics.test.ts), and a worker task brings back at most 2,000,000 paths' worth of
// answers, so a caller who asks for many paths (or many callers at once) cannot make an instance hold (and
// keep: linear memory never shrinks), or a task carry back, hundreds of MB.
import type { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { validatePortfolio, type PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine } from '../../host/risk-engine.js';
import type { EngineCall } from '../../host/run/engine-calls.js';
import { RequestClock } from '../../host/run/executor.js';
import { EnginePool } from '../../host/run/worker-pool.js';

const ONE_ASSET: PortfolioSpec = {
  assets: [{ id: 'A', spot: 100, drift: 0.05, vol: 0.2 }],
  correlation: [[1]],
  positions: [{ asset: 'A', type: 'spot', quantity: 10 }],
};

describe('a long run on one worker', () => {
  let engine: RiskEngine;
  beforeAll(async () => {
    engine = await RiskEngine.load(undefined, { workers: 1 });
  });
  afterAll(() => engine.close());

  it('leaves the instance holding the memory of a 2M-path call, not of the whole run', async () => {
    // As one call (what a single worker got before), 6M paths left the instance at about 93 MiB; in calls
    // of 2M, about 32 MiB.
    const result = await engine.monteCarlo(ONE_ASSET, { paths: 6_000_000, seed: 42n });
    expect(result.paths).toBe(6_000_000);
    expect(engine.memoryBytes).toBeGreaterThan(0);
    expect(engine.memoryBytes).toBeLessThan(48 * 2 ** 20);
  });
});

describe('chunks of long runs waiting for one worker', () => {
  it('cross at most 2M paths to a task, so a task never brings back more than 16 MB of losses', async () => {
    const { payload } = await ComponentImage.load(DEFAULT_COMPONENT);
    const pool = new EnginePool(payload, { workers: 1 });
    try {
      const { portfolio } = validatePortfolio(ONE_ASSET);
      const chunk = (first: number): EngineCall<'sortedLosses'> => ({
        method: 'sortedLosses',
        portfolio,
        run: { seed: 1n, horizonDays: 1, antithetic: false, firstPath: BigInt(first * 1_000_000), pathCount: 1_000_000n },
      });
      const tasks = () => (pool as unknown as { piscina: Piscina }).piscina.completed;
      const before = tasks();
      // The first finds the worker free; the six others wait, and the freed worker takes two at a time (all
      // six at once, 48 MB, before the bound).
      const losses = await Promise.all(Array.from({ length: 7 }, (_, i) => pool.run(chunk(i), { clock: new RequestClock(120_000) })));
      expect(losses.map((chunkLosses) => chunkLosses.length)).toEqual(Array(7).fill(1_000_000));
      expect(tasks() - before).toBe(4);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
