// The compiled JSON routes of validation (validatePortfolio(..., 'json'), and a batch item's options on a
// shared portfolio) must accept exactly what zod accepts and give the same result: an input they let through
// that zod refuses would reach the engine unchecked. Checked on thousands of mutated inputs (portfolios with a
// correlation matrix or factor loadings), JSON
// round-tripped as the service receives them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePortfolio } from '../../host/request/portfolio.js';
import { validateRiskRequest, validateRiskRequestOn } from '../../host/request/risk-request.js';
import { InvalidInputError } from '../../host/errors.js';
import { isFactorPortfolio } from '../../host/contract/types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Dependence = 'correlation' | 'factors';

const valid = (dependence: Dependence = 'correlation'): { [key: string]: Json } => {
  const { correlation = null, ...rest } = withCorrelation();
  // Asset C's row explains all its variance (sum of squares 1), at the boundary the rules allow.
  return dependence === 'correlation' ? { correlation, ...rest } : { factorLoadings: [[0.6, 0.3], [-0.2, 0.9], [0.8, -0.6]], ...rest };
};

const withCorrelation = (): { [key: string]: Json } => ({
  assets: [
    { id: 'A', spot: 100, drift: 0.05, vol: 0.2 },
    { id: 'B', spot: 20, drift: -0.01, vol: 0.45 },
    { id: 'C', spot: 7.5, drift: 0, vol: 0.3 },
  ],
  correlation: [
    [1, 0.4, -0.2],
    [0.4, 1, 0.1],
    [-0.2, 0.1, 1],
  ],
  riskFreeRate: 0.02,
  positions: [
    { asset: 'A', type: 'spot', quantity: 10 },
    { asset: 'B', type: 'call', strike: 22, expiryYears: 0.3, quantity: -5 },
    { asset: 'C', type: 'put', strike: 7, expiryYears: 1, quantity: 3 },
  ],
  returns: [
    [0.01, -0.02, 0],
    [-0.03, 0.01, 0.02],
  ],
});

/** Every path into a value (objects and arrays), the value's own included. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(...value.map((item, i) => pathsOf(item, [...prefix, i])));
  if (value !== null && typeof value === 'object') return here.concat(...Object.entries(value).map(([key, item]) => pathsOf(item, [...prefix, key])));
  return here;
}

const REPLACEMENTS: Json[] = [
  0, -0.5, 1, 1.5, -1, -1.0000001, 1e308, -1e308, 5e-324, 2 ** 53, 'A', 'B', '', '1', 'spot', 'call', 'put', 'x', null, true, false, [], [1], [[1]], {}, { id: 'A' },
  [[0.5], [0.5], [0.5]], [[0.6, 0.8], [0, 1], [1, 0]],
];

type Mutation = { kind: 'set'; at: number; value: Json } | { kind: 'delete'; at: number } | { kind: 'add'; at: number; key: string; value: Json } | { kind: 'push'; at: number; from: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(...REPLACEMENTS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.constantFrom('extra', 'id', 'type', 'strike', 'returns', 'riskFreeRate', 'correlation', 'factorLoadings', '__proto__'), value: fc.constantFrom(...REPLACEMENTS) }),
  fc.record({ kind: fc.constant('push' as const), at: fc.nat(), from: fc.nat() }),
);

function mutate(portfolio: Json, change: Mutation): void {
  const paths = pathsOf(portfolio);
  const path = paths[change.at % paths.length]!;
  if (path.length === 0) return;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string, Json>)[key as string]!, portfolio) as Record<string | number, Json>;
  const key = path[path.length - 1]!;
  if (change.kind === 'set') parent[key] = structuredClone(change.value);
  else if (change.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (change.kind === 'add') {
    const target = parent[key];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) target[change.key] = structuredClone(change.value);
  } else {
    const target = parent[key];
    if (Array.isArray(target) && target.length > 0) target.push(structuredClone(target[change.from % target.length]!));
  }
}

/** What validation made of `portfolio`: its result, or its error's code, field and message. */
function outcomeOf(portfolio: unknown, source: 'json' | 'any'): unknown {
  try {
    return { ok: validatePortfolio(portfolio, 'portfolio', source) };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return { error: { code: error.code, field: error.field, message: error.message } };
  }
}

describe('portfolio validation: the compiled JSON route and zod', () => {
  it('agree on mutated portfolios, JSON round-tripped (accepted or not, result and first error)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom<Dependence>('correlation', 'factors'), fc.array(mutation, { minLength: 0, maxLength: 4 }), (dependence, changes) => {
        const portfolio = valid(dependence);
        for (const change of changes) mutate(portfolio, change);
        const text = JSON.stringify(portfolio);
        const fromJson = outcomeOf(JSON.parse(text), 'json');
        expect(fromJson).toEqual(outcomeOf(JSON.parse(text), 'any'));
        if ('ok' in (fromJson as object)) accepted++;
        else refused++;
      }),
      { numRuns: 6000, seed: 20261130 },
    );
    // Both kinds of case were exercised, so the agreement means something.
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(2000);
  });

  it('refuses numbers JSON cannot hold exactly that parse to infinities', () => {
    const text = JSON.stringify(valid()).replace('"spot":100', '"spot":1e400').replace('"quantity":10', '"quantity":-1e999');
    const parsed = JSON.parse(text);
    expect(parsed.assets[0].spot).toBe(Infinity);
    expect(() => validatePortfolio(parsed, 'portfolio', 'json')).toThrow('portfolio.assets[0].spot: must be a finite number');
  });

  it('takes the portfolio as given: the rate defaults to 0 and the engine form carries the same bits', () => {
    const { riskFreeRate: _rate, ...withoutRate } = valid();
    const fromJson = validatePortfolio(JSON.parse(JSON.stringify(withoutRate)), '', 'json');
    expect(fromJson.portfolio.riskFreeRate).toBe(0);
    expect(fromJson).toEqual(validatePortfolio(withoutRate));
    expect(isFactorPortfolio(fromJson.portfolio)).toBe(false);
    expect(Array.from((fromJson.portfolio as { correlation: Float64Array[] }).correlation[0]!)).toEqual([1, 0.4, -0.2]);
    expect(fromJson.portfolio.positions[1]).toEqual({ assetIndex: 1, quantity: -5, instrument: { tag: 'european', val: { kind: 'call', strike: 22, expiryYears: 0.3 } } });
  });

  it('agree on the options of requests, with their own portfolio or a batch\'s shared one', () => {
    // Named as the service names them: a body's portfolio and options, a batch item's options (these were
    // given as a string and an unknown option, which validation ignored: every field was named flat).
    const SERVICE_BODY = { portfolio: 'portfolio', options: '' };
    const BATCH_ITEM = { portfolio: 'portfolio', options: 'requests[0]' };
    const shared = validatePortfolio(valid());
    const itemValue = fc.oneof(fc.constantFrom<Json>(...REPLACEMENTS), fc.array(fc.constantFrom<Json>(0.5, 0.95, 0.99, 0, 1, 2, -0.1, 'x', null), { maxLength: 12 }));
    const item = fc.dictionary(fc.constantFrom('method', 'horizonDays', 'confidence', 'paths', 'seed', 'antithetic', 'extra', 'portfolio'), itemValue, { maxKeys: 4 });
    const method = fc.constantFrom<Json>('parametric', 'historical', 'monte-carlo', 'none', 3, null);
    let accepted = 0;
    fc.assert(
      fc.property(item, method, fc.boolean(), (fields, chosen, withMethod) => {
        const text = JSON.stringify(withMethod ? { ...fields, method: chosen } : fields);
        const outcome = (source: 'json' | 'any') => {
          try {
            const { portfolio: _same, ...request } = validateRiskRequestOn(shared, JSON.parse(text), BATCH_ITEM, source);
            return { ok: request };
          } catch (error) {
            if (!(error instanceof InvalidInputError)) throw error;
            return { error: { field: error.field, message: error.message } };
          }
        };
        const fromJson = outcome('json');
        expect(fromJson).toEqual(outcome('any'));
        if ('ok' in fromJson) accepted++;
        // The same fields as a request with its own portfolio (a service body).
        const whole = (source: 'json' | 'any') => {
          try {
            return { ok: validateRiskRequest(JSON.parse(JSON.stringify({ ...JSON.parse(text), portfolio: valid() })), { at: SERVICE_BODY, source }) };
          } catch (error) {
            if (!(error instanceof InvalidInputError)) throw error;
            return { error: { field: error.field, message: error.message } };
          }
        };
        expect(whole('json')).toEqual(whole('any'));
      }),
      { numRuns: 3000, seed: 20261130 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
