// `wasm-risk serve --redis`: the service's Monte Carlo requests run as distributed runs on `wasm-risk worker`s
// (a real Redis, a real worker process), and answer with the same numbers as the service on its own pool;
// while its Redis is gone they are answered 503, and once it is back they run again.
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

  it('answers 503 ERR_REDIS_UNAVAILABLE while its Redis is gone, and runs on the workers again once it is back', async () => {
    const doomed = await startRedis();
    const workers = [await startWorker(['--redis', doomed.url, '--queue', 'revive'])];
    let revived: TestRedis | undefined;
    let server: TestServer | undefined;
    try {
      server = await startServer(undefined, { distributed: { redis: doomed.url, queue: 'revive' } });
      const body = { portfolio: PORTFOLIO, paths: 5_000 };
      const before = await post(server, '/v1/monte-carlo', body);
      expect(before.status).toBe(200);
      await doomed.stop('SIGKILL');
      // Answered once the link is given up (about 10 s): a Retry-After, not a 500.
      const during = await post(server, '/v1/monte-carlo', body);
      expect([during.status, during.body.code, during.headers.get('retry-after')]).toEqual([503, 'ERR_REDIS_UNAVAILABLE', '1']);
      expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
      revived = await startRedis({ port: doomed.port });
      workers.push(await startWorker(['--redis', revived.url, '--queue', 'revive']));
      const after = await post(server, '/v1/monte-carlo', body);
      expect(after.status).toBe(200);
      expect(withoutTiming(after.body)).toEqual(withoutTiming(before.body));
    } finally {
      await server?.close();
      await Promise.all(workers.map((child) => stopProcess(child)));
      await doomed.stop();
      await revived?.stop();
    }
  }, 120_000);
});
