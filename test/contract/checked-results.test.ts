// What a component returns is checked before anyone reads a number from it, and its text is escaped.
import { describe, expect, it } from 'vitest';
import { checkedInfo, checkedPnl, checkedReport, checkedSortedLosses, componentFailure } from '../../host/contract/checked-results.js';
import type { RiskReport } from '../../host/contract/types.js';
import { ComponentContractError, InvalidInputError } from '../../host/errors.js';
import { inverseNormalCdf, normalPdf } from '../../reference/normal-distribution.js';
import { summarizeSortedLosses } from '../../host/report/risk-statistics.js';

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

describe('checkedSortedLosses', () => {
  it('passes finite losses in ascending order, -0 before +0, one per path', () => {
    const losses = Float64Array.from([-2e300, -1, -0, 0, 0, 1.5]);
    expect(checkedSortedLosses(losses, 6)).toBe(losses);
  });

  it.each([
    ['too few values', Float64Array.from([1, 2]), 3, /2 loss values for 3 paths/],
    ['a NaN', Float64Array.from([1, Number.NaN, 3]), 3, /non-finite loss at index 1/],
    ['an infinity at the end', Float64Array.from([1, 2, Number.POSITIVE_INFINITY]), 3, /non-finite loss at index 2/],
    ['a NaN after a loss out of order (the NaN is named, as by two passes)', Float64Array.from([2, 1, Number.NaN]), 3, /non-finite loss at index 2/],
    ['a loss out of order', Float64Array.from([1, 3, 2, 4, 0]), 5, /out of order: 2 after 3 at index 2/],
    ['+0 before -0', Float64Array.from([0, -0]), 2, /out of order: 0 after 0 at index 1/],
  ])('refuses %s as a contract violation', (_, values, paths, message) => {
    expect(() => checkedSortedLosses(values, paths)).toThrow(ComponentContractError);
    expect(() => checkedSortedLosses(values, paths)).toThrow(message);
  });
});

describe('checkedReport', () => {
  // Losses 1..10: mean loss 5.5, VaR(0.9) = L(9) = 9, ES(0.9) = L(10) = 10.
  const LOSSES = Float64Array.from({ length: 10 }, (_, i) => i + 1);
  const CONFIDENCE = [0.9, 0.5];
  const genuine = () => summarizeSortedLosses(LOSSES, CONFIDENCE);
  const refuses = (report: RiskReport, message: RegExp, scenarios = 10n, confidence = CONFIDENCE) => {
    expect(() => checkedReport(report, confidence, scenarios)).toThrow(ComponentContractError);
    expect(() => checkedReport(report, confidence, scenarios)).toThrow(message);
  };
  const withLevel = (report: RiskReport, i: number, change: Partial<RiskReport['levels'][number]>): RiskReport => ({
    ...report,
    levels: report.levels.map((level, j) => (j === i ? { ...level, ...change } : level)),
  });

  it('passes a genuine report, whatever the order of the levels', () => {
    const report = genuine();
    expect(checkedReport(report, CONFIDENCE, 10n)).toBe(report);
  });

  it('refuses ES below VaR', () => refuses(withLevel(genuine(), 0, { es: 8.5 }), /levels\[0\]: es 8.5 is below var 9/));

  it('refuses a VaR that falls as confidence rises (levels compared by confidence, not by position)', () =>
    refuses(withLevel(genuine(), 1, { var: 9.5, es: 9.75 }), /var falls as confidence rises: 9.5 at 0.5, 9 at 0.9/));

  it('refuses an ES that falls as confidence rises', () => refuses(withLevel(genuine(), 1, { es: 10.5 }), /es falls as confidence rises/));

  it('refuses an ES below the mean loss', () => {
    const report = { ...genuine(), meanPnl: -9.9, stdPnl: 100 };
    refuses(withLevel(report, 1, { var: 1, es: 5 }), /levels\[1\]: es 5 is below the mean loss 9.9/);
  });

  it('refuses huge values with a zero standard deviation: every loss would equal the mean', () =>
    refuses({ scenarios: 10n, levels: CONFIDENCE.map((confidence) => ({ confidence, var: 1e308, es: 1e308, stdError: 0 })), meanPnl: 1e308, stdPnl: 0 }, /var 1e\+308 exceeds the mean loss by more than 0/));

  it('refuses a VaR and ES that are not the mean loss when the standard deviation is 0', () =>
    refuses({ scenarios: 10n, levels: CONFIDENCE.map((confidence) => ({ confidence, var: 5, es: 5, stdError: 0 })), meanPnl: 0, stdPnl: 0 }, /var 5 exceeds the mean loss by more than 0/));

  it('refuses a VaR further above the mean than the standard deviation allows (one-sided Chebyshev)', () =>
    // With s = 3.03 and k = 9 of 10, L(k) - mean <= s sqrt(8 / 2): 6.06 at most.
    refuses(withLevel(genuine(), 0, { var: 5.5 + 6.1, es: 12 }), /levels\[0\]: var 11.6 exceeds the mean loss by more than 6.05/));

  it('refuses a VaR further below the mean than the standard deviation allows', () =>
    refuses(withLevel(genuine(), 1, { var: -1 }), /levels\[1\]: var -1 is below the mean loss by more than/));

  it('refuses an ES further above the mean than the standard deviation allows', () =>
    refuses(withLevel(genuine(), 0, { es: 5.5 + 3.03 * 3 + 0.5 }), /levels\[0\]: es .* exceeds the mean loss by more than 9.08/));

  it('refuses a standard error wider than the losses', () => refuses(withLevel(genuine(), 0, { stdError: 7 }), /stdError 7 is wider than the losses/));

  it('refuses a standard deviation that is the root of no finite variance', () =>
    refuses({ ...genuine(), stdPnl: 1e200 }, /stdPnl 1e\+200 is the root of no finite variance/));

  it.each([
    ['a NaN VaR', (r: RiskReport) => withLevel(r, 0, { var: Number.NaN }), /levels\[0\]\.var is not finite/],
    ['a negative standard error', (r: RiskReport) => withLevel(r, 0, { stdError: -1 }), /stdError is negative/],
    ['the wrong scenario count', (r: RiskReport) => ({ ...r, scenarios: 11n }), /scenarios 11, expected 10/],
    ['a level for another confidence', (r: RiskReport) => withLevel(r, 0, { confidence: 0.8 }), /levels\[0\]\.confidence/],
  ])('refuses %s', (_, tamper, message) => refuses(tamper(genuine()), message));

  describe('for the parametric closed form (N = 0): the one-sided Chebyshev bounds', () => {
    const z = inverseNormalCdf(0.99);
    const closedForm = (mean: number, std: number, change: Partial<RiskReport['levels'][number]> = {}): RiskReport => ({
      scenarios: 0n,
      levels: [{ confidence: 0.99, var: -mean + std * z, es: -mean + (std * normalPdf(z)) / 0.01, stdError: 0, ...change }],
      meanPnl: mean,
      stdPnl: std,
    });
    const refusesClosedForm = (report: RiskReport, message: RegExp) => refuses(report, message, 0n, [0.99]);

    it('passes VaR = -mu + sigma z and ES = -mu + sigma phi(z) / (1 - c)', () => {
      expect(() => checkedReport(closedForm(3, 40), [0.99], 0n)).not.toThrow();
    });

    it('refuses a VaR further above the mean than sigma sqrt(c / (1 - c))', () =>
      refusesClosedForm(closedForm(3, 40, { var: -3 + 40 * 10, es: -3 + 40 * 10 }), /var 397 exceeds the mean loss by more than 397\.99\d+, impossible in the closed form/));

    it('refuses an ES further above the mean than sigma sqrt(c / (1 - c))', () =>
      refusesClosedForm(closedForm(3, 40, { es: -3 + 40 * 10 }), /es 397 exceeds the mean loss by more than 397\.99/));

    it('refuses a VaR off the mean when sigma is 0, even at a confidence whose bound is infinite', () =>
      refuses({ scenarios: 0n, levels: [{ confidence: 1e-320, var: -5, es: 0, stdError: 0 }], meanPnl: 0, stdPnl: 0 }, /var -5 is below the mean loss by more than 0/, 0n, [1e-320]));
  });
});

describe('component text is escaped for the terminal', () => {
  const HOSTILE = '\x1b[2J\x1b[31mred\r\x07\u202eevil\u2066';

  it('in the messages of its errors', () => {
    const error = componentFailure({ tag: 'invalid-input', val: `field${HOSTILE}: problem${HOSTILE}` });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('field\\x1b[2J\\x1b[31mred\\x0d\\x07\\u202eevil\\u2066: problem\\x1b[2J\\x1b[31mred\\x0d\\x07\\u202eevil\\u2066');
    expect(componentFailure({ tag: 'too-large', val: HOSTILE }).message).not.toMatch(/[\x00-\x1f\u202e]/);
    expect(componentFailure(new TypeError(`bad ${HOSTILE}`)).message).toBe('component failed: bad \\x1b[2J\\x1b[31mred\\x0d\\x07\\u202eevil\\u2066');
  });

  it('in its info() name and version', () => {
    expect(checkedInfo({ name: `engine${HOSTILE}`, version: '1.0.0\x9b2J' })).toEqual({
      name: 'engine\\x1b[2J\\x1b[31mred\\x0d\\x07\\u202eevil\\u2066',
      version: '1.0.0\\x9b2J',
    });
  });
});
