// What others put into the queue's Redis is untrusted: an event in the queue's events stream that no BullMQ
// wrote (a `completed` event whose return value is not JSON) must not blind a requester to the events after
// it, or a chunk's failure is seen only at the run's deadline, in that run and in every later one; an event
// repeated does not count a chunk's paths twice in the progress; and a value put beside a run's own results
// is never read (test/distributed/merge-results.test.ts has what a forged result of the run's own chunk does).
import { type ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentTrapError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { ENGINE, engineVersion, examplePortfolio } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';

const QUEUE = 'hostile-events';

/** The queue's jobs in `state`, once there are at least `count` of them (polled every 20 ms). */
async function jobsOnceThere(queue: Queue, state: 'waiting' | 'waiting-children', count: number) {
  let jobs: Awaited<ReturnType<Queue['getJobs']>> = [];
  await until(async () => (jobs = await queue.getJobs([state])).length >= count, `${count} jobs ${state}`);
  return jobs;
}
let redis: TestRedis;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  workers.push(await startWorker(['--redis', redis.url, '--queue', QUEUE]));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
});

describe('a malformed event in the queue', () => {
  it('does not hide the failures after it: a chunk that fails fails its run at once, before and after', async () => {
    // The worker holds only the packaged engine: every chunk of 1.3.0 fails, ERR_UNKNOWN_COMPONENT.
    const engine = await RiskEngine.load(engineVersion('1.3.0'), { workers: 1, timeoutMs: 20_000, distributed: { redis: redis.url, queue: QUEUE } });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      const failure = async () => {
        const started = Date.now();
        const error = await engine.monteCarlo(examplePortfolio(), { paths: 2_000 }).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        return { error, ms: Date.now() - started };
      };
      // The requester reads the events stream: the failure comes from its chunk's `failed` event.
      const before = await failure();
      expect((before.error as Error).message).toMatch(/this worker holds no component with SHA-256/);
      await connection.xadd(`bull:${QUEUE}:events`, '*', 'event', 'completed', 'jobId', 'forged', 'returnvalue', '{not json');
      for (const attempt of [1, 2]) {
        const after = await failure();
        expect([attempt, (after.error as Error).message]).toEqual([attempt, expect.stringMatching(/this worker holds no component with SHA-256/)]);
        expect(after.error).not.toBeInstanceOf(ComponentTrapError);
        // Not the 20 s deadline.
        expect(after.ms).toBeLessThan(10_000);
      }
    } finally {
      await connection.quit();
      await engine.close();
    }
  }, 90_000);
});

describe('a result forged beside a run\'s own', () => {
  it('is never read: the run answers as a local run, however large and malformed the forged value', async () => {
    const queueName = 'hostile-results';
    const engine = await RiskEngine.load(ENGINE, { workers: 1, timeoutMs: 60_000, distributed: { redis: redis.url, queue: queueName } });
    const local = await RiskEngine.load(ENGINE, { workers: 1 });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    try {
      // No worker on this queue yet: the run waits, and its results hash is written to before any chunk answers.
      const run = engine.monteCarlo(examplePortfolio(), { paths: 2_000 });
      const parents = await jobsOnceThere(queue, 'waiting-children', 1);
      // Read whole (BullMQ's getChildrenValues), this hash was 32 MB more to hold, and a JSON.parse that failed the run.
      await connection.hset(`bull:${queueName}:${parents[0]!.id}:processed`, `bull:${queueName}:forged`, `not json${' '.repeat(32 * 2 ** 20)}`);
      workers.push(await startWorker(['--redis', redis.url, '--queue', queueName]));
      const { elapsedMs: _ms, ...answer } = await run;
      const { elapsedMs: _localMs, ...localAnswer } = await local.monteCarlo(examplePortfolio(), { paths: 2_000 });
      expect(answer).toEqual(localAnswer);
    } finally {
      await queue.close();
      await connection.quit();
      await Promise.all([engine.close(), local.close()]);
    }
  }, 90_000);
});

describe('completed events repeated in the stream', () => {
  it('count each chunk\'s paths once in the progress', async () => {
    const queueName = 'hostile-progress';
    const engine = await RiskEngine.load(ENGINE, { workers: 1, timeoutMs: 60_000, distributed: { redis: redis.url, queue: queueName, chunkPaths: 1_000 } });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    try {
      const progress: number[] = [];
      const run = engine.monteCarlo(examplePortfolio(), { paths: 4_000, onProgress: (done) => progress.push(done) });
      // No worker yet: the four chunks wait, and each is said to be done three times before any is.
      const chunks = await jobsOnceThere(queue, 'waiting', 4);
      for (const chunk of chunks) {
        for (let i = 0; i < 3; i++) await connection.xadd(`bull:${queueName}:events`, '*', 'event', 'completed', 'jobId', chunk.id!, 'returnvalue', 'null');
      }
      workers.push(await startWorker(['--redis', redis.url, '--queue', queueName]));
      await run;
      expect(Math.max(...progress)).toBe(4_000);
    } finally {
      await queue.close();
      await connection.quit();
      await engine.close();
    }
  }, 90_000);
});
