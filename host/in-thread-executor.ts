// Runs component calls in the calling thread: no thread hop, so the lowest per-call overhead, but a
// running call cannot be interrupted. Deadlines and cancellation are checked only between calls;
// use the worker pool for components you do not trust to terminate.
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCall } from './engine-calls.js';
import type { CallLimits, EngineExecutor } from './engine-executor.js';
import { CancelledError, TimeoutError } from './errors.js';
import { fromTransported } from './error-transport.js';

export class InThreadExecutor implements EngineExecutor {
  readonly concurrency = 1;
  readonly stopsRunningCalls = false;
  private readonly caller: ComponentCaller;

  constructor(component: ComponentPayload) {
    this.caller = new ComponentCaller(component);
  }

  async run(call: EngineCall, limits: CallLimits): Promise<unknown> {
    if (limits.signal?.aborted) throw new CancelledError('request cancelled by the caller');
    if (performance.now() >= limits.deadlineAt) throw new TimeoutError(`call exceeded its ${limits.timeoutMs} ms deadline`);
    const outcome = await this.caller.execute(call);
    if (!outcome.ok) throw fromTransported(outcome.error);
    return outcome.value;
  }

  async close(): Promise<void> {}
}
