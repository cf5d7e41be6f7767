// The reference fallback's deadline (host/service/fallback.ts) counts from the reference's start in its thread,
// as an engine call's does: waiting for a thread (busy with another fallback, or still starting) is bounded
// apart, and a run that overruns still fails at its deadline.
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../host/errors.js';
import { validateRiskRequest } from '../../host/request/risk-request.js';
import { ReferenceFallback } from '../../host/service/fallback.js';
import { examplePortfolio } from '../support/fixtures.js';

const open: ReferenceFallback[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((fallback) => fallback.close()));
});

function fallbackOn(threads: number): ReferenceFallback {
  const fallback = new ReferenceFallback(threads);
  open.push(fallback);
  return fallback;
}

const parametric = validateRiskRequest({ method: 'parametric', portfolio: examplePortfolio() });
/** A reference Monte Carlo that keeps its thread busy for seconds (about 2 s on a quiet machine). */
const longRun = validateRiskRequest({ method: 'monte-carlo', portfolio: examplePortfolio(), paths: 1_000_000 });

describe('the reference fallback\'s deadline', () => {
  it('does not count the wait for a thread busy with another fallback', async () => {
    const fallback = fallbackOn(1);
    const busy = fallback.run(longRun, { timeoutMs: 120_000 });
    // Queued behind seconds of work, with a deadline shorter than that wait: it runs once the thread is free.
    const waited = await fallback.run(parametric, { timeoutMs: 1_000 });
    expect(waited.levels).toHaveLength(2);
    expect((await busy).levels).toHaveLength(2);
  });

  it('still stops a run that overruns it, and the next fallback is answered', async () => {
    const fallback = fallbackOn(1);
    const error = await fallback.run(longRun, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).workerStopped).toBe(true);
    expect((error as Error).message).toBe('the reference fallback exceeded its 100 ms deadline');
    // Its thread was stopped; the replacement's start is not charged to the next request.
    expect((await fallback.run(parametric, { timeoutMs: 5_000 })).levels).toHaveLength(2);
  });
});
