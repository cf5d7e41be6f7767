// Calls that wait together cross to a worker together (worker-pool.ts): each still has its own deadline,
// its own answer and its own error. A call that hangs stops its worker and fails alone; the calls that
// shared its task are answered, with the numbers they get on their own. A call that never got a worker
// fails as overloaded, stopping nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, QueueTimeoutError, TimeoutError } from '../../host/errors.js';
import { RiskEngine, type BatchOutcome, type RiskResult } from '../../host/risk-engine.js';
import { examplePortfolio, fixture } from '../support/fixtures.js';

const portfolio = examplePortfolio();
/** loop-on-trigger spins forever on a parametric or historical request with this horizon. */
const TRIGGER_HORIZON = 13;
/** The deadline of the calls that hang: as short as a test can wait. */
const HANG_TIMEOUT_MS = 1_500;
/** The deadline of every call expected to succeed. A call on a worker that replaces a stopped one waits for
 *  its start, uncharged, for up to its deadline (worker-pool.ts): at 1.5 s, a slow thread start on a loaded
 *  machine failed calls that had done nothing wrong. */
const TIMEOUT_MS = 30_000;

const numbers = (result: RiskResult) => ({ levels: result.levels, meanPnl: result.meanPnl, stdPnl: result.stdPnl });

describe('calls sharing a worker task', () => {
  let engine: RiskEngine;
  let reference: RiskEngine;
  beforeAll(async () => {
    // One worker: every call but the first waits, so the waiting ones share tasks.
    engine = await RiskEngine.load(fixture('loop-on-trigger'), { workers: 1, timeoutMs: TIMEOUT_MS });
    reference = await RiskEngine.load(undefined, { isolation: 'in-thread' });
  });
  afterAll(async () => {
    await engine.close();
    await reference.close();
  });

  it('answer each call as it would be answered alone', async () => {
    const horizons = Array.from({ length: 40 }, (_, i) => 1 + (i % 10));
    const results = await Promise.all(horizons.map((horizonDays) => engine.parametric(portfolio, { horizonDays })));
    for (const [i, horizonDays] of horizons.entries()) {
      expect(numbers(results[i]!)).toEqual(numbers(await reference.parametric(portfolio, { horizonDays })));
    }
  });

  it('a call that hangs fails alone; the calls of its task are answered', async () => {
    const horizons = Array.from({ length: 30 }, (_, i) => (i === 7 ? TRIGGER_HORIZON : 1 + (i % 5)));
    // One deadline for the whole batch: long enough for the replacement worker to start for the calls after the
    // hung one on a loaded machine (a few seconds of the test's time, spent only by the call that hangs).
    const outcomes = await engine.runBatch(
      horizons.map((horizonDays) => ({ method: 'parametric', portfolio, horizonDays })),
      { timeoutMs: 5_000 },
    );
    const failed = outcomes.flatMap((outcome, i) => (outcome.ok ? [] : [[i, outcome.error] as const]));
    expect(failed).toHaveLength(1);
    expect(failed[0]![0]).toBe(7);
    expect(failed[0]![1]).toBeInstanceOf(TimeoutError);
    expect((failed[0]![1] as TimeoutError).workerStopped).toBe(true);
    for (const [i, horizonDays] of horizons.entries()) {
      if (i === 7) continue;
      expect(numbers((outcomes[i] as Extract<BatchOutcome, { ok: true }>).result)).toEqual(numbers(await reference.parametric(portfolio, { horizonDays })));
    }
  });

  it('calls that hang, sent together, do not run one after another: those that wait again stop waiting a timeout later', async () => {
    // A first call takes the worker alone; the six after it wait, then go as one task. The first of them hangs
    // and stops the worker at its deadline; the rest wait again, each for at most a timeout from then. The
    // next one hangs its whole deadline on the replacement, so those still waiting after it fail without
    // running (before, each ran and hung in turn: six deadlines one after another, and a request's answer
    // came that many deadlines late).
    const first = engine.parametric(portfolio);
    const hanging = Array.from({ length: 6 }, () => engine.parametric(portfolio, { horizonDays: TRIGGER_HORIZON, timeoutMs: HANG_TIMEOUT_MS }).catch((e: unknown) => e));
    expect((await first).levels).toHaveLength(2);
    const outcomes = (await Promise.all(hanging)) as TimeoutError[];
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(TimeoutError);
    const ran = outcomes.filter((outcome) => outcome.workerStopped);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length).toBeLessThan(outcomes.length);
    for (const outcome of outcomes.filter((o) => !o.workerStopped)) expect(outcome.message).toMatch(/deadline waiting again for a worker/);
    // The worker that replaced the last stopped one answers.
    expect((await engine.parametric(portfolio)).levels).toHaveLength(2);
  });

  it('a call that finds no free worker before its deadline is refused as overloaded, stopping nothing', async () => {
    const hung = engine.parametric(portfolio, { horizonDays: TRIGGER_HORIZON, timeoutMs: HANG_TIMEOUT_MS }).catch((e: unknown) => e);
    const waiting = await engine.parametric(portfolio, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(waiting).toBeInstanceOf(QueueTimeoutError);
    const error = await hung;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).workerStopped).toBe(true);
    // The worker that replaced the stopped one answers.
    expect((await engine.parametric(portfolio)).levels).toHaveLength(2);
  });

  it('a waiting call the caller cancels is withdrawn; the others are answered', async () => {
    const controller = new AbortController();
    const calls = Array.from({ length: 20 }, (_, i) => engine.parametric(portfolio, i === 12 ? { signal: controller.signal } : {}).catch((e: unknown) => e));
    controller.abort();
    const outcomes = await Promise.all(calls);
    expect(outcomes[12]).toBeInstanceOf(CancelledError);
    expect(outcomes.filter((outcome) => outcome instanceof Error)).toHaveLength(1);
  });
});
