// The WASI a component sees. Whatever its audit allowed, the sandbox hands over as little as it can: no
// preopened directories, an empty environment, no arguments and no working directory, network disabled,
// stdin at its end, `exit` a trap instead of the end of the host, stdout and stderr captured into the
// host's debug log, and (unless the policy says otherwise) random bytes and clocks answered
// deterministically (deterministic-wasi.ts), restarted before every call; either way at most 1 MiB of
// random bytes a call. WASI interfaces the component
// was not granted trap when called. A component's glue calls whatever constructor its own import types
// declare (`[constructor]network` becomes `new Network()`), so only the constructors WASI defines can be
// called, and only in granted interfaces: the shim's classes start out with every permission (a new
// `Network` may connect anywhere). The options are plain data, so a worker thread builds the same
// imports from what crossed to it.
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { CapturedOutputStream, DEFAULT_OUTPUT_LIMIT_BYTES, hostDebugLog, type ComponentLogger } from './captured-output.js';
import { randomBytes } from 'node:crypto';
import { deterministicWasi, randomBytesLength } from './deterministic-wasi.js';
import { EmptyInputStream } from './empty-input.js';
import type { SandboxOptions } from './sandbox-grant.js';

type WasiInterface = Record<string, unknown>;

/** The resources WASI 0.2 gives a constructor, by interface and the shim's class name: no other resource
 *  of the shim may be made by a component, whatever its import types declare. */
const WASI_CONSTRUCTORS: Record<string, readonly string[]> = {
  'wasi:http/types': ['Fields', 'OutgoingRequest', 'OutgoingResponse', 'RequestOptions'],
};

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
  // The shim hands over as many bytes of the host's entropy as asked for: 2 GiB of host memory in one call.
  const hostEntropy = (length: bigint) => randomBytes(randomBytesLength(length));
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
    'wasi:random/random': { ...shim['wasi:random/random'], getRandomBytes: hostEntropy },
    'wasi:random/insecure': { ...shim['wasi:random/insecure'], getInsecureRandomBytes: hostEntropy },
    ...deterministic?.interfaces,
  };
  const granted = new Set(options.grantedInterfaces);
  const imports: Record<string, unknown> = {};
  for (const [name, implementation] of Object.entries({ ...shim, ...overrides })) {
    // The Node shim leaves out what it does not implement (the HTTP incoming handler).
    if (implementation === undefined) continue;
    imports[name] = guarded(name, implementation, granted.has(name));
  }
  return { imports, beginCall: () => deterministic?.restart() };
}

/** The interface as the glue gets it: a granted one's functions as they are, an ungranted one's as traps;
 *  resource classes stay (the glue checks handles with `instanceof`), but only granted WASI constructors
 *  construct, and only a granted interface's static functions run. */
function guarded(name: string, implementation: WasiInterface, granted: boolean): WasiInterface {
  return Object.fromEntries(
    Object.entries(implementation).map(([key, value]) => {
      if (typeof value !== 'function') return [key, value];
      if (isClass(value)) return [key, resourceClass(name, key, value, granted)];
      return [key, granted ? value : refuse(name, key)];
    }),
  );
}

function resourceClass(name: string, key: string, resource: Function, granted: boolean): Function {
  const constructs = granted && (WASI_CONSTRUCTORS[name]?.includes(key) ?? false);
  return new Proxy(resource, {
    construct(target, args, newTarget) {
      if (constructs) return Reflect.construct(target, args, newTarget) as object;
      throw new Error(granted ? `the sandbox makes no ${key} for a component: WASI's ${name} has no constructor for it` : `the sandbox does not grant ${name} (new ${key})`);
    },
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const isStatic = typeof property === 'string' && property !== 'prototype' && Object.hasOwn(target, property) && typeof value === 'function';
      return isStatic && !granted ? refuse(name, `${key}.${property}`) : value;
    },
  });
}

function refuse(name: string, fn: string): () => never {
  return () => {
    throw new Error(`the sandbox does not grant ${name} (${fn})`);
  };
}

function isClass(value: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}
