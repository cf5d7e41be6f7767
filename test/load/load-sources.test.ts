// `RiskEngine.load(source, options)` takes a path, a file: URL or the component's bytes, refuses any other
// URL, and the audit and provenance name bytes by their hash; `await using` closes engines and registries.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { auditComponent } from '../../host/audit/admission.js';
import { InvalidInputError, PolicyDeniedError, ProvenanceError } from '../../host/errors.js';
import { sha256Hex } from '../../host/files/content-hash.js';
import { DEFAULT_COMPONENT, EXAMPLE_PORTFOLIO } from '../../host/files/package-paths.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { ComponentRegistry } from '../../host/versions/registry.js';
import { fixture } from '../support/fixtures.js';

const engineBytes = readFileSync(DEFAULT_COMPONENT);
const BYTES_NAME = `<bytes sha256:${sha256Hex(engineBytes).slice(0, 16)}>`;
const portfolio = JSON.parse(readFileSync(EXAMPLE_PORTFOLIO, 'utf8')) as PortfolioSpec;
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-load-sources-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('what RiskEngine.load takes', () => {
  it('a path, a file: URL and the bytes load the same component and give the same numbers', async () => {
    const results = [];
    for (const source of [DEFAULT_COMPONENT, pathToFileURL(DEFAULT_COMPONENT), new Uint8Array(engineBytes)]) {
      const engine = await RiskEngine.load(source, { isolation: 'in-thread' });
      try {
        results.push(await engine.monteCarlo(portfolio, { paths: 5_000, seed: 11n }));
      } finally {
        await engine.close();
      }
    }
    const numbers = results.map(({ levels, component }) => ({ levels, sha256: component.sha256 }));
    expect(numbers[1]).toEqual(numbers[0]);
    expect(numbers[2]).toEqual(numbers[0]);
  });

  it('refuses URLs other than file: with a typed error, before fetching anything', async () => {
    const refused = RiskEngine.load(new URL('https://example.com/risk-engine.wasm'));
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toThrow(/^source: only file: URLs can be loaded, not https:$/);
  });

  it('refuses bytes in any other form by name (an ArrayBuffer, a DataView or a Uint16Array was "undefined is not a WebAssembly file")', async () => {
    const copy = new Uint8Array(engineBytes);
    const detached = new Uint8Array(engineBytes);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const source of [copy.buffer, new DataView(copy.buffer), new Uint16Array(4), {}, { bytes: 'x' }, detached]) {
      const refused = RiskEngine.load(source as never, { isolation: 'in-thread' });
      await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toThrow(/^source: must be a path, a file: URL or a Uint8Array( whose ArrayBuffer was not transferred)?$/);
    }
    await using registry = new ComponentRegistry({ auditLogPath: join(scratch, 'sources.log'), auditKeyPath: join(scratch, 'audit.key') });
    await expect(registry.register(copy.buffer as never)).rejects.toThrow(/^source: must be a path, a file: URL or a Uint8Array$/);
  });

  it('copies the bytes it is given: changing them afterwards changes nothing', async () => {
    const bytes = new Uint8Array(engineBytes);
    const loading = RiskEngine.load(bytes, { isolation: 'in-thread' });
    bytes.fill(0);
    const engine = await loading;
    try {
      expect(engine.component.sha256).toBe(sha256Hex(engineBytes));
    } finally {
      await engine.close();
    }
  });
});

describe('bytes in the audit and provenance checks', () => {
  it('a denied component given as bytes is named by its hash', async () => {
    const fsReader = readFileSync(fixture('fs-reader'));
    const refused = RiskEngine.load(fsReader);
    await expect(refused).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(refused).rejects.toThrow(new RegExp(`^<bytes sha256:${sha256Hex(fsReader).slice(0, 16)}> denied by policy`));
  });

  it('the audit report names bytes by their hash', async () => {
    const report = await auditComponent(engineBytes);
    expect(report.path).toBe(BYTES_NAME);
    expect(report.verdict).toBe('allow');
  });

  it('strict mode pins bytes by hash; unpinned bytes are refused by name (no file to call modified)', async () => {
    const lockFile = join(scratch, 'components.lock.json');
    writeFileSync(lockFile, JSON.stringify({ version: 1, components: [{ name: 'other', version: '1.0.0', sha256: '0'.repeat(64), path: DEFAULT_COMPONENT }] }));
    const refused = RiskEngine.load(engineBytes, { admission: { strict: true, lockFile } });
    await expect(refused).rejects.toBeInstanceOf(ProvenanceError);
    await expect(refused).rejects.toThrow(`${BYTES_NAME} is not pinned in ${lockFile}`);
    writeFileSync(lockFile, JSON.stringify({ version: 1, components: [{ name: 'risk-engine', version: '1.0.0', sha256: sha256Hex(engineBytes) }] }));
    const engine = await RiskEngine.load(engineBytes, { admission: { strict: true, lockFile }, isolation: 'in-thread' });
    await engine.close();
  });

  it('with trusted keys, bytes need their signature file named: no <component>.sig sits beside them', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const trustedKeys = [publicKey.export({ type: 'spki', format: 'pem' }).toString()];
    const refused = RiskEngine.load(engineBytes, { admission: { trustedKeys } });
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toThrow(/^admission\.signatureFile: required for a component given as bytes/);
    const signatureFile = join(scratch, 'engine.sig');
    writeFileSync(signatureFile, sign(null, engineBytes, privateKey));
    const engine = await RiskEngine.load(engineBytes, { admission: { trustedKeys, signatureFile }, isolation: 'in-thread' });
    await engine.close();
  });
});

describe('await using', () => {
  it('disposing an engine closes it', async () => {
    const engine = await RiskEngine.load(undefined, { workers: 1 });
    const close = vi.spyOn(engine, 'close');
    await engine[Symbol.asyncDispose]();
    expect(close).toHaveBeenCalledOnce();
  });

  it('disposing a registry closes it', async () => {
    const registry = new ComponentRegistry({ auditLogPath: join(scratch, 'swaps.log'), auditKeyPath: join(scratch, 'audit.key') });
    const close = vi.spyOn(registry, 'close');
    await registry[Symbol.asyncDispose]();
    expect(close).toHaveBeenCalledOnce();
  });
});
