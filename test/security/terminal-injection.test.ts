// Nothing a component says reaches the terminal raw: its error messages, info() name and version,
// stdout/stderr (the debug log) and the names in its binary are escaped (`\x1b`, `\u202e`) before they
// are printed or logged, so it cannot clear the screen, recolour it, overwrite a line or reorder it.
// The control-chars fixture laces everything it says with ESC sequences, CR, BEL and a bidi override.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../host/audit/admission.js';
import { formatAuditReport } from '../../host/cli/audit-report-format.js';
import { formatRiskResult } from '../../host/cli/report-format.js';
import type { ComponentStream } from '../../host/run/captured-output.js';
import type { RiskResult } from '../../host/risk-engine.js';
import { sandboxedWasi } from '../../host/run/sandbox.js';
import { terminalJson, terminalText } from '../../host/report/terminal-text.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const FIXTURE = fixture('control-chars');
const EXAMPLE = EXAMPLE_PORTFOLIO;
/** What the fixture says, as the host must print it. */
const ESCAPED = '\\x1b[2J\\x1b[H\\x1b[31mFORGED\\x0d\\x07\\u202edesrever';
/** Any character a terminal acts on or reorders, the newline aside. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;
const HOSTILE = '\x1b[2J\x1b[H\x1b[31mFORGED\r\x07\u202edesrever';
const noRaw = (text: string) => expect(text).not.toMatch(RAW_CONTROL);

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-terminal-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** The default policy plus the component's own stderr, which the fixture needs to say anything there. */
const policyFile = join(scratch, 'stderr-allowed.json');
writeFileSync(
  policyFile,
  JSON.stringify({
    version: 1,
    name: 'stderr allowed',
    rules: [
      { interface: 'wasm-risk:risk/types', verdict: 'allow', reason: 'the risk world' },
      { interface: 'wasi:cli/stderr', verdict: 'allow', reason: 'test: the component may write to its stderr' },
      { interface: 'wasi:io/*', verdict: 'allow', reason: 'the stream behind stderr' },
    ],
  }),
);

describe('terminalText', () => {
  it.each([
    ['C0 controls: ESC, CR, BEL, tab, newline, NUL', '\x1b\r\x07\t\n\x00', '\\x1b\\x0d\\x07\\x09\\x0a\\x00'],
    ['DEL and the C1 controls (CSI is U+009B)', '\x7f\x80\x9b\x9f', '\\x7f\\x80\\x9b\\x9f'],
    ['the bidi controls', '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069', '\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069'],
    ['the line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
  ])('escapes %s visibly', (_, raw, escaped) => {
    expect(terminalText(`a${raw}b`)).toBe(`a${escaped}b`);
  });

  it('leaves printable text alone, non-ASCII included, and escaping twice changes nothing', () => {
    const printable = 'wasm-risk 1.0.0: Zürich ¥ € 日本 🙂 \\x1b';
    expect(terminalText(printable)).toBe(printable);
    expect(terminalText(terminalText(HOSTILE))).toBe(ESCAPED);
  });
});

describe('terminalJson', () => {
  it('writes what JSON.stringify leaves raw (DEL, C1, bidi, separators) as \\u escapes, and parses back to the same text', () => {
    const value = { name: `${HOSTILE}\u007f\u0085\u009b31m\u2028\u2066`, nested: [{ version: '\u200f1.0' }] };
    const line = terminalJson(value);
    noRaw(line);
    expect(line).toContain('\\u202e');
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe("a component's stdout and stderr in the debug log", () => {
  it('reach the logger one line at a time, escaped', () => {
    const log: [ComponentStream, string][] = [];
    const wasi = sandboxedWasi({ grantedInterfaces: ['wasi:cli/stderr'] }, (stream, line) => log.push([stream, line])).imports as Record<
      string,
      { getStderr(): { blockingWriteAndFlush(bytes: Uint8Array): void } }
    >;
    wasi['wasi:cli/stderr']!.getStderr().blockingWriteAndFlush(new TextEncoder().encode(`first${HOSTILE}\nWASM-RISK 1: forged\n`));
    expect(log).toEqual([
      ['stderr', `first${ESCAPED}`],
      ['stderr', 'WASM-RISK 1: forged'],
    ]);
  });
});

describe('the CLI formatters', () => {
  it('escape the component name and version in a risk report', () => {
    const result = {
      method: 'parametric',
      paths: null,
      horizonDays: 1,
      seed: null,
      levels: [{ confidence: 0.99, var: 1, es: 2, stdError: 0 }],
      meanPnl: 0,
      stdPnl: 1,
      component: { name: `engine${HOSTILE}`, version: `1.0.0${HOSTILE}`, sha256: '0'.repeat(64) },
      elapsedMs: 1,
    } as unknown as RiskResult;
    const text = formatRiskResult(result);
    noRaw(text);
    expect(text).toContain(`Component engine${ESCAPED} 1.0.0${ESCAPED}`);
  });

  it('escape every name read from a component binary in an audit report', () => {
    const name = `evil:pkg/iface${HOSTILE}@1.0.0`;
    const report = {
      path: `c${HOSTILE}.wasm`,
      sha256: '0'.repeat(64),
      size: 1,
      world: { packages: [{ name: `evil:pkg${HOSTILE}`, version: `1${HOSTILE}` }], wit: `world w${HOSTILE} {}` },
      imports: [{ name, interface: 'evil:pkg/iface', version: '1.0.0', sort: 'instance', functions: [`f${HOSTILE}`], verdict: 'deny', rule: null, reason: `no rule ${HOSTILE}` }],
      exports: [{ name: `e${HOSTILE}`, interface: null, version: null, sort: 'func', functions: [] }],
      producers: { [`language${HOSTILE}`]: [`Rust${HOSTILE}`] },
      metadata: { name: `engine${HOSTILE}`, version: `1${HOSTILE}`, license: `MIT${HOSTILE}` },
      policy: `policy${HOSTILE}`,
      provenance: { lock: { status: 'not-checked' }, signature: { status: 'not-checked' } },
      verdict: 'deny',
      reasons: [`denied ${name}`],
    } as unknown as AuditReport;
    const text = formatAuditReport(report);
    noRaw(text);
    expect(text).toContain(`DENY   evil:pkg/iface${ESCAPED}@1.0.0: f${ESCAPED}`);
    expect(text).toContain(`producers  language${ESCAPED}: Rust${ESCAPED}`);
    expect(text).toContain(`package    engine${ESCAPED} 1${ESCAPED}`);
    expect(text).toContain(`license    MIT${ESCAPED}`);
  });
});

describe('the control-chars fixture through the CLI', () => {
  const var_ = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['var', EXAMPLE, '--component', FIXTURE, '--policy', policyFile, '--workers', '1', ...args], { env });

  it('prints its name and version escaped, and its stderr escaped in the debug log', () => {
    const run = var_(['--method', 'parametric'], { NODE_DEBUG: 'wasm-risk' });
    expect(run.status).toBe(0);
    noRaw(run.stdout);
    noRaw(run.stderr);
    expect(run.stdout).toContain(`Component control-chars${ESCAPED} 1.0.0\\x1b]0;pwned\\x07${ESCAPED}`);
    expect(run.stderr).toMatch(new RegExp(`^WASM-RISK \\d+: component stderr: control-chars stderr ${ESCAPED.replace(/[\\[\]]/g, '\\$&')}$`, 'm'));
  });

  it('prints its error message escaped, on one line', () => {
    const run = var_(['--paths', '1000']);
    expectOneLineFailure(run, 2, new RegExp(`^wasm-risk: ERR_INVALID_INPUT: control-chars${ESCAPED.replace(/[\\[\]]/g, '\\$&')}: error `));
    noRaw(run.stderr);
  });

  it('stays escaped with the debug log on', () => {
    const run = var_(['--method', 'historical'], { NODE_DEBUG: 'wasm-risk' });
    expect(run.status).toBe(2);
    noRaw(run.stdout);
    noRaw(run.stderr);
    expect(run.stderr).toContain(ESCAPED);
  });
});

describe('the CLI error line, as the last line of defence', () => {
  it('escapes control characters in a message built from the arguments', () => {
    const run = runCli(['var', join(scratch, `missing${HOSTILE}.json`)]);
    expectOneLineFailure(run, 2, /^wasm-risk: ERR_/);
    noRaw(run.stderr);
    expect(run.stderr).toContain(`missing${ESCAPED}.json`);
  });

  it('escapes them in a message of the argument parser', () => {
    const run = runCli(['var', EXAMPLE, `--bogus${HOSTILE}`]);
    expectOneLineFailure(run, 2, /^wasm-risk: ERR_USAGE: unknown option/);
    noRaw(run.stderr);
    expect(run.stderr).toContain(`--bogus${ESCAPED}`);
  });
});
