// `var --histogram`: bins that hold every path, bars in proportion, and VaR and ES marked where they fall.
import { describe, expect, it } from 'vitest';
import { formatPnlHistogram } from '../../host/cli/histogram.js';

function rowsOf(text: string): string[] {
  return text.split('\n').slice(1);
}

function pathsOf(row: string): number {
  return Number(/ ([\d,]+)(?:  ◀.*)?$/.exec(row)![1]!.replaceAll(',', ''));
}

describe('formatPnlHistogram', () => {
  // P&L 0..99, each once: 10 bins of 9.9, ten paths in each (the best path joins the last bin).
  const pnl = Float64Array.from({ length: 100 }, (_, i) => i);

  it('puts every path in one of the bins, worst P&L first', () => {
    const text = formatPnlHistogram(pnl, [], { bins: 10, width: 20 });
    expect(text.split('\n')[0]).toBe('P&L distribution: 100 paths, 10 bins of 9.90 (row: lower edge, bar, paths); █ = 0.5 paths');
    const rows = rowsOf(text);
    expect(rows).toHaveLength(10);
    expect(rows.map(pathsOf)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(rows[0]).toMatch(/^ 0\.00 │█{20} +10$/);
    expect(rows[9]).toMatch(/^89\.10 │/);
  });

  it('draws bars in proportion, in eighths of a cell, and a sliver for a bin with a single path', () => {
    const skewed = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 5, 10]);
    const rows = rowsOf(formatPnlHistogram(skewed, [], { bins: 2, width: 4 }));
    expect(rows[0]).toMatch(/│████ +8$/);
    // 2 of 8 paths on 4 cells: one cell.
    expect(rows[1]).toMatch(/│█ +2$/);
    const tail = rowsOf(formatPnlHistogram(Float64Array.from([...Array(1000).fill(0), 1]), [], { bins: 2, width: 10 }));
    expect(tail[1]).toMatch(/│▏ +1$/);
  });

  it('marks the bins of each level: the VaR at P&L -var, the ES at -es', () => {
    const rows = rowsOf(formatPnlHistogram(pnl, [{ confidence: 0.95, var: -5, es: -2.5 }, { confidence: 0.99, var: -55, es: -80 }], { bins: 10, width: 20 }));
    expect(rows[0]).toMatch(/◀ VaR 95%, ES 95%$/);
    expect(rows[5]).toMatch(/◀ VaR 99%$/);
    expect(rows[8]).toMatch(/◀ ES 99%$/);
    expect(rows.filter((row) => row.includes('◀'))).toHaveLength(3);
  });

  it('gives paths that all have the same P&L one bin', () => {
    const rows = rowsOf(formatPnlHistogram(new Float64Array(7), [{ confidence: 0.99, var: 0, es: 0 }]));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^0\.00 │█{50} 7  ◀ VaR 99%, ES 99%$/);
  });

  it('says "1 path" of a run of one path', () => {
    expect(formatPnlHistogram(new Float64Array(1), [{ confidence: 0.99, var: 0, es: 0 }]).split('\n')[0]).toMatch(/^P&L distribution: 1 path, 1 bin of /);
  });
});
