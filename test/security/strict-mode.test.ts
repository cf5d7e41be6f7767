// `var` enforces provenance before running anything: in strict mode only pinned bytes run, and with
// trusted keys only bytes signed by one of them.
import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../host/files/content-hash.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const EXAMPLE = EXAMPLE_PORTFOLIO;
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-strict-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const engine = readFileSync(DEFAULT_COMPONENT);
const pinnedCopy = join(scratch, 'risk-engine.wasm');
copyFileSync(DEFAULT_COMPONENT, pinnedCopy);
const lockFile = join(scratch, 'components.lock.json');
writeFileSync(lockFile, JSON.stringify({ version: 1, components: [{ name: 'risk-engine', version: '1.0.0', sha256: sha256Hex(engine), path: 'risk-engine.wasm' }] }));

const runVar = (component: string, ...flags: string[]) => runCli(['var', EXAMPLE, '--component', component, '--paths', '1000', '--json', ...flags]);

describe('var --strict', () => {
  it('runs a pinned component', () => {
    const run = runVar(pinnedCopy, '--strict', '--lock-file', lockFile);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ component: { name: 'risk-engine', sha256: sha256Hex(engine) } });
  });

  it('refuses an unpinned component with exit code 1', () => {
    const run = runVar(fixture('panicker'), '--strict', '--lock-file', lockFile);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^wasm-risk: ERR_PROVENANCE: .*panicker\.wasm is not pinned in .*components\.lock\.json: no entry has its sha256 [0-9a-f]{64}\n$/);
  });

  it('refuses a modified byte, showing the expected and the actual hash', () => {
    const tampered = Uint8Array.from(engine);
    tampered[5_000]! ^= 0x01;
    writeFileSync(pinnedCopy, tampered);
    try {
      const run = runVar(pinnedCopy, '--strict', '--lock-file', lockFile);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `wasm-risk: ERR_PROVENANCE: ${pinnedCopy} does not match its pin in ${lockFile} (risk-engine 1.0.0): expected sha256 ${sha256Hex(engine)}, actual ${sha256Hex(tampered)}\n`,
      );
    } finally {
      copyFileSync(DEFAULT_COMPONENT, pinnedCopy);
    }
  });
});

describe('var --trusted-key', () => {
  const [signer, stranger] = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
  const keyFile = (name: string, key: typeof signer) => {
    const path = join(scratch, `${name}.pem`);
    writeFileSync(path, key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    return path;
  };
  writeFileSync(`${pinnedCopy}.sig`, sign(null, engine, signer.privateKey));

  it('runs a component signed by a trusted key (signature beside it, <component>.sig)', () => {
    expect(runVar(pinnedCopy, '--trusted-key', keyFile('signer', signer)).status).toBe(0);
  });

  it('refuses it when the key that signed it is not trusted', () => {
    const run = runVar(pinnedCopy, '--trusted-key', keyFile('stranger', stranger));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_SIGNATURE: the signature in .*risk-engine\.wasm\.sig does not verify with any trusted key \(SHA256:[0-9a-f]{16}\)\n$/);
  });
});
