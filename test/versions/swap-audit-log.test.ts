// The swap audit log is tamper-evident: every edit, reordering, removal or truncation of any line is
// detected, re-chaining needs the key, appends refuse a broken log, and the key must be private.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditKeyError, AuditLogTamperedError, AuditLogUnavailableError, InvalidInputError } from '../../host/errors.js';
import { SwapAuditLog, verifySwapAuditLog, type SwapEventKind } from '../../host/versions/swap-audit-log.js';

let dir: string;
let log: string;
let keyDir: string;
let keyPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-risk-audit-log-'));
  log = join(dir, 'swaps.log');
  keyDir = join(dir, 'private');
  keyPath = join(keyDir, 'audit-log.key');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const KINDS: SwapEventKind[] = ['register', 'swap', 'register', 'swap', 'rollback', 'refuse'];

async function writeLog(events = KINDS.length, path = log): Promise<string[]> {
  const audit = new SwapAuditLog(path, { keyPath });
  for (const [i, event] of KINDS.slice(0, events).entries()) {
    await audit.append({ event, actor: 'test-suite', from: null, to: { version: `1.${i}.0`, sha256: 'ab'.repeat(32), path: `v${i}.wasm` } });
  }
  return readLines(path);
}

function readLines(path = log): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

function writeLines(lines: string[]): void {
  writeFileSync(log, lines.map((line) => `${line}\n`).join(''));
}

/** What a forger without the key can do: recompute every unkeyed digest, here the SHA-256 `previous` chain. */
function rechain(lines: string[]): string[] {
  let previous: string | null = null;
  return lines.map((line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    const rechained = 'previous' in event ? JSON.stringify({ ...event, previous }) : line;
    previous = createHash('sha256').update(rechained).digest('hex');
    return rechained;
  });
}

function anchorFile(): string {
  const [anchor] = readdirSync(keyDir).filter((name) => name.endsWith('.head'));
  return join(keyDir, anchor!);
}

const verify = () => verifySwapAuditLog(log, { keyPath });

describe('the swap audit log', () => {
  it('verifies an untouched log and returns its events in order, each with its MAC', async () => {
    await writeLog();
    const { events, brokenAt, problem } = await verify();
    expect([brokenAt, problem]).toEqual([null, null]);
    expect(events.map((e) => e.event)).toEqual(KINDS);
    expect(events[0]).toMatchObject({ actor: 'test-suite', from: null, to: { version: '1.0.0' }, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('detects a middle line edited and the unkeyed chain recomputed', async () => {
    const lines = await writeLog();
    lines[2] = lines[2]!.replace('test-suite', 'someone-else');
    writeLines(rechain(lines));
    expect(await verify()).toMatchObject({ brokenAt: 3, problem: expect.stringMatching(/MAC/) });
  });

  it('detects the last line edited', async () => {
    const lines = await writeLog();
    lines[5] = lines[5]!.replace('test-suite', 'someone-else');
    writeLines(lines);
    expect((await verify()).brokenAt).toBe(6);
  });

  it('detects the last line removed', async () => {
    const lines = await writeLog();
    writeLines(lines.slice(0, -1));
    const result = await verify();
    expect(result).toMatchObject({ brokenAt: 6, problem: expect.stringMatching(/removed from its end.*5.*6/) });
    expect(result.events).toHaveLength(5);
  });

  it('detects truncation to half and to zero lines', async () => {
    const lines = await writeLog();
    writeLines(lines.slice(0, 3));
    expect((await verify()).brokenAt).toBe(4);
    writeFileSync(log, '');
    expect((await verify()).brokenAt).toBe(1);
  });

  it('detects two lines swapped and re-chained', async () => {
    const lines = await writeLog();
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeLines(rechain(lines));
    expect((await verify()).brokenAt).toBe(2);
  });

  it('detects a deleted log, and a deleted anchor', async () => {
    const lines = await writeLog();
    unlinkSync(log);
    expect(await verify()).toMatchObject({ brokenAt: 1, problem: expect.stringMatching(/log is missing/) });
    writeLines(lines);
    unlinkSync(anchorFile());
    expect(await verify()).toMatchObject({ brokenAt: 7, problem: expect.stringMatching(/no anchor/) });
  });

  it('tells a log checked under another key (ERR_AUDIT_KEY, exit 2) from a tampered one, and appends nothing to it', async () => {
    const lines = await writeLog();
    const ownKey = keyPath;
    keyPath = join(dir, 'other', 'audit-log.key');
    await writeLog(1, join(dir, 'other.log'));
    await expect(verify()).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY', exitCode: 2, message: expect.stringMatching(/swaps\.log was not written under the audit key in .*other: no anchor for it there/) });
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toThrow(AuditKeyError);
    expect(readLines()).toEqual(lines);
    // Under its own key, whose folder holds its anchor, the same edit of line 1 is tampering.
    keyPath = ownKey;
    writeLines([lines[0]!.replace('1.0.0', '9.0.0'), ...lines.slice(1)]);
    expect((await verify()).brokenAt).toBe(1);
  });

  it('tells a file that is no audit log (ERR_AUDIT_LOG_UNAVAILABLE, exit 2) from a tampered log, and appends nothing to it', async () => {
    await writeLog(1, join(dir, 'other.log'));
    writeFileSync(log, '# Release notes\nnot a log line\n');
    await expect(verify()).rejects.toMatchObject({ code: 'ERR_AUDIT_LOG_UNAVAILABLE', exitCode: 2, message: expect.stringMatching(/swaps\.log is not a wasm-risk audit log: its first line carries no MAC/) });
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toThrow(AuditLogUnavailableError);
    expect(readFileSync(log, 'utf8')).toBe('# Release notes\nnot a log line\n');
    // A log anchored here whose first line lost its MAC is tampering, as before.
    unlinkSync(log);
    const lines = await writeLog();
    writeLines([lines[0]!.replace(/,"mac":"[0-9a-f]+"}$/, '}'), ...lines.slice(1)]);
    expect(await verify()).toMatchObject({ brokenAt: 1, problem: 'the line carries no MAC' });
  });

  it('refuses its own key as the log, under any name (ERR_AUDIT_LOG_UNAVAILABLE, exit 2; it was a tampering alarm, exit 1)', async () => {
    await writeLog(1);
    symlinkSync(keyPath, join(dir, 'key-link.log'));
    for (const path of [keyPath, join(keyDir, '..', 'private', 'audit-log.key'), join(dir, 'key-link.log')]) {
      const refusal = { code: 'ERR_AUDIT_LOG_UNAVAILABLE', exitCode: 2, message: `the audit log ${path} is its own key ${keyPath}` };
      await expect(verifySwapAuditLog(path, { keyPath })).rejects.toMatchObject(refusal);
      await expect(new SwapAuditLog(path, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toMatchObject(refusal);
    }
    expect(readFileSync(keyPath)).toHaveLength(32);
  });

  it('takes a log one line ahead of its anchor (a crash between the two writes) as a completed append', async () => {
    await writeLog(5);
    const anchorBefore = readFileSync(anchorFile());
    await new SwapAuditLog(log, { keyPath }).append({ event: 'refuse', actor: 'test-suite', from: null, to: null, reason: 'x' });
    writeFileSync(anchorFile(), anchorBefore);
    expect((await verify()).brokenAt).toBeNull();
    await new SwapAuditLog(log, { keyPath }).append({ event: 'refuse', actor: 'test-suite', from: null, to: null, reason: 'y' });
    writeLines(readLines().slice(0, -1));
    expect((await verify()).brokenAt).toBe(7);
  });

  it('refuses to append to a broken log, and appends nothing', async () => {
    const lines = await writeLog();
    writeLines(lines.slice(0, -1));
    const before = readFileSync(log);
    const error = await new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditLogTamperedError);
    expect(error).toMatchObject({ code: 'ERR_AUDIT_LOG_TAMPERED', exitCode: 1, brokenAt: 6 });
    expect(readFileSync(log)).toEqual(before);
  });

  it('serialises appends from two writers on one log (the lock beside its anchor)', async () => {
    const writers = [new SwapAuditLog(log, { keyPath }), new SwapAuditLog(log, { keyPath })];
    await Promise.all(Array.from({ length: 12 }, (_, i) => writers[i % 2]!.append({ event: 'refuse', actor: `writer-${i % 2}`, from: null, to: null, reason: `${i}` })));
    const { events, brokenAt } = await verify();
    expect(brokenAt).toBeNull();
    expect(events.map((e) => Number(e.reason)).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('appends nothing when another process appended while this one verified (its lock gone stale), and the log stays whole', async () => {
    // Verifying a log near its cap takes longer (18 s measured) than proper-lockfile lets a lock go un-refreshed
    // (10 s): a second process took the lock as stale and both appended at the same position, breaking the log
    // for good. Here the other process's append (a line, then its anchor) lands between verifying and writing.
    await writeLog(2);
    const ourHead = readFileSync(anchorFile());
    await new SwapAuditLog(log, { keyPath }).append({ event: 'register', actor: 'other-process', from: null, to: null });
    const theirLine = readLines()[2]!;
    const theirAnchor = readFileSync(anchorFile());
    writeLines(readLines().slice(0, 2));
    writeFileSync(anchorFile(), ourHead);
    const stamp = Date.prototype.toISOString;
    vi.spyOn(Date.prototype, 'toISOString').mockImplementationOnce(function (this: Date) {
      appendFileSync(log, `${theirLine}\n`);
      writeFileSync(anchorFile(), theirAnchor);
      return stamp.call(this);
    });
    const error = await new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'test-suite', from: null, to: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditLogUnavailableError);
    expect((error as Error).message).toMatch(/another writer appended .* nothing was appended/);
    const { events, brokenAt } = await verify();
    expect(brokenAt).toBeNull();
    expect(events).toHaveLength(3);
  });

  it('refuses a missing log and anything but a regular file', async () => {
    await writeLog(1, join(dir, 'other.log'));
    await expect(verify()).rejects.toThrow(AuditLogUnavailableError);
    mkdirSync(log);
    await expect(verify()).rejects.toThrow(/not a regular file/);
  });
});

describe('an actor name', () => {
  it('is refused unless a short name a terminal prints as it is; the log stays whole', async () => {
    await writeLog(1);
    const audit = new SwapAuditLog(log, { keyPath });
    for (const actor of [42, '', 'b'.repeat(129), 'alice\nbob', 'a\u001b[2J', 'alice\u202eboB', 'alice\u2028bob']) {
      await expect(audit.append({ event: 'swap', actor: actor as string, from: null, to: null })).rejects.toThrow(InvalidInputError);
    }
    expect(readLines()).toHaveLength(1);
    expect(await verify()).toMatchObject({ brokenAt: null });
    await audit.append({ event: 'swap', actor: 'b'.repeat(128), from: null, to: null });
    expect(readLines()).toHaveLength(2);
  });
});

describe("the log's anchor", () => {
  it('is read within its bound: an anchor of 300 MiB is refused by its size, not read whole', async () => {
    await writeLog(1);
    truncateSync(anchorFile(), 300 * 2 ** 20);
    await expect(verify()).rejects.toThrow(new AuditLogUnavailableError(`the anchor ${anchorFile()} holds ${300 * 2 ** 20} bytes, over the 32768 it may hold`));
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'test-suite', from: null, to: null })).rejects.toThrow(/over the 32768 it may hold/);
  });

  it('is refused when it is a FIFO or a symbolic link, instead of waiting for a writer or following it', async () => {
    await writeLog(1);
    const anchor = anchorFile();
    const text = readFileSync(anchor);
    unlinkSync(anchor);
    execFileSync('mkfifo', [anchor]);
    // Were the anchor opened blocking, this writer would free the test after 5 s (and it would fail).
    const unblock = spawn(process.execPath, ['-e', 'setTimeout(() => require("fs").closeSync(require("fs").openSync(process.argv[1], "w")), 5000)', anchor], { stdio: 'ignore' });
    try {
      await expect(verify()).rejects.toThrow(new AuditLogUnavailableError(`the anchor ${anchor} is not a regular file`));
    } finally {
      unblock.kill();
    }
    unlinkSync(anchor);
    writeFileSync(join(dir, 'elsewhere.head'), text);
    symlinkSync(join(dir, 'elsewhere.head'), anchor);
    await expect(verify()).rejects.toThrow(/^cannot read the anchor .*: ELOOP/);
  });
});

describe('the audit key', () => {
  it('is created on first use: 32 random bytes, mode 0600, in a 0700 directory', async () => {
    await writeLog(1);
    expect(readFileSync(keyPath)).toHaveLength(32);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(keyDir).mode & 0o777).toBe(0o700);
  });

  it('is refused when group or others may read it (0644)', async () => {
    await writeLog(2);
    chmodSync(keyPath, 0o644);
    await expect(verify()).rejects.toThrow(AuditKeyError);
    await expect(verify()).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY', exitCode: 2, message: expect.stringMatching(/mode 0644/) });
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toThrow(AuditKeyError);
    expect(readLines()).toHaveLength(2);
  });

  it('is refused in a directory others may write to', async () => {
    await writeLog(1);
    chmodSync(keyDir, 0o777);
    await expect(verify()).rejects.toThrow(/mode 0777: writable by group or others/);
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toThrow(AuditKeyError);
  });

  it('must exist to verify, and is not created for a log that already has lines', async () => {
    await writeLog(2);
    rmSync(keyDir, { recursive: true });
    await expect(verify()).rejects.toThrow(AuditKeyError);
    await expect(new SwapAuditLog(log, { keyPath }).append({ event: 'swap', actor: 'x', from: null, to: null })).rejects.toThrow(/already has lines/);
    writeFileSync(join(dir, 'bad.key'), 'not a key\n', { mode: 0o600 });
    await expect(verifySwapAuditLog(log, { keyPath: join(dir, 'bad.key') })).rejects.toThrow(/holds 10 bytes, not a 32-byte key/);
  });
});
