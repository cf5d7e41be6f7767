// A request the caller cancels fails with the cancelled error, whose `cause` is the caller's own abort
// reason, in workers and in-thread alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { examplePortfolio } from '../support/fixtures.js';

const portfolio = examplePortfolio();

describe.each(['workers', 'in-thread'] as const)('a closed engine (%s)', (isolation) => {
  it('cancels what waits and refuses new calls', async () => {
    const engine = await RiskEngine.load(undefined, { isolation, workers: 1 });
    // The first call takes the only worker (or the thread); the ten after it wait.
    const calls = Array.from({ length: 11 }, () => engine.monteCarlo(portfolio, { paths: 50_000 }).then(() => 'answered', (e: unknown) => e));
    await engine.close();
    const outcomes = await Promise.all(calls);
    expect(outcomes.slice(1).every((outcome) => outcome instanceof CancelledError)).toBe(true);
    // In-thread, closing used to change nothing: the waiting calls ran and the engine kept answering.
    await expect(engine.parametric(portfolio)).rejects.toBeInstanceOf(CancelledError);
  });
});

describe.each(['workers', 'in-thread'] as const)('cancelling a request (%s)', (isolation) => {
  let engine: RiskEngine;
  beforeAll(async () => {
    engine = await RiskEngine.load(undefined, { isolation, workers: 1 });
  });
  afterAll(() => engine.close());

  it("keeps the caller's reason as the cause", async () => {
    const reason = new Error('the user closed the tab');
    const controller = new AbortController();
    controller.abort(reason);
    const error = await engine.parametric(portfolio, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).cause).toBe(reason);
  });

  it("keeps AbortSignal.timeout's TimeoutError as the cause of a run it stops midway", async () => {
    // In-thread, the signal is checked between chunks: small chunks let it fire before the run ends.
    const error = await engine
      .monteCarlo(portfolio, { paths: 2_000_000, chunkPaths: 10_000, signal: AbortSignal.timeout(50) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).cause).toBeInstanceOf(DOMException);
    expect((error as CancelledError).cause).toMatchObject({ name: 'TimeoutError' });
  });
});
