// The table of `wasm-risk var` and its histogram: a value that rounds to zero prints as 0.00, never -0.00 (a
// book with no exposure has losses of -0, and a tiny negative rounds to a signed zero).
import { describe, expect, it } from 'vitest';
import { formatPnlHistogram } from '../../host/cli/histogram.js';
import { confidencePercent, formatRiskResult } from '../../host/cli/report-format.js';
import type { RiskResult } from '../../host/risk-engine.js';

describe('no -0.00', () => {
  it('in the VaR/ES table and the P&L line', () => {
    const result = {
      method: 'monte-carlo',
      paths: 100,
      horizonDays: 1,
      seed: '42',
      levels: [{ confidence: 0.95, var: -0, es: -0.001, stdError: 0 }],
      meanPnl: -0.004,
      stdPnl: 0,
      component: { name: 'risk-engine', version: '1.2.0', sha256: '0'.repeat(64) },
      elapsedMs: 1,
    } as unknown as RiskResult;
    const text = formatRiskResult(result);
    expect(text).not.toContain('-0.00');
    expect(text).toMatch(/│ +95% │ +0\.00 │ +0\.00 │/);
    expect(text).toContain('Mean P&L 0.00 ');
  });

  it('in the histogram, whose lowest edge rounds to zero', () => {
    const text = formatPnlHistogram(Float64Array.from([-0.001, 5, 10]), [], { bins: 2, width: 4 });
    expect(text).not.toContain('-0.00');
    expect(text.split('\n')[1]).toMatch(/^ ?0\.00 │/);
  });

  it('a real loss keeps its sign', () => {
    expect(formatPnlHistogram(Float64Array.from([-1234.5, 10]), [], { bins: 2, width: 4 })).toContain('-1,234.50');
  });
});

describe('confidence levels in the table and the histogram', () => {
  it('are printed as given, never rounded to another level (99.99999% is not 100%)', () => {
    const printed = [0.95, 0.99, 0.975, 0.995, 0.9997, 0.99999, 0.9999999, 0.95123456789, 0.001, 0.0000001].map(confidencePercent);
    expect(printed).toEqual(['95%', '99%', '97.5%', '99.5%', '99.97%', '99.999%', '99.99999%', '95.123456789%', '0.1%', '0.00001%']);
  });
});
