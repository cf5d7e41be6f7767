// How calls cross to a worker (host/run/call-transport.ts): a portfolio several calls of one task carry is
// packed once and crosses once (a structured clone keeps shared references), and is unpacked once on the other
// side; every number arrives as the same 64 bits.
import { describe, expect, it } from 'vitest';
import { callUnpacker, packCalls } from '../../host/run/call-transport.js';
import type { EngineCall } from '../../host/run/engine-calls.js';
import { validatePortfolio } from '../../host/request/portfolio.js';

const book = (spot: number) =>
  validatePortfolio({
    assets: [
      { id: 'A', spot, drift: 0.05, vol: 0.2 },
      { id: 'B', spot: 50.5, drift: -0.01, vol: 0.35 },
    ],
    correlation: [
      [1, 0.3],
      [0.3, 1],
    ],
    positions: [
      { asset: 'A', type: 'spot', quantity: 10 },
      { asset: 'B', type: 'call', quantity: -3, strike: 55, expiryYears: 0.5 },
    ],
  }).portfolio;

const parametric = (portfolio: ReturnType<typeof book>, horizonDays: number): EngineCall => ({ method: 'parametric', portfolio, horizonDays, confidence: Float64Array.of(0.95, 0.99) });

describe('calls crossing to a worker', () => {
  it('share one packed copy of a portfolio they share, one per portfolio, within a task', () => {
    const shared = book(100);
    const other = book(100.25);
    const packed = packCalls([parametric(shared, 1), parametric(other, 1), parametric(shared, 10)]);
    expect(packed[0]!.portfolio).toBeInstanceOf(Float64Array);
    expect(packed[2]!.portfolio).toBe(packed[0]!.portfolio);
    expect(packed[1]!.portfolio).not.toBe(packed[0]!.portfolio);
    // A task's copy is its own: the next task packs again (nothing is kept across tasks).
    expect(packCalls([parametric(shared, 1)])[0]!.portfolio).not.toBe(packed[0]!.portfolio);
  });

  it('arrive as the calls they were, bit for bit, the shared portfolio unpacked once', () => {
    const shared = book(100);
    const calls = [parametric(shared, 1), parametric(book(99.5), 3), parametric(shared, 10)];
    const crossed = structuredClone(packCalls(calls));
    expect(crossed[2]!.portfolio).toBe(crossed[0]!.portfolio);
    const unpack = callUnpacker();
    const arrived = crossed.map(unpack);
    const portfolioOf = (call: EngineCall | undefined) => (call as { portfolio: unknown }).portfolio;
    expect(portfolioOf(arrived[2])).toBe(portfolioOf(arrived[0]));
    expect(portfolioOf(arrived[1])).not.toBe(portfolioOf(arrived[0]));
    arrived.forEach((call, i) => {
      const sent = calls[i] as Extract<EngineCall, { method: 'parametric' }>;
      const got = call as typeof sent;
      expect(got.horizonDays).toBe(sent.horizonDays);
      expect([...got.confidence]).toEqual([...sent.confidence]);
      expect(got.portfolio.assets).toEqual(sent.portfolio.assets);
      expect(got.portfolio.positions).toEqual(sent.portfolio.positions);
      expect(got.portfolio.riskFreeRate).toBe(sent.portfolio.riskFreeRate);
      const rows = (p: typeof sent.portfolio) => ('correlation' in p ? p.correlation : p.factorLoadings).map((row) => [...row]);
      expect(rows(got.portfolio)).toEqual(rows(sent.portfolio));
    });
  });
});
