// `wasm-risk compare` and `wasm-risk swap` as a user runs them.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const ENGINE = 'build/components/risk-engine.wasm';
const V1_3 = 'build/components/versions/risk-engine-1.3.0.wasm';
const V2 = 'build/components/versions/risk-engine-2.0.0.wasm';
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-compare-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const auditKey = join(scratch, 'key', 'audit-log.key');

describe('wasm-risk compare', () => {
  it('reports identical results for a component compared with itself', () => {
    const run = runCli(['compare', ENGINE, ENGINE, 'examples/portfolio.json', '--paths', '5000', '--json']);
    expect(run.status).toBe(0);
    const comparison = JSON.parse(run.stdout) as { verdict: string; methods: { method: string; levels: { varDifference: number; esDifference: number }[] }[] };
    expect(comparison.verdict).toBe('identical');
    expect(comparison.methods.map((m) => m.method)).toEqual(['monte-carlo', 'parametric', 'historical']);
    for (const { levels } of comparison.methods) for (const level of levels) expect([level.varDifference, level.esDifference]).toEqual([0, 0]);
  });

  it('prints a table and the verdict for two compatible versions', () => {
    const run = runCli(['compare', ENGINE, V1_3, 'examples/portfolio.json', '--paths', '5000']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/B: .*risk-engine-1\.3\.0\.wasm\s+risk-engine 1\.3\.0\s+contract 1\.3\.0 .* compatible/);
    expect(run.stdout).toMatch(/Verdict: identical/);
  });

  it('reports an incompatible major version with what differs, exit 1', () => {
    const policy = join(scratch, 'any-major.json');
    writeFileSync(policy, JSON.stringify({ version: 1, name: 'any major', rules: [{ interface: 'wasm-risk:risk/types', verdict: 'allow', reason: 'test' }] }));
    const run = runCli(['compare', ENGINE, V2, 'examples/portfolio.json', '--policy', policy]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/INCOMPATIBLE: contract version 2\.0\.0: this host speaks wasm-risk:risk 1\.x; monteCarlo differs/);
    expect(run.stdout).toMatch(/Verdict: incompatible/);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_INCOMPATIBLE_COMPONENT: .*risk-engine-2\.0\.0\.wasm: contract version 2\.0\.0/);
  });

  it('stops a component that never answers at --timeout-ms, exit 4', () => {
    // compare had no --timeout-ms: a plugin that loops held it for the default 120 s.
    expectOneLineFailure(runCli(['compare', ENGINE, 'build/fixtures/infinite-loop.wasm', 'examples/portfolio.json', '--timeout-ms', '500']), 4, /^wasm-risk: ERR_TIMEOUT: call exceeded its 500 ms deadline/);
  });

  it('refuses 2.0.0 at the audit under the default policy', () => {
    const run = runCli(['compare', ENGINE, V2, 'examples/portfolio.json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ERR_POLICY_DENIED: .*wasm-risk:risk\/types@2\.0\.0/);
  });
});

describe('wasm-risk swap', () => {
  it('swaps and rolls back under load without a failed request, and logs both events', () => {
    const log = join(scratch, 'swaps.log');
    const run = runCli(['swap', ENGINE, V1_3, '--requests', '90', '--paths', '1000', '--audit-log', log, '--audit-key', auditKey, '--json']);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as { requests: number; failed: number; servedBy: Record<string, number>; auditLog: { chainIntact: boolean; events: { event: string }[] } };
    expect(summary.failed).toBe(0);
    expect(summary.servedBy['1.2.0']! + summary.servedBy['1.3.0']!).toBe(90);
    expect(summary.servedBy['1.3.0']).toBeGreaterThan(0);
    expect(summary.auditLog.chainIntact).toBe(true);
    expect(summary.auditLog.events.map((e) => e.event).slice(-2)).toEqual(['swap', 'rollback']);
  });

  it('refuses --paths no request could run, before anything is registered, exit 2', () => {
    const log = join(scratch, 'bad-paths.log');
    for (const paths of ['0', '50000001']) {
      expectOneLineFailure(runCli(['swap', ENGINE, V1_3, '--paths', paths, '--audit-log', log, '--audit-key', auditKey]), 2, /^wasm-risk: ERR_INVALID_INPUT: --paths: must be at (least 1|most 50000000)$/);
    }
    expect(existsSync(log)).toBe(false);
  });

  it('refuses a --concurrency out of [1, 64] before anything is registered, exit 2', () => {
    // One client loop per unit of --concurrency: 2^53 - 1 of them was a RangeError, exit 70.
    const log = join(scratch, 'bad-concurrency.log');
    for (const concurrency of ['0', '65', '9007199254740991']) {
      expectOneLineFailure(runCli(['swap', ENGINE, V1_3, '--concurrency', concurrency, '--audit-log', log, '--audit-key', auditKey]), 2, /^wasm-risk: ERR_INVALID_INPUT: --concurrency: must be in \[1, 64\]$/);
    }
    expect(existsSync(log)).toBe(false);
  });

  it('refuses --requests out of [3, 1000000] before anything is registered, exit 2', () => {
    // `--requests 1e15` was a demonstration that never ended.
    const log = join(scratch, 'bad-requests.log');
    for (const [requests, message] of [
      ['2', 'must be at least 3 (before, during and after the swap)'],
      ['1000001', 'must be at most 1000000'],
      ['9007199254740991', 'must be at most 1000000'],
    ]) {
      expectOneLineFailure(runCli(['swap', ENGINE, V1_3, '--requests', requests!, '--audit-log', log, '--audit-key', auditKey]), 2, new RegExp(`^wasm-risk: ERR_INVALID_INPUT: --requests: ${message!.replace(/[()]/g, '\\$&')}$`));
    }
    expect(existsSync(log)).toBe(false);
  });

  it('names an audit log whose path holds terminal controls escaped in its summary', () => {
    const log = join(scratch, 'swaps\u001b[2J.log');
    const run = runCli(['swap', ENGINE, V1_3, '--requests', '3', '--paths', '1000', '--audit-log', log, '--audit-key', auditKey]);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('swaps\\x1b[2J.log (MAC chain and anchor intact)');
    expect(run.stdout).not.toContain('\u001b');
  });

  it('refuses a candidate that fails the golden vectors, exit 1', () => {
    const run = runCli(['swap', ENGINE, 'build/fixtures/wrong-model.wasm', '--audit-log', join(scratch, 'refused.log'), '--audit-key', auditKey]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_GOLDEN_VECTORS_FAILED: .*wrong-model\.wasm failed \d+ golden vector check/);
  });
});
