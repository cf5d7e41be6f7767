// Property test: malformed and extreme inputs through the library API get a typed input error or a
// valid answer; never a crash, a hang, a trap, or a non-finite number.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmRiskError } from '../../host/errors.js';
import type { RiskResult } from '../../host/risk-engine.js';
import { RiskEngine } from '../../host/risk-engine.js';

let engine: RiskEngine;
beforeAll(async () => {
  engine = await RiskEngine.load(undefined, { workers: 2, timeoutMs: 20_000 });
});
afterAll(() => engine.close());

const INPUT_ERRORS = new Set(['ERR_INVALID_INPUT', 'ERR_NOT_POSITIVE_SEMIDEFINITE', 'ERR_REQUEST_TOO_LARGE']);

const base = () => ({
  assets: [
    { id: 'A', spot: 100, drift: 0.05, vol: 0.2 },
    { id: 'B', spot: 20, drift: -0.01, vol: 0.45 },
  ],
  correlation: [
    [1, 0.4],
    [0.4, 1],
  ],
  riskFreeRate: 0.02,
  positions: [
    { asset: 'A', type: 'spot', quantity: 10 },
    { asset: 'B', type: 'call', strike: 22, expiryYears: 0.3, quantity: -5 },
  ],
  returns: [
    [0.01, -0.02],
    [-0.03, 0.01],
  ],
});

const PATHS = [
  ['assets', 0, 'spot'], ['assets', 1, 'vol'], ['assets', 0, 'drift'], ['assets', 1, 'id'], ['assets'], ['assets', 0],
  ['correlation'], ['correlation', 0], ['correlation', 0, 1], ['correlation', 1, 1], ['riskFreeRate'],
  ['positions'], ['positions', 0, 'quantity'], ['positions', 1, 'strike'], ['positions', 1, 'expiryYears'],
  ['positions', 1, 'type'], ['positions', 0, 'asset'], ['returns'], ['returns', 1], ['returns', 0, 1],
] as const;

const hostile = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, -1, 1e308, -1e308, 5e-324, 2 ** 53, 1e15, -1e15, 0.999999, 1.0000001),
  fc.constantFrom(null, undefined, '', 'x', [], {}, true, [[]], [Number.NaN], [1e308, 1e308]),
  fc.double(),
  fc.integer(),
  fc.array(fc.double(), { maxLength: 5 }),
  fc.constant(Array.from({ length: 3_000 }, () => 1)),
);

function mutate(target: Record<string, unknown>, path: readonly (string | number)[], value: unknown): unknown {
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return target;
}

const requests = fc.record({
  path: fc.constantFrom(...PATHS),
  value: hostile,
  method: fc.constantFrom('monte-carlo', 'historical', 'parametric'),
  options: fc.record({
    paths: fc.oneof(fc.constantFrom(1, 2, 500, 0, -1, 1.5, Number.NaN, 1e12), fc.integer({ min: 1, max: 3_000 })),
    horizonDays: fc.oneof(fc.constantFrom(1, 10, 0, -1, Number.NaN, Infinity, 2_520, 2_521, 1e-12), fc.double({ min: 1e-6, max: 3_000 })),
    confidence: fc.oneof(fc.constant<number[]>([0.95, 0.99]), fc.array(fc.oneof(fc.double(), fc.constantFrom(0, 1, 0.5, 1 - 1e-16)), { maxLength: 4 })),
  }),
});

function checkValid(result: RiskResult) {
  for (const level of result.levels) {
    for (const value of [level.var, level.es, level.stdError]) expect(Number.isFinite(value)).toBe(true);
    expect(level.es).toBeGreaterThanOrEqual(level.var);
  }
  expect(Number.isFinite(result.meanPnl) && Number.isFinite(result.stdPnl)).toBe(true);
}

describe('malformed and extreme inputs', () => {
  it('always get a typed input error or a valid answer', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async ({ path, value, method, options }) => {
        const portfolio = mutate(base(), path, value);
        const call =
          method === 'monte-carlo'
            ? engine.monteCarlo(portfolio as never, { ...options, seed: 1n })
            : method === 'historical'
              ? engine.historical(portfolio as never, { horizonDays: options.horizonDays, confidence: options.confidence })
              : engine.parametric(portfolio as never, { horizonDays: options.horizonDays, confidence: options.confidence });
        try {
          checkValid(await call);
        } catch (error) {
          if (!(error instanceof WasmRiskError)) throw error;
          expect(INPUT_ERRORS).toContain(error.code);
          expect(error.message.length).toBeGreaterThan(0);
          // In the host's words, not zod's defaults (`Invalid input: expected object, received null`).
          expect(error.message).not.toMatch(/Invalid input|expected \w+, received/);
        }
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it('refuse a request or a portfolio that is not an object as a typed error naming what it must be', async () => {
    for (const value of [null, 'x', 42, [], true]) {
      await expect(engine.run(value as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: 'must be an object' });
      // The book as a whole is named `portfolio`, however the request was made (the field was '').
      await expect(engine.parametric(value as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio', message: 'portfolio: must be an object' });
      await expect(engine.run({ method: 'monte-carlo', portfolio: value } as never)).rejects.toMatchObject({ field: 'portfolio', message: 'portfolio: must be an object' });
      await expect(engine.simulatePnl(value as never)).rejects.toMatchObject({ field: 'portfolio', message: 'portfolio: must be an object' });
    }
    await expect(engine.parametric(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'portfolio', message: 'portfolio: is required' });
    await expect(engine.run({ method: 'parametric' } as never)).rejects.toMatchObject({ field: 'portfolio', message: 'portfolio: is required' });
    await expect(engine.parametric({ ...base(), assets: 'x' } as never)).rejects.toMatchObject({ field: 'assets', message: 'assets: must be an array' });
    // A level listed twice was computed and reported twice, as two identical rows.
    const twice = { field: 'confidence', message: 'confidence: lists 0.95 twice; give each level once' };
    await expect(engine.parametric(base() as never, { confidence: [0.95, 0.99, 0.95] })).rejects.toMatchObject(twice);
    await expect(engine.monteCarlo(base() as never, { paths: 100, confidence: [0.95, 0.95] })).rejects.toMatchObject(twice);
    // A batch answers such an item with its error; the others run (a TypeError used to reject the whole batch).
    const [bad, good] = await engine.runBatch([null as never, { method: 'parametric', portfolio: base() as never }]);
    expect(bad).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_INPUT', message: 'must be an object' } });
    expect(good!.ok).toBe(true);
    // A hole in the array is a missing request too: it was answered `undefined`, no outcome at all.
    const [hole, after] = await engine.runBatch([, { method: 'parametric', portfolio: base() as never }] as never);
    expect(hole).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_INPUT', message: 'is required' } });
    expect(after!.ok).toBe(true);
  });

  it('validate a Proxy that claims every key, as any request (its `has` trap skipped validation: a TypeError from inside)', async () => {
    const claimsAll = <T extends object>(target: T): T => new Proxy(target, { has: () => true });
    const portfolio = base() as never;
    expect((await engine.run(claimsAll({ method: 'parametric', portfolio }))).levels).toHaveLength(2);
    await expect(engine.run(claimsAll({ method: 'parametric', portfolio, paths: 5 } as never))).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'paths' });
    const { pnl } = await engine.runWithPnl(claimsAll({ method: 'monte-carlo', portfolio, paths: 100 }));
    expect(pnl).toHaveLength(100);
    const [outcome] = await engine.runBatch([claimsAll({ method: 'parametric', portfolio })]);
    expect(outcome!.ok).toBe(true);
  });

  it('refuse call options of the wrong kind by name, and take null options as none (they were TypeErrors from inside)', async () => {
    const portfolio = base() as never;
    expect((await engine.parametric(portfolio, null as never)).levels).toHaveLength(2);
    expect((await engine.monteCarlo(portfolio, null as never)).paths).toBe(100_000);
    expect(await engine.simulatePnl(portfolio, null as never)).toHaveLength(100_000);
    expect((await engine.run({ method: 'parametric', portfolio }, null as never)).levels).toHaveLength(2);
    const refusals: [string, () => Promise<unknown>, string][] = [
      ['a signal', () => engine.parametric(portfolio, { signal: { aborted: false } as never }), 'signal: must be an AbortSignal'],
      ['a batch signal', () => engine.runBatch([{ method: 'parametric', portfolio }], { signal: 'stop' as never }), 'signal: must be an AbortSignal'],
      ['a progress callback', () => engine.monteCarlo(portfolio, { paths: 1_000, onProgress: 5 as never }), 'onProgress: must be a function'],
      ['a progress callback of simulatePnl', () => engine.simulatePnl(portfolio, { paths: 1_000, onProgress: {} as never }), 'onProgress: must be a function'],
      ['a batch that is no array', () => engine.runBatch({ method: 'parametric', portfolio } as never), 'requests: must be an array'],
    ];
    for (const [name, call, message] of refusals) await expect(call(), name).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message });
  });

  it('take any symmetric correlation: a valid answer or the not-positive-semidefinite error', async () => {
    const unit = fc.double({ min: -1, max: 1, noNaN: true });
    await fc.assert(
      fc.asyncProperty(unit, unit, unit, async (ab, ac, bc) => {
        const portfolio = {
          assets: ['A', 'B', 'C'].map((id, i) => ({ id, spot: 10 * (i + 1), drift: 0.01, vol: 0.3 })),
          correlation: [[1, ab, ac], [ab, 1, bc], [ac, bc, 1]],
          positions: [{ asset: 'C', type: 'spot' as const, quantity: 3 }, { asset: 'A', type: 'put' as const, strike: 9, expiryYears: 1, quantity: 4 }],
        };
        try {
          checkValid(await engine.monteCarlo(portfolio, { paths: 200 }));
        } catch (error) {
          expect(error).toBeInstanceOf(WasmRiskError);
          expect((error as WasmRiskError).code).toBe('ERR_NOT_POSITIVE_SEMIDEFINITE');
        }
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
