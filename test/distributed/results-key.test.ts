// A distributed run with a results key (`--results-key`), on a real Redis and real `wasm-risk worker`s: the
// local answer bit for bit; a result that no keyed worker computed for that very chunk of that very run (a
// well-formed forgery, a result of another run) fails the run with ERR_CHUNK_FORGED, never merged; and a
// job or result without a MAC on the other side's key is refused the same way.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkResultData } from '../../host/distributed/chunk-result.js';
import { ResultsKey } from '../../host/distributed/results-key.js';
import { ChunkForgedError } from '../../host/errors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { lossMoments, sortedLosses } from '../../host/report/risk-statistics.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { ENGINE, examplePortfolio } from '../support/fixtures.js';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';

const CLI = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');
const RUN = { paths: 4_000, seed: 11 };

let redis: TestRedis;
let dir: string;
let keyFile: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'results-key-'));
  keyFile = join(dir, 'results.key');
  await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function keyedEngine(queue: string, { keyed = true } = {}): Promise<RiskEngine> {
  const resultsKey = keyed ? keyFile : undefined;
  return RiskEngine.load(ENGINE, { workers: 1, timeoutMs: 60_000, distributed: { redis: redis.url, queue, chunkPaths: 1_000, resultsKey } });
}

/** A process with Redis access and no key, answering the queue's chunk jobs with `answer`. */
async function rogueWorker(queue: string, answer: (job: Job) => unknown): Promise<{ close: () => Promise<void> }> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const worker = new Worker(queue, async (job) => answer(job), { connection });
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      await connection.quit();
    },
  };
}

async function failureOf(run: Promise<unknown>): Promise<Error> {
  return run.then(
    () => {
      throw new Error('the run succeeded');
    },
    (error: unknown) => error as Error,
  );
}

describe('a distributed run with a results key', () => {
  it('gives the local answer bit for bit when its workers hold the key', async () => {
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'keyed', '--results-key', keyFile]));
    const engine = await keyedEngine('keyed');
    const local = await RiskEngine.load(ENGINE, { workers: 1 });
    try {
      const { elapsedMs: _ms, ...answer } = await engine.monteCarlo(examplePortfolio(), RUN);
      const { elapsedMs: _localMs, ...localAnswer } = await local.monteCarlo(examplePortfolio(), RUN);
      // toEqual tells -0 from +0, and compares every number exactly.
      expect(answer).toEqual(localAnswer);
    } finally {
      await Promise.all([engine.close(), local.close()]);
    }
  }, 90_000);

  it('fails with ERR_CHUNK_FORGED, naming the chunk, on a well-formed result forged into Redis', async () => {
    const engine = await keyedEngine('forged');
    // The forger's answer passes every other check: the job's paths and component, finite ascending losses.
    const rogue = await rogueWorker('forged', (job) => {
      const { firstPath, pathCount, tailLength } = job.data as { firstPath: number; pathCount: number; tailLength: number };
      const losses = sortedLosses(Float64Array.from({ length: pathCount }, (_, i) => i));
      return chunkResultData({ component: engine.component, firstPath, pathCount, tail: losses.subarray(Math.max(0, pathCount - tailLength)), moments: lossMoments(losses) });
    });
    try {
      const error = await failureOf(engine.monteCarlo(examplePortfolio(), RUN));
      expect(error).toBeInstanceOf(ChunkForgedError);
      expect(error.message).toMatch(/^chunk at path 0: its result carries no MAC/);
      // Nor does a MAC made up by the forger pass.
      await rogue.close();
      const macked = await rogueWorker('forged', async (job) => {
        const { firstPath, pathCount, tailLength } = job.data as { firstPath: number; pathCount: number; tailLength: number };
        const losses = sortedLosses(Float64Array.from({ length: pathCount }, (_, i) => i));
        return { ...chunkResultData({ component: engine.component, firstPath, pathCount, tail: losses.subarray(Math.max(0, pathCount - tailLength)), moments: lossMoments(losses) }), mac: 'ab'.repeat(32) };
      });
      try {
        const second = await failureOf(engine.monteCarlo(examplePortfolio(), RUN));
        expect(second).toBeInstanceOf(ChunkForgedError);
        expect(second.message).toMatch(/^chunk at path 0: its result is not authenticated by the results key/);
      } finally {
        await macked.close();
      }
    } finally {
      await rogue.close().catch(() => undefined);
      await engine.close();
    }
  }, 90_000);

  it('fails with ERR_CHUNK_FORGED on results replayed from another run of the same request', async () => {
    const queue = 'replayed';
    const worker = await startWorker(['--redis', redis.url, '--queue', queue, '--results-key', keyFile]);
    const engine = await keyedEngine(queue);
    // The honest run's results, as anyone reading the queue's events sees them, by chunk.
    const events = new QueueEvents(queue, { connection: { url: redis.url } });
    const seen = new Map<number, unknown>();
    events.on('completed', ({ returnvalue }) => {
      const result = returnvalue as unknown as { firstPath?: number } | null;
      if (result && typeof result.firstPath === 'number') seen.set(result.firstPath, result);
    });
    try {
      await events.waitUntilReady();
      await engine.monteCarlo(examplePortfolio(), RUN);
      await stopProcess(worker);
      // Each MAC is right for its own chunk of the honest run; the same request again is another run.
      expect(seen.size).toBe(4);
      const rogue = await rogueWorker(queue, (job) => seen.get((job.data as { firstPath: number }).firstPath));
      try {
        const error = await failureOf(engine.monteCarlo(examplePortfolio(), RUN));
        expect(error).toBeInstanceOf(ChunkForgedError);
        expect(error.message).toMatch(/^chunk at path 0: its result is not authenticated by the results key \(forged, or replayed/);
      } finally {
        await rogue.close();
      }
    } finally {
      await events.close();
      await engine.close();
    }
  }, 90_000);

  it('is refused by a keyed worker when its requester holds no key, and refuses the results of a worker that holds none', async () => {
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'key-on-worker', '--results-key', keyFile]));
    const unkeyed = await keyedEngine('key-on-worker', { keyed: false });
    try {
      const error = await failureOf(unkeyed.monteCarlo(examplePortfolio(), RUN));
      expect(error).toBeInstanceOf(ChunkForgedError);
      expect(error.message).toMatch(/^job \S+ carries no MAC/);
    } finally {
      await unkeyed.close();
    }
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'key-on-requester']));
    const keyed = await keyedEngine('key-on-requester');
    try {
      const error = await failureOf(keyed.monteCarlo(examplePortfolio(), RUN));
      expect(error).toBeInstanceOf(ChunkForgedError);
      expect(error.message).toMatch(/^chunk at path 0: its result carries no MAC: the worker holds no results key/);
    } finally {
      await keyed.close();
    }
  }, 90_000);
});

describe('wasm-risk var --redis', () => {
  it('without a results key, says once that results are not authenticated, and answers as before', async () => {
    workers.push(await startWorker(['--redis', redis.url, '--queue', 'cli-unkeyed']));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'var', 'examples/portfolio.json', '--paths', '2000', '--json', '--redis', redis.url, '--queue', 'cli-unkeyed', '--chunk-paths', '500'], { cwd: PROJECT_ROOT, timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ method: 'monte-carlo', paths: 2000 });
    expect(stderr).toMatch(/^wasm-risk: warning: WASM_RISK_UNAUTHENTICATED_CHUNKS: no results key \(--results-key\): .*forged losses into its VaR and ES without an error\n$/);
  }, 90_000);

  it('exits 1 with ERR_CHUNK_FORGED on a forged result, and refuses a key file others can read', async () => {
    const run = promisify(execFile);
    const rogue = await rogueWorker('cli-forged', () => ({ forged: true }));
    try {
      const args = [CLI, 'var', 'examples/portfolio.json', '--paths', '2000', '--redis', redis.url, '--queue', 'cli-forged', '--results-key', keyFile];
      const failed = (await run(process.execPath, args, { cwd: PROJECT_ROOT, timeout: 60_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      )) as { code: number; stderr: string };
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/ERR_CHUNK_FORGED/);
      const open = join(dir, 'open.key');
      await writeFile(open, randomBytes(32), { mode: 0o644 });
      const refused = (await run(process.execPath, [...args.slice(0, -1), open], { cwd: PROJECT_ROOT, timeout: 60_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      )) as { code: number; stderr: string };
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--results-key: .*open\.key has mode 0644/);
    } finally {
      await rogue.close();
    }
  }, 90_000);
});

describe("a keyed worker's check of a job's MAC", () => {
  // Anyone who can write the queue can add such a job: its canonical form overflowed the stack, an untyped
  // failure (RangeError) that BullMQ retried, where a job without this key's MAC is refused and not retried.
  it('refuses a job nested deeper than any job as not authenticated, not with a stack overflow', async () => {
    const key = await ResultsKey.read(keyFile, 'resultsKey');
    const deep = JSON.parse(`{"format":2,"mac":"${'0'.repeat(64)}","run":{"portfolio":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`) as object;
    expect(() => key.checkJob(deep, '7')).toThrow(ChunkForgedError);
    const job = { format: 2, run: { portfolio: { correlation: [[1, 0.5], [0.5, 1]] } } };
    expect(key.checkJob(key.signJob(job), '8')).toEqual(job);
  });
});
