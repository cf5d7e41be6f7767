// A long Monte Carlo run does not make memory grow with its paths: the host splits it into calls of at most
// 2,000,000 paths (16 MB of losses each), keeps only the largest losses of the chunks (LargestLosses,
// test/reference/risk-statistics.test.ts), and a worker task bundles calls only within 50,000 paths (past
// its first), so a caller who asks for many paths (or many callers at once) cannot make an instance hold (and
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

describe('calls waiting for a worker', () => {
  const chunk = (first: number, paths: number): EngineCall<'chunkSummary'> => ({
    method: 'chunkSummary',
    portfolio: validatePortfolio(ONE_ASSET).portfolio,
    run: { seed: 1n, horizonDays: 1, antithetic: false, firstPath: BigInt(first * paths), pathCount: BigInt(paths) },
    keep: 1_000,
  });
  /** The tasks a pool of `workers` runs for `calls` made at once. */
  async function tasksFor(workers: number, calls: EngineCall[]): Promise<number> {
    const { payload } = await ComponentImage.load(DEFAULT_COMPONENT);
    const pool = new EnginePool(payload, { workers });
    try {
      const tasks = () => (pool as unknown as { piscina: Piscina }).piscina.completed;
      await pool.run({ method: 'info' }, { clock: new RequestClock(120_000) });
      const before = tasks();
      const answers = await Promise.all(calls.map((call) => pool.run(call, { clock: new RequestClock(120_000) })));
      expect(answers).toHaveLength(calls.length);
      return tasks() - before;
    } finally {
      await pool.close();
    }
  }

  it('cross one chunk of a long run to a task, so a task never simulates more than one call of 2M paths', async () => {
    // Before the bound, the six chunks waiting went to the freed worker at once (48 MB of losses), and then two at a time.
    expect(await tasksFor(1, Array.from({ length: 7 }, (_, i) => chunk(i, 1_000_000)))).toBe(7);
  }, 120_000);

  it("cross a progress run's chunks one to a task, so both workers share them and each answer arrives as it is done", async () => {
    // A 1M-path run watched for progress on two workers is 16 chunks of 62,500 paths. Before, the first
    // worker freed took the 14 waiting at once: the other idled, and progress jumped from 2/16 to the end.
    expect(await tasksFor(2, Array.from({ length: 16 }, (_, i) => chunk(i, 62_500)))).toBe(16);
  }, 120_000);

  it('bundle small calls, so many cost a few thread hops', async () => {
    // Fifty 1,000-path chunks made at once for one worker: the first finds it free and goes alone; the 49
    // waiting (49,000 paths) go in the next task. (On two workers the count depends on whether both free up
    // in the same turn: one task of 48, or two of 24.)
    expect(await tasksFor(1, Array.from({ length: 50 }, (_, i) => chunk(i, 1_000)))).toBe(2);
  }, 120_000);
});
