// The WASI a component sees. Whatever its audit allowed, the sandbox hands over as little as it can: no
// preopened directories, an empty environment, no arguments and no working directory, network disabled,
// stdin at its end, `exit` a trap instead of the end of the host, stdout and stderr captured into the
// host's debug log, and (unless the policy says otherwise) random bytes and clocks answered
// deterministically (deterministic-wasi.ts), restarted before every call. WASI interfaces the component
// was not granted trap when called. The options are plain data, so a worker thread builds the same
// imports from what crossed to it.
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { CapturedOutputStream, DEFAULT_OUTPUT_LIMIT_BYTES, hostDebugLog, type ComponentLogger } from './captured-output.js';
import { deterministicWasi, FROZEN_WALL_CLOCK_SECONDS, MONOTONIC_STEP_NANOSECONDS } from './deterministic-wasi.js';
import { EmptyInputStream } from './empty-input.js';

export interface SandboxOptions {
  /** Interfaces the component's audit allowed, without version (`wasi:random/random`). */
  grantedInterfaces: readonly string[];
  /** Answer granted `wasi:random/*` and `wasi:clocks/*` from a fixed seed and a frozen clock (default
   *  true); false gives the host's entropy and time. */
  deterministic?: boolean;
  /** Bytes of stdout and of stderr passed to the log per instance; the rest is dropped (default 64 KiB). */
  outputLimitBytes?: number;
}

type WasiInterface = Record<string, unknown>;

/** The imports of one instance, and what to do before each call into it. */
export interface SandboxedWasi {
  imports: Record<string, unknown>;
  /** Puts the deterministic answers back at their start, so every call sees the same random bytes and times. */
  beginCall(): void;
}

export function sandboxedWasi(options: SandboxOptions, log: ComponentLogger = hostDebugLog): SandboxedWasi {
  const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } }).getImportObject() as Record<string, WasiInterface>;
  const limit = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  const stdout = new CapturedOutputStream('stdout', limit, log);
  const stderr = new CapturedOutputStream('stderr', limit, log);
  const stdin = new EmptyInputStream();
  const notATerminal = () => undefined;
  const deterministic = options.deterministic === false ? undefined : deterministicWasi();
  // The shim's isolated environment still reports the host's working directory, and its exit ends the host.
  const overrides: Record<string, WasiInterface> = {
    'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    'wasi:cli/exit': { exit: refuse('wasi:cli/exit', 'exit'), exitWithCode: refuse('wasi:cli/exit', 'exit-with-code') },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-stdin': { getTerminalStdin: notATerminal },
    'wasi:cli/terminal-stdout': { getTerminalStdout: notATerminal },
    'wasi:cli/terminal-stderr': { getTerminalStderr: notATerminal },
    ...deterministic?.interfaces,
  };
  const granted = new Set(options.grantedInterfaces);
  const imports: Record<string, unknown> = {};
  for (const [name, implementation] of Object.entries({ ...shim, ...overrides })) {
    // The Node shim leaves out what it does not implement (the HTTP incoming handler).
    if (implementation === undefined) continue;
    imports[name] = granted.has(name) ? implementation : trapping(name, implementation);
  }
  return { imports, beginCall: () => deterministic?.restart() };
}

/** The interface with every function replaced by a trap; resource classes stay, so the glue still links. */
function trapping(name: string, implementation: WasiInterface): WasiInterface {
  return Object.fromEntries(
    Object.entries(implementation).map(([key, value]) => [key, typeof value === 'function' && !isClass(value) ? refuse(name, key) : value]),
  );
}

function refuse(name: string, fn: string): () => never {
  return () => {
    throw new Error(`the sandbox does not grant ${name} (${fn})`);
  };
}

function isClass(value: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}

const FROZEN_AT = new Date(Number(FROZEN_WALL_CLOCK_SECONDS) * 1000).toISOString().replace('.000Z', 'Z');

/** What the sandbox answers when a component calls an interface it was granted: shown by the audit beside
 *  each allowed import. Undefined for an interface the sandbox does not know (the risk world's own types). */
export function describeSandboxAnswer(name: string, deterministic: boolean): string | undefined {
  const answers: [RegExp, string][] = [
    [/^wasi:cli\/environment$/, 'no variables, no arguments, no working directory'],
    [/^wasi:cli\/stdin$/, 'a stream already at its end'],
    [/^wasi:cli\/std(out|err)$/, "written to the host's debug log (NODE_DEBUG=wasm-risk), escaped and capped; never to the host's own streams"],
    [/^wasi:cli\/exit$/, 'traps: the call fails, the host goes on'],
    [/^wasi:cli\/terminal-/, 'not a terminal'],
    [/^wasi:filesystem\//, 'no preopened directory: no file or directory can be reached'],
    [/^wasi:sockets\//, 'network disabled: every socket and name lookup answers access-denied'],
    [/^wasi:http\//, 'network disabled: every request answers access-denied'],
    [/^wasi:io\//, 'the streams and pollables of the interfaces above'],
    [/^wasi:random\//, deterministic ? 'bytes from a fixed seed, restarted before every call' : "the host's entropy (policy: deterministic false)"],
    [/^wasi:clocks\/wall-clock$/, deterministic ? `frozen at ${FROZEN_AT}` : "the host's time (policy: deterministic false)"],
    [
      /^wasi:clocks\/monotonic-clock$/,
      deterministic ? `starts at 0 before every call and advances ${MONOTONIC_STEP_NANOSECONDS} ns per read; a wait ends at once` : "the host's clock (policy: deterministic false)",
    ],
  ];
  return answers.find(([pattern]) => pattern.test(name))?.[1];
}
