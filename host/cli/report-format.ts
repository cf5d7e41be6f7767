// Human-readable rendering of a risk result: a header, a VaR/ES table, and the P&L moments. The
// component's name and version are its own words, so they are escaped for the terminal.
import Table from 'cli-table3';
import type { RiskResult } from '../risk-engine.js';
import { terminalText } from '../report/terminal-text.js';

const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** An amount to the cent; one that rounds to zero (a flat book's loss of -0, a -0.001) is 0.00, not -0.00. */
export const money = { format: (value: number): string => twoDecimals.format(value).replace(/^-(0\.00)$/, '$1') };
const count = new Intl.NumberFormat('en-US');

/** A confidence level as a percentage with no trailing zeros: 0.95 is "95%", 0.995 is "99.5%", 0.99999 is
 *  "99.999%" (two decimals printed it "100%"). Twelve digits drop the product's rounding (0.95 * 100 is
 *  95.00000000000001), not the level's own. */
export function confidencePercent(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(12))}%`;
}

export function formatRiskResult(result: RiskResult): string {
  const scenarios =
    result.method === 'parametric' ? 'closed form' : `${count.format(result.paths ?? 0)} ${result.method === 'historical' ? 'scenarios' : 'paths'}`;
  const seed = result.seed === null ? '' : `, seed ${result.seed}`;
  const table = new Table({ head: ['Confidence', 'VaR', 'ES', 'Std error (VaR)'], colAligns: ['right', 'right', 'right', 'right'], style: { head: [], border: [] } });
  for (const level of result.levels) {
    // The closed form has no sampling error: "n/a", not a 0.00 that would read as a measured one.
    const stdError = result.method === 'parametric' ? 'n/a' : money.format(level.stdError);
    table.push([confidencePercent(level.confidence), money.format(level.var), money.format(level.es), stdError]);
  }
  const { name, version, sha256 } = result.component;
  return [
    `${result.method} VaR/ES over ${result.horizonDays} trading day${result.horizonDays === 1 ? '' : 's'} (${scenarios}${seed})`,
    table.toString(),
    `Mean P&L ${money.format(result.meanPnl)}   Std P&L ${money.format(result.stdPnl)}   (losses are positive)`,
    `Component ${terminalText(name)} ${terminalText(version)}  sha256 ${sha256.slice(0, 16)}…   ${result.elapsedMs.toFixed(1)} ms`,
  ].join('\n');
}
