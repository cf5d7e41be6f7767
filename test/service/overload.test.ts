// Overload: five times more concurrent requests than the queue holds. Every request is answered (a 200,
// or a 429 with Retry-After), none is lost, and the gauges come back to zero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

const MAX_QUEUE = 8;
let server: TestServer;
beforeAll(async () => {
  server = await startServer(undefined, {}, { maxQueue: MAX_QUEUE });
});
afterAll(async () => {
  await server?.close();
});

describe('a bounded queue', () => {
  it('answers every one of 5x the queue in concurrent requests, refusing the excess with 429 and Retry-After', async () => {
    const total = 5 * (MAX_QUEUE + server.queue.inFlight + 2);
    const answers = await Promise.all(
      Array.from({ length: total }, () => post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 20_000 })),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.length + refused.length).toBe(total);
    // Two running and eight waiting at most: the rest were refused at once.
    expect(served.length).toBeGreaterThanOrEqual(MAX_QUEUE + 2);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toMatchObject({ code: 'ERR_QUEUE_FULL', status: 429 });
    }
    const metrics = (await get(server, '/metrics')).text;
    expect(metrics).toMatch(/^wasm_risk_queue_depth 0$/m);
    expect(metrics).toMatch(/^wasm_risk_in_flight 0$/m);
    expect(metrics).toContain(`wasm_risk_requests_total{method="monte-carlo",outcome="error",code="ERR_QUEUE_FULL",version="1.1.0"} ${refused.length}`);
    expect(metrics).toContain(`wasm_risk_requests_total{method="monte-carlo",outcome="ok",code="OK",version="1.1.0"} ${served.length}`);
  });
});
