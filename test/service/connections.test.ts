// Clients that hold connections instead of sending requests: a request must arrive whole within the request
// timeout (a body sent a byte at a time no longer holds its connection for ever), bytes that are not HTTP
// are answered as a problem document, and connections past --max-connections are closed as they come,
// counted, while the server goes on answering the others.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { get, openRaw, parsePrometheus, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';
import { MAX_PIPELINED_REQUESTS } from '../../host/service/server.js';
import { until } from '../support/until.js';

const REQUEST_TIMEOUT_MS = 1_000;

let server: TestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

const open = (url: string) => openRaw(url, sockets);

/** The status line and the JSON body of a raw HTTP answer. */
function parseAnswer(raw: string): { status: number; contentType: string | undefined; body: Record<string, unknown> } {
  const [head, body] = raw.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]),
    contentType: /\r\ncontent-type: ([^\r]+)/i.exec(head!)?.[1],
    body: JSON.parse(body!) as Record<string, unknown>,
  };
}

describe('a slow client', () => {
  it('sending its body a byte at a time gets 408 ERR_REQUEST_TIMEOUT and its connection closed, and others are served', async () => {
    server = await startServer(undefined, { workers: 1 }, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const slow = await open(server.url);
    const started = performance.now();
    slow.socket.write('POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    const trickle = setInterval(() => slow.socket.write(' '), 200);
    try {
      await slow.closed;
    } finally {
      clearInterval(trickle);
    }
    // Node looks for late requests every second: closed within the timeout and one check, not at 60 s or never.
    expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
    const answer = parseAnswer(slow.received());
    expect(answer.status).toBe(408);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 408, code: 'ERR_REQUEST_TIMEOUT' });
    expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
  });

  it('sending bytes that are not HTTP gets 400 ERR_INVALID_INPUT as a problem document', async () => {
    server = await startServer(undefined, { workers: 1 });
    const garbage = await open(server.url);
    garbage.socket.write('NOT HTTP AT ALL\r\n\r\n');
    await garbage.closed;
    const answer = parseAnswer(garbage.received());
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT' });
    // No field to name: the request as a whole is wrong (the problem said `"field": ""`).
    expect(answer.body).not.toHaveProperty('field');
  });

  it('sending headers past 16 KiB gets 431 ERR_HEADERS_TOO_LARGE as a problem document (RFC 6585)', async () => {
    server = await startServer(undefined, { workers: 1 });
    const large = await open(server.url);
    large.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    await large.closed;
    const answer = parseAnswer(large.received());
    expect(answer.status).toBe(431);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 431, code: 'ERR_HEADERS_TOO_LARGE', title: 'Request header fields too large' });
  });

  it('what Node refuses before any route sees it is counted in client_errors_total, by code', async () => {
    server = await startServer(undefined, { workers: 1 }, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const counts = async () => {
      const metrics = parsePrometheus((await get(server!, '/metrics')).text);
      return ['ERR_HEADERS_TOO_LARGE', 'ERR_REQUEST_TIMEOUT', 'ERR_INVALID_INPUT'].map((code) => metrics.get(`wasm_risk_client_errors_total{code="${code}"}`));
    };
    expect(await counts()).toEqual([0, 0, 0]);
    // The last one's headers never end: no route has it (one whose body is late is its route's: below).
    for (const head of [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 'NOT HTTP AT ALL\r\n\r\n', 'NOT HTTP EITHER\r\n\r\n', 'POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n']) {
      const client = await open(server.url);
      client.socket.write(head);
      await client.closed;
    }
    expect(await counts()).toEqual([1, 1, 2]);
  });

  it("a risk request whose body is late, or not HTTP, is answered by Node's parser and counted and logged once, with that answer, under its method", async () => {
    // Answered 408 (or 400), it was counted as undelivered ERR_CANCELLED, logged as not answered, and counted
    // again in client_errors_total, which is for what no route saw.
    server = await startServer(undefined, { workers: 1 }, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const late = await open(server.url);
    late.socket.write('POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{');
    const badChunk = await open(server.url);
    badChunk.socket.write('POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    await Promise.all([late.closed, badChunk.closed]);
    expect([parseAnswer(late.received()).status, parseAnswer(badChunk.received()).status]).toEqual([408, 400]);
    const metrics = parsePrometheus((await get(server, '/metrics')).text);
    expect([...metrics].filter(([name, value]) => /^wasm_risk_(requests_total|client_errors_total)\{/.test(name) && value > 0).sort()).toEqual([
      ['wasm_risk_requests_total{method="batch",outcome="error",code="ERR_INVALID_INPUT",version="1.2.0"}', 1],
      ['wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_REQUEST_TIMEOUT",version="1.2.0"}', 1],
    ]);
    expect(server.logs.filter((line) => line.method !== undefined).map(({ method, status, msg }) => [method, status, msg]).sort()).toEqual([
      ['batch', 400, 'request answered'],
      ['parametric', 408, 'request answered'],
    ]);
  });

  it('a client that ends its side in the middle of a body left: counted once, as undelivered, not also as bytes that are not HTTP', async () => {
    server = await startServer(undefined, { workers: 1 });
    const client = await open(server.url);
    client.socket.end('POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"portf');
    await client.closed;
    expect(client.received()).toBe('');
    const metrics = parsePrometheus((await get(server, '/metrics')).text);
    expect(metrics.get('wasm_risk_client_errors_total{code="ERR_INVALID_INPUT"}')).toBe(0);
    expect([...metrics].filter(([name, value]) => name.startsWith('wasm_risk_requests_total{') && value > 0)).toEqual([
      [expect.stringContaining('method="parametric",outcome="undelivered",code="ERR_CANCELLED"'), 1],
    ]);
  });
});

describe('what Node answers before fastify', () => {
  it('an HTTP/1.1 request without a Host header, and an Expect other than 100-continue, get problem documents', async () => {
    server = await startServer(undefined, { workers: 1 });
    // Node answered both itself, with an empty body: 400, and 417 on a connection kept alive.
    for (const [head, status, code] of [
      ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'ERR_INVALID_INPUT'],
      ['POST /v1/parametric HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}', 417, 'ERR_EXPECTATION_FAILED'],
    ] as const) {
      const client = await open(server.url);
      client.socket.write(head);
      await client.closed;
      const answer = parseAnswer(client.received());
      expect(answer.status).toBe(status);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status, code });
    }
  });
});

describe('refusals before the route counted', () => {
  // A POST to /v1/parametric refused for its Host header (none, or two) was answered 400 and counted nowhere:
  // the route's record started in a hook that runs after the Host check. Node's 417 was not counted either.
  it('a risk request refused for its Host header is in requests_total under its method; an Expect refused, in client_errors_total', async () => {
    server = await startServer(undefined, { workers: 1 });
    const body = JSON.stringify({ portfolio: PORTFOLIO });
    const heads = [
      `POST /v1/parametric HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      `POST /v1/parametric HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      `POST /v1/batch HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      `POST /v1/parametric HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    ];
    const statuses: number[] = [];
    for (const head of heads) {
      const client = await open(server.url);
      client.socket.write(head);
      await client.closed;
      statuses.push(parseAnswer(client.received()).status);
    }
    expect(statuses).toEqual([400, 400, 400, 417]);
    const metrics = parsePrometheus((await get(server, '/metrics')).text);
    expect(metrics.get('wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_INVALID_INPUT",version="1.2.0"}')).toBe(2);
    expect(metrics.get('wasm_risk_requests_total{method="batch",outcome="error",code="ERR_INVALID_INPUT",version="1.2.0"}')).toBe(1);
    expect(metrics.get('wasm_risk_client_errors_total{code="ERR_EXPECTATION_FAILED"}')).toBe(1);
  });
});

describe('two Host headers', () => {
  it('are answered 400 naming host, the connection closed: Node kept the first, a proxy may have routed on the last', async () => {
    server = await startServer(undefined, { workers: 1 });
    for (const version of ['1.1', '1.0']) {
      const client = await open(server.url);
      client.socket.write(`GET /healthz HTTP/${version}\r\nHost: a.example\r\nHost: b.example\r\n\r\n`);
      await client.closed;
      const answer = parseAnswer(client.received());
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'host' });
    }
  });
});

describe('--max-connections', () => {
  it('closes the connections past it as they come, counts them, and serves again once one is free', async () => {
    server = await startServer(undefined, { workers: 1 }, { maxConnections: 3 });
    const idle = await Promise.all([open(server.url), open(server.url), open(server.url)]);
    const refused = await open(server.url);
    await refused.closed;
    expect(refused.received()).toBe('');
    // A held connection still works.
    idle[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await idle[0]!.closed;
    expect(idle[0]!.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const { socket, closed } of idle.slice(1)) {
      socket.destroy();
      await closed;
    }
    const metrics = parsePrometheus((await get(server, '/metrics')).text);
    expect(metrics.get('wasm_risk_connections_dropped_total')).toBe(1);
  });
});

/** A connection that writes `bytes` and then reads nothing (its socket paused) until `read` is called; `atServer`
 *  is the server's end of it. */
async function writeWithoutReading(server: TestServer, bytes: string | Buffer): Promise<{ atServer: Socket; read: () => Promise<string> }> {
  const { hostname, port } = new URL(server.url);
  const accepted = once(server.app.server, 'connection') as Promise<[Socket]>;
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  socket.on('error', () => {});
  socket.pause();
  await once(socket, 'connect');
  socket.write(bytes);
  const [atServer] = await accepted;
  return {
    atServer,
    read: async () => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = once(socket, 'close');
      socket.resume();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      return received;
    },
  };
}

/** Polls `check` until it is true or `ms` have passed; says whether it became true. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe('bodies on their way', () => {
  // fastify holds a body whole before any route or the queue sees it: 40 connections each sending 15 MiB
  // without the last byte held 600 MiB of the server, and --max-connections (10,000) of them 150 GiB.
  it('hold at most the bodies of as many requests as the queue takes: one more is refused 429, and taken once they have gone', async () => {
    // 1 worker: 8 requests admitted, none waiting, so 8 bodies of 1 MiB.
    server = await startServer(undefined, { workers: 1 }, { maxBodyMb: 1, maxQueue: 0 });
    const MiB = 2 ** 20;
    const head = (length: number) => `POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const holding = await Promise.all(Array.from({ length: 8 }, () => open(server!.url)));
    for (const client of holding) client.socket.write(head(MiB) + ' '.repeat(MiB - 1));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = await open(server.url);
    refused.socket.write(head(MiB) + ' '.repeat(MiB));
    await refused.closed;
    const answer = parseAnswer(refused.received());
    expect([answer.status, answer.body.code]).toEqual([429, 'ERR_QUEUE_FULL']);
    expect(answer.body.detail).toMatch(/bodies on their way/);
    for (const client of holding) client.socket.destroy();
    await Promise.all(holding.map((client) => client.closed));
    await until(async () => (await post(server!, '/v1/parametric', { portfolio: PORTFOLIO })).status === 200, 'a body taken again');
  });
});

describe('a client that does not read its answers', () => {
  it('pipelining requests without reading has its connection closed past the pipelining limit, not a thousand answers held for it', async () => {
    server = await startServer(undefined, { workers: 1 });
    // 1,000 requests in 35 KB: each /metrics answer is about 14 KB, so 14 MB of answers held for one write
    // (memory grew 200 MiB a connection before the limit, for as long as the connection stayed open).
    const client = await writeWithoutReading(server, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1_000));
    expect(await eventually(async () => client.atServer.destroyed, 10_000)).toBe(true);
    const received = await client.read();
    const answers = received.match(/HTTP\/1\.1 \d{3} /g) ?? [];
    expect(answers.length).toBeLessThanOrEqual(MAX_PIPELINED_REQUESTS);
    expect((await get(server, '/healthz')).status).toBe(200);
  });

  it('a pipelined request evaluated for longer than --request-timeout-ms is not cut by the timeout of the answer before it', async () => {
    server = await startServer(undefined, { workers: 1 }, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const client = await open(server.url);
    const request = (path: string, body: unknown) => {
      const text = JSON.stringify(body);
      return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
    };
    // A parametric answer at once, then a Monte Carlo run of several seconds (30M paths on one worker).
    client.socket.write(request('/v1/parametric', { portfolio: PORTFOLIO }) + request('/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 30_000_000, seed: '1' }));
    const answered = await eventually(async () => (client.received().match(/HTTP\/1\.1 200 /g) ?? []).length === 2 || client.socket.destroyed, 45_000);
    expect(answered).toBe(true);
    expect(client.received().match(/HTTP\/1\.1 \d{3} /g)).toEqual(['HTTP/1.1 200 ', 'HTTP/1.1 200 ']);
    expect(client.received()).toContain('"method":"monte-carlo"');
  }, 90_000);

  it('an answer left unread for --request-timeout-ms has its connection closed', async () => {
    server = await startServer(undefined, { workers: 1 }, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    // A batch of 1,000 evaluations at 64 confidence levels each: a 5.6 MB answer, more than the socket
    // buffers take, from a 550 KB request; a client that reads none of it held the connection (and the
    // answer) for ever: no request was arriving, and the answer was never finished for the keep-alive timeout.
    const confidence = Array.from({ length: 64 }, (_, i) => 0.5 + i * 0.0075);
    const body = JSON.stringify({ portfolio: PORTFOLIO, requests: Array.from({ length: 1_000 }, () => ({ method: 'parametric', confidence })) });
    const client = await writeWithoutReading(server, `POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // Evaluated (well under a second, alone on the machine), then cut once nothing of it was read for the timeout.
    expect(await eventually(async () => client.atServer.destroyed, REQUEST_TIMEOUT_MS + 14_000)).toBe(true);
  });
});
