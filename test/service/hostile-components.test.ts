// Hostile components behind the server: an endless loop is stopped at its deadline (504) and its worker
// replaced, after which the next request gets the engine's numbers; a panic is a 500 (the instance
// replaced), a memory bomb a 507; the server keeps answering and /metrics counts each.
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_IDENTITY, ReferenceFallback } from '../../host/service/fallback.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { EngineBackend } from '../../host/service/engine-backend.js';
import { ENGINE, fixture, get, PORTFOLIO, post, serveBackend, startServer, type TestServer } from './service-support.js';
import { until } from '../support/until.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const metric = async (target: TestServer, line: string) => {
  const text = (await get(target, '/metrics')).text;
  return Number(text.split('\n').find((candidate) => candidate.startsWith(`${line} `))?.split(' ')[1]);
};

/** The answers of a server on the real engine to `requests` (path, body), in order. */
async function engineAnswers(requests: [path: string, body: unknown][]): Promise<Record<string, unknown>[]> {
  const engine = await startServer();
  try {
    const answers = [];
    for (const [path, body] of requests) answers.push((await post(engine, path, body)).body as Record<string, unknown>);
    return answers;
  } finally {
    await engine.close();
  }
}

/**
 * `component` on two workers, returned once both have instantiated it (`waitForBoth`). A load runs info() on
 * one worker only, and two info() at once may both go to it while the other thread still starts; a
 * request's call sent to a worker still starting waits for it, uncharged, up to its deadline, then fails as a
 * wait, stopping nothing: a short deadline on a loaded machine made the tests below see no worker stopped.
 */
async function twoReadyWorkers(component: string): Promise<{ engine: RiskEngine; waitForBoth: () => Promise<void> }> {
  const engine = await RiskEngine.load(component, { workers: 2 });
  // The load's info() ran on one worker: one instance's memory, which these fixtures' calls do not grow.
  const oneInstance = engine.memoryBytes;
  /** Until each worker (a replacement too) has answered a call: the memory of two instances is shown. */
  const waitForBoth = () =>
    until(async () => {
      await Promise.all([engine.info({ timeoutMs: 30_000 }), engine.info({ timeoutMs: 30_000 })]);
      return engine.memoryBytes >= 2 * oneInstance;
    }, 'both workers instantiated');
  await waitForBoth();
  return { engine, waitForBoth };
}

/** The fields of an answer that are the model's, not the serving component's. */
const NUMBERS = ['method', 'paths', 'horizonDays', 'seed', 'levels', 'meanPnl', 'stdPnl'];
const numbersOf = (answer: Record<string, unknown>) => Object.fromEntries(NUMBERS.map((key) => [key, answer[key]]));

// loop-on-trigger spins only on these inputs and is the engine for any other.
// Room for a replacement worker to start on a busy machine: its start-up may take up to a whole timeout.
const LOOP_TIMEOUT_MS = 1_000;
const TRIGGER_PARAMETRIC = { portfolio: PORTFOLIO, horizonDays: 13 };
const ORDINARY_PARAMETRIC = { portfolio: PORTFOLIO };
const ORDINARY_MONTE_CARLO = { portfolio: PORTFOLIO, paths: 5_000, seed: '9' };

describe('hostile components', () => {
  it('an endless loop: 504 at the deadline, the worker replaced, the server still answering', async () => {
    const { engine } = await twoReadyWorkers(fixture('infinite-loop'));
    server = await serveBackend(new EngineBackend(engine), { timeoutMs: 500 });
    const first = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(first.status).toBe(504);
    expect(first.body).toMatchObject({ code: 'ERR_TIMEOUT', status: 504 });
    expect((await get(server, '/readyz')).status).toBe(200);
    // A fresh worker takes the next request (and is stopped at its deadline again, not left hanging).
    expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(504);
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="timeout"}')).toBe(2);
    expect(await metric(server, 'wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_TIMEOUT",version="1.0.0"}')).toBe(2);
  });

  // Fail-fast stops the run's other running chunk too: two workers replaced by one request, and /metrics
  // counted the request's one error (timeout 1) for them.
  it('a looping Monte Carlo run split over both workers: each worker it replaced is counted', async () => {
    // Both workers started and instantiated (info does not loop), so each chunk runs, not waits, at the deadline.
    const { engine } = await twoReadyWorkers(fixture('infinite-loop'));
    server = await serveBackend(new EngineBackend(engine), { timeoutMs: 1_000 });
    const answer = await post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 1_000_000 });
    expect(answer.status).toBe(504);
    const timeouts = await metric(server, 'wasm_risk_worker_restarts_total{cause="timeout"}');
    const cancelled = await metric(server, 'wasm_risk_worker_restarts_total{cause="cancelled"}');
    // The chunk that overran first, and the other one: stopped at its own deadline too, or by fail-fast.
    expect(timeouts).toBeGreaterThanOrEqual(1);
    expect(timeouts + cancelled).toBe(2);
    expect(engine.workerRestarts).toEqual({ timeout: timeouts, cancelled, trap: 0, oom: 0 });
  });

  it('a loop on one input: 504 for it within the deadline, and the very next request 200 with the engine\'s numbers', async () => {
    const [parametric, monteCarlo] = await engineAnswers([
      ['/v1/parametric', ORDINARY_PARAMETRIC],
      ['/v1/monte-carlo', ORDINARY_MONTE_CARLO],
    ]);
    const { engine, waitForBoth } = await twoReadyWorkers(fixture('loop-on-trigger'));
    server = await serveBackend(new EngineBackend(engine), { timeoutMs: LOOP_TIMEOUT_MS });
    const started = performance.now();
    const stopped = await post(server, '/v1/parametric', TRIGGER_PARAMETRIC);
    const elapsedMs = performance.now() - started;
    expect(stopped.status).toBe(504);
    expect(stopped.body).toMatchObject({ code: 'ERR_TIMEOUT', status: 504 });
    // Answered at the deadline, not after it: the margin covers a busy shared machine, not a second deadline.
    expect(elapsedMs).toBeGreaterThanOrEqual(LOOP_TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(LOOP_TIMEOUT_MS + 1_500);
    const next = await post(server, '/v1/parametric', ORDINARY_PARAMETRIC);
    expect(next.status, next.body.detail).toBe(200);
    expect(next.body.fallback).toBeFalsy();
    expect(numbersOf(next.body)).toEqual(numbersOf(parametric!));
    // Chunked across both workers, the replaced one included (started: else its chunk waits for it within the 1 s).
    await waitForBoth();
    const simulated = await post(server, '/v1/monte-carlo', ORDINARY_MONTE_CARLO);
    expect(simulated.status).toBe(200);
    expect(numbersOf(simulated.body)).toEqual(numbersOf(monteCarlo!));
    expect((await get(server, '/readyz')).status).toBe(200);
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="timeout"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_TIMEOUT",version="1.0.0"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_requests_total{method="parametric",outcome="ok",code="OK",version="1.0.0"}')).toBe(1);
  });

  it('a panic: 500 without fallback, and the next request reaches a fresh instance', async () => {
    server = await startServer(fixture('panicker'));
    for (let i = 0; i < 2; i++) {
      const answer = await post(server, '/v1/historical', { portfolio: PORTFOLIO });
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({ code: 'ERR_COMPONENT_TRAP', status: 500 });
    }
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="trap"}')).toBe(2);
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="trap"}')).toBe(0);
  });

  // A batch is answered 200 whatever its items came to: its items are counted, and logged, each on its own,
  // or a component that traps on every batch item looked healthy on the dashboard and in the log.
  it('a batch whose items trap: each item counted as an evaluation that failed, and the log line says how many', async () => {
    server = await startServer(fixture('panicker'));
    const answer = await post(server, '/v1/batch', { portfolio: PORTFOLIO, requests: [{ method: 'parametric' }, { method: 'historical' }, { method: 'parametric', horizonDays: 0 }] });
    expect(answer.status).toBe(200);
    expect(await metric(server, 'wasm_risk_evaluations_total{method="parametric",outcome="error",code="ERR_COMPONENT_TRAP"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_evaluations_total{method="historical",outcome="error",code="ERR_COMPONENT_TRAP"}')).toBe(1);
    const line = server.logs.find((each) => each.method === 'batch');
    expect(line).toMatchObject({ outcome: 'ok', evaluations: 3, failed: 3, fallbacks: 0 });
  });

  it('a memory bomb: 507', async () => {
    server = await startServer(fixture('memory-bomb'), { memoryLimitMb: 64 });
    const answer = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(answer.status).toBe(507);
    expect(answer.body).toMatchObject({ code: 'ERR_OUT_OF_MEMORY' });
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="oom"}')).toBe(1);
  });
});

describe('--fallback reference', () => {
  it('a panicking component: 200 from the reference, marked and counted, with the engine\'s numbers', async () => {
    const [expected] = await engineAnswers([['/v1/monte-carlo', ORDINARY_MONTE_CARLO]]);
    server = await startServer(fixture('panicker'), {}, { fallback: new ReferenceFallback(1) });
    const answer = await post(server, '/v1/monte-carlo', ORDINARY_MONTE_CARLO);
    expect(answer.status).toBe(200);
    expect(answer.body.fallback).toBe(true);
    expect(answer.body.component).toEqual(REFERENCE_IDENTITY);
    expect(numbersOf(answer.body)).toEqual(numbersOf(expected!));
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="trap"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_requests_total{method="monte-carlo",outcome="fallback",code="OK",version="1.0.0"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_evaluations_total{method="monte-carlo",outcome="fallback",code="OK"}')).toBe(1);
  });

  it('a batch on a panicking component: each item answered by the reference, counted and logged as such', async () => {
    server = await startServer(fixture('panicker'), {}, { fallback: new ReferenceFallback(1) });
    const answer = await post(server, '/v1/batch', { portfolio: PORTFOLIO, requests: [{ method: 'parametric' }, { method: 'parametric', horizonDays: 2 }] });
    expect(answer.status).toBe(200);
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="trap"}')).toBe(2);
    expect(await metric(server, 'wasm_risk_evaluations_total{method="parametric",outcome="fallback",code="OK"}')).toBe(2);
    expect(server.logs.find((each) => each.method === 'batch')).toMatchObject({ evaluations: 2, failed: 0, fallbacks: 2 });
  });

  it('refuses, as the engine does, what the reference cannot compute: 400 naming the field, not a 200 of nulls', async () => {
    server = await startServer(fixture('panicker'), {}, { fallback: new ReferenceFallback(1) });
    const book = (spot: number, drift: number, quantity = 1) => ({
      assets: [{ id: 'X', spot, drift, vol: 0.2 }],
      correlation: [[1]],
      positions: [{ asset: 'X', type: 'spot', quantity }],
      returns: [[0.01], [1000]],
    });
    const TOO_EXTREME = 'spots, vols, drifts or quantities are too extreme';
    for (const [path, body, field, detail] of [
      ['/v1/monte-carlo', { portfolio: book(100, 1e308), paths: 100 }, 'portfolio', `portfolio: P&L of path 0 is not a finite number; ${TOO_EXTREME}`],
      ['/v1/monte-carlo', { portfolio: book(1e200, 0), paths: 100 }, 'portfolio', `portfolio: the P&L's standard deviation is not a finite number; ${TOO_EXTREME}`],
      ['/v1/historical', { portfolio: book(100, 0) }, 'portfolio.returns[1]', "portfolio.returns[1]: the P&L of this row is not a finite number; its returns, or the portfolio's spots, vols or quantities, are too extreme"],
      ['/v1/parametric', { portfolio: book(100, 0, 1e308) }, 'portfolio', `portfolio: the delta-normal P&L's mean is not a finite number; ${TOO_EXTREME}`],
    ] as const) {
      const answer = await post(server, path, body);
      expect(answer.status, path).toBe(400);
      expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field, detail });
    }
  });

  // The host validated the request first: a component's `invalid-input` on it was a 400 that neither the
  // fallback nor probation saw, so a component could pass its own failures off as the caller's.
  it('a refusal the reference does not share is answered by the reference; one it shares stays a 400', async () => {
    server = await startServer(fixture('parametric-only'), {}, { fallback: new ReferenceFallback(1) });
    const rescued = await post(server, '/v1/historical', { portfolio: PORTFOLIO });
    expect(rescued.status).toBe(200);
    expect(rescued.body).toMatchObject({ fallback: true, component: REFERENCE_IDENTITY, method: 'historical' });
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="refusal"}')).toBe(1);
    await server.close();
    server = await startServer(ENGINE, {}, { fallback: new ReferenceFallback(1) });
    const book = { assets: [{ id: 'X', spot: 100, drift: 1e308, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot', quantity: 1 }] };
    const refused = await post(server, '/v1/monte-carlo', { portfolio: book, paths: 100 });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio' });
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="refusal"}')).toBe(0);
  });

  it('an endless loop: the request that timed out is answered by the reference', async () => {
    server = await startServer(fixture('infinite-loop'), {}, { timeoutMs: 500, fallback: new ReferenceFallback(1) });
    const answer = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(answer.status).toBe(200);
    expect(answer.body.fallback).toBe(true);
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="timeout"}')).toBe(1);
  });

  it('a loop on one input: that request answered 200 by the reference, the next one by the component', async () => {
    const [triggered, ordinary] = await engineAnswers([
      ['/v1/parametric', TRIGGER_PARAMETRIC],
      ['/v1/parametric', ORDINARY_PARAMETRIC],
    ]);
    server = await startServer(fixture('loop-on-trigger'), {}, { timeoutMs: LOOP_TIMEOUT_MS, fallback: new ReferenceFallback(1) });
    const rescued = await post(server, '/v1/parametric', TRIGGER_PARAMETRIC);
    expect(rescued.status).toBe(200);
    expect(rescued.body.fallback).toBe(true);
    expect(rescued.body.component).toEqual(REFERENCE_IDENTITY);
    // The reference's closed form differs from the engine's in the last bits (its own exp and erf).
    expect(rescued.body.horizonDays).toBe(13);
    rescued.body.levels.forEach((level: { var: number; es: number }, i: number) => {
      const engine = (triggered!.levels as { var: number; es: number }[])[i]!;
      expect(Math.abs(level.var - engine.var)).toBeLessThan(1e-12 * engine.var);
      expect(Math.abs(level.es - engine.es)).toBeLessThan(1e-12 * engine.es);
    });
    const next = await post(server, '/v1/parametric', ORDINARY_PARAMETRIC);
    expect(next.status).toBe(200);
    expect(next.body.fallback).toBeFalsy();
    expect(next.body.component).not.toEqual(REFERENCE_IDENTITY);
    expect(numbersOf(next.body)).toEqual(numbersOf(ordinary!));
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="timeout"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="timeout"}')).toBe(1);
  });
});
