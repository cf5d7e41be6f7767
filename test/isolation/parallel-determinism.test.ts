// Parallel Monte Carlo: the same numbers for any number of workers and any chunking, and no cross-talk
// between concurrent requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, NotPositiveSemidefiniteError, TimeoutError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { randomPortfolio } from '../support/random-portfolios.js';
import { runCli } from '../support/run-cli.js';

let oneWorker: RiskEngine;
let twoWorkers: RiskEngine;
beforeAll(async () => {
  [oneWorker, twoWorkers] = await Promise.all([RiskEngine.load(undefined, { workers: 1 }), RiskEngine.load(undefined, { workers: 2 })]);
});
afterAll(() => Promise.all([oneWorker.close(), twoWorkers.close()]));

const numbers = ({ levels, meanPnl, stdPnl }: { levels: unknown; meanPnl: number; stdPnl: number }) => ({ levels, meanPnl, stdPnl });

describe('parallel Monte Carlo', () => {
  it('gives identical numbers on 1 and 2 workers and for chunk sizes that do not divide the paths', async () => {
    const portfolio = randomPortfolio(17);
    const request = { paths: 100_003, seed: 77n, antithetic: true, confidence: [0.95, 0.99, 0.999] };
    const reference = numbers(await oneWorker.monteCarlo(portfolio, { ...request, chunkPaths: 100_003 }));
    for (const chunkPaths of [7_919, 33_334, 50_000]) {
      expect(numbers(await twoWorkers.monteCarlo(portfolio, { ...request, chunkPaths }))).toEqual(reference);
    }
    expect(numbers(await oneWorker.monteCarlo(portfolio, { ...request, chunkPaths: 9_999 }))).toEqual(reference);
  });

  it('gives the same numbers in-thread as in the worker pool', async () => {
    const inThread = await RiskEngine.load(undefined, { isolation: 'in-thread' });
    try {
      const portfolio = randomPortfolio(23);
      const request = { paths: 30_001, seed: 5n, chunkPaths: 7_000 };
      expect(numbers(await inThread.monteCarlo(portfolio, request))).toEqual(numbers(await twoWorkers.monteCarlo(portfolio, request)));
      expect(inThread.concurrency).toBe(1);
      // In-thread, a long run is still chunked so that its deadline is checked between the chunks.
      await expect(inThread.monteCarlo(randomPortfolio(40), { paths: 3_000_000, timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      await inThread.close();
    }
  });

  it('prints the same JSON numbers with --workers 1 and --workers 2', () => {
    const run = (workers: string) => {
      const result = runCli(['var', 'examples/portfolio.json', '--json', '--paths', '60001', '--workers', workers]);
      expect(result.status).toBe(0);
      return numbers(JSON.parse(result.stdout) as { levels: unknown; meanPnl: number; stdPnl: number });
    };
    expect(run('2')).toEqual(run('1'));
  });

  it('reports progress after each finished chunk, ending at the total', async () => {
    const seen: number[] = [];
    await twoWorkers.monteCarlo(randomPortfolio(3), { paths: 45_000, chunkPaths: 10_000, onProgress: (done, total) => seen.push(done / total) });
    expect(seen).toHaveLength(5);
    expect(seen.at(-1)).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('on one worker summarises a run in one call unless progress is watched, with the same numbers', async () => {
    const portfolio = randomPortfolio(29);
    const request = { paths: 45_001, seed: 9n, confidence: [0.9, 0.99] };
    const oneCall = numbers(await oneWorker.monteCarlo(portfolio, request));
    const progress: number[] = [];
    const chunked = numbers(await oneWorker.monteCarlo(portfolio, { ...request, onProgress: (done) => progress.push(done) }));
    expect(chunked).toEqual(oneCall);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(request.paths);
    expect(numbers(await twoWorkers.monteCarlo(portfolio, request))).toEqual(oneCall);
  });

  it('returns the P&L of every path in order, moved out of the workers intact', async () => {
    const portfolio = randomPortfolio(31);
    const request = { paths: 25_003, seed: 4n, antithetic: true };
    const inOneCall = await oneWorker.simulatePnl(portfolio, request);
    const fromChunks = await twoWorkers.simulatePnl(portfolio, { ...request, chunkPaths: 4_000 });
    expect(inOneCall).toHaveLength(request.paths);
    expect(Array.from(fromChunks)).toEqual(Array.from(inOneCall));
    expect(new Set(inOneCall).size).toBeGreaterThan(request.paths / 2);
  });

  it('answers many concurrent requests each with its own result', async () => {
    const requests = Array.from({ length: 24 }, (_, i) => ({ portfolio: randomPortfolio(100 + i), options: { paths: 4_000 + i, seed: BigInt(i), chunkPaths: 1_500 } }));
    const concurrent = await Promise.all(requests.map(({ portfolio, options }) => twoWorkers.monteCarlo(portfolio, options)));
    for (const [i, { portfolio, options }] of requests.entries()) {
      expect(numbers(concurrent[i]!)).toEqual(numbers(await oneWorker.monteCarlo(portfolio, { ...options, chunkPaths: 100_000 })));
    }
  });

  it('fails fast when a chunk fails, and the cancelled chunks leave no stray error behind', async () => {
    const notPsd = {
      assets: ['A', 'B', 'C'].map((id) => ({ id, spot: 10, drift: 0, vol: 0.2 })),
      correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
      positions: [{ asset: 'A', type: 'spot' as const, quantity: 1 }],
    };
    for (let attempt = 0; attempt < 15; attempt++) {
      await expect(twoWorkers.monteCarlo(notPsd, { paths: 1_000_000, chunkPaths: 20_000 })).rejects.toBeInstanceOf(NotPositiveSemidefiniteError);
    }
    expect((await twoWorkers.monteCarlo(randomPortfolio(2), { paths: 1_000 })).paths).toBe(1_000);
  });

  it('stops a request when its AbortSignal fires, and keeps serving', async () => {
    const controller = new AbortController();
    const big = twoWorkers.monteCarlo(randomPortfolio(8), { paths: 5_000_000, chunkPaths: 200_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    await expect(big).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - started).toBeLessThan(5_000);
    const after = await twoWorkers.monteCarlo(randomPortfolio(8), { paths: 1_000 });
    expect(after.paths).toBe(1_000);
  });
});
