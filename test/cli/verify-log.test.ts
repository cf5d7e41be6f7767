// `wasm-risk verify-log` as a user runs it: events on stdout when intact (exit 0), one line on stderr when
// tampered (exit 1) or when the log cannot be checked (exit 2).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwapAuditLog } from '../../host/versions/swap-audit-log.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-verify-log-'));
const keyPath = join(scratch, 'private', 'audit-log.key');
const log = join(scratch, 'swaps.log');
const truncated = join(scratch, 'truncated.log');
const verifyLog = (path: string, ...flags: string[]) => runCli(['verify-log', path, '--audit-key', keyPath, ...flags]);

const v1 = { version: '1.0.0', sha256: 'ab'.repeat(32), path: 'v1.wasm' };
const v2 = { version: '1.1.0', sha256: 'cd'.repeat(32), path: 'v2.wasm' };

beforeAll(async () => {
  for (const path of [log, truncated]) {
    const audit = new SwapAuditLog(path, { keyPath });
    await audit.append({ event: 'register', actor: 'test-suite', from: null, to: v1 });
    await audit.append({ event: 'swap', actor: 'test-suite', from: null, to: v1 });
    await audit.append({ event: 'register', actor: 'test-suite', from: null, to: v2 });
    await audit.append({ event: 'swap', actor: 'test-suite', from: v1, to: v2 });
  }
  writeFileSync(truncated, readFileSync(truncated, 'utf8').split('\n').slice(0, 3).map((line) => `${line}\n`).join(''));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('wasm-risk verify-log', () => {
  it('prints the events of an intact log, exit 0', () => {
    const run = verifyLog(log);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^audit log .*swaps\.log: 4 event\(s\), MAC chain and anchor intact\n/);
    expect(run.stdout).toMatch(/ swap {9}test-suite {2}1\.0\.0 \(abababababab…\) -> 1\.1\.0 \(cdcdcdcdcdcd…\)\n$/);
    const json = JSON.parse(verifyLog(log, '--json').stdout) as { intact: boolean; events: { event: string }[] };
    expect([json.intact, json.events.map((e) => e.event)]).toEqual([true, ['register', 'swap', 'register', 'swap']]);
  });

  it('names a log whose path holds terminal controls escaped, not raw', async () => {
    const odd = join(scratch, 'odd\u001b[2J\r.log');
    await new SwapAuditLog(odd, { keyPath }).append({ event: 'register', actor: 'test-suite', from: null, to: v1 });
    const run = verifyLog(odd);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^audit log .*odd\\x1b\[2J\\x0d\.log: 1 event\(s\)/);
    expect(run.stdout).not.toMatch(/[\u001b\r]/);
  });

  it('reports a log with its last line removed on one stderr line, exit 1', () => {
    expectOneLineFailure(verifyLog(truncated), 1, /^wasm-risk: ERR_AUDIT_LOG_TAMPERED: the audit log .*truncated\.log is broken at line 4: lines were removed from its end: it has 3, its anchor records 4$/);
  });

  // Made deterministic with a procfs file, which says 0 bytes and holds more, as a log written to while it is
  // read holds more than it did when checked: a writer that keeps appending must not make the reader read on.
  it.skipIf(!existsSync('/proc/self/environ'))('a log that grows while it is read: only the bytes it had when checked are taken, exit 2', () => {
    expectOneLineFailure(verifyLog('/proc/self/environ'), 2, /^wasm-risk: ERR_AUDIT_LOG_UNAVAILABLE: the audit log \/proc\/self\/environ grew while it was read: .* 0 bytes /);
  });

  it('exits 2 when the log is missing or not a regular file, or the key is missing, another, or readable by others', async () => {
    expectOneLineFailure(verifyLog(join(scratch, 'missing.log')), 2, /^wasm-risk: ERR_AUDIT_LOG_UNAVAILABLE: no audit log at /);
    mkdirSync(join(scratch, 'a-directory'));
    expectOneLineFailure(verifyLog(join(scratch, 'a-directory')), 2, /^wasm-risk: ERR_AUDIT_LOG_UNAVAILABLE: .* is not a regular file$/);
    expectOneLineFailure(runCli(['verify-log', log, '--audit-key', join(scratch, 'no.key')]), 2, /^wasm-risk: ERR_AUDIT_KEY: no audit key at /);
    // Another user's key, or the wrong file: the log cannot be checked with it, which is not tampering.
    const otherKey = join(scratch, 'other', 'audit-log.key');
    await new SwapAuditLog(join(scratch, 'other.log'), { keyPath: otherKey }).append({ event: 'register', actor: 'test-suite', from: null, to: v1 });
    expectOneLineFailure(runCli(['verify-log', log, '--audit-key', otherKey]), 2, /^wasm-risk: ERR_AUDIT_KEY: .*swaps\.log was not written under the audit key in .*other: /);
    chmodSync(keyPath, 0o644);
    try {
      expectOneLineFailure(verifyLog(log), 2, /^wasm-risk: ERR_AUDIT_KEY: cannot use the audit key .*audit-log\.key: .* has mode 0644: readable or writable by group or others$/);
    } finally {
      chmodSync(keyPath, 0o600);
    }
  });
});
