// Runs component calls in the calling thread: no thread hop, so the lowest per-call overhead, but a
// running call cannot be interrupted. Deadlines and cancellation are checked only between calls;
// use the worker pool for components you do not trust to terminate.
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCall, type EngineCallResults, type EngineMethod } from './engine-calls.js';
import type { CallLimits, EngineExecutor } from './executor.js';
import { CancelledError, QueueTimeoutError, TimeoutError } from '../errors.js';
import { fromTransported } from './error-transport.js';
import { WorkerRestarts, type WorkerRestartCounts } from './worker-restarts.js';

export class InThreadExecutor implements EngineExecutor {
  readonly concurrency = 1;
  readonly stopsRunningCalls = false;
  private readonly caller: ComponentCaller;
  /** Calls run one after another, in the order they were asked for. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Instances dropped after a trap (a running call cannot be stopped here, so nothing else replaces one). */
  private readonly restarts = new WorkerRestarts();

  constructor(component: ComponentPayload) {
    this.caller = new ComponentCaller(component);
  }

  run<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]> {
    const turn = this.queue.then(() => this.runNow(call, limits));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async runNow<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]> {
    // As on workers: a call asked for after close, or still waiting when it came, is cancelled.
    if (this.closed) throw new CancelledError('the engine was closed');
    // A call blocks the event loop, so a signal's timer (AbortSignal.timeout) or the caller's abort could
    // not fire between calls; one turn of the loop lets them, before the signal is read.
    if (limits.signal) await nextLoopTurn();
    if (limits.signal?.aborted) throw new CancelledError('request cancelled by the caller', { cause: limits.signal.reason });
    const { clock } = limits;
    if (performance.now() >= clock.waitsUntil) {
      throw clock.started
        ? new TimeoutError(`the request exceeded its ${clock.timeoutMs} ms deadline`, false)
        : new QueueTimeoutError(`the calls before it took the whole ${clock.waitMs} ms: the engine is overloaded`);
    }
    clock.start();
    const outcome = await this.caller.execute(call);
    if (!outcome.ok) {
      if (outcome.discarded) this.restarts.count(outcome.discarded);
      throw fromTransported(outcome.error);
    }
    return outcome.value;
  }

  memoryBytes(): number {
    return this.caller.memoryBytes();
  }

  workerRestarts(): WorkerRestartCounts {
    return this.restarts.totals;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
