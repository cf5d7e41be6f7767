// Overload: five times more concurrent requests than the queue holds. Every request is answered (a 200,
// or a 429 with Retry-After), none is lost, the gauges come back to zero, and resident memory stays bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUESTS_PER_WORKER } from '../../host/service/server.js';
import { get, parsePrometheus, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

const MAX_QUEUE = 8;
/** Requests the server admits to its 2 workers at once; MAX_QUEUE more may wait. */
const ADMITTED = 2 * REQUESTS_PER_WORKER;
// Enough work that warm workers fall behind a burst of 50 (at 20,000 paths they keep up and none waits).
const PATHS = 100_000;
const REQUEST = { portfolio: PORTFOLIO, paths: PATHS };
const MiB = 2 ** 20;
/**
 * The most the server's resident memory may grow over its idle value during the burst. What it holds for
 * the requests is small: at most 16 admitted and 8 waiting, each with its body (1.3 KB) and, admitted, its
 * sorted losses (100,000 paths x 8 B = 800 KB, a few copies while merged), under 32 MiB in all. The rest is
 * the runtime's own under a burst (50 sockets, V8's young generation of up to 3 x 16 MiB, code compiled
 * for the new paths): measured at 29-47 MiB on a shared 2-core machine. So 96 MiB is twice what was seen,
 * and a server that kept 1 MiB per request of the burst (50 MiB more) fails it.
 */
const MAX_RSS_GROWTH = 96 * MiB;

let server: TestServer;
beforeAll(async () => {
  server = await startServer(undefined, {}, { maxQueue: MAX_QUEUE });
});
afterAll(async () => {
  await server?.close();
});

const residentMemory = async () => parsePrometheus((await get(server, '/metrics')).text).get('process_resident_memory_bytes')!;

describe('a bounded queue', () => {
  it('answers every one of 5x the queue in concurrent requests, refusing the excess with 429 and Retry-After', async () => {
    // Idle means warmed up: both workers instantiated and their memories grown by one request like these.
    expect((await post(server, '/v1/monte-carlo', REQUEST)).status).toBe(200);
    const idle = await residentMemory();
    let peak = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await residentMemory());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const total = 5 * (MAX_QUEUE + ADMITTED);
    const answers = await Promise.all(Array.from({ length: total }, () => post(server, '/v1/monte-carlo', REQUEST)));
    sampling = false;
    await sampler;
    peak = Math.max(peak, await residentMemory());

    const refused = answers.filter((answer) => answer.status === 429);
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.length + refused.length).toBe(total);
    // Sixteen admitted and eight waiting at most: the rest were refused at once.
    expect(served.length).toBeGreaterThanOrEqual(MAX_QUEUE + ADMITTED);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toMatchObject({ code: 'ERR_QUEUE_FULL', status: 429 });
    }
    expect(peak - idle).toBeLessThan(MAX_RSS_GROWTH);
    const metrics = (await get(server, '/metrics')).text;
    expect(metrics).toMatch(/^wasm_risk_queue_depth 0$/m);
    expect(metrics).toMatch(/^wasm_risk_in_flight 0$/m);
    expect(metrics).toContain(`wasm_risk_requests_total{method="monte-carlo",outcome="error",code="ERR_QUEUE_FULL",version="1.2.0"} ${refused.length}`);
    // The burst's and the warm-up's.
    expect(metrics).toContain(`wasm_risk_requests_total{method="monte-carlo",outcome="ok",code="OK",version="1.2.0"} ${served.length + 1}`);
  });
});
