// `var --histogram`: the distribution of a run's P&L drawn in the terminal, one row per bin from the
// worst P&L down to the best, with the bins that hold each level's VaR and ES marked.
import { confidencePercent, money } from './report-format.js';

/** Bar resolution: eighths of a character cell. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';

const count = new Intl.NumberFormat('en-US');

export interface HistogramLevel {
  confidence: number;
  /** Losses are positive: the P&L at the VaR is -var. */
  var: number;
  es: number;
}

export interface HistogramShape {
  bins: number;
  /** Character cells of the longest bar. */
  width: number;
}

function bar(cells: number): string {
  const eighths = Math.round(cells * 8);
  return FULL.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/** The histogram of N >= 1 P&Ls as lines of text (no trailing newline). */
export function formatPnlHistogram(pnl: Float64Array, levels: readonly HistogramLevel[], { bins, width }: HistogramShape = { bins: 40, width: 50 }): string {
  let low = Infinity;
  let high = -Infinity;
  for (const value of pnl) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  // Every path with the same P&L (a portfolio of cash, say): one bin holds them all.
  const binCount = high > low ? bins : 1;
  const binWidth = (high - low) / binCount;
  const binOf = (value: number) => (binWidth > 0 ? Math.min(binCount - 1, Math.max(0, Math.floor((value - low) / binWidth))) : 0);

  const counts = new Array<number>(binCount).fill(0);
  for (const value of pnl) counts[binOf(value)]!++;
  const marks = Array.from({ length: binCount }, () => [] as string[]);
  for (const level of levels) {
    marks[binOf(-level.var)]!.push(`VaR ${confidencePercent(level.confidence)}`);
    marks[binOf(-level.es)]!.push(`ES ${confidencePercent(level.confidence)}`);
  }

  const tallest = Math.max(...counts);
  const edges = counts.map((_, bin) => money.format(low + bin * binWidth));
  const edgeWidth = Math.max(...edges.map((edge) => edge.length));
  const countWidth = count.format(tallest).length;
  const rows = counts.map((paths, bin) => {
    // A bin with any path in it shows at least a sliver, so a thin tail stays visible.
    const drawn = paths === 0 ? '' : bar(Math.max(1 / 8, (paths / tallest) * width));
    const mark = marks[bin]!.length > 0 ? `  ◀ ${marks[bin]!.join(', ')}` : '';
    return `${edges[bin]!.padStart(edgeWidth)} │${drawn.padEnd(width + 1)}${count.format(paths).padStart(countWidth)}${mark}`;
  });
  const scale = `${FULL} = ${count.format(Math.round((tallest / width) * 100) / 100)} paths`;
  return [
    `P&L distribution: ${count.format(pnl.length)} path${pnl.length === 1 ? '' : 's'}, ${binCount} bin${binCount === 1 ? '' : 's'} of ${money.format(binWidth)} (row: lower edge, bar, paths); ${scale}`,
    ...rows,
  ].join('\n');
}
