// An unknown key is bad input named by its own path, whichever route validated it: the CLI's portfolio file and
// a batch item (zod) as the service's single routes (JSON Schema) name it, not by the object that holds it.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../host/errors.js';
import { validatePortfolio } from '../../host/request/portfolio.js';
import { validateRiskRequest } from '../../host/request/risk-request.js';
import { batchRequestsOf } from '../../host/service/schemas.js';

const portfolio = () => ({
  assets: [
    { id: 'A', spot: 100, drift: 0.05, vol: 0.2 },
    { id: 'B', spot: 20, drift: -0.01, vol: 0.45 },
  ],
  correlation: [
    [1, 0.4],
    [0.4, 1],
  ],
  positions: [{ asset: 'A', type: 'spot', quantity: 10 }],
});

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('an unknown key', () => {
  it.each(['any', 'json'] as const)('in a portfolio (%s route) is named by its path', (source) => {
    const spec = portfolio();
    (spec.assets[1] as Record<string, unknown>).sopt = 3;
    expect(refusal(() => validatePortfolio(spec, '', source))).toEqual({ field: 'assets[1].sopt', message: 'assets[1].sopt: is not a known field' });
    expect(refusal(() => validatePortfolio(spec, 'portfolio', source)).field).toBe('portfolio.assets[1].sopt');
  });

  it('at the top of a portfolio, and among the options of a request', () => {
    expect(refusal(() => validatePortfolio({ ...portfolio(), colour: 'blue' })).field).toBe('colour');
    expect(refusal(() => validateRiskRequest({ method: 'parametric', portfolio: portfolio(), paths: 5 })).field).toBe('paths');
  });

  it('in a batch item is named by its place in the body', () => {
    const spec = portfolio();
    (spec.positions[0] as Record<string, unknown>).strike = 3;
    const [, item] = batchRequestsOf({ requests: [{ method: 'parametric', portfolio: portfolio() }, { method: 'parametric', portfolio: spec }] });
    expect(item!.request).toBeInstanceOf(InvalidInputError);
    expect((item!.request as InvalidInputError).field).toBe('requests[1].portfolio.positions[0].strike');
  });
});
