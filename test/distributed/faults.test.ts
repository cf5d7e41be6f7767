// Faults of a distributed run on a real Redis and real workers: a deadline and a cancellation take the
// run's chunks that no worker started off the queue, and a Redis killed mid-run, or one that stops answering,
// fails the requester (and the worker) with ERR_REDIS_UNAVAILABLE instead of a hang.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, RedisUnavailableError, TimeoutError } from '../../host/errors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { EVENTS_KEPT } from '../../host/distributed/queue-clients.js';
import { RedisLink } from '../../host/distributed/redis-connection.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { ENGINE, examplePortfolio } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';

const CLI = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');
/** Two hundred chunks of about a quarter of a second each: far longer than the 1.5 s deadline below however
 *  fast the machine (twenty, 5M paths, finished within it on a quiet machine once). */
const LONG_RUN = ['--paths', '50000000', '--chunk-paths', '250000'];

let redis: TestRedis;
const workers: ChildProcess[] = [];

async function varFailure(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const started = Date.now();
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--json', ...args], { cwd: PROJECT_ROOT, timeout: 90_000 }));
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr, ms: Date.now() - started };
  }
  // Exit 0 with nothing printed is a requester that stopped without an answer, not a run that succeeded.
  throw new Error(`the run exited 0 after ${Date.now() - started} ms, printing ${JSON.stringify(stdout.slice(0, 200))}`);
}

/** Jobs of `name` that wait for a worker (the chunks of a flow wait in the queue's wait list). */
async function waitingJobs(url: string, name: string): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
    return counts.waiting! + counts.prioritized! + counts.delayed!;
  } finally {
    await queue.close();
    await connection.quit();
  }
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
});

describe('a worker and the signals an operator sends', () => {
  it('ignores SIGUSR1 (Node opened an unauthenticated inspector on it), works on, and stops on SIGHUP with exit 0', async () => {
    const worker = await startWorker(['--redis', redis.url, '--queue', 'signals']);
    workers.push(worker);
    worker.kill('SIGUSR1');
    await until(() => worker.output().includes('SIGUSR1 ignored'), 'the warning printed');
    const run = spawn(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--json', '--paths', '20000', '--redis', redis.url, '--queue', 'signals'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
    expect((await once(run, 'exit'))[0]).toBe(0);
    expect(worker.output()).not.toMatch(/Debugger listening|inspector on/i);
    const exited = once(worker, 'exit');
    worker.kill('SIGHUP');
    expect((await exited)[0]).toBe(0);
  });
});

describe('a distributed run that stops early', () => {
  it('past its deadline fails with ERR_TIMEOUT and leaves none of its chunks waiting', async () => {
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'deadline']));
    const failure = await varFailure([...LONG_RUN, '--redis', redis.url, '--queue', 'deadline', '--timeout-ms', '1500']);
    expect(failure.code).toBe(4);
    // Its worker took chunks: the workers were too slow, not absent.
    const [, taken, finishedChunks] = /^wasm-risk: ERR_TIMEOUT: the distributed run did not finish within 1500 ms: chunk workers took (\d+) of its 200 chunks and finished (\d+); give it a longer deadline or more workers$/m.exec(failure.stderr) ?? [];
    expect(Number(taken)).toBeGreaterThan(0);
    expect(Number(finishedChunks)).toBeLessThanOrEqual(Number(taken));
    expect(await waitingJobs(redis.url, 'deadline')).toBe(0);
  });

  // A bare "did not finish within 1500 ms" read the same whether no worker listened on the queue or the workers
  // were too slow: the first needs a worker started (or the right --queue), the second a longer deadline.
  it('past its deadline with no worker on its queue says that no worker took any of its chunks', async () => {
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: redis.url, queue: 'nobody' } });
    try {
      const run = engine.monteCarlo(examplePortfolio(), { paths: 1_000_000, chunkPaths: 125_000, timeoutMs: 1500 });
      const error = await run.then(
        () => 'answered',
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toBe(
        "the distributed run did not finish within 1500 ms: no chunk worker took any of its 8 chunks; is a `wasm-risk worker` running on queue 'nobody' of this Redis, and not busy with other runs?",
      );
      expect(await waitingJobs(redis.url, 'nobody')).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('cancelled fails with ERR_CANCELLED and leaves none of its chunks waiting', async () => {
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'cancel']));
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: redis.url, queue: 'cancel' } });
    try {
      const cancel = new AbortController();
      const run = engine.monteCarlo(examplePortfolio(), { paths: 5_000_000, chunkPaths: 250_000, signal: cancel.signal, onProgress: () => cancel.abort(new Error('enough')) });
      await expect(run).rejects.toBeInstanceOf(CancelledError);
      expect(await waitingJobs(redis.url, 'cancel')).toBe(0);
    } finally {
      await engine.close();
    }
  });

  // SIGTERM (a supervisor's, timeout(1)'s) killed `var --redis` with Node's default action: its chunks stayed
  // queued, for any worker to run for no one.
  it('on SIGTERM fails with ERR_CANCELLED and leaves none of its chunks waiting', async () => {
    // No worker on this queue: every chunk waits until the requester removes it.
    const child = spawn(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--json', ...LONG_RUN, '--redis', redis.url, '--queue', 'sigterm'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    await until(async () => (await waitingJobs(redis.url, 'sigterm')) > 0, "the run's chunks queued", { intervalMs: 100 });
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(stderr).toMatch(/^wasm-risk: ERR_CANCELLED: interrupted by SIGTERM$/m);
    expect(code).toBe(130);
    expect(await waitingJobs(redis.url, 'sigterm')).toBe(0);
  }, 60_000);
});

describe('a Redis that goes away mid-run', () => {
  it('fails the requester and the worker with ERR_REDIS_UNAVAILABLE, not a hang', async () => {
    const doomed = await startRedis();
    const worker = await startWorker(['--redis', doomed.url, '--queue', 'doomed']);
    workers.push(worker);
    const workerExit = once(worker, 'exit');
    const failure = varFailure([...LONG_RUN, '--redis', doomed.url, '--queue', 'doomed', '--timeout-ms', '600000']);
    // The run is under way (its chunks queued, the worker on the first) when Redis is killed: waited for, as a
    // requester still starting on a busy machine was not yet connected at a fixed delay.
    await until(async () => (await waitingJobs(doomed.url, 'doomed')) > 0, "the run's chunks queued", { intervalMs: 100 });
    await doomed.stop('SIGKILL');
    const { code, stderr, ms } = await failure;
    expect(stderr).toMatch(/^wasm-risk: ERR_REDIS_UNAVAILABLE: Redis is unavailable/m);
    expect(code).toBe(4);
    // Given up after the reconnect attempts (about 10 s), far inside the 600 s deadline.
    expect(ms).toBeLessThan(40_000);
    const [workerCode] = (await workerExit) as [number | null];
    expect(workerCode).toBe(4);
    expect(worker.output()).toMatch(/wasm-risk: ERR_REDIS_UNAVAILABLE: /);
    // Only the typed error: a duplicate connection still reconnecting as BullMQ closed it printed ioredis's own.
    expect(worker.output()).not.toMatch(/Unhandled error event/);
    expect(stderr).not.toMatch(/Unhandled error event/);
  }, 90_000);

  // A Redis restarted without its data (no persistence) comes back within the reconnect attempts: the
  // connection lives on, the run's jobs do not. The run waited for its deadline and said ERR_TIMEOUT.
  it('fails a run whose jobs are gone from Redis with ERR_REDIS_UNAVAILABLE, not at its deadline', async () => {
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: redis.url, queue: 'flushed' } });
    const admin = new Redis(redis.url);
    try {
      // No worker takes the chunks: they wait in the queue until Redis forgets them.
      const run = engine.monteCarlo(examplePortfolio(), { paths: 1_000_000, chunkPaths: 250_000, timeoutMs: 30_000 });
      const outcome = run.then(
        () => 'answered',
        (error: unknown) => error,
      );
      await until(async () => (await waitingJobs(redis.url, 'flushed')) > 0, "the run's chunks queued", { intervalMs: 100 });
      await admin.flushall();
      const error = await outcome;
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect((error as Error).message).toMatch(/the run's jobs are gone from it/);
    } finally {
      admin.disconnect();
      await engine.close();
    }
  }, 60_000);

  // BullMQ writes the events stream's bound into the queue's meta hash once, as the requester's Queue starts: a
  // Redis that lost its data kept none, the next run's jobs set BullMQ's default (10,000 events, each completed one
  // a chunk's whole result), and the stream of a requester that lives on (`serve --redis`) grew to that.
  it('keeps the events stream short after Redis lost its data under a requester that lives on', async () => {
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: redis.url, queue: 'forgotten' } });
    const admin = new Redis(redis.url);
    try {
      expect(await admin.hget('bull:forgotten:meta', 'opts.maxLenEvents')).toBe(String(EVENTS_KEPT));
      await admin.flushall();
      // No worker: the run ends at its deadline, its jobs added under whatever bound the meta hash holds.
      await expect(engine.monteCarlo(examplePortfolio(), { paths: 1000, chunkPaths: 500, timeoutMs: 500 })).rejects.toBeInstanceOf(TimeoutError);
      expect(await admin.hget('bull:forgotten:meta', 'opts.maxLenEvents')).toBe(String(EVENTS_KEPT));
    } finally {
      admin.disconnect();
      await engine.close();
    }
  });

  it("keeps a listener on the errors of every connection BullMQ duplicates from the host's", () => {
    const link = new RedisLink(redis.url);
    const copy = link.connection.duplicate();
    try {
      expect(copy.listenerCount('error')).toBeGreaterThan(0);
    } finally {
      copy.disconnect();
      link.connection.disconnect();
    }
  });

  // ioredis never ends a connection closed between two reconnect attempts: closing the requester's clients
  // waited for that for ever, and `var --redis` above ended with nothing printed (exit 0) whenever its events
  // connection was still retrying when the main one was given up. Closed here while both retry, every time.
  it('lets a requester close while its connections still try to reconnect', async () => {
    const doomed = await startRedis();
    const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: doomed.url, queue: 'closing' } });
    await doomed.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const closing = engine.close().then(() => 'closed');
    const outcome = await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5_000, 'still closing'))]);
    expect(outcome).toBe('closed');
  });
});

/** A loopback port that forwards to `port` (a Redis) until `freeze()`, then forwards nothing either way, as a
 *  Redis stopped (SIGSTOP) or wedged: its connections stay open, and nothing comes back. */
async function freezingProxy(port: number): Promise<{ url: string; freeze: () => void; close: () => Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (bytes) => frozen || upstream.write(bytes));
    upstream.on('data', (bytes) => frozen || client.write(bytes));
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('error', () => undefined);
      socket.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => (frozen = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A TCP connection to a Redis that does not answer never fails: connecting to it (a requester's load, a worker's
// start), a run's jobs added to it, and removing a run after its deadline waited for ever, past every deadline.
describe('a Redis that stops answering', () => {
  it('fails a connection to it with ERR_REDIS_UNAVAILABLE, not a hang', async () => {
    const proxy = await freezingProxy(redis.port);
    proxy.freeze();
    const started = Date.now();
    try {
      const error = await new RedisLink(proxy.url).open().then(() => 'connected', (failure: unknown) => failure);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect((error as Error).message).toMatch(/no answer from Redis for 10000 ms/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await proxy.close();
    }
  }, 40_000);

  it('fails a run with a typed error within seconds, whether it stops before the run is queued or after', async () => {
    for (const when of ['before', 'after'] as const) {
      const proxy = await freezingProxy(redis.port);
      const engine = await RiskEngine.load(ENGINE, { workers: 1, distributed: { redis: proxy.url, queue: `silent-${when}` } });
      try {
        if (when === 'before') proxy.freeze();
        // No worker: after, the run is queued and waits for its deadline, then for its removal from a silent Redis.
        const run = engine.monteCarlo(examplePortfolio(), { paths: 1000, chunkPaths: 500, timeoutMs: 1_000 });
        if (when === 'after') await until(async () => (await waitingJobs(redis.url, `silent-${when}`)) > 0, "the run's chunks queued");
        proxy.freeze();
        const started = Date.now();
        const error = await run.then(() => 'answered', (failure: unknown) => failure);
        expect(error).toBeInstanceOf(when === 'before' ? RedisUnavailableError : TimeoutError);
        expect(Date.now() - started).toBeLessThan(20_000);
      } finally {
        await engine.close();
        await proxy.close();
      }
    }
  }, 60_000);
});
