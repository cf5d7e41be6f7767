// `wasm-risk serve --admin-token-file` as a process: the admin API behind its token, the first version
// registered in the audit log given by --audit-log/--audit-key, and the flags' one-line refusals.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { verifySwapAuditLog } from '../../host/versions/swap-audit-log.js';

const MAIN = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');
const TOKEN = 'a-token-of-at-least-32-characters-for-ci';
const REVOKED = 'another-token-of-32-characters-to-revoke';

let child: ChildProcess | undefined;
const scratch: string[] = [];
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function files(mode = 0o600) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-admin-cli-'));
  scratch.push(dir);
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, `ci:${TOKEN}\n`, { mode });
  return { dir, tokens, auditLog: join(dir, 'swaps.log'), auditKey: join(dir, 'key', 'audit-log.key') };
}

/** `wasm-risk serve` with the admin API on `files()`, once it listens: its URL and its exit code to come. */
async function serve({ dir, tokens, auditLog, auditKey }: ReturnType<typeof files>, host = '127.0.0.1') {
  const serving = spawn(process.execPath, [MAIN, 'serve', '--host', host, '--port', '0', '--workers', '1', '--admin-token-file', tokens, '--components-dir', dir, '--audit-log', auditLog, '--audit-key', auditKey], { cwd: PROJECT_ROOT });
  child = serving;
  const exited = once(serving, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    serving.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /^listening on http:\/\/\S+:(\d+)$/m.exec(stderr);
      if (match) resolve(`http://127.0.0.1:${match[1]!}`);
    });
    void exited.then(() => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  return { serving, url, exited, stderr: () => stderr };
}

describe('wasm-risk serve --admin-token-file', () => {
  it('serves the admin API behind the token and logs the first version to --audit-log', async () => {
    const paths = files();
    const { serving, url, exited } = await serve(paths);
    expect((await fetch(`${url}/admin/versions`)).status).toBe(401);
    const listed = await fetch(`${url}/admin/versions`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ serving: '1.2.0' });
    serving.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = await verifySwapAuditLog(paths.auditLog, { keyPath: paths.auditKey });
    expect(log.events.map((event) => [event.event, event.to?.version])).toEqual([['register', '1.2.0'], ['swap', '1.2.0']]);
  });

  it('warns that the tokens cross the network in clear text when bound beyond loopback without TLS, and only then', async () => {
    for (const [host, warned] of [['0.0.0.0', true], ['127.0.0.1', false]] as const) {
      const { serving, url, exited, stderr } = await serve(files(), host);
      expect((await fetch(`${url}/admin/versions`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      serving.kill('SIGTERM');
      expect(await exited).toBe(0);
      const warning = /^wasm-risk: warning: WASM_RISK_ADMIN_IN_CLEAR: the admin API is open on 0\.0\.0\.0 over plain HTTP: .*--tls-cert/m;
      if (warned) expect(stderr()).toMatch(warning);
      else expect(stderr()).not.toMatch(/WASM_RISK_ADMIN_IN_CLEAR/);
    }
  });

  it('a token taken out of the token file is refused from the next request on; a file gone or broken lets nobody in', async () => {
    const started = files();
    writeFileSync(started.tokens, `ci:${TOKEN}\nrevoked:${REVOKED}\n`, { mode: 0o600 });
    const { serving, url, exited } = await serve(started);
    const status = async (token: string) => (await fetch(`${url}/admin/versions`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await status(REVOKED)).toBe(200);
    // As an operator would: a new file put in the old one's place.
    writeFileSync(`${started.tokens}.new`, `ci:${TOKEN}\n`, { mode: 0o600 });
    renameSync(`${started.tokens}.new`, started.tokens);
    expect(await status(REVOKED)).toBe(401);
    expect(await status(TOKEN)).toBe(200);
    for (const broken of [() => rmSync(started.tokens), () => writeFileSync(started.tokens, 'not actor and token\n', { mode: 0o600 })]) {
      broken();
      const refused = await fetch(`${url}/admin/versions`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    }
    serving.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a token file others can read, and admin flags without the admin API, in one line', () => {
    const { dir, tokens } = files(0o644);
    const cases: [string[], RegExp][] = [
      [['--admin-token-file', tokens], /^wasm-risk: ERR_INVALID_INPUT: --admin-token-file: .* readable or writable by group or others \(chmod 600 it\)\n$/],
      [['--components-dir', dir], /^wasm-risk: ERR_INVALID_INPUT: --components-dir: needs --admin-token-file \(the admin API\)\n$/],
    ];
    for (const [args, message] of cases) {
      const run = spawnSync(process.execPath, [MAIN, 'serve', '--port', '0', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses, at once and in one line, a FIFO or a device as token file or TLS file, and a components directory that is not one', () => {
    const { dir, tokens } = files();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: [string[], RegExp][] = [
      [['--admin-token-file', fifo], /^wasm-risk: ERR_INVALID_INPUT: --admin-token-file: .*not a regular file/],
      [['--admin-token-file', '/dev/zero'], /^wasm-risk: ERR_INVALID_INPUT: --admin-token-file: /],
      [['--tls-cert', fifo, '--tls-key', fifo], /^wasm-risk: ERR_INVALID_INPUT: --tls-cert: .*FIFO/],
      [['--tls-cert', '/dev/zero', '--tls-key', '/dev/zero'], /^wasm-risk: ERR_INVALID_INPUT: --tls-cert: .*character device/],
      [['--admin-token-file', tokens, '--components-dir', join(dir, 'missing')], /^wasm-risk: ERR_INVALID_INPUT: --components-dir: cannot read /],
      [['--admin-token-file', tokens, '--components-dir', tokens], /^wasm-risk: ERR_INVALID_INPUT: --components-dir: .* is not a directory/],
    ];
    for (const [args, message] of cases) {
      const run = spawnSync(process.execPath, [MAIN, 'serve', '--port', '0', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 10_000 });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
