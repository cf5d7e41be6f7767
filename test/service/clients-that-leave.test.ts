// A client that closes its connection before its answer: a request it left waiting in the queue is dropped
// when its turn comes, not run for nobody (request-queue.test.ts has the queue's part); one that has run for
// STOP_ABANDONED_AFTER_MS is stopped, its worker replaced; and every such request is counted and logged as
// `undelivered`, where the response hook, which never runs for it, left it out of /metrics and the log.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { REQUESTS_PER_WORKER } from '../../host/service/server.js';
import type { ValidRiskRequest } from '../../host/request/risk-request.js';
import { RiskEngine, type BatchOutcome, type CallOptions, type RiskResult } from '../../host/risk-engine.js';
import { EngineBackend } from '../../host/service/engine-backend.js';
import type { RiskBackend } from '../../host/service/evaluation.js';
import { ENGINE, fixture, get, parsePrometheus, PORTFOLIO, post, serveBackend, startServer, type TestServer } from './service-support.js';
import { until } from '../support/until.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const samples = async (target: TestServer) => parsePrometheus((await get(target, '/metrics')).text);

/** The engine, with every evaluation held until `release`: the queue's slots stay taken as long as a test needs. */
class HeldBackend implements RiskBackend {
  readonly started: string[] = [];
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  constructor(private readonly engine: EngineBackend) {}
  get version() {
    return this.engine.version;
  }
  get concurrency() {
    return this.engine.concurrency;
  }
  async run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult> {
    this.started.push(request.method);
    await this.gate;
    return this.engine.run(request, options);
  }
  runBatch(requests: ValidRiskRequest[], options: CallOptions): Promise<BatchOutcome[]> {
    return this.engine.runBatch(requests, options);
  }
  memoryBytes() {
    return this.engine.memoryBytes();
  }
  workerRestarts() {
    return this.engine.workerRestarts();
  }
  close() {
    return this.engine.close();
  }
}

describe('a client that closes its connection before its answer', () => {
  it('leaves a queued request that is dropped, not run, and counted and logged as undelivered', async () => {
    const backend = new HeldBackend(new EngineBackend(await RiskEngine.load(ENGINE, { workers: 1 })));
    server = await serveBackend(backend);
    const slots = REQUESTS_PER_WORKER;
    const held = Array.from({ length: slots }, () => post(server!, '/v1/parametric', { portfolio: PORTFOLIO }));
    await until(async () => backend.started.length === slots, 'every slot taken by a held request');

    const body = JSON.stringify({ portfolio: PORTFOLIO, paths: 5_000, seed: '9' });
    const client = connect(Number(new URL(server.url).port), '127.0.0.1');
    client.write(`POST /v1/monte-carlo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await until(async () => (await samples(server!)).get('wasm_risk_queue_depth') === 1, 'the raw request queued');
    client.destroy();
    await until(async () => server!.logs.some((line) => line.msg === 'request not answered: its connection closed first'), "the undelivered request's log line");

    backend.release();
    expect((await Promise.all(held)).map((answer) => answer.status)).toEqual(Array(slots).fill(200));
    await until(async () => (await samples(server!)).get('wasm_risk_in_flight') === 0, 'no request in flight');
    // Before, it ran once a slot was free (5,000 paths simulated for nobody) and was counted nowhere.
    expect(backend.started).toEqual(Array(slots).fill('parametric'));
    const after = await samples(server);
    expect(after.get('wasm_risk_queue_depth')).toBe(0);
    const undelivered = [...after].filter(([name]) => name.startsWith('wasm_risk_requests_total{') && name.includes('outcome="undelivered"'));
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0]![0]).toContain('method="monte-carlo"');
    expect(undelivered[0]![0]).toContain('code="ERR_CANCELLED"');
    expect(undelivered[0]![1]).toBe(1);
    expect(server.logs.find((line) => line.msg === 'request not answered: its connection closed first')).toMatchObject({ method: 'monte-carlo', outcome: 'undelivered', code: 'ERR_CANCELLED' });
    expect(server.logs.filter((line) => line.code === 'ERR_CANCELLED')).toHaveLength(1);
  });

  it('leaves a running request that is stopped, its worker replaced, instead of running on until its deadline', async () => {
    // One worker, and a deadline far beyond the test's patience: only the client's leaving can stop the loop.
    server = await startServer(fixture('loop-on-trigger'), { workers: 1 }, { timeoutMs: 600_000 });
    const body = JSON.stringify({ portfolio: PORTFOLIO, horizonDays: 13 });
    const client = connect(Number(new URL(server.url).port), '127.0.0.1');
    client.write(`POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await until(async () => (await samples(server!)).get('wasm_risk_in_flight') === 1, 'the looping request in flight');
    client.destroy();

    // Before, the loop held the only worker until the 600 s deadline: this never came, nor did the next answer.
    await until(async () => (await samples(server!)).get('wasm_risk_worker_restarts_total{cause="cancelled"}') === 1, 'the looping worker stopped as cancelled');
    const next = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(next.status, next.body.detail).toBe(200);
    const after = await samples(server);
    expect(after.get('wasm_risk_worker_restarts_total{cause="timeout"}')).toBe(0);
    // A client leaving says nothing of the component: no fallback, and (registry-backend.ts) no probation failure.
    expect(after.get('wasm_risk_fallbacks_total{cause="timeout"}')).toBe(0);
    expect(after.get('wasm_risk_requests_total{method="parametric",outcome="undelivered",code="ERR_CANCELLED",version="1.0.0"}')).toBe(1);
    expect(server.logs.find((line) => line.msg === 'request not answered: its connection closed first')).toMatchObject({ method: 'parametric', code: 'ERR_CANCELLED' });
    // Logged once, as undelivered: before, a 503 warning for the same request came too.
    expect(server.logs.filter((line) => line.code === 'ERR_CANCELLED')).toHaveLength(1);
  });

  it('leaves an evaluation that ends soon after to finish: a young call is not worth a worker', async () => {
    const backend = new HeldBackend(new EngineBackend(await RiskEngine.load(ENGINE, { workers: 1 })));
    const signals: AbortSignal[] = [];
    const run = backend.run.bind(backend);
    backend.run = (request, options) => {
      signals.push(options.signal!);
      return run(request, options);
    };
    server = await serveBackend(backend);
    const body = JSON.stringify({ portfolio: PORTFOLIO });
    const client = connect(Number(new URL(server.url).port), '127.0.0.1');
    client.write(`POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await until(async () => backend.started.length === 1, 'the request started');
    client.destroy();
    // Released at once, well within STOP_ABANDONED_AFTER_MS of its start: it ends on its own, never aborted.
    backend.release();
    await until(async () => (await samples(server!)).get('wasm_risk_in_flight') === 0, 'no request in flight');
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    expect((await samples(server)).get('wasm_risk_worker_restarts_total{cause="cancelled"}')).toBe(0);
  });

  it('watches a connection with one listener, however many of its requests run at once', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const backend = new HeldBackend(new EngineBackend(await RiskEngine.load(ENGINE, { workers: 2 })));
      server = await serveBackend(backend);
      // As many pipelined requests on one connection as the server lets run at once (16 with 2 workers).
      const slots = 2 * REQUESTS_PER_WORKER;
      const body = JSON.stringify({ portfolio: PORTFOLIO });
      const request = `POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const client = connect(Number(new URL(server.url).port), '127.0.0.1');
      let received = '';
      client.on('data', (data: Buffer) => (received += data.toString('latin1')));
      client.write(request.repeat(slots));
      await until(async () => backend.started.length === slots, 'every pipelined request started');
      backend.release();
      await until(async () => (received.match(/HTTP\/1\.1 200 /g) ?? []).length === slots, 'a 200 for every pipelined request');
      client.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      // Before, each running request added its own 'close' listener to the socket: Node warned past 10.
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
