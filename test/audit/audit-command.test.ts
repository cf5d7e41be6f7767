// `wasm-risk audit` as a user runs it: a readable report or one JSON object, exit 0 when allowed, 1 when
// denied, 2 with one line for anything that is not a readable component or a bad flag.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../host/files/content-hash.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const ENGINE = 'build/components/risk-engine.wasm';
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-audit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const engine = readFileSync(DEFAULT_COMPONENT);

function scratchFile(name: string, content: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe('wasm-risk audit', () => {
  it("reports the project's engine as allowed: identity, world, imports with their rule, exports, verdict", () => {
    const run = runCli(['audit', ENGINE]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`sha256     ${sha256Hex(engine)}`);
    expect(run.stdout).toMatch(/^world {6}implements wasm-risk:risk@1\.2\.0$/m);
    expect(run.stdout).toMatch(/^producers +processed-by: .*rustc /m);
    expect(run.stdout).toMatch(/^ {2}allow {2}wasm-risk:risk\/types@1\.2\.0 \(types only\)\n {9}rule 1 \(wasm-risk:risk\/types \^1\.0\.0\): /m);
    expect(run.stdout).toContain('wasm-risk:risk/engine@1.2.0: info, monte-carlo, simulate-pnl, sorted-losses, historical, parametric, monte-carlo-factors, simulate-pnl-factors, sorted-losses-factors, historical-factors, parametric-factors');
    expect(run.stdout).toMatch(/^verdict: ALLOW$/m);
    expect(run.stdout).not.toMatch(/wasi:(filesystem|sockets|http)/);
  });

  it('prints exactly one JSON object with --json', () => {
    const run = runCli(['audit', ENGINE, '--json']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      sha256: sha256Hex(engine),
      size: engine.length,
      imports: [{ name: 'wasm-risk:risk/types@1.2.0', verdict: 'allow', rule: { number: 1 } }],
      exports: [{ name: 'wasm-risk:risk/engine@1.2.0', functions: ['info', 'monte-carlo', 'simulate-pnl', 'sorted-losses', 'historical', 'parametric', 'monte-carlo-factors', 'simulate-pnl-factors', 'sorted-losses-factors', 'historical-factors', 'parametric-factors'] }],
      verdict: 'allow',
      reasons: ["policy 'wasm-risk default' allows all 1 import"],
    });
  });

  it.each([
    ['fs-reader', 'wasi:filesystem/preopens@0.2.12'],
    ['socket-opener', 'wasi:sockets/tcp-create-socket@0.2.12'],
    ['env-reader', 'wasi:cli/environment@0.2.12'],
    ['unknown-import', 'evil:backdoor/exfiltrate@1.0.0'],
  ])('denies %s with exit code 1, naming %s in the report and on stderr', (name, offending) => {
    const path = `build/fixtures/${name}.wasm`;
    const run = runCli(['audit', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^ {2}DENY {3}${offending.replace(/[/.]/g, '\\$&')}`, 'm'));
    expect(run.stdout).toMatch(/^verdict: DENY$/m);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^wasm-risk: ERR_POLICY_DENIED: ${path} denied by policy 'wasm-risk default': .*${offending}`));
    const json = runCli(['audit', path, '--json']);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { verdict: string; imports: { name: string; verdict: string }[] };
    expect(report.verdict).toBe('deny');
    expect(report.imports).toContainEqual(expect.objectContaining({ name: offending, verdict: 'deny' }));
  });

  it('allows a hostile fixture only under a policy relaxed on purpose', () => {
    const relaxed = scratchFile('relaxed.json', JSON.stringify({ version: 1, name: 'relaxed', rules: [{ interface: '*', verdict: 'allow', reason: 'test' }] }));
    const run = runCli(['audit', 'build/fixtures/fs-reader.wasm', '--policy', relaxed]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^policy {5}relaxed$/m);
  });

  it('checks the lock file in strict mode, showing both hashes for a modified file', () => {
    const tampered = Uint8Array.from(engine);
    tampered[tampered.length - 1]! ^= 0x01;
    const copy = scratchFile('risk-engine.wasm', tampered);
    const lock = scratchFile('components.lock.json', JSON.stringify({ version: 1, components: [{ name: 'risk-engine', version: '1.0.0', sha256: sha256Hex(engine), path: 'risk-engine.wasm' }] }));
    const pinned = runCli(['audit', ENGINE, '--strict', '--lock-file', lock]);
    expect(pinned.status).toBe(0);
    expect(pinned.stdout).toContain(`lock file  pinned in ${lock} as risk-engine 1.0.0`);
    const modified = runCli(['audit', copy, '--strict', '--lock-file', lock]);
    expect(modified.status).toBe(1);
    expect(modified.stderr).toMatch(new RegExp(`^wasm-risk: ERR_PROVENANCE: .*expected sha256 ${sha256Hex(engine)}, actual ${sha256Hex(tampered)}\\n$`));
  });

  it('verifies a signature against the trusted keys', () => {
    const keys = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
    const [trusted, stranger] = keys.map(({ publicKey }, i) => scratchFile(`key-${i}.pem`, publicKey.export({ type: 'spki', format: 'pem' }).toString()));
    const signature = scratchFile('engine.sig', sign(null, engine, keys[0]!.privateKey));
    const good = runCli(['audit', ENGINE, '--trusted-key', trusted!, '--signature', signature]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^ {2}signature {2}verified: .*engine\.sig by SHA256:[0-9a-f]{16}$/m);
    const wrongKey = runCli(['audit', ENGINE, '--trusted-key', stranger!, '--signature', signature]);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toMatch(/^wasm-risk: ERR_SIGNATURE: the signature in .*engine\.sig does not verify with any trusted key/);
  });
});

describe('unreadable input: exit code 2 and one line naming the problem', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['audit', join(scratch, 'none.wasm')], /ERR_COMPONENT_LOAD: cannot read component .*none\.wasm: ENOENT/],
    ['an empty file', ['audit', scratchFile('empty.wasm', '')], /ERR_COMPONENT_LOAD: .*empty\.wasm is not a WebAssembly file \(too short\)/],
    ['garbage', ['audit', scratchFile('garbage.wasm', 'hello, world, this is not wasm')], /ERR_COMPONENT_LOAD: .*garbage\.wasm is not a WebAssembly file \(no \\0asm header\)/],
    ['a truncated component', ['audit', scratchFile('truncated.wasm', engine.subarray(0, 4_000))], /ERR_COMPONENT_LOAD: .*truncated\.wasm is truncated or corrupt: the file ends in the middle of a definition at byte \d+/],
    ['random bytes after a component header', ['audit', scratchFile('noise.wasm', Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 0x2d, 0x99, 0x01]))], /ERR_COMPONENT_LOAD: .*noise\.wasm is truncated or corrupt: unknown section id 0x2d at byte 8/],
    ['a core module', ['audit', 'build/cargo-target/wasm32-unknown-unknown/release/risk_engine.wasm'], /is a core WebAssembly module, not a component/],
    ['a policy file that is not JSON', ['audit', ENGINE, '--policy', scratchFile('policy.txt', 'allow everything')], /ERR_INVALID_INPUT: --policy: .*policy\.txt is not valid JSON/],
    ['an invalid policy', ['audit', ENGINE, '--policy', scratchFile('policy.json', '{"version":1,"name":"p","rules":[{"interface":"wasi:*","verdict":"allow"}]}')], /ERR_INVALID_INPUT: --policy: rules\[0\]\.reason/],
    ['a lock file without --strict', ['audit', ENGINE, '--lock-file', 'components.lock.json'], /ERR_INVALID_INPUT: --lock-file: applies only with --strict/],
    ['a signature without a key', ['audit', ENGINE, '--signature', 'x.sig'], /ERR_INVALID_INPUT: --signature: applies only with --trusted-key/],
    ['an unreadable key', ['audit', ENGINE, '--trusted-key', join(scratch, 'none.pem')], /ERR_INVALID_INPUT: --trusted-key: cannot read .*none\.pem: ENOENT/],
    ['a missing argument', ['audit'], /missing required argument 'component\.wasm'/],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    expectOneLineFailure(runCli(args), 2, message);
  });
});
