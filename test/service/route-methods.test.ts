// A route asked with a method it does not answer is a 405 naming the ones it does (`Allow`), as a problem
// document; OPTIONS is answered with them; a path no route has is still a 404, quoting the path bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './service-support.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer(undefined, { workers: 1 });
});
afterAll(() => server.close());

const ask = async (method: string, path: string) => {
  const response = await fetch(`${server.url}${path}`, { method });
  const text = await response.text();
  return { status: response.status, allow: response.headers.get('allow'), contentType: response.headers.get('content-type'), body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
};

describe('a known route with another method', () => {
  it.each([
    ['GET', '/v1/parametric', 'OPTIONS, POST'],
    ['PUT', '/v1/batch', 'OPTIONS, POST'],
    ['DELETE', '/metrics', 'GET, HEAD, OPTIONS'],
    ['POST', '/healthz?probe=1', 'GET, HEAD, OPTIONS'],
  ])('%s %s is 405 with Allow: %s, as a problem document', async (method, path, allow) => {
    const answer = await ask(method, path);
    expect([answer.status, answer.allow, answer.contentType]).toEqual([405, allow, expect.stringMatching(/^application\/problem\+json/)]);
    expect(answer.body).toMatchObject({ status: 405, code: 'ERR_METHOD_NOT_ALLOWED', title: 'Method not allowed' });
  });

  it('OPTIONS is answered 204 with Allow', async () => {
    expect(await ask('OPTIONS', '/v1/monte-carlo')).toMatchObject({ status: 204, allow: 'OPTIONS, POST', body: undefined });
    expect(await ask('OPTIONS', '/readyz')).toMatchObject({ status: 204, allow: 'GET, HEAD, OPTIONS', body: undefined });
  });

  it('a path no route has is still 404, whatever the method, without Allow', async () => {
    for (const method of ['GET', 'POST', 'OPTIONS']) {
      const answer = await ask(method, '/v1/no-such-method');
      expect([answer.status, answer.allow, answer.body?.code]).toEqual([404, null, 'ERR_NOT_FOUND']);
    }
  });

  it("a 404 quotes the caller's path bounded and escaped, not the whole of a 10 KB one", async () => {
    const path = `/${'A'.repeat(10_000)}`;
    const answer = await ask('GET', `${path}?q=${'B'.repeat(1_000)}`);
    expect(answer.status).toBe(404);
    expect(answer.body?.detail).toBe(`no route GET "/${'A'.repeat(63)}…" (10001 characters)`);
    expect((await ask('GET', '/a"b')).body?.detail).toBe('no route GET "/a%22b"');
  });
});
