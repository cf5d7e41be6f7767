// `wasm-risk conformance`: the project's engine passes every method; a wrong model fails with its worst
// deviation and exit 1, and a Monte Carlo that is not the same whatever the split fails; a plugin that implements parametric only passes, the rest shown as not supported;
// a component that does not implement the contract is refused; --json is one object.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../../host/cli/conformance-report.js';
import { ENGINE, engineVersion, fixture } from '../support/fixtures.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

function conformance(component: string, ...flags: string[]): { status: number | null; report: ConformanceReport; stderr: string } {
  const run = runCli(['conformance', component, '--json', ...flags], { timeoutMs: 120_000 });
  return { status: run.status, report: JSON.parse(run.stdout) as ConformanceReport, stderr: run.stderr };
}

const statuses = (report: ConformanceReport) => Object.fromEntries(report.methods.map((m) => [m.method, m.status]));

/** A component built against a contract before 1.2 has none of the factor-portfolio functions. */
const NO_FACTOR_FUNCTIONS = {
  'monte-carlo-factors': 'not-supported',
  'parametric-factors': 'not-supported',
  'simulate-pnl-factors': 'not-supported',
  'sorted-losses-factors': 'not-supported',
};

describe('wasm-risk conformance', () => {
  it("passes the project's engine on every method, within a small part of each tolerance", () => {
    const { status, report } = conformance(ENGINE);
    expect(status).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.contract).toEqual({ compatible: true, contractVersion: '1.2.0', differences: [] });
    expect(statuses(report)).toEqual({
      'monte-carlo': 'pass',
      historical: 'pass',
      parametric: 'pass',
      'simulate-pnl': 'pass',
      'sorted-losses': 'pass',
      // The factor-portfolio functions of contract 1.2, checked on the factor books' vectors.
      'monte-carlo-factors': 'pass',
      'parametric-factors': 'pass',
      'simulate-pnl-factors': 'pass',
      'sorted-losses-factors': 'pass',
    });
    for (const method of report.methods.filter((m) => m.worst)) expect(method.worst!.ofAllowed).toBeLessThan(1);
  });

  it('fails a wrong model with exit 1, naming the methods and the worst deviation', () => {
    const { status, report, stderr } = conformance(fixture('wrong-model'));
    expect(status).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(statuses(report)).toEqual({ 'monte-carlo': 'fail', historical: 'fail', parametric: 'fail', 'simulate-pnl': 'fail', 'sorted-losses': 'not-supported', ...NO_FACTOR_FUNCTIONS });
    const parametric = report.methods.find((m) => m.method === 'parametric')!;
    expect(parametric.worst).toMatchObject({ vector: 'parametric correlated book', measure: 'VaR' });
    expect(parametric.worst!.relative).toBeGreaterThan(1);
    expect(parametric.notes).toContain('correlation that is not positive semi-definite: answered, expected error ERR_NOT_POSITIVE_SEMIDEFINITE');
    expect(stderr.trimEnd()).toMatch(/^wasm-risk: ERR_GOLDEN_VECTORS_FAILED: .*wrong-model\.wasm fails the golden vectors of monte-carlo, historical, parametric, simulate-pnl$/);
  });

  it('passes a plugin that implements parametric only, the other methods not supported', () => {
    const { status, report } = conformance(fixture('parametric-only'));
    expect(status).toBe(0);
    expect(statuses(report)).toEqual({
      'monte-carlo': 'not-supported',
      historical: 'not-supported',
      parametric: 'pass',
      'simulate-pnl': 'not-supported',
      'sorted-losses': 'not-supported',
      ...NO_FACTOR_FUNCTIONS,
    });
    expect(report.methods.find((m) => m.method === 'historical')!.notes).toEqual(['historical is not supported by this plugin']);
    expect(report.methods.find((m) => m.method === 'parametric-factors')!.notes).toEqual(['contract 1.0.0 has no factor functions (added in 1.2.0)']);
  });

  it('fails a Monte Carlo whose numbers change when the run is split: within tolerance whole, but paths repeat per chunk', () => {
    const { status, report } = conformance(fixture('ignores-path-index'));
    expect(status).toBe(1);
    expect(statuses(report)).toMatchObject({ 'monte-carlo': 'fail', historical: 'pass', parametric: 'pass', 'simulate-pnl': 'pass' });
    const monteCarlo = report.methods.find((m) => m.method === 'monte-carlo')!;
    expect(monteCarlo.notes).toHaveLength(4);
    for (const note of monteCarlo.notes) expect(note).toMatch(/: split into 7 chunks, VaR [\d.]+ instead of [\d.]+: path p must draw the same shocks for the seed, whatever its chunk$/);
  });

  it('fails a plugin that never returns within the --timeout-ms of its calls, not after minutes', () => {
    const started = Date.now();
    const { status, report, stderr } = conformance(fixture('infinite-loop'), '--timeout-ms', '1000');
    expect(status).toBe(1);
    expect(stderr).toMatch(/^wasm-risk: ERR_GOLDEN_VECTORS_FAILED: /);
    expect(statuses(report)).toMatchObject({ 'monte-carlo': 'fail', historical: 'fail', parametric: 'fail', 'simulate-pnl': 'fail' });
    expect(report.methods.find((m) => m.method === 'parametric')!.notes.join(' ')).toMatch(/ERR_TIMEOUT/);
    // Five rounds of calls of one second each, and the workers they stopped replaced: not 5 x 120 s.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('prints a table with one row per method and the verdict', () => {
    const run = runCli(['conformance', fixture('parametric-only')], { timeoutMs: 120_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/│ parametric +│ pass +│ 2 +│ ES off by [\d.e+-]+% \([\d.e+-]+x the allowed\), parametric correlated book @0\.9[59] +│/);
    expect(run.stdout).toMatch(/│ historical +│ not supported +│ 1 +│/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('verdict: PASS');
  });

  it('refuses a component of another major contract version, saying what differs, with exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-'));
    try {
      const policy = join(dir, 'any-major.json');
      writeFileSync(policy, JSON.stringify({ version: 1, name: 'any major', rules: [{ interface: 'wasm-risk:risk/types', verdict: 'allow', reason: 'every major version, to test the contract check' }] }));
      const { status, report, stderr } = conformance(engineVersion('2.0.0'), '--policy', policy);
      expect(status).toBe(1);
      expect(report).toMatchObject({ verdict: 'fail', methods: [], contract: { compatible: false, contractVersion: '2.0.0' } });
      expect(stderr).toMatch(/^wasm-risk: ERR_INCOMPATIBLE_COMPONENT: .*risk-engine-2\.0\.0\.wasm does not implement the contract: .*this host speaks wasm-risk:risk 1\.x/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a component the policy denies before running anything, and takes --policy by profile name', () => {
    expectOneLineFailure(runCli(['conformance', fixture('env-reader')]), 1, /^wasm-risk: ERR_POLICY_DENIED: /);
    const { status, report } = conformance(ENGINE, '--policy', 'js');
    expect(status).toBe(0);
    expect(report.policy).toBe('js');
  });
});
