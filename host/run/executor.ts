// Where one component's calls run: a pool of worker threads (worker-pool.ts, the default) or the calling
// thread (in-thread-executor.ts). Both take the same calls and raise the same typed errors.
import { availableParallelism } from 'node:os';
import type { EngineCall, EngineCallResults, EngineMethod } from './engine-calls.js';
import type { WorkerRestartCounts } from './worker-restarts.js';

/** A request's deadline unless its engine or the call says otherwise. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Paths whose P&L or losses one call brings back at most when the host splits a run: 16 MB. A call's
 *  losses sit in the component's linear memory, which never shrinks, so memory does not grow with a run's
 *  length; a worker task adds other calls to such a call only within BUNDLED_PATHS (worker-pool.ts), so
 *  it does not grow with how many runs wait either. */
export const MAX_RESULT_PATHS = 2_000_000;

/** Worker threads of an engine unless its options say otherwise: one a core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * One request's time, shared by its calls. The deadline starts when the request's first call starts
 * running, so time spent waiting for a worker busy with other requests is not charged to it (a call is
 * never stopped, and its component never blamed, for a wait): the wait itself is bounded by `waitMs`,
 * the same timeout unless said otherwise, counted from when the request arrived (QueueTimeoutError).
 */
export class RequestClock {
  /** `performance.now()` after which the request stops waiting for its first call to start. */
  readonly waitUntil: number;
  private runningUntil: number | undefined;

  /** `waitMs`: how long the request may wait for a worker, longer than `timeoutMs` for a load's first
   *  call, which waits for threads to start (hundreds of ms on a busy machine) but then runs as any call. */
  constructor(
    readonly timeoutMs: number,
    readonly waitMs: number = timeoutMs,
  ) {
    this.waitUntil = performance.now() + waitMs;
  }

  /** Whether one of the request's calls has started. */
  get started(): boolean {
    return this.runningUntil !== undefined;
  }

  /** The request's deadline, fixed when its first call starts (now, if none has). */
  start(): number {
    this.runningUntil ??= performance.now() + this.timeoutMs;
    return this.runningUntil;
  }

  /** The time the request may still wait before it fails: until its deadline once started, else until `waitUntil`. */
  get waitsUntil(): number {
    return this.runningUntil ?? this.waitUntil;
  }
}

/** One request's limits: its clock, and the caller's signal to cancel it. */
export interface CallLimits {
  clock: RequestClock;
  signal?: AbortSignal;
}

export interface EngineExecutor {
  /** How many calls can run at once. */
  readonly concurrency: number;
  /** Whether a deadline or a cancellation stops a call while it runs (else only between calls). */
  readonly stopsRunningCalls: boolean;
  /** The checked answer to `call`, typed by its method. */
  run<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]>;
  /** The linear memory and tables the component's instances hold (as of their last calls). */
  memoryBytes(): number;
  /** The instances discarded and replaced so far, by cause (worker-restarts.ts). */
  workerRestarts(): WorkerRestartCounts;
  close(): Promise<void>;
}
