// Distributed Monte Carlo (#13) on a real Redis and real `wasm-risk worker` processes: the same JSON as a
// local run for any number of workers and chunk size, a killed worker's chunk redone elsewhere, and typed,
// unretried failures for jobs a worker cannot or must not run.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_KEPT } from '../../host/distributed/queue-clients.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { fixture } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');

/** The `--json` result without its timing, the one field that differs between runs. */
async function varJson(args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--json', ...args], { cwd: PROJECT_ROOT, timeout: 120_000 });
  const { elapsedMs: _elapsed, ...result } = JSON.parse(stdout) as Record<string, unknown>;
  return result;
}

async function varFailure(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--json', ...args], { cwd: PROJECT_ROOT, timeout: 120_000 });
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
  throw new Error('the run succeeded');
}

const ONE_ASSET = { assets: [{ id: 'X', spot: 100, drift: 0, vol: 0.2 }], correlation: [[1]], riskFreeRate: 0, positions: [{ asset: 'X', type: 'spot', quantity: 1 }] };

let redis: TestRedis;
const workers: ChildProcess[] = [];

async function workersOn(queue: string, count: number, extra: string[] = []): Promise<ChildProcess[]> {
  const started = await Promise.all(Array.from({ length: count }, () => startWorker(['--redis', redis.url, '--queue', queue, ...extra])));
  workers.push(...started);
  return started;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
});

describe('a distributed run', () => {
  it.each([1, 2, 3])('gives the local JSON bit for bit with %i worker(s), antithetic or not, paths no chunk divides', async (count) => {
    const queue = `identity-${count}`;
    const started = await workersOn(queue, count);
    for (const request of [['--paths', '20011'], ['--paths', '20011', '--antithetic', '--seed', '7', '--confidence', '0.9,0.975,0.99']]) {
      const local = await varJson([...request, '--workers', '1']);
      for (const chunk of ['3001', '20011', '7']) {
        if (chunk === '7' && count !== 3) continue;
        expect(await varJson([...request, '--redis', redis.url, '--queue', queue, '--chunk-paths', chunk])).toEqual(local);
      }
    }
    await Promise.all(started.map((worker) => stopProcess(worker)));
    // The queue's events stream is kept short: each `completed` event carries a chunk's whole result.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      expect(await connection.hget(`bull:${queue}:meta`, 'opts.maxLenEvents')).toBe(String(EVENTS_KEPT));
      // And it is: 28,712 events were added, with chunks of 7 (Redis trims whole nodes of 100, `MAXLEN ~`).
      expect(await connection.xlen(`bull:${queue}:events`)).toBeLessThan(2 * EVENTS_KEPT);
    } finally {
      await connection.quit();
    }
    // Chunks of 7 paths are 2,859 jobs a run: about 55 s of the default 60 s on 2 busy cores before any change.
  }, 120_000);

  it('survives a worker killed mid-chunk: another takes the chunk back and the numbers do not change', async () => {
    const queue = 'sigkill';
    const request = ['--paths', '2000000', '--timeout-ms', '120000'];
    const local = await varJson([...request, '--workers', '1']);
    const [victim] = await workersOn(queue, 1, ['--lock-ms', '1000']);
    const distributed = varJson([...request, '--redis', redis.url, '--queue', queue, '--chunk-paths', '1000000']);
    // The victim has taken the first chunk (about a second of work) when it is killed: waited for, as after a
    // fixed delay a requester still starting on a busy machine had queued nothing, and the victim died idle.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const jobs = new Queue(queue, { connection });
    try {
      await until(async () => (await jobs.getJobCounts('active')).active! > 0, 'a chunk taken by the victim', { intervalMs: 50 });
    } finally {
      await jobs.close();
      await connection.quit();
    }
    await stopProcess(victim!, 'SIGKILL');
    await workersOn(queue, 1, ['--lock-ms', '1000']);
    expect(await distributed).toEqual(local);
  }, 120_000);
});

describe('a chunk that cannot run', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'wasm-risk-distributed-'));
    await copyFile(fixture('panicker'), join(directory, 'panicker.wasm'));
    await workersOn('faults', 1, ['--components-dir', directory]);
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('fails the run at once with the trap, not retried, and the worker lives on', async () => {
    const failure = await varFailure(['--component', fixture('panicker'), '--redis', redis.url, '--queue', 'faults', '--chunk-paths', '1000', '--paths', '5000']);
    expect(failure.code).toBe(3);
    expect(failure.stderr).toMatch(/^wasm-risk: ERR_COMPONENT_TRAP: component trapped/m);
    // The worker is still there: a run on the packaged engine completes.
    expect(await varJson(['--paths', '5000', '--redis', redis.url, '--queue', 'faults'])).toEqual(await varJson(['--paths', '5000', '--workers', '1']));
  });

  it('refuses a component the worker does not hold, and a malformed job, each with a typed error and one attempt', async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('faults', { connection });
    try {
      // Polled, not listened for: a failure can come before a QueueEvents reader has started, and be missed.
      const failed = async (id: string) => {
        // The state first, then the job: a job read before it failed would carry no reason.
        await until(async () => (await queue.getJobState(id)) === 'failed', `job ${id} failed`, { intervalMs: 50 });
        return (await queue.getJob(id))!.failedReason;
      };
      const unknown = await queue.add('chunk', { format: 2, runId: randomUUID(), component: 'ab'.repeat(32), run: { portfolio: ONE_ASSET, paths: 10, seed: '1', horizonDays: 1, confidence: [0.99], antithetic: false }, firstPath: 0, pathCount: 10, tailLength: 1 }, { attempts: 3 });
      const malformed = await queue.add('chunk', { format: 2, runId: randomUUID(), component: 'nope', firstPath: -1 }, { attempts: 3 });
      const [unknownReason, malformedReason] = await Promise.all([failed(unknown.id!), failed(malformed.id!)]);
      expect(JSON.parse(unknownReason)).toMatchObject({ code: 'ERR_UNKNOWN_COMPONENT' });
      expect(JSON.parse(malformedReason)).toMatchObject({ code: 'ERR_INVALID_INPUT', field: expect.stringMatching(/^job\./) });
      expect((await queue.getJob(unknown.id!))?.attemptsMade).toBe(1);
      expect((await queue.getJob(malformed.id!))?.attemptsMade).toBe(1);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    }
  });
});

describe('the Redis link', () => {
  it('refuses a Redis off loopback with neither TLS nor a password, unless told to accept it', async () => {
    const failure = await varFailure(['--redis', 'redis://192.0.2.1:6379']);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/^wasm-risk: ERR_INSECURE_REDIS: /);
  });

  it('runs through a Redis that wants a password, given in the URL, and is refused without it', async () => {
    const guarded = await startRedis({ password: 'correct horse battery staple' });
    const worker = await startWorker(['--redis', guarded.url, '--queue', 'auth']).catch(async (error: unknown) => {
      await guarded.stop();
      throw error;
    });
    try {
      const request = ['--paths', '5000', '--seed', '3'];
      expect(await varJson([...request, '--redis', guarded.url, '--queue', 'auth'])).toEqual(await varJson([...request, '--workers', '1']));
      const failure = await varFailure([...request, '--redis', `redis://127.0.0.1:${guarded.port}`, '--queue', 'auth']);
      expect(failure.stderr).toMatch(/^wasm-risk: ERR_REDIS_UNAVAILABLE: .*NOAUTH/m);
    } finally {
      // The worker first, while its Redis is there to let it close; whatever the expectations did.
      await stopProcess(worker);
      await guarded.stop();
    }
  }, 60_000);

  // ioredis only emitted the refused SELECT as an error event: the run went on in database 0.
  it("refuses a URL whose database Redis does not have, rather than running in database 0", async () => {
    const failure = await varFailure(['--redis', `${redis.url}/99`]);
    expect(failure.stderr).toMatch(/^wasm-risk: ERR_INVALID_INPUT: --redis: database 99: ERR DB index is out of range$/m);
    expect(failure.code).toBe(2);
  }, 60_000);

  it('fails with ERR_REDIS_UNAVAILABLE when nothing listens, not a hang', async () => {
    const failure = await varFailure(['--redis', 'redis://127.0.0.1:1']);
    expect(failure.code).toBe(4);
    expect(failure.stderr).toMatch(/^wasm-risk: ERR_REDIS_UNAVAILABLE: /);
  }, 60_000);
});
