// One input, every surface: the library (RiskEngine), the CLI's parsers and the service (a method's route
// and /v1/batch, an item with its own portfolio or the batch's) take and refuse the same requests, and
// name a bad field where the caller wrote it, whoever found the problem (the validation, a check after
// it, or the engine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeed } from '../../host/cli/option-parsers.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine, type RiskResult } from '../../host/risk-engine.js';
import { PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

let server: TestServer;
let engine: RiskEngine;
beforeAll(async () => {
  [server, engine] = await Promise.all([startServer(), RiskEngine.load(undefined, { workers: 1 })]);
});
afterAll(async () => {
  await Promise.all([server?.close(), engine?.close()]);
});

/** What the library makes of a request: its result without timing, or its error's code and field. */
async function fromLibrary(request: Parameters<RiskEngine['run']>[0]): Promise<Record<string, unknown>> {
  try {
    const { elapsedMs: _elapsed, ...result } = await engine.run(request);
    return result;
  } catch (error) {
    return { code: (error as { code: string }).code, field: (error as { field?: string }).field };
  }
}

/** What the service answered, as fromLibrary puts it. */
function fromService(body: Record<string, unknown>): Record<string, unknown> {
  if ('code' in body) return { code: body.code, field: body.field };
  const { elapsedMs: _elapsed, requestId: _id, fallback: _fallback, ...result } = body as unknown as RiskResult & { requestId?: string; fallback: boolean };
  return result;
}

/** A book whose historical P&L overflows on its second row of returns: only the engine finds it. */
const OVERFLOWING_HISTORY: PortfolioSpec = { ...PORTFOLIO, returns: [[0.01, 0, 0], [800, 0, 0]].map((row) => row.slice(0, PORTFOLIO.assets.length)) };

describe('a bad field is named where the caller wrote it, whoever finds it', () => {
  it('the engine: a method route names it under portfolio, as the schema does', async () => {
    const library = await fromLibrary({ method: 'historical', portfolio: OVERFLOWING_HISTORY });
    expect(library).toEqual({ code: 'ERR_INVALID_INPUT', field: 'returns[1]' });
    const answer = await post(server, '/v1/historical', { portfolio: OVERFLOWING_HISTORY });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio.returns[1]' });
    expect(answer.body.detail).toMatch(/^portfolio\.returns\[1\]: the P&L of this row is not a finite number/);
  });

  it('the engine and the checks after the schema: a batch item is named by its place in the body', async () => {
    const answer = await post(server, '/v1/batch', {
      portfolio: OVERFLOWING_HISTORY,
      requests: [
        { method: 'parametric' },
        { method: 'historical', portfolio: OVERFLOWING_HISTORY },
        { method: 'historical' },
        { method: 'parametric', confidence: [0.99, 0.99] },
        { method: 'parametric', horizonDays: 0 },
        { method: 'monte-carlo', portfolio: { ...PORTFOLIO, positions: [{ asset: PORTFOLIO.assets[0]!.id, type: 'spot', quantity: 1e307 }] }, paths: 100, horizonDays: 2520 },
      ],
    });
    expect(answer.status).toBe(200);
    const fields = (answer.body.results as { field?: string }[]).map((result) => result.field);
    expect(fields).toEqual([undefined, 'requests[1].portfolio.returns[1]', 'portfolio.returns[1]', 'requests[3].confidence', 'requests[4].horizonDays', 'requests[5].portfolio']);
  });
});

describe('a correlation that is not positive semi-definite is named as bad input is', () => {
  // Only a factorisation finds it (the engine's, or the reference's): every entry is in range and symmetric.
  const NOT_PSD: PortfolioSpec = { ...PORTFOLIO, correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]] };

  it('the library names `correlation`, a method route `portfolio.correlation`, with the same words', async () => {
    for (const method of ['monte-carlo', 'parametric'] as const) {
      expect(await fromLibrary({ method, portfolio: NOT_PSD } as Parameters<RiskEngine['run']>[0])).toEqual({ code: 'ERR_NOT_POSITIVE_SEMIDEFINITE', field: 'correlation' });
      const options = method === 'monte-carlo' ? { paths: 100 } : {};
      const answer = await post(server, `/v1/${method}`, { portfolio: NOT_PSD, ...options });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ code: 'ERR_NOT_POSITIVE_SEMIDEFINITE', field: 'portfolio.correlation' });
      expect(answer.body.detail).toMatch(/^correlation is not positive semi-definite \(pivot .* at row 2\)$/);
    }
  });

  it('a batch item is named by its place in the body, or the shared portfolio by its own', async () => {
    const answer = await post(server, '/v1/batch', {
      portfolio: NOT_PSD,
      requests: [{ method: 'parametric', portfolio: PORTFOLIO }, { method: 'monte-carlo', portfolio: NOT_PSD, paths: 100 }, { method: 'parametric' }],
    });
    expect(answer.status).toBe(200);
    const results = answer.body.results as { code?: string; field?: string }[];
    expect(results.map((result) => [result.code, result.field])).toEqual([
      [undefined, undefined],
      ['ERR_NOT_POSITIVE_SEMIDEFINITE', 'requests[1].portfolio.correlation'],
      ['ERR_NOT_POSITIVE_SEMIDEFINITE', 'portfolio.correlation'],
    ]);
  });
});

describe('one seed grammar', () => {
  // A decimal string as a JSON integer is written (no sign, no leading zero, nothing around it), up to 2^64 - 1.
  it.each([
    ['0', 0n],
    ['42', 42n],
    ['18446744073709551615', 18446744073709551615n],
    ['00000000000000000000042', undefined],
    ['042', undefined],
    [' 42', undefined],
    ['42 ', undefined],
    ['+42', undefined],
    ['-1', undefined],
    ['4_2', undefined],
    ['0x2a', undefined],
    ['1e3', undefined],
    ['', undefined],
    ['18446744073709551616', undefined],
    ['٤٢', undefined],
  ])('%j: the CLI, the library and the service agree', async (seed, value) => {
    const cli = (() => {
      try {
        return parseSeed(seed);
      } catch (error) {
        return (error as { field: string }).field;
      }
    })();
    const request = { method: 'monte-carlo' as const, portfolio: PORTFOLIO, paths: 10, seed };
    const library = await fromLibrary(request as never);
    const answer = await post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 10, seed });
    if (value === undefined) {
      expect(cli).toBe('--seed');
      expect(library).toEqual({ code: 'ERR_INVALID_INPUT', field: 'seed' });
      expect(answer.body).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT', field: 'seed' });
    } else {
      expect(cli).toBe(value);
      expect(library.seed).toBe(String(value));
      expect(fromService(answer.body)).toEqual(library);
    }
  });

  it('a seed copied from a result is the same seed everywhere: a string, a bigint, a safe integer', async () => {
    const [asString, asBigint, asNumber] = await Promise.all([
      fromLibrary({ method: 'monte-carlo', portfolio: PORTFOLIO, paths: 10, seed: '7' } as never),
      fromLibrary({ method: 'monte-carlo', portfolio: PORTFOLIO, paths: 10, seed: 7n }),
      fromLibrary({ method: 'monte-carlo', portfolio: PORTFOLIO, paths: 10, seed: 7 }),
    ]);
    expect(asString).toEqual(asBigint);
    expect(asNumber).toEqual(asBigint);
  });
});

describe('asset ids: canonically equivalent spellings are one id', () => {
  const composed = 'Soci\u00e9t\u00e9'; // é as one code point (NFC)
  const decomposed = 'Socie\u0301te\u0301'; // e + combining acute (NFD), as some editors and file systems write it
  const book = (assetIds: string[], positionAsset: string): PortfolioSpec => ({
    assets: assetIds.map((id) => ({ id, spot: 50, drift: 0.05, vol: 0.2 })),
    correlation: assetIds.map((_, i) => assetIds.map((__, j) => (i === j ? 1 : 0.2))),
    positions: [{ asset: positionAsset, type: 'spot', quantity: 10 }],
  });

  it('a position names its asset in either form, on every surface, with the same numbers', async () => {
    const same = await fromLibrary({ method: 'parametric', portfolio: book([composed], composed) });
    const library = await fromLibrary({ method: 'parametric', portfolio: book([composed], decomposed) });
    expect(library).toEqual(same);
    expect(fromService((await post(server, '/v1/parametric', { portfolio: book([composed], decomposed) })).body)).toEqual(same);
    const batch = await post(server, '/v1/batch', { portfolio: book([decomposed], composed), requests: [{ method: 'parametric' }] });
    expect(fromService(batch.body.results[0])).toEqual(same);
  });

  it('two assets whose ids differ only in their normal form are refused as duplicates, on every surface', async () => {
    const twice = book([composed, decomposed], composed);
    expect(await fromLibrary({ method: 'parametric', portfolio: twice })).toEqual({ code: 'ERR_INVALID_INPUT', field: 'assets[1].id' });
    const answer = await post(server, '/v1/parametric', { portfolio: twice });
    expect(answer.body).toMatchObject({ status: 400, field: 'portfolio.assets[1].id' });
    expect(answer.body.detail).toContain('another Unicode normal form');
    const batch = await post(server, '/v1/batch', { requests: [{ method: 'parametric', portfolio: twice }] });
    expect(batch.body.results[0]).toMatchObject({ status: 400, field: 'requests[0].portfolio.assets[1].id' });
  });
});

describe("the caller's text in an error is bounded", () => {
  it('an id of 100,000 characters is quoted by its first 64, escaped, and its length', async () => {
    const long = `\u001b[2J${'A'.repeat(99_996)}`;
    const answer = await post(server, '/v1/parametric', { portfolio: { ...PORTFOLIO, positions: [{ asset: long, type: 'spot', quantity: 1 }] } });
    expect(answer.body).toMatchObject({ status: 400, field: 'portfolio.positions[0].asset' });
    expect(answer.body.detail).toBe(`portfolio.positions[0].asset: unknown asset "\\u001b[2J${'A'.repeat(60)}…" (100000 characters)`);
    const library = await engine.parametric({ ...PORTFOLIO, positions: [{ asset: long, type: 'spot', quantity: 1 }] }).catch((error: Error) => error.message);
    expect(library).toBe(`positions[0].asset: unknown asset "\\u001b[2J${'A'.repeat(60)}…" (100000 characters)`);
  });
});

describe('the correlation diagonal: 1 within 1e-9, either side', () => {
  const withDiagonal = (diagonal: number, offDiagonal = 0.3): PortfolioSpec => ({
    ...PORTFOLIO,
    correlation: PORTFOLIO.correlation!.map((row, i) => row.map((value, j) => (i === j ? diagonal : i + j === 1 ? offDiagonal : value))),
  });

  it('takes a diagonal within the tolerance as 1, on every surface', async () => {
    const exact = await fromLibrary({ method: 'parametric', portfolio: withDiagonal(1) });
    for (const diagonal of [1 + 2 ** -52, 1 + 5e-10, 1 - 5e-10]) {
      expect(await fromLibrary({ method: 'parametric', portfolio: withDiagonal(diagonal) })).toEqual(exact);
      expect(fromService((await post(server, '/v1/parametric', { portfolio: withDiagonal(diagonal) })).body)).toEqual(exact);
    }
  });

  it.each([
    ['a diagonal 2e-9 above 1', withDiagonal(1 + 2e-9), 'correlation[0][0]'],
    ['a diagonal 2e-9 below 1', withDiagonal(1 - 2e-9), 'correlation[0][0]'],
    ['a diagonal of 0.5', withDiagonal(0.5), 'correlation[0][0]'],
    ['an entry above 1 off the diagonal', withDiagonal(1, 1 + 5e-10), 'correlation[0][1]'],
  ])('refuses %s, on every surface', async (_name, portfolio, field) => {
    expect(await fromLibrary({ method: 'parametric', portfolio })).toEqual({ code: 'ERR_INVALID_INPUT', field });
    expect((await post(server, '/v1/parametric', { portfolio })).body).toMatchObject({ status: 400, field: `portfolio.${field}` });
  });
});
