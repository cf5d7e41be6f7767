// A portfolio file is refused before JSON.parse when it holds more arrays, objects or strings than any
// portfolio within the contract's limits: 120 MB of one-number rows took 2.8 GB to parse before the row limit
// refused them. The budget admits the largest portfolio the limits allow, and counts nothing inside strings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readPortfolioFile } from '../../host/cli/portfolio-file.js';
import { InvalidInputError } from '../../host/errors.js';
import { jsonBudgetExcess } from '../../host/files/json-budget.js';
import { MAX_FACTOR_ASSETS, MAX_HISTORY_ROWS, MAX_POSITIONS } from '../../host/request/limits.js';
import { PORTFOLIO_JSON_BUDGET } from '../../host/request/portfolio.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-json-budget-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const HEAD = '{"assets":[{"id":"A","spot":1,"drift":0,"vol":0.2}],"correlation":[[1]],"positions":[{"asset":"A","type":"spot","quantity":1}]';

/** The largest portfolio the limits allow, as far as counting goes: every array and object, every key and
 *  string value (rows one number wide: the width costs no container). */
function largestPortfolio(extraRows = 0): string {
  const assets = Array.from({ length: MAX_FACTOR_ASSETS }, (_, i) => `{"id":"a${i}","spot":1,"drift":0,"vol":0.2}`).join(',');
  const loadings = '[0.1],'.repeat(MAX_FACTOR_ASSETS - 1) + '[0.1]';
  const position = '{"asset":"a0","type":"call","strike":1,"expiryYears":1,"quantity":1}';
  const positions = `${position},`.repeat(MAX_POSITIONS - 1) + position;
  const returns = '[0],'.repeat(MAX_HISTORY_ROWS + extraRows - 1) + '[0]';
  return `{"assets":[${assets}],"factorLoadings":[${loadings}],"riskFreeRate":0,"positions":[${positions}],"returns":[${returns}]}`;
}

describe('the portfolio budget', () => {
  it('admits the largest portfolio the contract allows, and not one array more', () => {
    expect(jsonBudgetExcess(largestPortfolio(), PORTFOLIO_JSON_BUDGET)).toBeUndefined();
    expect(jsonBudgetExcess(largestPortfolio(1), PORTFOLIO_JSON_BUDGET)).toBe('more than 1,120,005 arrays and objects');
  });

  it('counts no bracket or quote inside a string', () => {
    const budget = { containers: 2, strings: 2 };
    expect(jsonBudgetExcess('{"k[{\\"[":["x{{[[\\\\"]}', budget)).toBeUndefined();
    expect(jsonBudgetExcess('{"k":[[]]}', budget)).toBe('more than 2 arrays and objects');
    expect(jsonBudgetExcess('["a","b","c"]', budget)).toBe('more than 2 strings (keys and values)');
  });

  it('leaves uncounted only texts too short to exceed either budget (a token is at least one character)', () => {
    expect(jsonBudgetExcess('[[[', { containers: 3, strings: 3 })).toBeUndefined();
    expect(jsonBudgetExcess('[[[[', { containers: 3, strings: 4 })).toBe('more than 3 arrays and objects');
    expect(jsonBudgetExcess('"a""', { containers: 4, strings: 1 })).toBe('more than 1 strings (keys and values)');
  });
});

describe('a portfolio file over the budget', () => {
  it('with more rows than any portfolio can have is refused naming the file and the limit, never parsed', async () => {
    const path = join(scratch, 'rows.json');
    writeFileSync(path, `${HEAD},"returns":[${'[0],'.repeat(PORTFOLIO_JSON_BUDGET.containers)}[0]]}`);
    const parse = vi.spyOn(JSON, 'parse');
    const error = await readPortfolioFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      field: 'portfolio',
      message: `portfolio: ${path} holds more than 1,120,005 arrays and objects, more than a portfolio within the contract's limits can (wit/limits.json); not parsed`,
    });
    expect(parse).not.toHaveBeenCalled();
  });

  it('with more keys than any portfolio can have is refused before it is parsed', async () => {
    const path = join(scratch, 'keys.json');
    const keys = Array.from({ length: PORTFOLIO_JSON_BUDGET.strings }, (_, i) => `"k${i}":0`).join(',');
    writeFileSync(path, `${HEAD},${keys}}`);
    const parse = vi.spyOn(JSON, 'parse');
    await expect(readPortfolioFile(path)).rejects.toThrow(`portfolio: ${path} holds more than 750,006 strings (keys and values)`);
    expect(parse).not.toHaveBeenCalled();
  });
});
