// Version swaps under load: admission (contract, golden vectors), atomic swap and rollback with nothing
// dropped, the audit log, and shadow mode.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentRegistry, type RegistryOptions } from '../../host/versions/registry.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { AuditLogTamperedError, CancelledError, GoldenVectorsFailedError, InvalidInputError, IncompatibleComponentError, PolicyDeniedError, UnknownVersionError } from '../../host/errors.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { sha256Hex } from '../../host/files/content-hash.js';
import { loadGoldenVectors } from '../../host/versions/golden-vectors.js';
import { verifySwapAuditLog } from '../../host/versions/swap-audit-log.js';
import { engineVersion, examplePortfolio, fixture } from '../support/fixtures.js';

const V1_0 = engineVersion('1.0.0');
const V1_3 = engineVersion('1.3.0');
const V2 = engineVersion('2.0.0');
const WRONG_MODEL = fixture('wrong-model');
const portfolio = examplePortfolio();

/** Lets the risk world's types of any major version through the audit, so the contract check is what decides. */
const anyMajorPolicy = {
  version: 1,
  name: 'test: any contract major',
  rules: [{ interface: 'wasm-risk:risk/types', verdict: 'allow', reason: 'test' }],
} as const;

let registry: ComponentRegistry | undefined;
const scratchDirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await registry?.close();
  registry = undefined;
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A log and its key in a fresh temporary directory, never the user's own key. */
function auditFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-swap-'));
  scratchDirs.push(dir);
  return { auditLogPath: join(dir, 'swaps.log'), auditKeyPath: join(dir, 'key', 'audit-log.key') };
}

function openRegistry(engine = {}) {
  const files = auditFiles();
  registry = new ComponentRegistry({ ...files, actor: 'test-suite', engine: { workers: 2, ...engine } });
  return { registry, ...files };
}

describe('swap under continuous load', () => {
  it('swaps 1.2.0 -> 1.3.0 and rolls back with zero failed or dropped requests', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    const v1 = await registry.register(DEFAULT_COMPONENT);
    const v13 = await registry.register(V1_3);
    expect([v1.version, v1.active, v13.version, v13.active]).toEqual(['1.2.0', true, '1.3.0', false]);

    // Phases follow what has happened, not request numbers: a swap or rollback takes effect once the audit
    // log has it, which under load may take many requests' time. 100 requests before the swap, 100 after it
    // took effect, then the rollback, then 100 more.
    const PHASE = 100;
    const CONCURRENCY = 8;
    const served: string[] = [];
    const failures: unknown[] = [];
    let started = 0;
    let rollbackAt = Infinity;
    let end = Infinity;
    const worker = async () => {
      while (started < end) {
        const i = started++;
        try {
          const result = await registry.monteCarlo(portfolio, { paths: 2_000, seed: BigInt(i % 7) });
          served[i] = result.component.version;
        } catch (error) {
          failures.push(error);
        }
        if (i === PHASE) {
          await registry.swap('1.3.0');
          rollbackAt = started + PHASE;
        }
        if (i === rollbackAt) {
          await registry.rollback();
          end = started + PHASE;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures).toEqual([]);
    expect(served.filter(Boolean)).toHaveLength(started);
    const counts = { '1.2.0': served.filter((v) => v === '1.2.0').length, '1.3.0': served.filter((v) => v === '1.3.0').length };
    expect(counts['1.2.0'] + counts['1.3.0']).toBe(started);
    expect(counts['1.3.0']).toBeGreaterThan(PHASE / 2);
    expect(counts['1.2.0']).toBeGreaterThan(1.5 * PHASE);
    expect(served.slice(-CONCURRENCY)).toEqual(Array(CONCURRENCY).fill('1.2.0'));
    expect(registry.active.version).toBe('1.2.0');

    const { events, brokenAt } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(brokenAt).toBeNull();
    expect(events.map((e) => e.event)).toEqual(['register', 'swap', 'register', 'swap', 'rollback']);
    const [swap, rollback] = events.slice(-2);
    expect(swap).toMatchObject({ actor: 'test-suite', from: { version: '1.2.0', sha256: v1.sha256 }, to: { version: '1.3.0', sha256: v13.sha256 } });
    expect(rollback).toMatchObject({ from: { version: '1.3.0', sha256: v13.sha256 }, to: { version: '1.2.0', sha256: v1.sha256 } });
    expect(Date.parse(rollback!.at)).toBeGreaterThanOrEqual(Date.parse(swap!.at));
  });

  it('finishes a request in flight on the version it started on', async () => {
    const { registry } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    const inFlight = registry.monteCarlo(portfolio, { paths: 400_000 });
    await registry.swap('1.3.0');
    const after = await registry.monteCarlo(portfolio, { paths: 1_000 });
    expect((await inFlight).component.version).toBe('1.2.0');
    expect(after.component.version).toBe('1.3.0');
  });
});

describe('admission of a candidate', () => {
  it('refuses 2.0.0 at the audit under the default policy, naming the import', async () => {
    const { registry } = openRegistry();
    await expect(registry.register(V2)).rejects.toThrow(PolicyDeniedError);
  });

  it('refuses 2.0.0 for its contract, saying what differs', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry({ admission: { policy: anyMajorPolicy } });
    const error = await registry.register(V2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleComponentError);
    const message = (error as Error).message;
    expect(message).toMatch(/contract version 2\.0\.0: this host speaks wasm-risk:risk 1\.x/);
    expect(message).toMatch(/monteCarlo differs: expected `export function monteCarlo\(portfolio: Portfolio, run: Simulation, confidenceLevels: Float64Array\): RiskReport;`, found `export function monteCarlo\(portfolio: Portfolio, run: Simulation, confidenceBasisPoints: Uint32Array\): RiskReport;`/);
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events).toMatchObject([{ event: 'refuse', reason: expect.stringMatching(/incompatible/) }]);
  });

  it('refuses a component that fails the golden vectors, and logs which one', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    const error = await registry.register(WRONG_MODEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoldenVectorsFailedError);
    expect((error as Error).message).toMatch(/failed \d+ golden vector check\(s\): monte-carlo long stock @0\.95: VaR/);
    expect(registry.list().map((v) => v.version)).toEqual(['1.2.0']);
    // The refusal names the bytes it refused, not only a path whose file may be replaced afterwards.
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events.at(-1)).toMatchObject({ event: 'refuse', to: { sha256: sha256Hex(readFileSync(WRONG_MODEL)), path: WRONG_MODEL, version: expect.any(String) } });
  });

  it('takes the same component twice as one version, and refuses unknown versions and an empty history', async () => {
    const { registry } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    expect(await registry.register(DEFAULT_COMPONENT)).toMatchObject({ version: '1.2.0', active: true });
    await expect(registry.swap('9.9.9')).rejects.toThrow(UnknownVersionError);
    await expect(registry.rollback()).rejects.toThrow(/nothing to roll back to/);
  });

  it('registers one version once when two registrations of it run at the same time', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    const both = await Promise.all([registry.register(DEFAULT_COMPONENT), registry.register(DEFAULT_COMPONENT)]);
    expect(both.map((ref) => ref.version)).toEqual(['1.2.0', '1.2.0']);
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events.filter((event) => event.event === 'register')).toHaveLength(1);
  });
});

describe('options', () => {
  it('refuses options it cannot use when it is made, naming the field', () => {
    const { auditLogPath } = auditFiles();
    const refusals: [unknown, string][] = [
      [undefined, 'auditLogPath: is required'],
      [{ auditLogPath: '' }, 'auditLogPath: must name a file'],
      [{ auditLogPath, actor: 7 }, 'actor: must be a string'],
      [{ auditLogPath, actor: 'a'.repeat(129) }, 'actor: must be at most 128 characters'],
      [{ auditLogPath, actor: 'alice\nswap by root' }, 'actor: must hold no control, bidi or line separator character'],
      [{ auditLogPath, auditLogpath: 'typo.log' }, 'auditLogpath: is not a known field'],
      [{ auditLogPath, goldenVectors: { contract: '1.2.0' } }, 'goldenVectors.vectors: is required'],
    ];
    for (const [options, message] of refusals) {
      const error = (() => {
        try {
          new ComponentRegistry(options as RegistryOptions);
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toBe(message);
    }
  });

  it("refuses a call's actor that is no name, before anything is done or logged, and the log stays whole", async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    const served = await registry.register(DEFAULT_COMPONENT);
    const logged = readFileSync(auditLogPath, 'utf8');
    const calls: [string, (actor: unknown) => Promise<unknown>][] = [
      ['register', (actor) => registry.register(join(auditLogPath, '..', 'missing.wasm'), { actor: actor as string })],
      ['swap', (actor) => registry.swap(served.version, { actor: actor as string })],
      ['rollback', (actor) => registry.rollback({ actor: actor as string })],
      ['startShadow', (actor) => registry.startShadow(served.version, { actor: actor as string })],
      ['stopShadow', (actor) => registry.stopShadow({ actor: actor as string })],
    ];
    for (const [name, call] of calls) {
      // An object was written as it was, and the log no longer verified: no swap could follow.
      await expect(call({ name: 'alice' }), name).rejects.toThrow(new InvalidInputError('actor', 'must be a string'));
      await expect(call('A'.repeat(5_000_000)), name).rejects.toThrow(new InvalidInputError('actor', 'must be at most 128 characters'));
      await expect(call('alice\u202e'), name).rejects.toThrow(new InvalidInputError('actor', 'must hold no control, bidi or line separator character'));
    }
    expect(readFileSync(auditLogPath, 'utf8')).toBe(logged);
    expect((await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath })).brokenAt).toBeNull();
  });

  it('takes null call options as none, as RiskEngine does, in shadow mode too', async () => {
    const { registry } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    const nothing = null as unknown as undefined;
    await registry.monteCarlo(portfolio, nothing);
    await registry.parametric(portfolio, nothing);
    await registry.run({ method: 'parametric', portfolio }, nothing);
    expect(await registry.runBatch([{ method: 'parametric', portfolio }], nothing)).toMatchObject([{ ok: true }]);
    expect(await registry.stopShadow()).toMatchObject({ requests: 4, mismatches: 0 });
  });
});

describe('closing', () => {
  it('cancels what runs, and every call made afterwards fails with CancelledError, as a closed engine does', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    // Its comparison may still run at close: cut short, it is neither compared nor a mismatch.
    await registry.parametric(portfolio);
    const running = registry.monteCarlo(portfolio, { paths: 4_000_000 }).catch((error: unknown) => error);
    await registry.close();
    expect(await running).toBeInstanceOf(CancelledError);
    expect(registry.servingVersion).toBeUndefined();
    expect(() => registry.active).toThrow(CancelledError);
    const calls = [
      registry.parametric(portfolio),
      registry.runBatch([{ method: 'parametric', portfolio }]),
      registry.swap('1.3.0'),
      registry.rollback(),
      registry.startShadow('1.3.0'),
      registry.stopShadow(),
      registry.register(V1_3),
    ];
    for (const outcome of await Promise.allSettled(calls)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(CancelledError) });
    }
    expect(registry.list()).toEqual([]);
    // The shadow that was on is logged stopped, with what it saw.
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events.at(-1)).toMatchObject({ event: 'shadow-stop', from: { version: '1.3.0' }, to: { version: '1.2.0' }, reason: expect.stringMatching(/^[01] requests compared, 0 mismatches/) });
  });

  it('waits for a registration under way, which adds nothing and logs no refusal', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    // Closed once the candidate is loaded, before its checks: the registration is under way, not queued.
    let closing: Promise<void> | undefined;
    const load = ComponentImage.load.bind(ComponentImage);
    vi.spyOn(ComponentImage, 'load').mockImplementationOnce(async (...args) => {
      const image = await load(...args);
      closing = registry.close();
      return image;
    });
    const registering = registry.register(V1_3).catch((error: unknown) => error);
    expect(await registering).toBeInstanceOf(CancelledError);
    await closing;
    expect(registry.list()).toEqual([]);
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events.map((event) => event.event)).toEqual(['register', 'swap']);
  });
});

describe('shadow mode', () => {
  it('runs the candidate beside the serving version and reports no difference for the same model', async () => {
    const { registry } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    for (let i = 0; i < 5; i++) {
      const result = await registry.monteCarlo(portfolio, { paths: 3_000, seed: BigInt(i) });
      expect(result.component.version).toBe('1.2.0');
    }
    await registry.parametric(portfolio);
    expect(await registry.stopShadow()).toMatchObject({ candidate: { version: '1.3.0' }, requests: 6, mismatches: 0, maxRelativeDifference: 0 });
  });

  it("compares beyond the caller's signal: a controller aborted once the served answer is back is no mismatch", async () => {
    const { registry } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    for (let i = 0; i < 3; i++) {
      const request = new AbortController();
      try {
        await registry.monteCarlo(portfolio, { paths: 50_000, seed: BigInt(i), signal: request.signal });
      } finally {
        request.abort();
      }
    }
    expect(await registry.stopShadow()).toMatchObject({ requests: 3, mismatches: 0, examples: [] });
  });

  it('sees no difference between the engine built against contract 1.0.0 and the 1.2.0 engine', async () => {
    const { registry } = openRegistry();
    await registry.register(V1_0);
    await registry.register(DEFAULT_COMPONENT);
    await registry.startShadow('1.2.0');
    const served = await registry.run({ method: 'monte-carlo', portfolio, paths: 20_000, seed: 4n }, { onProgress: () => {} });
    expect(served.component.version).toBe('1.0.0');
    await registry.parametric(portfolio);
    expect(await registry.stopShadow()).toMatchObject({ candidate: { version: '1.2.0' }, requests: 2, mismatches: 0, maxRelativeDifference: 0 });
  });

  it('refuses a shadow of the serving version, which compares it with itself, and leaves the running shadow on', async () => {
    const { registry, auditLogPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    const logged = readFileSync(auditLogPath, 'utf8');
    await expect(registry.startShadow('1.2.0')).rejects.toThrow(new InvalidInputError('version', '1.2.0 is the serving version: shadow another version beside it'));
    expect(readFileSync(auditLogPath, 'utf8')).toBe(logged);
    await registry.parametric(portfolio);
    expect(await registry.stopShadow()).toMatchObject({ candidate: { version: '1.3.0' }, requests: 1 });
  });

  it('stops the running shadow, logged with what it saw, when another starts', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.register(V1_0);
    await registry.startShadow('1.3.0');
    await registry.parametric(portfolio);
    await registry.startShadow('1.0.0');
    await registry.parametric(portfolio);
    expect(await registry.stopShadow()).toMatchObject({ candidate: { version: '1.0.0' }, requests: 1 });
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    expect(events.slice(-4).map(({ event, from, to, reason }) => [event, from?.version, to?.version, reason])).toEqual([
      ['shadow-start', '1.2.0', '1.3.0', undefined],
      ['shadow-stop', '1.3.0', '1.2.0', '1 requests compared, 0 mismatches, largest relative difference 0'],
      ['shadow-start', '1.2.0', '1.0.0', undefined],
      ['shadow-stop', '1.0.0', '1.2.0', '1 requests compared, 0 mismatches, largest relative difference 0'],
    ]);
  });

  it('names, in each shadow line of the log, the version the lines before it leave serving, whatever swaps run at once', async () => {
    // A shadow start or stop read the serving version, then waited for the log behind a swap or rollback
    // asked for at the same time: the log said `swap 1.2.0 -> 1.3.0`, then `shadow-start 1.2.0 -> 1.0.0`.
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.register(V1_0);
    await Promise.all([registry.swap('1.3.0'), registry.startShadow('1.0.0')]);
    await Promise.all([registry.rollback(), registry.stopShadow()]);
    const { events } = await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    let serving: string | undefined;
    for (const { event, from, to } of events) {
      if (event === 'swap' || event === 'rollback') serving = to?.version;
      else if (event === 'shadow-start') expect(from?.version, 'shadow-start names the serving version').toBe(serving);
      else if (event === 'shadow-stop') expect(to?.version, 'shadow-stop names the serving version').toBe(serving);
    }
    expect(events.filter(({ event }) => event.startsWith('shadow')).length).toBe(2);
  });

  it('reports the differences of a candidate with another model, without serving it', async () => {
    // Vectors so loose the wrong model passes them: shadow mode is what must catch it.
    const vectors = await loadGoldenVectors();
    const lenient = {
      ...vectors,
      vectors: vectors.vectors
        .filter((v) => v.method === 'parametric' && 'levels' in v.expect)
        .map((v) => ({ ...v, expect: { ...v.expect, varTolerance: { relative: 1e9 }, esTolerance: { relative: 1e9 } } })),
    };
    registry = new ComponentRegistry({ ...auditFiles(), goldenVectors: lenient, engine: { workers: 1 } });
    await registry.register(DEFAULT_COMPONENT);
    const wrong = await registry.register(WRONG_MODEL);
    await registry.startShadow(wrong.version);
    const served = await registry.parametric(portfolio);
    expect(served.component.version).toBe('1.2.0');
    const report = await registry.stopShadow();
    expect(report).toMatchObject({ requests: 1, mismatches: 1 });
    expect(report.examples[0]).toMatch(/^parametric @0\.95: var [\d.]+ served, [\d.]+ from the candidate$/);
    expect(report.maxRelativeDifference).toBeGreaterThan(0.01);
  });
});

describe('the audit log', () => {
  it('keeps shadowing when it cannot record the stop: stopShadow() throws, the shadow goes on and a later stop reports it all', async () => {
    const { registry, auditLogPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.startShadow('1.3.0');
    await registry.parametric(portfolio);
    const whole = readFileSync(auditLogPath);
    writeFileSync(auditLogPath, `${readFileSync(auditLogPath, 'utf8').split('\n').slice(0, -2).join('\n')}\n`);
    await expect(registry.stopShadow()).rejects.toBeInstanceOf(AuditLogTamperedError);
    // Before, the shadow was gone and its report lost, and no line said it had stopped.
    expect(registry.shadowReport()).toMatchObject({ candidate: { version: '1.3.0' }, requests: 1 });
    await registry.parametric(portfolio);
    writeFileSync(auditLogPath, whole);
    expect(await registry.stopShadow()).toMatchObject({ candidate: { version: '1.3.0' }, requests: 2, mismatches: 0 });
    expect(registry.shadowReport().candidate).toBeNull();
  });

  it('detects an edited line', async () => {
    const { registry, auditLogPath, auditKeyPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    await registry.swap('1.3.0');
    const lines = readFileSync(auditLogPath, 'utf8').trimEnd().split('\n');
    lines[1] = lines[1]!.replace('test-suite', 'someone-else');
    writeFileSync(auditLogPath, `${lines.join('\n')}\n`);
    expect((await verifySwapAuditLog(auditLogPath, { keyPath: auditKeyPath })).brokenAt).toBe(2);
  });

  it('stops swaps when it is broken: swap() throws the typed error, appends nothing and keeps serving', async () => {
    const { registry, auditLogPath } = openRegistry();
    await registry.register(DEFAULT_COMPONENT);
    await registry.register(V1_3);
    const lines = readFileSync(auditLogPath, 'utf8').split('\n').slice(0, -2);
    writeFileSync(auditLogPath, `${lines.join('\n')}\n`);
    const before = readFileSync(auditLogPath);
    const error = await registry.swap('1.3.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditLogTamperedError);
    expect((error as Error).message).toMatch(/broken at line 3: lines were removed from its end.*nothing was appended/);
    expect(readFileSync(auditLogPath)).toEqual(before);
    expect(registry.active.version).toBe('1.2.0');
    expect((await registry.monteCarlo(portfolio, { paths: 1_000 })).component.version).toBe('1.2.0');
  });
});
