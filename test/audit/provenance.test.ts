// Provenance: strict mode admits only pinned bytes and shows both hashes for a modified file; with
// trusted keys, only a signature by one of them admits the component.
import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admitComponent, auditComponent } from '../../host/audit/admission.js';
import { sha256Hex } from '../../host/files/content-hash.js';
import { InvalidInputError, ProvenanceError, SignatureError } from '../../host/errors.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-provenance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const engine = readFileSync(DEFAULT_COMPONENT);
const engineSha = sha256Hex(engine);

function lockFile(components: unknown[]): string {
  const path = join(scratch, `lock-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ version: 1, components }));
  return path;
}

function publicPem(): { pem: string; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

describe('strict mode', () => {
  it('admits a component whose hash is pinned, naming the pin', async () => {
    const lock = lockFile([{ name: 'risk-engine', version: '1.0.0', sha256: engineSha }]);
    const report = await admitComponent(engine, DEFAULT_COMPONENT, { strict: true, lockFile: lock });
    expect(report.provenance.lock).toEqual({ status: 'pinned', lockFile: lock, name: 'risk-engine', version: '1.0.0' });
    expect(report.reasons).toContain(`pinned in ${lock} as risk-engine 1.0.0`);
  });

  it('refuses an unpinned component', async () => {
    const lock = lockFile([{ name: 'other', version: '2.0.0', sha256: 'a'.repeat(64) }]);
    const refused = admitComponent(engine, DEFAULT_COMPONENT, { strict: true, lockFile: lock });
    await expect(refused).rejects.toBeInstanceOf(ProvenanceError);
    await expect(refused).rejects.toThrow(`is not pinned in ${lock}: no entry has its sha256 ${engineSha}`);
  });

  it('refuses a modified byte, showing the expected and the actual hash', async () => {
    const copy = join(scratch, 'risk-engine.wasm');
    copyFileSync(DEFAULT_COMPONENT, copy);
    const lock = lockFile([{ name: 'risk-engine', version: '1.0.0', sha256: engineSha, path: 'risk-engine.wasm' }]);
    const tampered = Uint8Array.from(engine);
    tampered[tampered.length - 1]! ^= 0x01;
    const refused = admitComponent(tampered, copy, { strict: true, lockFile: lock });
    await expect(refused).rejects.toBeInstanceOf(ProvenanceError);
    await expect(refused).rejects.toThrow(`expected sha256 ${engineSha}, actual ${sha256Hex(tampered)}`);
  });

  it('refuses a tampered file as unapproved before any parser reads it, even when it no longer parses', async () => {
    const lock = lockFile([{ name: 'risk-engine', version: '1.0.0', sha256: engineSha }]);
    await expect(admitComponent(engine.subarray(0, 100), 'cut.wasm', { strict: true, lockFile: lock })).rejects.toBeInstanceOf(ProvenanceError);
    await expect(auditComponent(engine.subarray(0, 100), 'cut.wasm', { strict: true, lockFile: lock })).rejects.toBeInstanceOf(ProvenanceError);
  });

  it('needs a readable, well-formed lock file', async () => {
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { strict: true, lockFile: join(scratch, 'none.json') })).rejects.toThrow(/^lockFile: cannot read .*none\.json: ENOENT$/);
    const bad = lockFile([{ name: 'risk-engine', version: '1.0.0', sha256: 'F00D' }]);
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { strict: true, lockFile: bad })).rejects.toThrow(/^lockFile\.components\[0\]\.sha256: must be 64 lowercase hex digits$/);
  });
});

describe('signatures', () => {
  const trusted = publicPem();
  const stranger = publicPem();
  const signatureFile = join(scratch, 'engine.sig');
  writeFileSync(signatureFile, sign(null, engine, trusted.privateKey));

  it('a signature by a trusted key admits the component, naming the key', async () => {
    const report = await admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: [stranger.pem, trusted.pem], signatureFile });
    expect(report.provenance.signature).toMatchObject({ status: 'verified', signatureFile, key: expect.stringMatching(/^SHA256:[0-9a-f]{16}$/) });
  });

  it('accepts the signature as base64 text too', async () => {
    const base64 = join(scratch, 'engine.sig.b64');
    writeFileSync(base64, `${sign(null, engine, trusted.privateKey).toString('base64')}\n`);
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: [trusted.pem], signatureFile: base64 })).resolves.toBeDefined();
  });

  it('a signature by another key is refused', async () => {
    const refused = admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: [stranger.pem], signatureFile });
    await expect(refused).rejects.toBeInstanceOf(SignatureError);
    await expect(refused).rejects.toThrow(/does not verify with any trusted key \(SHA256:[0-9a-f]{16}\)/);
  });

  it('a signature over other bytes is refused', async () => {
    const tampered = Uint8Array.from(engine);
    tampered[tampered.length - 1]! ^= 0x01;
    await expect(admitComponent(tampered, DEFAULT_COMPONENT, { trustedKeys: [trusted.pem], signatureFile })).rejects.toBeInstanceOf(SignatureError);
  });

  it('a missing or malformed signature is refused', async () => {
    await expect(admitComponent(engine, join(scratch, 'unsigned.wasm'), { trustedKeys: [trusted.pem] })).rejects.toThrow(/no signature: .*unsigned\.wasm\.sig does not exist/);
    const junk = join(scratch, 'junk.sig');
    writeFileSync(junk, 'not a signature');
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: [trusted.pem], signatureFile: junk })).rejects.toThrow(/is not an Ed25519 signature/);
  });

  it('a trusted key must be an Ed25519 public key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: [rsa], signatureFile })).rejects.toThrow(/^trustedKeys\[0\]: is a rsa key, not Ed25519$/);
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { trustedKeys: ['hello'], signatureFile })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
