// Where one component's calls run: a pool of worker threads (worker-pool.ts, the default) or the calling
// thread (in-thread-executor.ts). Both take the same calls and raise the same typed errors.
import type { EngineCall, EngineCallResults, EngineMethod } from './engine-calls.js';

/** One request's limits: its deadline, and the caller's signal to cancel it. */
export interface CallLimits {
  /** `performance.now()` at which the request's time is up. */
  deadlineAt: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface EngineExecutor {
  /** How many calls can run at once. */
  readonly concurrency: number;
  /** Whether a deadline or a cancellation stops a call while it runs (else only between calls). */
  readonly stopsRunningCalls: boolean;
  /** The checked answer to `call`, typed by its method. */
  run<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]>;
  close(): Promise<void>;
}
