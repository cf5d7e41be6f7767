// Worker threads that run component calls (piscina). A call past its deadline, or cancelled by the
// caller, has its worker terminated (piscina stops a running task's thread on abort) and replaced; so
// is a worker that runs out of JS heap.
import { availableParallelism } from 'node:os';
import { debuglog } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { receivedResult, type EngineCall, type EngineCallOutcome, type EngineCallResults, type EngineMethod } from './engine-calls.js';
import type { CallLimits, EngineExecutor } from './executor.js';
import { CancelledError, ComponentLoadError, messageOf, OutOfMemoryError, TimeoutError } from '../errors.js';
import { fromTransported } from './error-transport.js';
import { PROJECT_ROOT } from '../files/package-paths.js';

const WORKER_SCRIPT = join(PROJECT_ROOT, 'dist', 'host', 'run', 'pool-worker.js');

export const DEFAULT_TIMEOUT_MS = 120_000;

const debug = debuglog('wasm-risk');
/**
 * The only flag the host's piscina workers get. piscina loads its worker with require() first; Node 20's
 * require(esm) can abort the whole process (a V8 fatal error seen here), so workers load the ESM worker
 * through import() only. Nothing else: a Worker refuses V8 and process-wide flags in execArgv (`node
 * --max-old-space-size=4096 app.js` would fail every call), those already apply to the whole process, and
 * the workers run the host's own compiled code, which needs none of the parent's per-thread options.
 * Node versions before require(esm) (older 20.x) do not know the flag, and would refuse it.
 */
export const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has('--experimental-require-module') ? ['--no-experimental-require-module'] : [];

export interface PoolOptions {
  workers?: number;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/** Old-generation JS heap of a worker, in MiB, for a component whose linear memory is capped at
 *  `memoryLimitBytes`: twice the cap, because a string lifted from linear memory takes at most two
 *  bytes a byte and everything one call returns lies in that memory at once (lists of records are
 *  bounded before lifting, glue-patches.ts; P&L arrays live outside the JS heap), plus 256 MiB for the
 *  glue, the host's code and the request (the largest valid one, a million rows of past returns, takes
 *  about 180 MiB). An isolate must never reach its limit through what a component returns: Node stops a
 *  worker at its limit with only 16 MiB of leeway, and an allocation larger than that aborts the process. */
function workerHeapLimitMb(memoryLimitBytes: number): number {
  return 2 * Math.ceil(memoryLimitBytes / 2 ** 20) + 256;
}

export class EnginePool implements EngineExecutor {
  /** Tasks are engine calls of any method (TypeScript cannot widen a call of method `M` to the union of
   *  all calls, hence `unknown`); answers are checked against their call's method (`receivedResult`). */
  private readonly piscina: Piscina<unknown, EngineCallOutcome>;
  private readonly heapLimitMb: number;
  readonly concurrency: number;
  readonly stopsRunningCalls = true;

  /** Every worker gets `component` once, at start, and calls nothing else. */
  constructor(component: ComponentPayload, options: PoolOptions = {}) {
    if (!existsSync(WORKER_SCRIPT)) throw new ComponentLoadError(`worker script ${WORKER_SCRIPT} is missing: run \`make build\``);
    this.concurrency = options.workers ?? defaultWorkers();
    this.heapLimitMb = workerHeapLimitMb(component.memoryLimitBytes);
    this.piscina = new Piscina({
      filename: WORKER_SCRIPT,
      workerData: component,
      // The pool's run and wait histograms are read by no one.
      recordTiming: false,
      minThreads: 1,
      maxThreads: this.concurrency,
      idleTimeout: 30_000,
      // The JS heap of a worker holds lifted inputs and results, never the component's linear memory.
      resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb },
      execArgv: WORKER_EXEC_ARGV,
    });
    // Piscina reports a worker's answer to a task that was already cancelled (a sibling chunk failed, or the
    // deadline passed) as an 'error' event; with no listener that would end the host. It is expected noise.
    this.piscina.on('error', (error: unknown) => debug('worker pool: %s', messageOf(error)));
  }

  /** Runs one engine call in a worker; every failure is a typed error. */
  async run<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]> {
    const deadline = AbortSignal.timeout(Math.max(0, Math.ceil(limits.deadlineAt - performance.now())));
    const signal = limits.signal ? AbortSignal.any([deadline, limits.signal]) : deadline;
    let outcome: EngineCallOutcome;
    try {
      outcome = await this.piscina.run(call, { signal });
    } catch (error) {
      // The caller's reason (its own value, or AbortSignal.timeout's TimeoutError) says why it gave up.
      if (limits.signal?.aborted) throw new CancelledError('request cancelled by the caller', { cause: limits.signal.reason });
      if (deadline.aborted) throw new TimeoutError(`call exceeded its ${limits.timeoutMs} ms deadline; the worker was terminated`, { cause: error });
      if (isWorkerOutOfMemory(error)) {
        throw new OutOfMemoryError(`the worker running the call ran out of its ${this.heapLimitMb} MiB JS heap and was replaced`, { cause: error });
      }
      throw error;
    }
    if (!outcome.ok) throw fromTransported(outcome.error);
    return receivedResult(call.method, outcome.value);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** Node ends a worker that reaches its heap limit with this error; piscina rejects its task with it. */
function isWorkerOutOfMemory(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_WORKER_OUT_OF_MEMORY';
}
