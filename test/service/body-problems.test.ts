// A body the JSON Schema refuses is answered with the problem the host's own validation finds, so a union
// (a position's type, the seed's string or integer) is not reported by the first alternative that failed.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bodyJsonBudget } from '../../host/service/json-body.js';
import { DEFAULT_MAX_BATCH } from '../../host/service/server.js';
import { openRaw, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

let server: TestServer;
const sockets: Socket[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  await server?.close();
});

const withPosition = (position: Record<string, unknown>) => ({ ...PORTFOLIO, positions: [PORTFOLIO.positions[0], position] });
const mistypedOption = withPosition({ asset: 'AAPL', type: 'Call', strike: 200, expiryYears: 0.5, quantity: -100 });

describe('a refused body names the offending field and says what is wrong with it', () => {
  it.each([
    ['a misspelt option type', '/v1/parametric', { portfolio: mistypedOption }, 'portfolio.positions[1].type', /must have type 'spot', 'call' or 'put'/],
    // A negative seed is out of range, not a number past 2^53 (it was refused with that advice).
    ['a negative seed', '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 100, seed: -1 }, 'seed', /^seed: must be an integer in \[0, 2\^64\): a decimal string without sign/],
    ['a seed past 2^53 as a number', '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 100, seed: 2 ** 60 }, 'seed', /^seed: must be an integer in \[0, 2\^64\) \(past 2\^53, a decimal string/],
    // Computed and answered twice before, two identical rows (the CLI's --confidence refuses it the same way).
    ['a confidence level listed twice', '/v1/parametric', { portfolio: PORTFOLIO, confidence: [0.95, 0.99, 0.95] }, 'confidence', /^confidence: lists 0\.95 twice/],
    ['a confidence level listed twice, Monte Carlo', '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 100, confidence: [0.99, 0.99] }, 'confidence', /^confidence: lists 0\.99 twice/],
  ])('%s', async (_name, path, body, field, detail) => {
    const answer = await post(server, path, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field });
    expect(answer.body.detail).toMatch(detail);
  });

  it('in the shared portfolio of a batch, as in a single request', async () => {
    const answer = await post(server, '/v1/batch', { portfolio: mistypedOption, requests: [{ method: 'parametric' }] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio.positions[1].type' });
  });

  it('a body that is not an object, and a batch over its limit, keep the schema wording', async () => {
    expect((await post(server, '/v1/parametric', [])).body).toMatchObject({ status: 400, field: 'body' });
    const requests = Array.from({ length: 1_001 }, () => ({ method: 'parametric' }));
    expect((await post(server, '/v1/batch', { portfolio: PORTFOLIO, requests })).body).toMatchObject({ status: 400, field: 'requests' });
  });
});

describe('a body within the byte limit that holds more than any request can', () => {
  // 3.4 MB of `[],` is 1.1 million arrays: about 90 MB for JSON.parse to build, per request, before the
  // schema refused the rows; a 16 MiB body of them took over 400 MB.
  it('is refused with 413 before it is parsed, naming the limit', async () => {
    const rows = '[],'.repeat(bodyJsonBudget(DEFAULT_MAX_BATCH).containers);
    const answer = await post(server, '/v1/historical', `{"portfolio": {"returns": [${rows}[]]}}`);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    expect(answer.body.detail).toBe("the body holds more than 1,122,007 arrays and objects, more than a batch of 1000 within the contract's limits can (wit/limits.json)");
  });
});

describe('a body that is not sent as JSON', () => {
  const send = async (contentType: string | undefined, path = '/v1/parametric') => {
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify({ portfolio: PORTFOLIO }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('as %s: 400 saying to send JSON', async (contentType) => {
    const answer = await send(contentType);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body' });
    expect(answer.body.detail).toMatch(/content-type: application\/json/);
  });

  it('as application/json with a charset: answered', async () => {
    expect((await send('application/json; charset=utf-8')).status).toBe(200);
  });

  it.each(['latin1', 'ISO-8859-1', 'utf-16'])('as application/json with charset=%s: 400, not read as UTF-8 regardless', async (charset) => {
    const answer = await send(`application/json; charset=${charset}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body' });
    expect(answer.body.detail).toMatch(/UTF-8/);
  });

  it('with a second charset, or a second Content-Type header, that is not UTF-8: 400, not read by the first', async () => {
    // Node reads the first of two Content-Type headers and the check read the first charset; a proxy in front,
    // or the client's library, may go by the last. Both were answered 200, read as UTF-8.
    const sent = async (contentType: string | string[]) => {
      const body = JSON.stringify({ portfolio: PORTFOLIO });
      const { hostname, port } = new URL(server.url);
      return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const outgoing = request({ hostname, port, path: '/v1/parametric', method: 'POST', headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    };
    for (const contentType of ['application/json; charset=utf-8; charset=latin1', ['application/json', 'application/json; charset=latin1']]) {
      const answer = await sent(contentType);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body' });
    }
    expect((await sent('application/json; charset=utf-8')).status).toBe(200);
  });

  it('with a content-encoding (gzip, br): 400, not read as if it had none', async () => {
    for (const coding of ['gzip', 'br']) {
      // The body is plain JSON: the server read it ignoring the coding the client declared, and answered 200.
      const response = await fetch(`${server.url}/v1/parametric`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
        body: JSON.stringify({ portfolio: PORTFOLIO }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body', detail: expect.stringMatching(/content-encoding/) });
    }
    expect((await fetch(`${server.url}/v1/parametric`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, body: JSON.stringify({ portfolio: PORTFOLIO }) })).status).toBe(200);
  });

  it('with a transfer coding besides chunked (gzip, chunked): 400 saying so, not "not UTF-8 text: save it as UTF-8"', async () => {
    // Node takes the chunks apart but leaves the gzip: the body was read as if it had no coding.
    const body = gzipSync(JSON.stringify({ portfolio: PORTFOLIO }));
    const { socket, received, closed } = await openRaw(server.url, sockets);
    socket.write(`POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n`);
    socket.write(Buffer.concat([body, Buffer.from('\r\n0\r\n\r\n')]));
    await closed;
    const answer = JSON.parse(received().slice(received().indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(answer).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT', field: 'body', detail: 'body: transfer-encoding gzip, chunked is not read: send the body uncompressed' });
  });

  it('with an empty content-encoding, or one listing identity only: read, as one that has none', async () => {
    for (const coding of ['', ' , ', 'identity, identity']) {
      const response = await fetch(`${server.url}/v1/parametric`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: JSON.stringify({ portfolio: PORTFOLIO }) });
      expect([coding, response.status]).toEqual([coding, 200]);
    }
  });

  it('as bytes that are not UTF-8 (Latin-1): 400 naming the byte, not two asset ids read as one', async () => {
    // 'SOCIÉTÉ' and 'SOCIÈTÉ' in Latin-1 both used to arrive as 'SOCI\uFFFDT\uFFFD', and the position on the
    // asset that is not in the book was valued as the one that is.
    const text = JSON.stringify({ portfolio: { ...PORTFOLIO, assets: [{ ...PORTFOLIO.assets[0]!, id: 'SOCIÉTÉ' }, PORTFOLIO.assets[1]!], positions: [{ asset: 'SOCIÈTÉ', type: 'spot', quantity: 1 }] } });
    const body = Buffer.from(text, 'latin1');
    const response = await fetch(`${server.url}/v1/parametric`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body', detail: `body: not UTF-8 text: byte ${body.indexOf(0xc9)} is 0xc9; save it as UTF-8` });
  });
});
