// Every error the host raises: one class per failure a caller can act on, each with a stable `code`.

/** The message of anything thrown, Error or not. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What an error was caused by: ES2022's `ErrorOptions`, declared here so that the package's type declarations
 *  also compile in a TypeScript program whose `lib` is older (ES2020, with `skipLibCheck` off). */
export interface WasmRiskErrorOptions {
  cause?: unknown;
}

export abstract class WasmRiskError extends Error {
  abstract readonly code: string;
  /** Process exit code the CLI uses for this failure. */
  abstract readonly exitCode: number;

  constructor(message: string, options?: WasmRiskErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request or portfolio failed validation; `field` is the JSON path of the offending value. */
export class InvalidInputError extends WasmRiskError {
  readonly code = 'ERR_INVALID_INPUT';
  readonly exitCode = 2;
  constructor(
    readonly field: string,
    /** What is wrong with it: the message without the field. */
    readonly problem: string,
    options?: WasmRiskErrorOptions,
  ) {
    super(field ? `${field}: ${problem}` : problem, options);
  }
}

/** The correlation matrix is not positive semi-definite: bad input only a factorisation finds (every entry may be
 *  in range and symmetric). `field` is its JSON path: `correlation`, as the engine and a portfolio file name it;
 *  the service names it where the body holds it (`portfolio.correlation`, `requests[3].portfolio.correlation`). */
export class NotPositiveSemidefiniteError extends WasmRiskError {
  readonly code = 'ERR_NOT_POSITIVE_SEMIDEFINITE';
  readonly exitCode = 2;
  readonly field: string;

  /** `options.field` is given where the matrix is not the flat `correlation` (as errors.ts's other classes, the
   *  second argument is the options: a caller's `new NotPositiveSemidefiniteError(message, { cause })` keeps
   *  meaning what it meant). */
  constructor(message: string, options: WasmRiskErrorOptions & { field?: string } = {}) {
    super(message, options);
    this.field = options.field ?? 'correlation';
  }
}

/** The bad input an error names by its JSON path, '' for input wrong as a whole: InvalidInputError's, and a
 *  correlation that is not positive semi-definite; undefined for any other error. The one place that says
 *  which errors name a field (the service's problem documents, the thread transport, field-location.ts). */
export function namedField(error: unknown): string | undefined {
  return error instanceof InvalidInputError || error instanceof NotPositiveSemidefiniteError ? error.field : undefined;
}

export class RequestTooLargeError extends WasmRiskError {
  readonly code = 'ERR_REQUEST_TOO_LARGE';
  readonly exitCode = 2;
}

/** The component file could not be read, compiled, transpiled or instantiated. */
export class ComponentLoadError extends WasmRiskError {
  readonly code = 'ERR_COMPONENT_LOAD';
  readonly exitCode = 2;
}

/** The component uses a WebAssembly feature the running Node.js cannot compile (extended-const on Node 20):
 *  the message names it, the Node.js line that compiles it and the flag that enables it here. */
export class UnsupportedWasmFeatureError extends WasmRiskError {
  readonly code = 'ERR_WASM_FEATURE_UNSUPPORTED';
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The feature's name in the WebAssembly proposals: `extended-const`, `multi-memory`, `gc`. */
    readonly feature: string,
    options?: WasmRiskErrorOptions,
  ) {
    super(message, options);
  }
}

/** The component broke the `risk` world's contract: missing export, wrong shape, unknown error case. */
export class ComponentContractError extends WasmRiskError {
  readonly code = 'ERR_COMPONENT_CONTRACT';
  readonly exitCode = 3;
}

/** The component trapped (panic, unreachable, out-of-bounds); its instance is discarded. */
export class ComponentTrapError extends WasmRiskError {
  readonly code = 'ERR_COMPONENT_TRAP';
  readonly exitCode = 3;
}

/** A request ran past its deadline. `workerStopped`: a call of it was running, and the worker running it
 *  was terminated and replaced (the component overran); otherwise the deadline passed between calls. */
export class TimeoutError extends WasmRiskError {
  readonly code = 'ERR_TIMEOUT';
  readonly exitCode = 4;
  constructor(
    message: string,
    readonly workerStopped: boolean,
    options?: WasmRiskErrorOptions,
  ) {
    super(message, options);
  }
}

/** The component tried to grow its linear memory past the per-instance cap; its instance is discarded. */
export class OutOfMemoryError extends WasmRiskError {
  readonly code = 'ERR_OUT_OF_MEMORY';
  readonly exitCode = 5;
}

/** No worker was free for a call before its request's deadline: the engine is overloaded, the call never
 *  ran and no worker was stopped (the service answers 503 with Retry-After). */
export class QueueTimeoutError extends WasmRiskError {
  readonly code = 'ERR_QUEUE_TIMEOUT';
  readonly exitCode = 4;
}

/** The caller aborted the request (AbortSignal); its workers were stopped. */
/** The caller cancelled (its signal, or the engine closed under it). `workerStopped`: the call was running,
 *  so its worker was terminated and is replaced, as a timeout's is. */
export class CancelledError extends WasmRiskError {
  readonly code = 'ERR_CANCELLED';
  readonly exitCode = 130;
  readonly workerStopped: boolean;
  constructor(message: string, options?: WasmRiskErrorOptions & { workerStopped?: boolean }) {
    super(message, options);
    this.workerStopped = options?.workerStopped ?? false;
  }
}

/** The capability policy denies imports of the component (named in `imports`); it was never instantiated. */
export class PolicyDeniedError extends WasmRiskError {
  readonly code = 'ERR_POLICY_DENIED';
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly imports: string[],
  ) {
    super(message);
  }
}

/** Strict mode: the component's SHA-256 is not pinned in the lock file, or differs from its pin. */
export class ProvenanceError extends WasmRiskError {
  readonly code = 'ERR_PROVENANCE';
  readonly exitCode = 1;
}

/** Trusted keys are configured and the component's signature is missing, malformed or by another key. */
export class SignatureError extends WasmRiskError {
  readonly code = 'ERR_SIGNATURE';
  readonly exitCode = 1;
}

/** A candidate version does not speak the host's contract (package, major version or function types). */
export class IncompatibleComponentError extends WasmRiskError {
  readonly code = 'ERR_INCOMPATIBLE_COMPONENT';
  readonly exitCode = 1;
}

/** A candidate version answered the golden test vectors wrongly. */
export class GoldenVectorsFailedError extends WasmRiskError {
  readonly code = 'ERR_GOLDEN_VECTORS_FAILED';
  readonly exitCode = 1;
}

/** A registry operation named a version it does not hold, or has nothing to roll back to. */
export class UnknownVersionError extends WasmRiskError {
  readonly code = 'ERR_UNKNOWN_VERSION';
  readonly exitCode = 2;
}

/** The swap audit log fails verification: a line edited, reordered, inserted or removed, or its anchor
 *  missing or forged. Registry operations that would append to it are refused. */
export class AuditLogTamperedError extends WasmRiskError {
  readonly code = 'ERR_AUDIT_LOG_TAMPERED';
  readonly exitCode = 1;
  constructor(
    message: string,
    /** The first line that cannot be trusted (one past the end when lines were cut from it). */
    readonly brokenAt: number,
  ) {
    super(message);
  }
}

/** The swap audit log cannot be checked or written: missing, not a regular file, unreadable, or locked. */
export class AuditLogUnavailableError extends WasmRiskError {
  readonly code = 'ERR_AUDIT_LOG_UNAVAILABLE';
  readonly exitCode = 2;
}

/** The audit log's key is missing or malformed, other users could read or replace it, or the log was not
 *  written under it (no anchor for the log beside it, and the log's first line does not verify). */
export class AuditKeyError extends WasmRiskError {
  readonly code = 'ERR_AUDIT_KEY';
  readonly exitCode = 2;
}

/** An optional peer dependency is not installed: `@bytecodealliance/jco-transpile`, which transpiles and
 *  describes every component but the one the package ships. The message is the command that fixes it. */
export class MissingDependencyError extends WasmRiskError {
  readonly code = 'ERR_MISSING_DEPENDENCY';
  readonly exitCode = 2;
  constructor(
    readonly dependency: string,
    /** What it was needed for: `to load other components`. */
    purpose: string,
    options?: WasmRiskErrorOptions,
  ) {
    super(`npm install ${dependency} ${purpose}`, options);
  }
}

/** The bounded queue is full: the client should retry after `retryAfterSeconds` (429). */
export class QueueFullError extends WasmRiskError {
  readonly code = 'ERR_QUEUE_FULL';
  readonly exitCode = 1;
}

/** A client that did not send its request's headers and body within the server's request timeout (408). */
export class RequestTimeoutError extends WasmRiskError {
  readonly code = 'ERR_REQUEST_TIMEOUT';
  readonly exitCode = 1;
}

/** A request whose headers are past Node's 16 KiB (431, RFC 6585). */
export class HeadersTooLargeError extends WasmRiskError {
  readonly code = 'ERR_HEADERS_TOO_LARGE';
  readonly exitCode = 1;
}

/** A request with an `Expect` header other than `100-continue`, which the server cannot meet (417). */
export class ExpectationFailedError extends WasmRiskError {
  readonly code = 'ERR_EXPECTATION_FAILED';
  readonly exitCode = 1;
}

/** The server is stopping, or no version is serving yet (503). */
export class ServiceUnavailableError extends WasmRiskError {
  readonly code = 'ERR_UNAVAILABLE';
  readonly exitCode = 1;
}

/** A route that does not exist, or the admin API when it is off (404). */
export class NotFoundError extends WasmRiskError {
  readonly code = 'ERR_NOT_FOUND';
  readonly exitCode = 1;
}

/** A route that exists, asked with a method it does not answer (405, with `Allow`). */
export class MethodNotAllowedError extends WasmRiskError {
  readonly code = 'ERR_METHOD_NOT_ALLOWED';
  readonly exitCode = 1;
}

/** An admin request without a bearer token, or with one the token file does not name (401). */
export class UnauthorizedError extends WasmRiskError {
  readonly code = 'ERR_UNAUTHORIZED';
  readonly exitCode = 1;
}

/** A component path outside `--components-dir` (through `..` or a symbolic link), or not a .wasm file (403). */
export class PathNotAllowedError extends WasmRiskError {
  readonly code = 'ERR_PATH_NOT_ALLOWED';
  readonly exitCode = 2;
}

/** Redis (the queue of distributed runs) cannot be reached, or went away and did not come back in time. */
export class RedisUnavailableError extends WasmRiskError {
  readonly code = 'ERR_REDIS_UNAVAILABLE';
  readonly exitCode = 4;
}

/** A Redis URL that would send jobs in clear to anyone on the network: not loopback, no TLS, no password. */
export class InsecureRedisError extends WasmRiskError {
  readonly code = 'ERR_INSECURE_REDIS';
  readonly exitCode = 1;
}

/** A distributed run's chunk was taken back from its worker more often than BullMQ allows (its stalled-job
 *  check found the chunk's lock lapsed twice): the worker died, or stopped renewing the lock, mid-chunk. Nothing
 *  trapped; the run may succeed again on healthy workers. */
export class ChunkStalledError extends WasmRiskError {
  readonly code = 'ERR_CHUNK_STALLED';
  readonly exitCode = 4;
}

/** A distributed job names a component (by SHA-256) that its worker does not hold: jobs never carry code. */
export class UnknownComponentError extends WasmRiskError {
  readonly code = 'ERR_UNKNOWN_COMPONENT';
  readonly exitCode = 1;
}

/** A distributed chunk job or chunk result whose MAC under the results key (`--results-key`) is missing or
 *  wrong: written, or replayed from another run or chunk, by someone who can write Redis but holds no key. */
export class ChunkForgedError extends WasmRiskError {
  readonly code = 'ERR_CHUNK_FORGED';
  readonly exitCode = 1;
}
