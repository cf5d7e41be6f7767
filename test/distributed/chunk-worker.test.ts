// A chunk worker's main thread renews its chunks' BullMQ locks: it must not be busy for long while a chunk runs,
// however many paths the chunk has, or the lock lapses and the chunk is taken back as stalled from a live worker.
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_JOB, chunkJobData } from '../../host/distributed/chunk-job.js';
import { startChunkWorker } from '../../host/distributed/chunk-worker.js';
import { HeldComponents } from '../../host/distributed/held-components.js';
import { RedisLink } from '../../host/distributed/redis-connection.js';
import { tailLength } from '../../host/report/risk-statistics.js';
import { validateMonteCarloRequest } from '../../host/request/risk-request.js';
import { examplePortfolio } from '../support/fixtures.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const QUEUE = 'main-thread';
/** The engine's most paths a call: the largest chunk a worker is given. */
const CHUNK_PATHS = 10_000_000;
/** BullMQ renews a lock every half of its duration: the worker's least --lock-ms (1 s) leaves its main thread
 *  half a second between renewals. Summing a 10,000,000-path chunk's losses there took it 0.4 to 1.5 s; what
 *  is left for it now (its job, the tail's encoding, BullMQ) about 20 ms on this project's 2-core machine. */
const MAX_BUSY_MS = 150;

let redis: TestRedis;
let link: RedisLink;
let components: HeldComponents;

beforeAll(async () => {
  redis = await startRedis();
  link = await new RedisLink(redis.url).open();
  components = await HeldComponents.scan(undefined, { admission: {}, workers: 1 });
});

afterAll(async () => {
  await components?.close();
  await link?.close();
  await redis?.stop();
});

describe('a chunk worker running a chunk of the most paths', () => {
  it('keeps its main thread free to renew the chunk\'s lock', async () => {
    const [sha256] = components.hashes;
    // Loaded before the job, as its load is not the chunk's work.
    await components.engineFor(sha256!);
    const worker = startChunkWorker(link, components, { queue: QUEUE, concurrency: 1, lockMs: 1000 });
    worker.on('error', () => undefined);
    const queue = new Queue(QUEUE, { connection: link.connection });
    const busy = monitorEventLoopDelay({ resolution: 10 });
    let stalled = false;
    worker.on('stalled', () => (stalled = true));
    worker.on('active', () => busy.enable());
    try {
      // A tail far shorter than the chunk (99.9%): what the main thread still does for it (encode, send) is small.
      const request = validateMonteCarloRequest({ method: 'monte-carlo', portfolio: examplePortfolio(), paths: CHUNK_PATHS, confidence: [0.999] });
      const completed = new Promise<Job>((resolve, reject) => {
        worker.on('completed', (job) => resolve(job));
        worker.on('failed', (_job, error) => reject(error));
      });
      const job = await queue.add(CHUNK_JOB, chunkJobData(randomUUID(), sha256!, request, 0, CHUNK_PATHS, tailLength(CHUNK_PATHS, request.confidence)));
      expect((await completed).id).toBe(job.id);
      busy.disable();
      expect(busy.max / 1e6).toBeLessThan(MAX_BUSY_MS);
      expect(stalled).toBe(false);
      expect(await queue.getJobState(job.id!)).toBe('completed');
    } finally {
      busy.disable();
      await worker.close();
      await queue.close();
    }
  }, 120_000);
});
