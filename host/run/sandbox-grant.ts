// What the sandbox grants a component and how it answers, as plain data and text, apart from the WASI
// implementation itself (sandbox.ts): the loader, the audit and a worker read these without loading
// preview2-shim, which starts a helper thread wherever it is imported.

export interface SandboxOptions {
  /** Interfaces the component's audit allowed, without version (`wasi:random/random`). */
  grantedInterfaces: readonly string[];
  /** Answer granted `wasi:random/*` and `wasi:clocks/*` from a fixed seed and a frozen clock (default
   *  true); false gives the host's entropy and time. */
  deterministic?: boolean;
  /** Whether the component imports any WASI interface (default true). One that imports none gets no WASI at
   *  all: the sandbox's WASI implementation (preview2-shim, which starts a helper thread) is not loaded. */
  importsWasi?: boolean;
  /** Bytes of stdout and of stderr passed to the log per instance; the rest is dropped (default 64 KiB). */
  outputLimitBytes?: number;
}

/** 2000-01-01T00:00:00Z: plainly not now, and inside every range a runtime checks a date against. */
export const FROZEN_WALL_CLOCK_SECONDS = 946_684_800n;
/** How far the monotonic clock moves at each read: 1 microsecond. */
export const MONOTONIC_STEP_NANOSECONDS = 1_000n;

const FROZEN_AT = new Date(Number(FROZEN_WALL_CLOCK_SECONDS) * 1000).toISOString().replace('.000Z', 'Z');

/** What the sandbox answers when a component calls an interface it was granted: shown by the audit beside
 *  each allowed import. Undefined for an interface the host does not know (one a policy allows by a pattern). */
export function describeSandboxAnswer(name: string, deterministic: boolean): string | undefined {
  const answers: [RegExp, string][] = [
    // The host links this interface with nothing: a policy allows the import, its types are all it can use.
    [/^wasm-risk:risk\/types$/, 'types only: the host implements no function in this interface, so a component that imports one cannot be instantiated'],
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
