// The risk routes end to end on a real server: each method equals `wasm-risk var --json` for the same
// inputs and seed, a batch is answered in order, and bad input gets the problem document of the table.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PORTFOLIO } from '../../host/files/package-paths.js';
import { runCli } from '../support/run-cli.js';
import { get, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

/** The CLI's `--json` object with its timing left out (the only field that differs between runs). */
function withoutTiming(result: Record<string, unknown>): Record<string, unknown> {
  const { elapsedMs: _elapsed, ...rest } = result;
  return rest;
}

describe('POST /v1/<method>', () => {
  it.each([
    ['monte-carlo', { paths: 20_000, seed: '7', confidence: [0.9, 0.975], horizonDays: 5, antithetic: true }, ['--paths', '20000', '--seed', '7', '--confidence', '0.9,0.975', '--horizon-days', '5', '--antithetic']],
    ['historical', { confidence: [0.95], horizonDays: 1 }, ['--confidence', '0.95', '--horizon-days', '1']],
    ['parametric', {}, []],
  ] as const)('%s equals `wasm-risk var --json` bit for bit', async (method, options, flags) => {
    const answer = await post(server, `/v1/${method}`, { portfolio: PORTFOLIO, ...options });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const cli = runCli(['var', EXAMPLE_PORTFOLIO, '--method', method, '--json', '--workers', '2', ...flags]);
    expect(cli.status).toBe(0);
    const expected = JSON.parse(cli.stdout) as Record<string, unknown>;
    const { requestId, fallback, ...result } = answer.body as Record<string, unknown>;
    expect(fallback).toBe(false);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Same keys in the same order, same numbers (JSON round-trips doubles exactly).
    expect(Object.keys(result)).toEqual(Object.keys(expected));
    expect(withoutTiming(result)).toEqual(withoutTiming(expected));
  });

  it('takes the defaults of the CLI (100,000 paths, seed 42, 95% and 99%)', async () => {
    const answer = await post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ paths: 100_000, seed: '42', horizonDays: 1 });
    expect(answer.body.levels.map((level: { confidence: number }) => level.confidence)).toEqual([0.95, 0.99]);
  });
});

describe('POST /v1/batch', () => {
  it('answers 1,000 mixed evaluations in order, each with its result or its error', async () => {
    const methods = ['parametric', 'historical', 'monte-carlo'] as const;
    const requests = Array.from({ length: 1_000 }, (_, i) => {
      if (i % 100 === 99) return { method: 'parametric', portfolio: PORTFOLIO, horizonDays: -1 };
      const method = methods[i % 3]!;
      return method === 'monte-carlo'
        ? { method, portfolio: PORTFOLIO, paths: 200, seed: String(i) }
        : { method, portfolio: PORTFOLIO, confidence: [0.9 + (i % 9) / 100] };
    });
    const answer = await post(server, '/v1/batch', { requests });
    expect(answer.status).toBe(200);
    const results = answer.body.results as Record<string, any>[];
    expect(results).toHaveLength(1_000);
    results.forEach((result, i) => {
      if (i % 100 === 99) {
        expect(result).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT', field: `requests[${i}].horizonDays` });
        return;
      }
      expect(result.method).toBe(methods[i % 3]);
      if (result.method === 'monte-carlo') expect(result.seed).toBe(String(i));
      else expect(result.levels[0].confidence).toBe(0.9 + (i % 9) / 100);
    });
  });

  it("gives items without a portfolio the batch's, with the numbers each would get with its own", async () => {
    const options = [{ horizonDays: 1 }, { horizonDays: 10, confidence: [0.975] }, { horizonDays: 0 }, {}];
    const shared = await post(server, '/v1/batch', {
      portfolio: PORTFOLIO,
      requests: [...options.map((option) => ({ method: 'parametric', ...option })), { method: 'monte-carlo', paths: 5_000, seed: '3' }, { method: 'historical' }],
    });
    const own = await post(server, '/v1/batch', {
      requests: [...options.map((option) => ({ method: 'parametric', portfolio: PORTFOLIO, ...option })), { method: 'monte-carlo', portfolio: PORTFOLIO, paths: 5_000, seed: '3' }, { method: 'historical', portfolio: PORTFOLIO }],
    });
    expect(shared.status).toBe(200);
    const strip = (results: Record<string, unknown>[]) => results.map((result) => ('levels' in result ? withoutTiming(result) : result));
    expect(strip(shared.body.results)).toEqual(strip(own.body.results));
    expect(shared.body.results[2]).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT', field: 'requests[2].horizonDays' });
    expect(shared.body.results[0].levels).toHaveLength(2);
  });

  it('refuses a batch whose shared portfolio is bad with 400 naming its field', async () => {
    const asymmetric = PORTFOLIO.correlation!.map((row: number[], i: number) => row.map((value, j) => (i === 0 && j === 1 ? value / 2 : value)));
    const answer = await post(server, '/v1/batch', { portfolio: { ...PORTFOLIO, correlation: asymmetric }, requests: [{ method: 'parametric' }] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio.correlation[1][0]' });
  });

  it('refuses, with 413 and before any runs, a batch whose Monte Carlo items ask more paths in all than one request may', async () => {
    // Each item within the 50,000,000 of one request; together, past it: such a batch held every worker for
    // many deadlines while other clients' requests waited.
    const item = { method: 'monte-carlo', portfolio: PORTFOLIO, paths: 25_000_000 };
    const over = await post(server, '/v1/batch', { requests: [item, item, { ...item, paths: 1 }, { method: 'parametric', portfolio: PORTFOLIO }] });
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(over.body).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    expect(over.body.detail).toContain('50,000,001 paths in all');
    // At the bound (an item refused as bad input asks for nothing), the batch runs: here, on 2 paths.
    const within = await post(server, '/v1/batch', { requests: [{ ...item, paths: 1 }, { ...item, paths: 1 }, { ...item, paths: 50_000_001 }] });
    expect(within.status).toBe(200);
    expect(within.body.results.map((result: { status?: number }) => result.status ?? 200)).toEqual([200, 200, 400]);
  });

  it('refuses more evaluations than the configured count with 400 naming the field', async () => {
    const small = await startServer(undefined, {}, { maxBatch: 3 });
    try {
      const answer = await post(small, '/v1/batch', { requests: Array.from({ length: 4 }, () => ({ method: 'parametric', portfolio: PORTFOLIO })) });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'requests' });
    } finally {
      await small.close();
    }
  });
});

describe('bad input', () => {
  const problem = async (path: string, body: unknown) => {
    const answer = await post(server, path, body);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return answer;
  };

  it.each([
    ['a wrong type', { portfolio: { ...PORTFOLIO, assets: [{ ...PORTFOLIO.assets[0], vol: 'high' }] } }, 'portfolio.assets[0].vol'],
    ['a missing portfolio', {}, 'portfolio'],
    ['an unknown field', { portfolio: PORTFOLIO, colour: 'blue' }, 'colour'],
    ['a Monte Carlo option on a closed form', { portfolio: PORTFOLIO, paths: 10 }, 'paths'],
    ['an asymmetric correlation', { portfolio: { ...PORTFOLIO, correlation: [[1, 0.6, 0.25], [0.5, 1, 0.2], [0.25, 0.2, 1]] } }, 'portfolio.correlation[1][0]'],
    ['an unknown asset', { portfolio: { ...PORTFOLIO, positions: [{ asset: 'IBM', type: 'spot', quantity: 1 }] } }, 'portfolio.positions[0].asset'],
  ])('%s: 400 naming the field', async (_name, body, field) => {
    const answer = await problem('/v1/parametric', body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT', field, title: 'Bad input' });
    expect(answer.body.type).toBe('urn:wasm-risk:problem:ERR_INVALID_INPUT');
    expect(answer.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a seed that is not a u64: 400', async () => {
    const answer = await problem('/v1/monte-carlo', { portfolio: PORTFOLIO, seed: '18446744073709551616' });
    expect(answer.body).toMatchObject({ status: 400, field: 'seed' });
  });

  it('a duplicate key: 400 naming it, as for a portfolio file', async () => {
    const body = `{"portfolio": ${JSON.stringify(PORTFOLIO)}, "horizonDays": 1, "horizonDays": 10}`;
    const answer = await problem('/v1/parametric', body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'horizonDays' });
  });

  it('not JSON, or a __proto__ key: 400', async () => {
    expect((await problem('/v1/parametric', '{"portfolio": ')).body).toMatchObject({ status: 400, field: 'body' });
    expect((await problem('/v1/parametric', '{"__proto__": {"x": 1}, "portfolio": {}}')).body).toMatchObject({ status: 400, field: 'body' });
  });

  it('a 20 MB body: 413', async () => {
    const answer = await problem('/v1/parametric', `{"portfolio": {"assets": [], "pad": "${'x'.repeat(20_000_000)}"}}`);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
  });

  it('a correlation that is not positive semi-definite: 422', async () => {
    const correlation = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]];
    const answer = await problem('/v1/monte-carlo', { portfolio: { ...PORTFOLIO, correlation }, paths: 100 });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'ERR_NOT_POSITIVE_SEMIDEFINITE', field: 'portfolio.correlation' });
  });

  it('an unknown route: 404 problem', async () => {
    const answer = await problem('/v1/black-scholes', {});
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});

describe('probes and documents', () => {
  it('/healthz and /readyz answer 200 once a version serves', async () => {
    expect((await get(server, '/healthz')).status).toBe(200);
    const ready = await get(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready', version: '1.2.0' });
  });

  it('/openapi.json documents the routes with the schemas that validate them', async () => {
    const document = JSON.parse((await get(server, '/openapi.json')).text);
    expect(document.openapi).toBe('3.1.0');
    // A valid OpenAPI document (as 3.0.3, its bounds were refused: `exclusiveMinimum must be boolean`).
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/monte-carlo', '/v1/historical', '/v1/parametric', '/v1/batch']));
    const body = document.paths['/v1/parametric'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['portfolio']);
    expect(body.properties.portfolio.properties.assets.maxItems).toBe(10000);
  });

  // The responses had no schemas: a client generated from the document knew nothing of what comes back.
  it('/openapi.json describes the answers: real answers of each route, and their problems, validate against it', async () => {
    const document = JSON.parse((await get(server, '/openapi.json')).text);
    // OpenAPI 3.1's schemas are JSON Schema 2020-12.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const check = (path: string, status: number, contentType: string, answer: unknown) => {
      const responses = document.paths[path].post.responses;
      const described = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
      expect(described, `${path} ${status}`).toBeDefined();
      const validate = ajv.compile(described.content[contentType].schema);
      expect(validate(answer), `${path} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    };
    const answers: [path: string, body: unknown][] = [
      ['/v1/parametric', { portfolio: PORTFOLIO }],
      ['/v1/historical', { portfolio: PORTFOLIO }],
      ['/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 1_000, seed: '7' }],
      ['/v1/batch', { portfolio: PORTFOLIO, requests: [{ method: 'parametric' }, { method: 'parametric', horizonDays: -1 }] }],
      ['/v1/parametric', { portfolio: PORTFOLIO, horizonDays: -1 }],
      ['/v1/batch', { requests: [] }],
      ['/v1/monte-carlo', '{"portfolio": '],
    ];
    const statuses = new Set<number>();
    for (const [path, body] of answers) {
      const answer = await post(server, path, body);
      statuses.add(answer.status);
      check(path, answer.status, answer.headers.get('content-type')!.split(';')[0]!, answer.body);
    }
    expect([...statuses].sort()).toEqual([200, 400]);
  });

  it('logs one structured line per request, with its id, method, outcome, duration and version, never the portfolio', async () => {
    const answer = await post(server, '/v1/parametric', { portfolio: PORTFOLIO });
    const line = server.logs.find((entry) => entry.requestId === answer.body.requestId);
    expect(line).toMatchObject({ method: 'parametric', outcome: 'ok', code: 'OK', status: 200, version: '1.2.0' });
    expect(typeof line!.durationMs).toBe('number');
    expect(JSON.stringify(server.logs)).not.toMatch(/AAPL|MSFT/);
  });
});
