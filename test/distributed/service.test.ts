// `wasm-risk serve --redis`: the service's Monte Carlo requests run as distributed runs on `wasm-risk worker`s
// (a real Redis, a real worker process), and answer with the same numbers as the service on its own pool.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';
import { PORTFOLIO, post, startServer, type TestServer } from '../service/service-support.js';

let redis: TestRedis;
let worker: ChildProcess;
beforeAll(async () => {
  redis = await startRedis();
  worker = await startWorker(['--redis', redis.url, '--queue', 'service']);
});
afterAll(async () => {
  await stopProcess(worker);
  await redis?.stop();
});

const withoutTiming = ({ elapsedMs: _elapsed, requestId: _id, ...rest }: Record<string, unknown>) => rest;

describe('serve with --redis', () => {
  it('answers /v1/monte-carlo from the workers, with the numbers of the local pool', async () => {
    const body = { portfolio: PORTFOLIO, paths: 30_011, seed: '5', antithetic: true };
    let distributed: TestServer | undefined;
    let local: TestServer | undefined;
    try {
      distributed = await startServer(undefined, { distributed: { redis: redis.url, queue: 'service', chunkPaths: 7_000 } });
      local = await startServer();
      const [remote, own] = await Promise.all([post(distributed, '/v1/monte-carlo', body), post(local, '/v1/monte-carlo', body)]);
      expect(remote.status).toBe(200);
      expect(withoutTiming(remote.body)).toEqual(withoutTiming(own.body));
      // The closed-form methods still run in the server's own pool.
      expect((await post(distributed, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
    } finally {
      await distributed?.close();
      await local?.close();
    }
  });
});
