// `wasm-risk batch --redis` on a real Redis and two real `wasm-risk worker` processes: a batch of 50 books
// interrupted twice (SIGINT, then SIGKILL with a line cut in half) and resumed answers every book exactly
// once, each with the numbers of its local `var --json`; a SIGINT leaves no chunk waiting in the queue.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { terminalJson } from '../../host/report/terminal-text.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { ENGINE, examplePortfolio } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { startRedis, startWorker, stopProcess, type TestRedis } from '../support/redis-server.js';

const CLI = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');
const BOOKS = 50;
const QUEUE = 'batch';
const RUN = ['--paths', '60000', '--chunk-paths', '20000', '--seed', '11', '--confidence', '0.95,0.99'];

let redis: TestRedis;
let directory: string;
const workers: ChildProcess[] = [];

function withoutTiming(result: Record<string, unknown>): Record<string, unknown> {
  const { elapsedMs: _elapsed, ...rest } = result;
  return rest;
}

/** A batch process in `directory`, on the books under books/. */
function startBatch(): ChildProcess & { stderr: NodeJS.ReadableStream } {
  return spawn(process.execPath, [CLI, 'batch', 'books', '--out', 'results.jsonl', '--redis', redis.url, '--queue', QUEUE, ...RUN], {
    cwd: directory,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function outputLines(): Promise<string[]> {
  const text = await readFile(join(directory, 'results.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.endsWith('}'));
}

async function untilLines(count: number): Promise<void> {
  await until(async () => (await outputLines()).length >= count, `${count} results in the file`, { timeoutMs: 60_000 });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'wasm-risk-batch-'));
  await mkdir(join(directory, 'books'));
  const base = examplePortfolio();
  delete base.returns;
  // Fifty different books: positions scaled, one volatility moved.
  await Promise.all(
    Array.from({ length: BOOKS }, (_, i) => {
      const book = structuredClone(base);
      book.positions = book.positions.map((position) => ({ ...position, quantity: position.quantity * (1 + i / 10) }));
      book.assets[i % book.assets.length]!.vol += i / 1000;
      return writeFile(join(directory, 'books', `book-${String(i).padStart(2, '0')}.json`), JSON.stringify(book));
    }),
  );
  redis = await startRedis();
  workers.push(...(await Promise.all([0, 1].map(() => startWorker(['--redis', redis.url, '--queue', QUEUE])))));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('wasm-risk batch --redis', () => {
  it('resumes after a SIGINT and a SIGKILL: every book answered exactly once, as its local var --json', async () => {
    // 1. Interrupted by SIGINT part-way: cancelled, exit 130, the books in flight not written.
    const first = startBatch();
    const firstExit = exitOf(first);
    await untilLines(5);
    first.kill('SIGINT');
    const interrupted = await firstExit;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/^wasm-risk: ERR_CANCELLED: interrupted by SIGINT/m);
    const afterSigint = (await outputLines()).length;
    expect(afterSigint).toBeLessThan(BOOKS);
    // The cancelled runs took their chunks that no worker had started off the queue.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection });
    try {
      expect(await queue.getWaitingCount()).toBe(0);
    } finally {
      await queue.close();
      await connection.quit();
    }

    // 2. Killed outright part-way, and a line left cut in half, as a crash mid-write would.
    const second = startBatch();
    const secondExit = exitOf(second);
    await untilLines(afterSigint + 5);
    second.kill('SIGKILL');
    expect((await secondExit).signal).toBe('SIGKILL');
    expect((await outputLines()).length).toBeLessThan(BOOKS);
    await appendFile(join(directory, 'results.jsonl'), '{"book":"books/book-49.json","settings":"0123');

    // 3. Resumed to the end.
    const finished = await exitOf(startBatch());
    expect(finished.stderr).toMatch(/^wasm-risk: batch: 50 books: \d+ run now \(0 failed\), \d+ answered before/m);
    expect(finished.code).toBe(0);

    const text = await readFile(join(directory, 'results.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { book: string; result: Record<string, unknown> });
    expect(lines.map((line) => line.book).sort()).toEqual(Array.from({ length: BOOKS }, (_, i) => `books/book-${String(i).padStart(2, '0')}.json`));

    // Every book as a local run gives it: in-process for all fifty, and through `var --json` for two.
    const engine = await RiskEngine.load(ENGINE, { workers: 1 });
    try {
      for (const { book, result } of lines) {
        const portfolio = JSON.parse(await readFile(join(directory, book), 'utf8'));
        const local = await engine.run({ method: 'monte-carlo', portfolio, paths: 60_000, seed: 11n, confidence: [0.95, 0.99] });
        expect(withoutTiming(result), book).toEqual(withoutTiming(JSON.parse(terminalJson(local))));
      }
    } finally {
      await engine.close();
    }
    for (const { book, result } of [lines[0]!, lines[BOOKS - 1]!]) {
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'var', book, '--json', '--workers', '1', ...RUN.filter((_, i) => i < 2 || i > 3)], { cwd: directory });
      expect(withoutTiming(result)).toEqual(withoutTiming(JSON.parse(stdout)));
    }
  }, 180_000);
});
