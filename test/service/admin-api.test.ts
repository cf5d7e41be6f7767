// The admin API over a real server on 127.0.0.1: bearer tokens (none, wrong: 401; API off: 404), the token
// file's rules, registration confined to the components directory, shadow, swap and rollback under
// continuous load with nothing failed and both in the verified audit log, and the automatic rollback of a
// version that traps right after it was swapped in.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../host/errors.js';
import { readAdminTokens, registerAdminRoutes, type AdminTokens } from '../../host/service/admin.js';
import { ServiceMetrics } from '../../host/service/metrics.js';
import { RefusalBudget } from '../../host/service/refusal-budget.js';
import { RegistryBackend, type AutoRollbackOptions } from '../../host/service/registry-backend.js';
import { createRiskServer, type RiskServer } from '../../host/service/server.js';
import { ComponentRegistry } from '../../host/versions/registry.js';
import { terminalText } from '../../host/report/terminal-text.js';
import type { GoldenVectors } from '../../host/versions/golden-vectors.js';
import { verifySwapAuditLog } from '../../host/versions/swap-audit-log.js';
import { engineVersion } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { ENGINE, fixture, get, parsePrometheus, PORTFOLIO, startServer } from './service-support.js';

const ALICE = 'alice:a-token-of-at-least-32-characters-1111';
const BOB = 'bob:another-token-of-32-characters-or-more-22';
const bearer = (line: string) => ({ authorization: `Bearer ${line.slice(line.indexOf(':') + 1)}` });

interface AdminServer extends RiskServer {
  url: string;
  backend: RegistryBackend;
  componentsDir: string;
  auditLogPath: string;
  auditKeyPath: string;
  /** The server's log lines. */
  logs: Record<string, unknown>[];
}

const scratch: string[] = [];
let server: { close(): Promise<void> } | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-admin-'));
  scratch.push(dir);
  return dir;
}

/** A token file with `lines`, mode `mode`. */
function tokenFile(lines: string[], mode = 0o600): string {
  const file = join(scratchDir(), 'tokens');
  writeFileSync(file, `# actor:token\n${lines.join('\n')}\n`, { mode });
  chmodSync(file, mode);
  return file;
}

/** A server over a registry serving the engine (1.2.0), admin API on, `candidates` copied into its components directory. */
async function startAdminServer(candidates: string[], registryOptions: { goldenVectors?: GoldenVectors } = {}, autoRollback?: AutoRollbackOptions, refusalBudget?: RefusalBudget): Promise<AdminServer> {
  const dir = scratchDir();
  const componentsDir = join(dir, 'components');
  mkdirSync(componentsDir);
  for (const candidate of candidates) copyFileSync(candidate, join(componentsDir, candidate.split('/').at(-1)!));
  const auditLogPath = join(dir, 'swaps.log');
  const auditKeyPath = join(dir, 'key', 'audit-log.key');
  const registry = new ComponentRegistry({ auditLogPath, auditKeyPath, actor: 'operator', engine: { workers: 2 }, ...registryOptions });
  await registry.register(ENGINE);
  const metrics = new ServiceMetrics();
  const backend = new RegistryBackend(registry, { concurrency: 2, metrics, autoRollback, refusalBudget });
  const tokens = await readAdminTokens(tokenFile([ALICE, BOB]));
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const started = await createRiskServer({ backend, metrics, logger: { stream }, extend: (app) => registerAdminRoutes(app, { backend, tokens, componentsDir }) });
  server = started;
  const url = await started.app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(started, { url, backend, componentsDir, auditLogPath, auditKeyPath, logs });
}

async function admin(target: { url: string }, method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...(token ? bearer(token) : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Sends `request` as raw bytes (headers fetch would merge) and reads the whole answer. */
async function rawRequest(url: string, request: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.end(request);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const metric = async (target: { url: string }, line: string) => {
  const text = (await get(target, '/metrics')).text;
  return Number(text.split('\n').find((candidate) => candidate.startsWith(`${line} `))?.split(' ')[1]);
};

/** Continuous load until `stop()`: `clients` loops of small requests; the statuses and serving versions seen. */
function load(target: { url: string }, clients = 4) {
  let running = true;
  const statuses = new Map<number, number>();
  const versions = new Map<string, number>();
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let i = 0; running && i < 100_000; i++) {
      const method = i % 4 === 0 ? 'monte-carlo' : 'parametric';
      const response = await fetch(`${target.url}/v1/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ portfolio: PORTFOLIO, ...(method === 'monte-carlo' ? { paths: 2_000, seed: String(client * 100_000 + i) } : {}) }),
      });
      const body = (await response.json()) as { component?: { version: string } };
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (body.component) versions.set(body.component.version, (versions.get(body.component.version) ?? 0) + 1);
    }
  });
  return {
    statuses,
    versions,
    served: (version: string) => versions.get(version) ?? 0,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('admin authentication', () => {
  it('no token: 401; wrong token: 401; a named token: its actor acts', async () => {
    const target = await startAdminServer([]);
    for (const token of [undefined, 'mallory:not-one-of-the-tokens-in-the-file-000000']) {
      const refused = await admin(target, 'GET', '/admin/versions', token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(refused.body).toMatchObject({ status: 401, code: 'ERR_UNAUTHORIZED' });
    }
    // Refused before the body is read: a bad body behind no token is still a 401.
    expect((await admin(target, 'POST', '/admin/swap', undefined, { nonsense: true })).status).toBe(401);
    const listed = await admin(target, 'GET', '/admin/versions', BOB);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ serving: '1.2.0', versions: [{ version: '1.2.0', active: true }] });
  });

  it('logs a refused request\'s URL bounded, however long the caller made it', async () => {
    const target = await startAdminServer([]);
    const path = `/admin/versions?${'A'.repeat(8_000)}`;
    expect((await admin(target, 'GET', path, undefined)).status).toBe(401);
    const refusal = target.logs.find((line) => line.msg === 'admin request refused: no valid token');
    expect(refusal?.url).toBe(`${path.slice(0, 256)}…`);
  });

  it('two Authorization headers: 401, whichever of them carries a named token', async () => {
    const target = await startAdminServer([]);
    const token = bearer(ALICE).authorization;
    for (const pair of [[token, 'Bearer not-a-token'], ['Bearer not-a-token', token], [token, token]]) {
      const answer = await rawRequest(target.url, `GET /admin/versions HTTP/1.1\r\nHost: x\r\n${pair.map((value) => `Authorization: ${value}\r\n`).join('')}Connection: close\r\n\r\n`);
      expect(answer, pair.join(' + ')).toMatch(/^HTTP\/1\.1 401 .*"code":"ERR_UNAUTHORIZED"/s);
    }
    expect(await rawRequest(target.url, `GET /admin/versions HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('Expect: 100-continue: the body is invited only once the token is checked', async () => {
    const target = await startAdminServer([]);
    const body = JSON.stringify({ path: 'missing.wasm' });
    const headers = (authorization: string) =>
      `POST /admin/versions HTTP/1.1\r\nHost: x\r\n${authorization}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    /** Sends the headers alone and reads the server's first answer to them; then the body, and the rest (Connection: close ends it). */
    const exchange = async (authorization: string) => {
      const socket = connect(Number(new URL(target.url).port), '127.0.0.1');
      socket.write(headers(authorization));
      const chunks: Buffer[] = [];
      let first: string | undefined;
      for await (const chunk of socket) {
        chunks.push(chunk as Buffer);
        if (first === undefined) {
          first = (chunk as Buffer).toString('utf8');
          socket.write(body);
        }
      }
      return { first: first ?? '', whole: Buffer.concat(chunks).toString('utf8') };
    };
    // Without a token: 401 at once; a 100 Continue there asked an unauthenticated client for its (16 MiB) body.
    const refused = await exchange('');
    expect(refused.first).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.whole).not.toMatch(/100 Continue/);
    expect((await exchange('Authorization: Bearer not-a-token\r\n')).first).toMatch(/^HTTP\/1\.1 401 /);
    // With one: invited, and answered once the body is in (a path that does not exist: 400).
    const invited = await exchange(`Authorization: ${bearer(ALICE).authorization}\r\n`);
    expect(invited.first).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    expect(invited.whole).toMatch(/HTTP\/1\.1 400 .*"code":"ERR_INVALID_INPUT"/s);
  });

  it('the admin API is off (404) without a token file', async () => {
    const plain = await startServer();
    server = plain;
    for (const [method, path] of [['GET', '/admin/versions'], ['POST', '/admin/rollback']] as const) {
      const answer = await admin(plain, method, path, ALICE);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'ERR_NOT_FOUND' });
    }
  });

  it('the token file: actor:token lines, tokens of 32+ characters, private to the user', async () => {
    const tokens: AdminTokens = await readAdminTokens(tokenFile([ALICE, '', BOB]));
    expect(tokens.digests.map((entry) => entry.actor)).toEqual(['alice', 'bob']);
    const refusals: [string[], number, RegExp][] = [
      [[ALICE], 0o640, /readable or writable by group or others/],
      [[ALICE], 0o604, /readable or writable by group or others/],
      [['alice:short'], 0o600, /at least 32 characters/],
      [['a-token-without-an-actor-but-long-enough-000'], 0o600, /expected actor:token/],
      [[ALICE, `carol:${ALICE.split(':')[1]}`], 0o600, /the same token is given twice/],
      [['auto-rollback:a-token-of-at-least-32-characters-3333'], 0o600, /the server's own/],
      [[], 0o600, /names no token/],
      [['alice:a-token-of-at-least-32-characters-with-\u00e9'], 0o600, /visible ASCII without spaces/],
    ];
    for (const [lines, mode, message] of refusals) {
      const refused = readAdminTokens(tokenFile(lines, mode));
      await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toThrow(message);
    }
  });

  it('the token file: not UTF-8 is refused, naming the byte, instead of read with U+FFFD for the bad bytes', async () => {
    const file = tokenFile([]);
    writeFileSync(file, Buffer.concat([Buffer.from('alice:a-token-of-at-least-32-characters-'), Buffer.from([0xff, 0x0a])]));
    const refused = readAdminTokens(file);
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toThrow(/is not UTF-8 text: byte 40 is 0xff; save it as UTF-8$/);
  });

  it('the token file: 64 KiB at most (a token file names a few actors), refused past it before it is read as text', async () => {
    const file = tokenFile([]);
    const padded = (size: number) => {
      const line = `${ALICE}\n`;
      return Buffer.from(`${line}#${'x'.repeat(size - line.length - 2)}\n`);
    };
    writeFileSync(file, padded(64 * 1024));
    expect((await readAdminTokens(file)).digests.map((entry) => entry.actor)).toEqual(['alice']);
    writeFileSync(file, padded(64 * 1024 + 1));
    const refused = readAdminTokens(file);
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toThrow(/holds 65537 bytes, more than the 65536 expected$/);
  });

  it('the token file: chmod is suggested only for a mode that lets others in, not for a directory or a link', async () => {
    await expect(readAdminTokens(tokenFile([ALICE], 0o640))).rejects.toThrow(/by group or others \(chmod 600 it\)$/);
    const directory = join(scratchDir(), 'tokens.d');
    mkdirSync(directory);
    const link = join(scratchDir(), 'tokens-link');
    symlinkSync(tokenFile([ALICE]), link);
    for (const path of [directory, link]) {
      const refused = readAdminTokens(path);
      await expect(refused).rejects.toThrow(/(not a regular file|symbolic link)$/);
    }
  });
});

describe('bodies of the admin API', () => {
  it('a route without a body is reached whatever content type an empty body carries; a body not sent as JSON is refused', async () => {
    const target = await startAdminServer([]);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await fetch(`${target.url}/admin/rollback`, { method: 'POST', headers: { ...bearer(ALICE), 'content-type': contentType }, body: '' });
      expect(response.status, contentType).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'ERR_UNKNOWN_VERSION' });
    }
    const text = await fetch(`${target.url}/admin/swap`, { method: 'POST', headers: { ...bearer(ALICE), 'content-type': 'text/plain' }, body: '{"version": "1.2.0"}' });
    expect(text.status).toBe(400);
    expect(await text.json()).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'body', detail: 'body: must be sent as JSON, with content-type: application/json' });
  });
});

describe('registration through the admin API', () => {
  it('registers only .wasm files inside --components-dir (403 otherwise)', async () => {
    const target = await startAdminServer([]);
    const outside = join(scratchDir(), 'outside.wasm');
    copyFileSync(engineVersion('1.3.0'), outside);
    symlinkSync(outside, join(target.componentsDir, 'link-out.wasm'));
    writeFileSync(join(target.componentsDir, 'notes.txt'), 'not a component');
    for (const path of ['../outside.wasm', outside, 'link-out.wasm', 'notes.txt', `${target.componentsDir}/../components/x.wasm`]) {
      const refused = await admin(target, 'POST', '/admin/versions', ALICE, { path });
      expect(refused.status, path).toBe(403);
      expect(refused.body).toMatchObject({ code: 'ERR_PATH_NOT_ALLOWED' });
    }
    const missing = await admin(target, 'POST', '/admin/versions', ALICE, { path: 'absent.wasm' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'path' });
    expect((await admin(target, 'POST', '/admin/versions', ALICE, { path: 1 })).status).toBe(400);
    expect((await admin(target, 'GET', '/admin/versions', ALICE)).body.versions).toHaveLength(1);
  });

  it('a path outside --components-dir is a 403 whether or not a file is there: no answer says which files exist', async () => {
    const target = await startAdminServer([]);
    const outside = scratchDir();
    writeFileSync(join(outside, 'there.wasm'), 'a file');
    for (const path of [join(outside, 'there.wasm'), join(outside, 'absent.wasm'), join(outside, 'no-such-dir', 'absent.wasm')]) {
      const refused = await admin(target, 'POST', '/admin/versions', ALICE, { path });
      expect([refused.status, refused.body.code, refused.body.detail], path).toEqual([403, 'ERR_PATH_NOT_ALLOWED', 'the path is outside --components-dir']);
    }
  });

  it('a path refused before any gate is in the audit log too, under the actor who gave it', async () => {
    const target = await startAdminServer([]);
    const refused = ['../outside.wasm', '/etc/hosts.wasm', 'notes.txt'];
    for (const path of refused) expect((await admin(target, 'POST', '/admin/versions', BOB, { path })).status, path).toBeGreaterThanOrEqual(400);
    const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    expect(events.filter(({ event }) => event === 'refuse').map(({ actor, reason }) => [actor, reason!.slice(0, reason!.indexOf(':'))])).toEqual(refused.map((path) => ['bob', JSON.stringify(path)]));
  });

  it('a refusal names its path once, bounded, and not the server\'s own directory', async () => {
    const target = await startAdminServer([]);
    const long = `${'a'.repeat(4000)}.wasm`;
    for (const path of ['../outside.wasm', 'notes.txt', 'absent.wasm', long]) await admin(target, 'POST', '/admin/versions', BOB, { path });
    const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    // Each said its path twice (`notes.txt: notes.txt: ...`), a missing file three times, the last one with
    // the components directory's absolute path, and a 4,000-character path twice in full.
    expect(events.filter(({ event }) => event === 'refuse').map(({ reason }) => reason)).toEqual([
      `"../outside.wasm": the path has a '..' segment, which is not allowed`,
      '"notes.txt": the path does not name a .wasm file: only .wasm files may be registered',
      '"absent.wasm": no such file',
      `"${'a'.repeat(64)}…" (4005 characters): cannot be read (ENAMETOOLONG)`,
    ]);
  });

  it('a candidate over the size cap is refused for its size, neither its answer nor the audit log naming the server\'s directory', async () => {
    const target = await startAdminServer([]);
    // Sparse: 129 MiB by its size, nothing on the disk.
    writeFileSync(join(target.componentsDir, 'huge.wasm'), '');
    truncateSync(join(target.componentsDir, 'huge.wasm'), 129 * 2 ** 20);
    const refused = await admin(target, 'POST', '/admin/versions', BOB, { path: 'huge.wasm' });
    expect([refused.status, refused.body.code]).toEqual([422, 'ERR_COMPONENT_LOAD']);
    expect(refused.body.detail).toMatch(/^cannot be read: 129 MiB, over the 128 MiB cap for a component/);
    const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    const reasons = events.filter(({ event }) => event === 'refuse').map(({ reason }) => reason);
    expect(reasons).toEqual([expect.stringMatching(/^"huge\.wasm": cannot be read: 129 MiB, over the 128 MiB cap/)]);
    expect(JSON.stringify([refused.body, reasons])).not.toContain(target.componentsDir);
  });

  it('an actor writes at most 10 refusals a minute to the audit log; the rest are counted, not written', async () => {
    let now = 0;
    const target = await startAdminServer([], {}, undefined, new RefusalBudget(undefined, () => now));
    const refuse = (token: string, count: number) => Promise.all(Array.from({ length: count }, (_, i) => admin(target, 'POST', '/admin/versions', token, { path: `../${i}.wasm` })));
    const logged = async () => {
      const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
      return ['bob', 'alice'].map((actor) => events.filter((event) => event.event === 'refuse' && event.actor === actor).length);
    };
    const unrecorded = async () => parsePrometheus((await get(target, '/metrics')).text).get('wasm_risk_admin_refusals_unrecorded_total');
    expect(await unrecorded()).toBe(0);
    for (const answer of await refuse(BOB, 15)) expect(answer.status).toBe(403);
    await refuse(ALICE, 2);
    expect(await logged()).toEqual([10, 2]);
    expect(await unrecorded()).toBe(5);
    now += 60_000;
    await refuse(BOB, 1);
    expect(await logged()).toEqual([11, 2]);
    expect(await unrecorded()).toBe(5);
  });

  it('the file checked is the file loaded: a link put in its place once the path was checked is not followed', async () => {
    const target = await startAdminServer([engineVersion('1.3.0')]);
    const outside = join(scratchDir(), 'outside.wasm');
    copyFileSync(engineVersion('1.0.0'), outside);
    const candidate = join(target.componentsDir, 'risk-engine-1.3.0.wasm');
    // A registration waits behind the one before it: time enough to swap the checked file for a link out.
    const register = target.backend.register.bind(target.backend);
    target.backend.register = (...args) => {
      rmSync(candidate);
      symlinkSync(outside, candidate);
      return register(...args);
    };
    const registered = await admin(target, 'POST', '/admin/versions', ALICE, { path: 'risk-engine-1.3.0.wasm' });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ version: '1.3.0', path: candidate });
    expect((await admin(target, 'GET', '/admin/versions', ALICE)).body.versions.map((entry: { version: string }) => entry.version)).not.toContain('1.0.0');
  });

  it('a candidate the gates refuse is a 422, logged as refused under its actor', async () => {
    const target = await startAdminServer([fixture('wrong-model')]);
    const refused = await admin(target, 'POST', '/admin/versions', BOB, { path: 'wrong-model.wasm' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'ERR_GOLDEN_VECTORS_FAILED' });
    const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    expect(events.at(-1)).toMatchObject({ event: 'refuse', actor: 'bob' });
  });
});

describe('/openapi.json of the admin API', () => {
  // The admin routes had no response schemas: the document promised a 200 with no body for every one, while
  // a registration answers 201 with the version, and every refusal a problem document.
  it("describes each admin route's real answers, successes and problems, by status and content type", async () => {
    const target = await startAdminServer([engineVersion('1.3.0')]);
    const document = JSON.parse((await get(target, '/openapi.json')).text);
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const calls: [method: string, path: string, token: string | undefined, body?: unknown][] = [
      ['GET', '/admin/versions', ALICE],
      ['POST', '/admin/versions', ALICE, { path: 'risk-engine-1.3.0.wasm' }],
      ['POST', '/admin/versions', ALICE, { path: '../elsewhere.wasm' }],
      ['POST', '/admin/shadow', ALICE, { version: '1.3.0' }],
      ['DELETE', '/admin/shadow', ALICE],
      ['POST', '/admin/swap', ALICE, { version: '1.3.0' }],
      ['POST', '/admin/rollback', BOB],
      ['POST', '/admin/rollback', undefined],
      ['POST', '/admin/swap', ALICE, { version: '9.9.9' }],
    ];
    const statuses = new Set<number>();
    for (const [method, path, token, body] of calls) {
      const answer = await admin(target, method, path, token, body);
      statuses.add(answer.status);
      const responses = document.paths[path][method.toLowerCase()].responses;
      const described = responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`];
      expect(described, `${method} ${path} ${answer.status}`).toBeDefined();
      const contentType = answer.headers.get('content-type')!.split(';')[0]!;
      expect(Object.keys(described.content ?? {}), `${method} ${path} ${answer.status}`).toEqual([contentType]);
      const validate = ajv.compile(described.content[contentType].schema);
      expect(validate(answer.body), `${method} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    expect([...statuses].sort()).toEqual([200, 201, 401, 403, 404]);
  });
});

describe('blue-green through the admin API under continuous load', () => {
  it('shadow, swap and rollback: zero failed requests, every action in the verified audit log under its actor', async () => {
    const target = await startAdminServer([engineVersion('1.3.0')]);
    const traffic = load(target);
    try {
      const registered = await admin(target, 'POST', '/admin/versions', ALICE, { path: 'risk-engine-1.3.0.wasm' });
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({ version: '1.3.0', active: false });

      expect((await admin(target, 'POST', '/admin/shadow', ALICE, { version: '1.3.0' })).status).toBe(200);
      const shadowFrom = traffic.served('1.2.0');
      await until(() => traffic.served('1.2.0') >= shadowFrom + 20, 'requests in shadow mode');
      const report = await admin(target, 'DELETE', '/admin/shadow', BOB);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ candidate: { version: '1.3.0' }, mismatches: 0 });
      expect(report.body.requests).toBeGreaterThan(0);

      const swapped = await admin(target, 'POST', '/admin/swap', ALICE, { version: '1.3.0' });
      expect(swapped.status).toBe(200);
      expect(swapped.body.serving).toBe('1.3.0');
      await until(() => traffic.served('1.3.0') >= 30, 'requests served by 1.3.0');
      const rolledBack = await admin(target, 'POST', '/admin/rollback', BOB);
      expect(rolledBack.status).toBe(200);
      expect(rolledBack.body.serving).toBe('1.2.0');
      const after = traffic.served('1.2.0');
      await until(() => traffic.served('1.2.0') >= after + 30, 'requests served after the rollback');
    } finally {
      await traffic.stop();
    }
    expect([...traffic.statuses.keys()]).toEqual([200]);

    const log = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    expect(log.brokenAt).toBeNull();
    expect(log.events.slice(-5).map(({ event, actor, from, to }) => [event, actor, from?.version, to?.version])).toEqual([
      ['register', 'alice', undefined, '1.3.0'],
      ['shadow-start', 'alice', '1.2.0', '1.3.0'],
      ['shadow-stop', 'bob', '1.3.0', '1.2.0'],
      ['swap', 'alice', '1.2.0', '1.3.0'],
      ['rollback', 'bob', '1.3.0', '1.2.0'],
    ]);
    expect(log.events.at(-3)!.reason).toMatch(/^\d+ requests compared, 0 mismatches, largest relative difference 0$/);
    expect(await metric(target, 'wasm_risk_swaps_total{kind="swap"}')).toBe(1);
    expect(await metric(target, 'wasm_risk_swaps_total{kind="rollback"}')).toBe(1);
    expect(await metric(target, 'wasm_risk_swaps_total{kind="auto-rollback"}')).toBe(0);
    // Live figures of every loaded version: both have answered requests, so both hold instances.
    for (const version of ['1.2.0', '1.3.0']) {
      const bytes = await metric(target, `wasm_risk_component_memory_bytes{version="${version}"}`);
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(512 * 2 ** 20 * 2);
    }
  });

  it('two shadows started at once: the log shows the first stopped before the second starts', async () => {
    const target = await startAdminServer([engineVersion('1.3.0'), engineVersion('1.0.0')]);
    for (const path of ['risk-engine-1.3.0.wasm', 'risk-engine-1.0.0.wasm']) expect((await admin(target, 'POST', '/admin/versions', ALICE, { path })).status).toBe(201);
    const started = await Promise.all([admin(target, 'POST', '/admin/shadow', ALICE, { version: '1.3.0' }), admin(target, 'POST', '/admin/shadow', BOB, { version: '1.0.0' })]);
    expect(started.map(({ status }) => status)).toEqual([200, 200]);
    const stopped = await admin(target, 'DELETE', '/admin/shadow', ALICE);
    const { events } = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    // Whichever arrived first: each start is stopped before the next one, by the actor of the next one.
    const shadowEvents = events.filter(({ event }) => event.startsWith('shadow-')).map(({ event, actor, from, to }) => [event, actor, from?.version, to?.version]);
    const [first, second] = shadowEvents[0]![3] === '1.3.0' ? [['alice', '1.3.0'], ['bob', '1.0.0']] : [['bob', '1.0.0'], ['alice', '1.3.0']];
    expect(shadowEvents).toEqual([
      ['shadow-start', first![0], '1.2.0', first![1]],
      ['shadow-stop', second![0], first![1], '1.2.0'],
      ['shadow-start', second![0], '1.2.0', second![1]],
      ['shadow-stop', 'alice', second![1], '1.2.0'],
    ]);
    expect(stopped.body).toMatchObject({ candidate: { version: second![1] } });
  });

  it('nothing to roll back to, or an unknown version: 404', async () => {
    const target = await startAdminServer([]);
    expect((await admin(target, 'POST', '/admin/rollback', ALICE)).body).toMatchObject({ status: 404, code: 'ERR_UNKNOWN_VERSION' });
    expect((await admin(target, 'POST', '/admin/swap', ALICE, { version: '9.9.9' })).body).toMatchObject({ status: 404, code: 'ERR_UNKNOWN_VERSION' });
  });

  it('a rollback once the last swap is rolled back: 404 that does not say no other version has served', async () => {
    // It said "no earlier version has served" right after 1.3.0 had.
    const target = await startAdminServer([engineVersion('1.3.0')]);
    expect((await admin(target, 'POST', '/admin/versions', ALICE, { path: 'risk-engine-1.3.0.wasm' })).status).toBe(201);
    expect((await admin(target, 'POST', '/admin/swap', ALICE, { version: '1.3.0' })).status).toBe(200);
    expect((await admin(target, 'POST', '/admin/rollback', ALICE)).body).toMatchObject({ serving: '1.2.0' });
    const again = await admin(target, 'POST', '/admin/rollback', ALICE);
    expect(again.body).toMatchObject({ status: 404, code: 'ERR_UNKNOWN_VERSION', detail: 'nothing to roll back to: no swap is left to undo (none was made, or each was rolled back)' });
  });

  it('takes any version a component may report, however long once escaped (1,200 characters), and no longer', async () => {
    const target = await startAdminServer([]);
    // A 200-character version of bidi controls is this long as the registry holds it (each escaped as \u202e).
    const longest = terminalText('\u202e'.repeat(200));
    for (const path of ['/admin/swap', '/admin/shadow']) {
      expect((await admin(target, 'POST', path, ALICE, { version: longest })).body).toMatchObject({ status: 404, code: 'ERR_UNKNOWN_VERSION' });
      expect((await admin(target, 'POST', path, ALICE, { version: `${longest}x` })).body).toMatchObject({ status: 400, code: 'ERR_INVALID_INPUT' });
    }
  });
});

describe('automatic rollback', () => {
  // The panicker traps on every call; with no golden vectors it gets past registration, as a version
  // whose fault the gates did not catch would.
  const noGoldenVectors: GoldenVectors = { contract: '1.x', vectors: [] };
  const PANICKER = fixture('panicker');

  it('a version that traps right after a swap is rolled back on its own, logged and counted', async () => {
    const target = await startAdminServer([PANICKER], { goldenVectors: noGoldenVectors }, { failures: 3, requests: 50, seconds: 60 });
    expect((await admin(target, 'POST', '/admin/versions', ALICE, { path: 'panicker.wasm' })).body).toMatchObject({ version: '1.0.0' });
    const traffic = load(target);
    try {
      await until(() => traffic.served('1.2.0') >= 10, 'requests before the swap');
      expect((await admin(target, 'POST', '/admin/swap', ALICE, { version: '1.0.0' })).status).toBe(200);
      await until(async () => (await admin(target, 'GET', '/admin/versions', ALICE)).body.serving === '1.2.0', 'the automatic rollback');
      const after = traffic.served('1.2.0');
      await until(() => traffic.served('1.2.0') >= after + 20, 'requests after the rollback');
    } finally {
      await traffic.stop();
    }
    // The failures that tripped it, and those that reached the panicker while the rollback was being written
    // to the audit log (a version serves until the log shows it replaced): within its first 50 requests.
    const failed = traffic.statuses.get(500) ?? 0;
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThan(50);
    expect([...traffic.statuses.keys()].sort()).toEqual([200, 500]);

    const log = await verifySwapAuditLog(target.auditLogPath, { keyPath: target.auditKeyPath });
    expect(log.brokenAt).toBeNull();
    expect(log.events.at(-1)).toMatchObject({ event: 'rollback', actor: 'auto-rollback', from: { version: '1.0.0' }, to: { version: '1.2.0' } });
    expect(await metric(target, 'wasm_risk_swaps_total{kind="auto-rollback"}')).toBe(1);
    expect(await metric(target, 'wasm_risk_swaps_total{kind="swap"}')).toBe(1);
    expect(await metric(target, 'wasm_risk_worker_restarts_total{cause="trap"}')).toBe(failed);
  });

  it('off with failures 0: the failing version keeps serving', async () => {
    const target = await startAdminServer([PANICKER], { goldenVectors: noGoldenVectors }, { failures: 0, requests: 50, seconds: 60 });
    await admin(target, 'POST', '/admin/versions', ALICE, { path: 'panicker.wasm' });
    await admin(target, 'POST', '/admin/swap', ALICE, { version: '1.0.0' });
    for (let i = 0; i < 6; i++) expect((await admin(target, 'POST', '/v1/parametric', undefined, { portfolio: PORTFOLIO })).status).toBe(500);
    expect((await admin(target, 'GET', '/admin/versions', ALICE)).body.serving).toBe('1.0.0');
    expect(await metric(target, 'wasm_risk_swaps_total{kind="auto-rollback"}')).toBe(0);
  });
});
