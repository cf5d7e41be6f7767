// A chunk's failure read back from Redis: the typed error a worker wrote, rebuilt; BullMQ's own for a chunk
// stalled too often, ERR_CHUNK_STALLED; anything else (too long, not ours) quoted as a trap, and never parsed
// whole, nor the rest of the job loaded.
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorFromFailedReason, MAX_FAILED_REASON_BYTES, runFailure, unrecoverable } from '../../host/distributed/job-errors.js';
import { RedisLink } from '../../host/distributed/redis-connection.js';
import { ChunkStalledError, ComponentTrapError, TimeoutError, UnknownComponentError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { problemOf } from '../../host/service/problems.js';
import { ENGINE, examplePortfolio } from '../support/fixtures.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const QUEUE = 'job-errors';
let redis: TestRedis;
let link: RedisLink;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedis();
  link = await new RedisLink(redis.url).open();
  queue = new Queue(QUEUE, { connection: link.connection });
});

afterAll(async () => {
  await queue?.close();
  await link?.close();
  await redis?.stop();
});

describe('errorFromFailedReason', () => {
  it("rebuilds a worker's typed error, and quotes a reason past the longest a worker writes without parsing it", () => {
    expect(errorFromFailedReason(unrecoverable(new TimeoutError('too slow', true)).message)).toBeInstanceOf(TimeoutError);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const error = errorFromFailedReason(`{"code":"ERR_TIMEOUT","message":"${'a'.repeat(MAX_FAILED_REASON_BYTES)}"}`);
      expect(error).toBeInstanceOf(ComponentTrapError);
      expect(error.message.length).toBeLessThan(600);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe('runFailure', () => {
  const failed = unrecoverable(new UnknownComponentError('this worker holds no component with SHA-256 ab…')).message;

  it("reads only each job's failedReason: a job whose data is 64 MB (or not JSON) is neither loaded nor parsed", async () => {
    // queue.getJob loaded both hashes whole and parsed their data (Job.fromJSON): 64 MB each, and a data that
    // is not JSON made the lookup throw, so the run was failed by its deadline instead of its chunk's error.
    await link.connection.hset(queue.toKey('run-1'), { failedReason: `child ${queue.toKey('chunk-1')} failed`, data: '['.repeat(64 * 2 ** 20) });
    await link.connection.hset(queue.toKey('chunk-1'), { failedReason: failed, data: '{not json' });
    const error = await runFailure(link, queue, 'run-1', (id) => id === 'chunk-1');
    expect(error).toBeInstanceOf(UnknownComponentError);
    expect(error.message).toBe('this worker holds no component with SHA-256 ab…');
  });

  it("quotes a reason too long to be a worker's, by its length, and takes only the run's own chunks", async () => {
    await link.connection.hset(queue.toKey('run-2'), { failedReason: `child ${queue.toKey('chunk-2')} failed` });
    await link.connection.hset(queue.toKey('chunk-2'), { failedReason: 'x'.repeat(MAX_FAILED_REASON_BYTES + 1) });
    expect((await runFailure(link, queue, 'run-2', () => true)).message).toBe(`a chunk failed: its reason is ${MAX_FAILED_REASON_BYTES + 1} bytes long, more than any a worker writes`);
    expect((await runFailure(link, queue, 'run-2', () => false)).message).toBe(`a chunk failed: child ${queue.toKey('chunk-2')} failed`);
    expect((await runFailure(link, queue, 'no-such-run', () => true)).message).toBe('a chunk failed: the run failed');
  });
});

describe('a chunk whose worker stops renewing its lock', () => {
  // BullMQ fails a chunk its stalled-job check took back twice with a reason of its own, which was quoted as
  // ERR_COMPONENT_TRAP (exit 3, 500; and in a batch, that book's answer for good) though nothing trapped.
  it('fails its run with ERR_CHUNK_STALLED, not as a trap', async () => {
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: redis.url, queue: 'stalls' } });
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Takes each chunk and never renews its lock, as a worker that died mid-chunk (or whose main thread is
    // blocked) does; its own stalled-job check takes the chunk back, and it takes it again, until BullMQ fails it.
    const worker = new Worker('stalls', () => released, { connection: { host: '127.0.0.1', port: redis.port }, concurrency: 4, lockDuration: 300, stalledInterval: 300, skipLockRenewal: true });
    worker.on('error', () => undefined);
    try {
      const error = await engine.monteCarlo(examplePortfolio(), { paths: 1000, chunkPaths: 1000, timeoutMs: 30_000 }).then(
        () => 'answered',
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(ChunkStalledError);
      expect((error as ChunkStalledError).message).toMatch(/^a chunk's worker stopped renewing its lock twice \(BullMQ: job stalled more than allowable limit\): the worker died/);
      expect(problemOf(error).status).toBe(503);
    } finally {
      release();
      await worker.close(true);
      await engine.close();
    }
  }, 60_000);
});
