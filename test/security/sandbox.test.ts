// The runtime sandbox, below the audit: what a component gets even for interfaces its policy allowed,
// and that what it was not granted traps. Checked on the import object the glue receives.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ComponentStream } from '../../host/run/captured-output.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { sandboxedWasiImports, type SandboxOptions } from '../../host/run/sandbox.js';

type Interface = Record<string, (...args: unknown[]) => unknown>;

function imports(options: SandboxOptions, log: (stream: ComponentStream, text: string) => void = () => undefined) {
  const all = sandboxedWasiImports(options, log) as Record<string, Interface>;
  return (name: string) => all[name]!;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('interfaces that were not granted', () => {
  const denied = imports({ grantedInterfaces: [] });

  it.each([
    ['wasi:random/random', 'getRandomBytes', [8n]],
    ['wasi:random/insecure-seed', 'insecureSeed', []],
    ['wasi:clocks/wall-clock', 'now', []],
    ['wasi:clocks/monotonic-clock', 'now', []],
    ['wasi:filesystem/preopens', 'getDirectories', []],
    ['wasi:sockets/instance-network', 'instanceNetwork', []],
    ['wasi:cli/environment', 'getEnvironment', []],
  ])('%s.%s traps', (name, fn, args) => {
    expect(() => denied(name)[fn]!(...args)).toThrow(`the sandbox does not grant ${name}`);
  });

  it('keep their resource classes, so the glue still links', () => {
    expect(denied('wasi:filesystem/types').Descriptor).toBeTypeOf('function');
    expect(denied('wasi:io/streams').OutputStream).toBeTypeOf('function');
  });
});

describe('interfaces that were granted', () => {
  const granted = imports({
    grantedInterfaces: ['wasi:random/random', 'wasi:clocks/monotonic-clock', 'wasi:filesystem/preopens', 'wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stdin'],
  });

  it('random and clocks work when the policy allows them', () => {
    expect(granted('wasi:random/random').getRandomBytes!(8n)).toHaveLength(8);
    expect(granted('wasi:clocks/monotonic-clock').now!()).toBeTypeOf('bigint');
  });

  it('still give no preopened directory, environment, argument or working directory', () => {
    process.env.WASM_RISK_TEST_SECRET = 'hunter2';
    try {
      expect(granted('wasi:filesystem/preopens').getDirectories!()).toEqual([]);
      expect(granted('wasi:cli/environment').getEnvironment!()).toEqual([]);
      expect(granted('wasi:cli/environment').getArguments!()).toEqual([]);
      expect(granted('wasi:cli/environment').initialCwd!()).toBeUndefined();
    } finally {
      delete process.env.WASM_RISK_TEST_SECRET;
    }
  });

  it('never let the component end the host or read its stdin', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    expect(() => granted('wasi:cli/exit').exit!({ tag: 'ok' })).toThrow(/does not grant wasi:cli\/exit/);
    expect(exit).not.toHaveBeenCalled();
    expect(() => granted('wasi:cli/stdin').getStdin!()).toThrow(/does not grant wasi:cli\/stdin/);
  });
});

describe("a component's stdout and stderr", () => {
  const text = (s: string) => new TextEncoder().encode(s);

  it("go to the host's log, never to the host's stdout", () => {
    const log: [ComponentStream, string][] = [];
    const stdout = vi.spyOn(process.stdout, 'write');
    const sandbox = imports({ grantedInterfaces: ['wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:io/streams'] }, (stream, line) => log.push([stream, line]));
    const out = sandbox('wasi:cli/stdout').getStdout!() as { blockingWriteAndFlush(bytes: Uint8Array): void; checkWrite(): bigint };
    expect(out).toBeInstanceOf(sandbox('wasi:io/streams').OutputStream as unknown as new () => unknown);
    expect(out.checkWrite()).toBeGreaterThan(0n);
    out.blockingWriteAndFlush(text('VaR forged by the component\n'));
    (sandbox('wasi:cli/stderr').getStderr!() as { blockingWriteAndFlush(bytes: Uint8Array): void }).blockingWriteAndFlush(text('warning'));
    expect(log).toEqual([
      ['stdout', 'VaR forged by the component'],
      ['stderr', 'warning'],
    ]);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('are capped: past the limit, output is dropped and the drop said once', () => {
    const log: string[] = [];
    const sandbox = imports({ grantedInterfaces: ['wasi:cli/stdout'], outputLimitBytes: 10 }, (_stream, line) => log.push(line));
    const out = sandbox('wasi:cli/stdout').getStdout!() as { blockingWriteAndFlush(bytes: Uint8Array): void };
    for (let i = 0; i < 100; i++) out.blockingWriteAndFlush(text('0123456'));
    expect(log).toEqual(['0123456', '012', '[output beyond 10 bytes dropped]']);
  });

  it('reach the debug log (NODE_DEBUG=wasm-risk) by default, with the host stdout untouched', () => {
    const script = `
      import { sandboxedWasiImports } from ${JSON.stringify(join(PROJECT_ROOT, 'dist', 'host', 'run', 'sandbox.js'))};
      sandboxedWasiImports({ grantedInterfaces: ['wasi:cli/stdout'] })['wasi:cli/stdout'].getStdout().blockingWriteAndFlush(new TextEncoder().encode('hello from the guest'));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'wasm-risk' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^WASM-RISK \d+: component stdout: hello from the guest$/m);
  });
});

it('takes plain data as options, so a worker thread builds the same sandbox from a structured clone', () => {
  const options: SandboxOptions = { grantedInterfaces: ['wasi:random/random'], outputLimitBytes: 1_024 };
  const cloned = structuredClone(options);
  expect(cloned).toEqual(options);
  expect(imports(cloned)('wasi:random/random').getRandomU64!()).toBeTypeOf('bigint');
});
