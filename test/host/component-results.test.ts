// What a component returns is checked before anyone reads a number from it.
import { describe, expect, it } from 'vitest';
import { checkedPnl } from '../../host/component-results.js';
import { ComponentContractError } from '../../host/errors.js';

describe('checkedPnl', () => {
  it('passes a vector of finite P&L with one value per path', () => {
    const pnl = Float64Array.from([1.5, -0, 0, -2e300]);
    expect(checkedPnl(pnl, 4)).toBe(pnl);
  });

  it.each([
    ['too few values', Float64Array.from([1, 2]), 3],
    ['too many values', Float64Array.from([1, 2, 3, 4]), 3],
    ['a NaN', Float64Array.from([1, Number.NaN, 3]), 3],
    ['an infinity', Float64Array.from([Number.NEGATIVE_INFINITY, 2, 3]), 3],
    ['a plain array', [1, 2, 3], 3],
    ['nothing', undefined, 3],
  ])('refuses %s as a contract violation', (_, values, paths) => {
    expect(() => checkedPnl(values as Float64Array, paths)).toThrow(ComponentContractError);
  });
});
