// The runtime sandbox, below the audit: what a component gets even for interfaces its policy allowed,
// and that what it was not granted traps. Checked on the import object the glue receives.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ComponentStream } from '../../host/run/captured-output.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { MAX_RANDOM_BYTES_PER_CALL } from '../../host/run/deterministic-wasi.js';
import { FROZEN_WALL_CLOCK_SECONDS, MONOTONIC_STEP_NANOSECONDS, type SandboxOptions } from '../../host/run/sandbox-grant.js';
import { EmptyInputStream } from '../../host/run/empty-input.js';
import { sandboxedWasi } from '../../host/run/sandbox.js';

type Interface = Record<string, (...args: unknown[]) => unknown>;

function imports(options: SandboxOptions, log: (stream: ComponentStream, text: string) => void = () => undefined) {
  const all = sandboxedWasi(options, log).imports as Record<string, Interface>;
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

  it('construct no resource, not even one WASI gives a constructor, and run no static function', () => {
    const { Fields } = denied('wasi:http/types') as unknown as { Fields: (new () => unknown) & { fromList: (entries: unknown[]) => unknown } };
    expect(() => new Fields()).toThrow('the sandbox does not grant wasi:http/types (new Fields)');
    expect(() => Fields.fromList([])).toThrow('the sandbox does not grant wasi:http/types (Fields.fromList)');
  });
});

describe('resource classes', () => {
  type Constructible = new () => object;
  const granted = imports({ grantedInterfaces: ['wasi:sockets/network', 'wasi:sockets/instance-network', 'wasi:filesystem/types', 'wasi:io/streams', 'wasi:http/types'] });
  const resource = (name: string, key: string) => granted(name)[key] as unknown as Constructible;

  // jco's glue answers a `[constructor]network` the component declares with `new Network()`; the shim's
  // classes start with every permission, and a new Network would connect anywhere.
  it.each([
    ['wasi:sockets/network', 'Network'],
    ['wasi:filesystem/types', 'Descriptor'],
    ['wasi:io/streams', 'OutputStream'],
    ['wasi:http/types', 'IncomingBody'],
  ])('%s %s cannot be constructed by a component, even when granted: WASI gives it no constructor', (name, key) => {
    expect(() => new (resource(name, key))()).toThrow(`the sandbox makes no ${key} for a component: WASI's ${name} has no constructor for it`);
  });

  it("still recognise the sandbox's own resources, as the glue checks them", () => {
    const network = (granted('wasi:sockets/instance-network').instanceNetwork as () => object)();
    expect(network).toBeInstanceOf(resource('wasi:sockets/network', 'Network'));
    const stdout = (imports({ grantedInterfaces: ['wasi:cli/stdout'] })('wasi:cli/stdout').getStdout as () => object)();
    expect(stdout).toBeInstanceOf(resource('wasi:io/streams', 'OutputStream'));
  });

  it('of a granted interface construct what WASI gives a constructor', () => {
    expect(new (resource('wasi:http/types', 'Fields'))()).toBeInstanceOf(resource('wasi:http/types', 'Fields'));
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

  it('never let the component end the host', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    expect(() => granted('wasi:cli/exit').exit!({ tag: 'ok' })).toThrow(/does not grant wasi:cli\/exit/);
    expect(exit).not.toHaveBeenCalled();
  });

  it("give a stdin already at its end (not the host's): every read says closed", () => {
    const stdin = granted('wasi:cli/stdin').getStdin!() as EmptyInputStream & Record<string, (length?: bigint) => unknown>;
    expect(stdin).toBeInstanceOf(imports({ grantedInterfaces: [] })('wasi:io/streams').InputStream as unknown as new () => unknown);
    for (const read of ['read', 'blockingRead', 'skip', 'blockingSkip']) expect(() => stdin[read]!(16n)).toThrow(expect.objectContaining({ tag: 'closed' }));
  });
});

describe('random and clocks, answered deterministically (the default)', () => {
  const names = ['wasi:random/random', 'wasi:random/insecure', 'wasi:random/insecure-seed', 'wasi:clocks/wall-clock', 'wasi:clocks/monotonic-clock'];
  const reads = (get: (name: string) => Interface) => [
    get('wasi:random/random').getRandomBytes!(13n),
    get('wasi:random/random').getRandomU64!(),
    get('wasi:random/insecure').getInsecureRandomBytes!(5n),
    get('wasi:random/insecure-seed').insecureSeed!(),
    get('wasi:clocks/wall-clock').now!(),
    get('wasi:clocks/monotonic-clock').now!(),
    get('wasi:clocks/monotonic-clock').now!(),
  ];

  it('give the same bytes and times in every instance and in every call, after beginCall', () => {
    const first = sandboxedWasi({ grantedInterfaces: names });
    const firstGet = (name: string) => first.imports[name] as Interface;
    const firstReads = reads(firstGet);
    const second = sandboxedWasi({ grantedInterfaces: names });
    expect(reads((name) => second.imports[name] as Interface)).toEqual(firstReads);
    // The same instance, a later call: the same answers again.
    expect(reads(firstGet)).not.toEqual(firstReads);
    first.beginCall();
    expect(reads(firstGet)).toEqual(firstReads);
  });

  it('are a fixed stream, a frozen wall clock and a monotonic clock one step per read', () => {
    const { imports: all } = sandboxedWasi({ grantedInterfaces: names });
    const get = (name: string) => all[name] as Interface;
    const bytes = get('wasi:random/random').getRandomBytes!(16n) as Uint8Array;
    // SplitMix64 from the fixed seed, little-endian: pinned, since a plugin's numbers may depend on it.
    expect(Buffer.from(bytes).toString('hex')).toBe('21a2be4a9ff6b02c8989142347031794');
    expect(get('wasi:clocks/wall-clock').now!()).toEqual({ seconds: FROZEN_WALL_CLOCK_SECONDS, nanoseconds: 0 });
    expect(get('wasi:clocks/wall-clock').now!()).toEqual({ seconds: FROZEN_WALL_CLOCK_SECONDS, nanoseconds: 0 });
    expect(get('wasi:clocks/monotonic-clock').now!()).toBe(MONOTONIC_STEP_NANOSECONDS);
    expect(get('wasi:clocks/monotonic-clock').now!()).toBe(2n * MONOTONIC_STEP_NANOSECONDS);
  });

  it.each([true, false])('refuse a request for more random bytes than one call may take, instead of exhausting the host (deterministic: %s)', (deterministic) => {
    // Without the bound, the host's entropy was 2 GiB of host memory for a get-random-bytes(2^31 - 1).
    const get = imports({ grantedInterfaces: names, deterministic });
    for (const [name, fn] of [['wasi:random/random', 'getRandomBytes'], ['wasi:random/insecure', 'getInsecureRandomBytes']] as const) {
      expect(() => get(name)[fn]!(BigInt(MAX_RANDOM_BYTES_PER_CALL) + 1n)).toThrow(/at most 1048576 random bytes per call/);
      expect(() => get(name)[fn]!(2n ** 64n - 1n)).toThrow(/at most 1048576 random bytes per call/);
      expect(get(name)[fn]!(BigInt(MAX_RANDOM_BYTES_PER_CALL))).toHaveLength(MAX_RANDOM_BYTES_PER_CALL);
    }
  });

  it("are the host's entropy and time when the policy says deterministic: false", () => {
    const get = imports({ grantedInterfaces: names, deterministic: false });
    expect(get('wasi:random/random').getRandomBytes!(16n)).not.toEqual(get('wasi:random/random').getRandomBytes!(16n));
    const { seconds } = get('wasi:clocks/wall-clock').now!() as { seconds: bigint };
    expect(Number(seconds)).toBeGreaterThan(Number(FROZEN_WALL_CLOCK_SECONDS) + 365 * 86_400);
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

  it('are capped at 64 KiB a stream in each instance unless the options say otherwise', () => {
    const log: string[] = [];
    const sandbox = imports({ grantedInterfaces: ['wasi:cli/stdout', 'wasi:cli/stderr'] }, (stream, line) => log.push(`${stream}: ${line}`));
    // 80 lines of 1 KiB (1,023 characters and a newline) to each stream: 64 of them pass.
    const line = 'x'.repeat(1023);
    for (const [name, get] of [['wasi:cli/stdout', 'getStdout'], ['wasi:cli/stderr', 'getStderr']] as const) {
      const stream = sandbox(name)[get]!() as { blockingWriteAndFlush(bytes: Uint8Array): void };
      for (let i = 0; i < 80; i++) stream.blockingWriteAndFlush(text(`${line}\n`));
    }
    expect(log.filter((entry) => entry === `stdout: ${line}`)).toHaveLength(64);
    expect(log.filter((entry) => entry === `stderr: ${line}`)).toHaveLength(64);
    expect(log.filter((entry) => !entry.endsWith(line))).toEqual(['stdout: [output beyond 65536 bytes dropped]', 'stderr: [output beyond 65536 bytes dropped]']);
  });

  it('reach the debug log (NODE_DEBUG=wasm-risk) by default, with the host stdout untouched', () => {
    const script = `
      import { sandboxedWasi } from ${JSON.stringify(join(PROJECT_ROOT, 'dist', 'host', 'run', 'sandbox.js'))};
      sandboxedWasi({ grantedInterfaces: ['wasi:cli/stdout'] }).imports['wasi:cli/stdout'].getStdout().blockingWriteAndFlush(new TextEncoder().encode('hello from the guest'));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'wasm-risk' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^WASM-RISK \d+: component stdout: hello from the guest$/m);
  });
});

it('takes plain data as options, so a worker thread builds the same sandbox from a structured clone', () => {
  const options: SandboxOptions = { grantedInterfaces: ['wasi:random/random'], deterministic: true, outputLimitBytes: 1_024 };
  const cloned = structuredClone(options);
  expect(cloned).toEqual(options);
  expect(imports(cloned)('wasi:random/random').getRandomU64!()).toBeTypeOf('bigint');
});
