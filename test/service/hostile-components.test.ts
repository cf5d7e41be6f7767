// Hostile components behind the server: an endless loop is stopped at its deadline (504) and its worker
// replaced, a panic is a 500 (the instance replaced), a memory bomb a 507; the server keeps answering and
// /metrics counts each.
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_IDENTITY, ReferenceFallback } from '../../host/service/fallback.js';
import { fixture, get, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const metric = async (target: TestServer, line: string) => {
  const text = (await get(target, '/metrics')).text;
  return Number(text.split('\n').find((candidate) => candidate.startsWith(`${line} `))?.split(' ')[1]);
};

describe('hostile components', () => {
  it('an endless loop: 504 at the deadline, the worker replaced, the server still answering', async () => {
    server = await startServer(fixture('infinite-loop'), {}, { timeoutMs: 500 });
    const first = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(first.status).toBe(504);
    expect(first.body).toMatchObject({ code: 'ERR_TIMEOUT', status: 504 });
    expect((await get(server, '/readyz')).status).toBe(200);
    // A fresh worker takes the next request (and is stopped at its deadline again, not left hanging).
    expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(504);
    expect(await metric(server, 'wasm_risk_worker_restarts_total{cause="timeout"}')).toBe(2);
    expect(await metric(server, 'wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_TIMEOUT",version="1.0.0"}')).toBe(2);
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
    const engine = await startServer();
    let expected: Record<string, unknown>;
    try {
      expected = (await post(engine, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 5_000, seed: '9' })).body;
    } finally {
      await engine.close();
    }
    server = await startServer(fixture('panicker'), {}, { fallback: new ReferenceFallback(1) });
    const answer = await post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 5_000, seed: '9' });
    expect(answer.status).toBe(200);
    expect(answer.body.fallback).toBe(true);
    expect(answer.body.component).toEqual(REFERENCE_IDENTITY);
    for (const key of ['method', 'paths', 'horizonDays', 'seed', 'levels', 'meanPnl', 'stdPnl']) expect(answer.body[key]).toEqual(expected[key]);
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="trap"}')).toBe(1);
    expect(await metric(server, 'wasm_risk_requests_total{method="monte-carlo",outcome="fallback",code="OK",version="1.0.0"}')).toBe(1);
  });

  it('an endless loop: the request that timed out is answered by the reference', async () => {
    server = await startServer(fixture('infinite-loop'), {}, { timeoutMs: 500, fallback: new ReferenceFallback(1) });
    const answer = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(answer.status).toBe(200);
    expect(answer.body.fallback).toBe(true);
    expect(await metric(server, 'wasm_risk_fallbacks_total{cause="timeout"}')).toBe(1);
  });
});
