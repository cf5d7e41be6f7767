// Every refusal the service answers is its problem document (RFC 9457): application/problem+json with a
// stable ERR_ code, never fastify's own JSON or an FST_ code, and Retry-After on a 429 or 503; whoever refuses
// (Node's parser, fastify's router, the body parser, a route), and while the server is stopping too.
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get, openRaw, parsePrometheus, PORTFOLIO, startServer, type TestServer } from './service-support.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: Record<string, unknown> | undefined;
}

/** A raw connection to the server; `answer` resolves with what it received once it closes. */
async function open(url: string): Promise<{ socket: Socket; answer: Promise<RawAnswer> }> {
  const { socket, received, closed } = await openRaw(url, sockets);
  return { socket, answer: closed.then(() => parseAnswer(received())) };
}

async function send(url: string, request: string): Promise<RawAnswer> {
  const client = await open(url);
  client.socket.write(request);
  return client.answer;
}

/** The status, headers (names in lower case) and JSON body (if any) of one raw HTTP/1.1 answer. */
function parseAnswer(raw: string): RawAnswer {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const body = raw.slice(split + 4);
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]), headers, body: body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>) };
}

/** Checks `answer` is the problem document of `status` and `code`, with Retry-After where a retry may succeed. */
function expectProblem(answer: RawAnswer, status: number, code: string, hasBody = true): void {
  expect([answer.status, answer.headers.get('content-type')]).toEqual([status, expect.stringMatching(/^application\/problem\+json/)]);
  expect(answer.headers.get('retry-after')).toBe(status === 429 || status === 503 ? '1' : undefined);
  if (hasBody) expect(answer.body).toMatchObject({ type: `urn:wasm-risk:problem:${code}`, status, code });
}

const json = (method: string, path: string, body: string, extra = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
const bare = (method: string, path: string, extra = '') => `${method} ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;

describe('a table of bad requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(undefined, { workers: 1 });
  });
  afterAll(() => server?.close());

  it.each([
    // fastify's router answered these itself, `{"code":"FST_ERR_BAD_URL"}` as application/json.
    ['a path that is not percent-encoded', bare('GET', '/%zz'), 400, 'ERR_INVALID_INPUT'],
    ['a risk route with a bad escape after it', json('POST', '/v1/parametric/%E0%A4%A', '{}'), 400, 'ERR_INVALID_INPUT'],
    // Node closed these connections without a word: a CONNECT is handed to 'connect' listeners, and there were none.
    ['CONNECT to a route', bare('CONNECT', '/metrics'), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['CONNECT to a host, as to a proxy', bare('CONNECT', 'example.com:443'), 404, 'ERR_NOT_FOUND'],
    ['no such route', bare('GET', '/v1/black-scholes'), 404, 'ERR_NOT_FOUND'],
    ['OPTIONS on no route', bare('OPTIONS', '*'), 404, 'ERR_NOT_FOUND'],
    ['a method the route does not answer', json('DELETE', '/openapi.json', '{}'), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['a method of WebDAV', bare('PROPFIND', '/metrics'), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['a method HTTP does not have', bare('BREW', '/metrics'), 400, 'ERR_INVALID_INPUT'],
    ['no Host header', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'ERR_INVALID_INPUT'],
    ['a Content-Length that is no number', bare('POST', '/v1/parametric', 'Content-Type: application/json\r\nContent-Length: two\r\n'), 400, 'ERR_INVALID_INPUT'],
    ['Content-Length and Transfer-Encoding both', bare('POST', '/v1/parametric', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n'), 400, 'ERR_INVALID_INPUT'],
    ['an empty JSON body', json('POST', '/v1/parametric', ''), 400, 'ERR_INVALID_INPUT'],
    ['a body that is not JSON', json('POST', '/v1/batch', '{"requests": [}'), 400, 'ERR_INVALID_INPUT'],
    ['a body of another content type', bare('POST', '/v1/parametric', 'Content-Type: text/csv\r\nContent-Length: 2\r\n') + '{}', 400, 'ERR_INVALID_INPUT'],
    ['a body with no content type', bare('POST', '/v1/parametric', 'Content-Length: 2\r\n') + '{}', 400, 'ERR_INVALID_INPUT'],
    ['a body declared larger than the limit', bare('POST', '/v1/parametric', `Content-Type: application/json\r\nContent-Length: ${2 ** 40}\r\n`), 413, 'ERR_REQUEST_TOO_LARGE'],
    ['an Expect that cannot be met', json('POST', '/v1/parametric', '{}', 'Expect: 200-ok\r\n'), 417, 'ERR_EXPECTATION_FAILED'],
  ])('%s', async (_name, request, status, code) => {
    const answer = await send(server.url, request);
    expectProblem(answer, status, code);
    if (status === 405) expect(answer.headers.get('allow')).toMatch(/OPTIONS/);
  });

  it('HEAD of a route that answers only POST: 405 with the problem type, and no body', async () => {
    const answer = await send(server.url, bare('HEAD', '/v1/parametric'));
    expectProblem(answer, 405, 'ERR_METHOD_NOT_ALLOWED', false);
    expect([answer.headers.get('allow'), answer.body]).toEqual(['OPTIONS, POST', undefined]);
  });

  it("a CONNECT is counted in client_errors_total, as Node's other refusals are: no route sees it", async () => {
    const before = parsePrometheus((await get(server, '/metrics')).text);
    await send(server.url, bare('CONNECT', 'example.com:443'));
    await send(server.url, bare('CONNECT', '/v1/batch'));
    const after = parsePrometheus((await get(server, '/metrics')).text);
    for (const code of ['ERR_NOT_FOUND', 'ERR_METHOD_NOT_ALLOWED']) {
      const key = `wasm_risk_client_errors_total{code="${code}"}`;
      expect((after.get(key) ?? 0) - (before.get(key) ?? 0)).toBe(1);
    }
  });

  it('a CONNECT sent behind a request whose answer is owed closes the connection without a word, not with an answer the client reads as that request\'s', async () => {
    // Node hands the connection over as soon as it has read the CONNECT: its 404 was the only answer on the
    // connection, and the client took it for the answer to its POST.
    const body = JSON.stringify({ portfolio: PORTFOLIO, paths: 20_000 });
    const post = `POST /v1/monte-carlo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const { socket, received, closed } = await openRaw(server.url, sockets);
    socket.write(post + bare('CONNECT', 'example.com:443'));
    await closed;
    expect(received()).not.toMatch(/ERR_NOT_FOUND|CONNECT/);
  });

  it('bytes that are not HTTP sent behind a request whose answer is owed close the connection without a word, not with a 400 the client reads as that request\'s', async () => {
    // Node's parser fails on the bytes while the POST before them is still computed: the 400 was the only answer
    // on the connection, and the client took its valid request for one refused as not HTTP.
    const body = JSON.stringify({ portfolio: PORTFOLIO, paths: 20_000 });
    const post = `POST /v1/monte-carlo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const { socket, received, closed } = await openRaw(server.url, sockets);
    socket.write(`${post}NOT HTTP AT ALL\r\n\r\n`);
    await closed;
    expect(received()).not.toMatch(/ERR_INVALID_INPUT/);
  });
});

describe('while the server is stopping', () => {
  // fastify answered them itself (its return503OnClosing): `{"error":"Service Unavailable"}` as
  // application/json, with no Retry-After, and a risk request so refused was counted nowhere.
  it('a request that arrives is refused with 503 ERR_UNAVAILABLE and Retry-After, and the one running is answered', async () => {
    const server = await startServer(undefined, { workers: 1 });
    let closing: Promise<void> | undefined;
    try {
      const running = await open(server.url);
      running.socket.write(json('POST', '/v1/monte-carlo', JSON.stringify({ portfolio: PORTFOLIO, paths: 2_000_000 })));
      // A request whose headers are not all in holds its connection open through the close; the rest comes after.
      const late = await open(server.url);
      late.socket.write('POST /v1/parametric HTTP/1.1\r\nHost: x\r\n');
      const probe = await open(server.url);
      probe.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      closing = server.close();
      const body = JSON.stringify({ portfolio: PORTFOLIO });
      late.socket.write(`Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      probe.socket.write('\r\n');
      const refused = await late.answer;
      expectProblem(refused, 503, 'ERR_UNAVAILABLE');
      expect(refused.headers.get('connection')).toBe('close');
      expectProblem(await probe.answer, 503, 'ERR_UNAVAILABLE');
      expect((await running.answer).status).toBe(200);
      await closing;
      // Counted under its route, as every risk request a client sent is.
      const counted = (await server.metrics.requests.get()).values.filter((sample) => sample.labels.method === 'parametric');
      expect(counted).toEqual([expect.objectContaining({ value: 1, labels: expect.objectContaining({ outcome: 'error', code: 'ERR_UNAVAILABLE' }) })]);
    } finally {
      await (closing ?? server.close());
    }
  });
});
