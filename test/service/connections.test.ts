// Clients that hold connections instead of sending requests: a request must arrive whole within the request
// timeout (a body sent a byte at a time no longer holds its connection for ever), bytes that are not HTTP
// are answered as a problem document, and connections past --max-connections are closed as they come,
// counted, while the server goes on answering the others.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { get, parsePrometheus, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

const REQUEST_TIMEOUT_MS = 1_000;

let server: TestServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

/** A raw connection to the server, and everything it receives until it closes. */
async function open(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => received, closed };
}

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
  });

  it('sending headers past 16 KiB gets 413 ERR_REQUEST_TOO_LARGE as a problem document', async () => {
    server = await startServer(undefined, { workers: 1 });
    const large = await open(server.url);
    large.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    await large.closed;
    const answer = parseAnswer(large.received());
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ status: 413, code: 'ERR_REQUEST_TOO_LARGE' });
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
