// The table `wasm-risk conformance` prints: the component, its contract, then one row per method with
// its result and worst deviation, and the notes that explain a failure or an unsupported method. Names
// and notes come from the component, so every line is escaped for the terminal.
import Table from 'cli-table3';
import { terminalText } from '../report/terminal-text.js';
import type { ConformanceReport, Deviation, MethodConformance } from './conformance-report.js';

/** Notes printed per method; --json has them all. */
const NOTES_SHOWN = 3;

const STATUS: Record<MethodConformance['status'], string> = { pass: 'pass', fail: 'FAIL', 'not-supported': 'not supported' };

export function formatConformance(report: ConformanceReport): string {
  const { component, contract } = report;
  const identity = component.name ? `${component.name} ${component.version}` : '(not started)';
  const lines = [
    `component  ${component.path} (${identity})`,
    `sha256     ${component.sha256}`,
    `policy     ${report.policy}`,
    `contract   ${contract.compatible ? `compatible (wasm-risk:risk/engine@${contract.contractVersion})` : 'INCOMPATIBLE'}`,
    ...contract.differences.map((difference) => `  - ${difference}`),
  ];
  if (report.methods.length > 0) {
    const table = new Table({ head: ['Method', 'Result', 'Checks', 'Worst deviation'], style: { head: [], border: [] } });
    for (const method of report.methods) table.push([method.method, STATUS[method.status], String(method.checks), method.worst ? formatDeviation(method.worst) : '']);
    lines.push(...table.toString().split('\n'));
    for (const method of report.methods) {
      lines.push(...method.notes.slice(0, NOTES_SHOWN).map((note) => `${method.method}: ${note}`));
      if (method.notes.length > NOTES_SHOWN) lines.push(`${method.method}: ... and ${method.notes.length - NOTES_SHOWN} more (--json lists them all)`);
    }
  }
  lines.push(`verdict: ${report.verdict.toUpperCase()}`);
  return lines.map(terminalText).join('\n');
}

function formatDeviation(worst: Deviation): string {
  const allowed = worst.ofAllowed === null ? 'none allowed' : `${small(worst.ofAllowed)}x the allowed`;
  return `${worst.measure} off by ${small(worst.relative * 100)}% (${allowed}), ${worst.vector} @${worst.confidence}`;
}

function small(value: number): string {
  return value === 0 || value >= 0.01 ? value.toFixed(2) : value.toExponential(1);
}
