// How calls cross to a worker (host/run/call-transport.ts): a task's portfolios in one buffer, moved to the
// worker; a portfolio several of its calls carry packed and unpacked once; every number arrives as the same 64 bits.
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
  it('carry their portfolios in one buffer, a portfolio several of them share packed once', () => {
    const shared = book(100);
    const other = book(100.25);
    const { calls, portfolios } = packCalls([parametric(shared, 1), parametric(other, 1), parametric(shared, 10), { method: 'info' }]);
    // 4 header numbers, 3 an asset, 2 x 2 correlation, 5 a position: 24 numbers a portfolio, two of them.
    expect(portfolios).toHaveLength(48);
    expect(calls.map((call) => call.portfolio)).toEqual([0, 24, 0, undefined]);
  });

  it('arrive as the calls they were, bit for bit, after a structured clone that moves the buffer', () => {
    const shared = book(100);
    const sent = [parametric(shared, 1), parametric(book(99.5), 3), parametric(shared, 10)] as Extract<EngineCall, { method: 'parametric' }>[];
    const packed = packCalls(sent);
    const crossed = structuredClone(packed, { transfer: [packed.portfolios.buffer] });
    // Moved, not copied: the sender's buffer is detached.
    expect(packed.portfolios).toHaveLength(0);
    const unpack = callUnpacker(crossed.portfolios);
    const arrived = crossed.calls.map(unpack) as typeof sent;
    // The shared portfolio is unpacked once.
    expect(arrived[2]!.portfolio).toBe(arrived[0]!.portfolio);
    expect(arrived[1]!.portfolio).not.toBe(arrived[0]!.portfolio);
    const rows = (p: (typeof sent)[number]['portfolio']) => ('correlation' in p ? p.correlation : p.factorLoadings).map((row) => [...row]);
    arrived.forEach((got, i) => {
      const call = sent[i]!;
      expect(got.horizonDays).toBe(call.horizonDays);
      expect([...got.confidence]).toEqual([...call.confidence]);
      expect(got.portfolio.assets).toEqual(call.portfolio.assets);
      expect(got.portfolio.positions).toEqual(call.portfolio.positions);
      expect(got.portfolio.riskFreeRate).toBe(call.portfolio.riskFreeRate);
      expect(rows(got.portfolio)).toEqual(rows(call.portfolio));
    });
  });
});
