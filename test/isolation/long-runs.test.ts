// A long Monte Carlo run does not make the component's memory grow with its paths: the host splits it into
// calls of at most 2,000,000 paths (16 MB of losses each), and keeps only the largest losses of the chunks
// (LargestLosses, test/reference/risk-statistics.test.ts), so a caller who asks for many paths cannot make
// an instance hold (and keep: linear memory never shrinks) hundreds of MB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine } from '../../host/risk-engine.js';

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
