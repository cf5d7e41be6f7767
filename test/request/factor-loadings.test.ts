// A portfolio's factor loadings (the alternative to a correlation matrix for bank-size books): exactly one
// of the two, n rows of k loadings, each row's sum of squares at most 1, each problem a typed error naming
// its field, on both validation routes (zod, and the compiled JSON route); up to MAX_FACTOR_ASSETS assets
// with loadings, MAX_ASSETS with a correlation matrix.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../host/errors.js';
import { MAX_ASSETS, MAX_FACTOR_ASSETS, MAX_FACTORS } from '../../host/request/limits.js';
import { validatePortfolio, type PortfolioSpec } from '../../host/request/portfolio.js';

function book(n: number, loadings: (i: number) => number[] = () => [0.6, 0.3]): PortfolioSpec {
  const assets = Array.from({ length: n }, (_, i) => ({ id: `A${i}`, spot: 100 + i, drift: 0.02, vol: 0.25 }));
  return { assets, factorLoadings: assets.map((_, i) => loadings(i)), positions: [{ asset: 'A0', type: 'spot', quantity: 10 }] };
}

/** The first error of both routes, which must agree: field and message. */
function refusal(spec: unknown): { field: string; message: string } {
  const errors = (['any', 'json'] as const).map((source) => {
    try {
      validatePortfolio(JSON.parse(JSON.stringify(spec)), 'portfolio', source);
    } catch (error) {
      if (error instanceof InvalidInputError) return { field: error.field, message: error.message };
      throw error;
    }
    throw new Error(`the ${source} route accepted the portfolio`);
  });
  expect(errors[1]).toEqual(errors[0]);
  return errors[0]!;
}

describe('factor loadings in a portfolio', () => {
  it('become the engine form: the loadings in one buffer, no correlation', () => {
    const { portfolio } = validatePortfolio(book(3, (i) => [0.1 * i, -0.5]));
    expect('correlation' in portfolio).toBe(false);
    expect('factorLoadings' in portfolio && portfolio.factorLoadings.map((row) => Array.from(row))).toEqual([[0, -0.5], [0.1, -0.5], [0.2, -0.5]]);
  });

  it('accept a row whose sum of squares is 1 (no residual), and 1 plus rounding', () => {
    expect(() => validatePortfolio(book(2, () => [0.6, 0.8]))).not.toThrow();
    expect(() => validatePortfolio(book(2, () => [Math.SQRT1_2, Math.SQRT1_2]))).not.toThrow();
  });

  it.each([
    ['both a correlation and loadings', { ...book(2), correlation: [[1, 0], [0, 1]] }, 'portfolio.factorLoadings', 'give either correlation or factorLoadings, not both'],
    ['neither', (({ factorLoadings: _, ...rest }) => rest)(book(2)), 'portfolio.correlation', 'is required (or factorLoadings, a factor model)'],
    ['fewer rows than assets', { ...book(3), factorLoadings: [[0.1], [0.2]] }, 'portfolio.factorLoadings', 'must have 3 rows (one per asset), has 2'],
    ['a ragged row', book(3, (i) => (i === 2 ? [0.1, 0.2, 0.3] : [0.1, 0.2])), 'portfolio.factorLoadings[2]', 'must have 2 entries (as many as row 0), has 3'],
    ['a row that explains more than all the variance', book(4, (i) => (i === 3 ? [0.8, 0.6001] : [0.5, 0.5])), 'portfolio.factorLoadings[3]', 'sum of squares'],
    ['no factors', book(2, () => []), 'portfolio.factorLoadings[0]', 'must have at least 1 factor'],
    ['too many factors', book(1, () => new Array(MAX_FACTORS + 1).fill(0)), 'portfolio.factorLoadings[0]', `must have at most ${MAX_FACTORS} factors`],
    ['a string', book(2, (i) => (i === 1 ? [0.1, '0.2' as unknown as number] : [0.1, 0.2])), 'portfolio.factorLoadings[1][1]', 'must be a finite number'],
    ['a null (JSON has no NaN)', book(2, (i) => (i === 0 ? [null as unknown as number, 0.2] : [0.1, 0.2])), 'portfolio.factorLoadings[0][0]', 'must be a finite number'],
  ])('refuse %s, naming the field', (_, spec, field, message) => {
    const error = refusal(spec);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('refuse a non-finite loading given directly (not through JSON)', () => {
    expect(() => validatePortfolio(book(2, (i) => (i === 1 ? [Infinity, 0] : [0, 0])))).toThrow('factorLoadings[1][0]: must be a finite number');
    expect(() => validatePortfolio(book(2, () => [NaN, 0]))).toThrow('factorLoadings[0][0]: must be a finite number');
  });

  it(`allow ${MAX_FACTOR_ASSETS} assets with loadings, ${MAX_ASSETS} with a correlation matrix`, () => {
    expect(validatePortfolio(book(MAX_FACTOR_ASSETS, () => [0.5])).portfolio.assets).toHaveLength(MAX_FACTOR_ASSETS);
    expect(refusal(book(MAX_FACTOR_ASSETS + 1, () => [0.5]))).toMatchObject({ field: 'portfolio.assets', message: expect.stringContaining(`at most ${MAX_FACTOR_ASSETS} assets`) });
    const { factorLoadings: _, ...assetsOnly } = book(MAX_ASSETS + 1);
    // The asset count is refused before the matrix is looked at.
    expect(refusal({ ...assetsOnly, correlation: [[1]] })).toEqual({
      field: 'portfolio.assets',
      message: `portfolio.assets: must list at most ${MAX_ASSETS} assets with a correlation matrix (up to ${MAX_FACTOR_ASSETS} with factorLoadings)`,
    });
  });
});
