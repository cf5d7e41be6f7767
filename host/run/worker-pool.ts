// Worker threads that run component calls (piscina). Calls wait here, in arrival order, for a free worker
// (piscina never queues); when several wait, a freed worker takes a share of them as one task, so a busy
// pool pays one thread hop for many small calls. Each call is timed from its own start in the worker. A
// call past its deadline, or cancelled while it runs, has its worker terminated (piscina stops a running
// task's thread on abort) and replaced, as does one that runs out of JS heap; that call gets the error, and
// the other calls of its task wait again for a worker. All the workers start with the engine, or earlier:
// `startWorkersEarly` starts them while the component is still read, admitted and compiled, and they get it
// (on the pool's channel) only once it passed. An engine closed idle leaves them running for a few seconds,
// for the next engine of the same component (parked-pools.ts).
import { randomUUID } from 'node:crypto';
import { debuglog } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { receivedResult, type EngineCall, type EngineCallResults, type EngineMethod } from './engine-calls.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers, type CallLimits, type EngineExecutor } from './executor.js';
import { CancelledError, ComponentLoadError, messageOf, OutOfMemoryError, QueueTimeoutError, TimeoutError } from '../errors.js';
import { fromTransported } from './error-transport.js';
import { packCalls } from './call-transport.js';
import { TaskProgress } from './task-progress.js';
import type { PoolAnswers, PoolTask, PoolWorkerData } from './pool-worker.js';
import { PoolParking, poolKey } from './parked-pools.js';
import { PROJECT_ROOT } from '../files/package-paths.js';
import { WorkerRestarts, type WorkerRestartCause, type WorkerRestartCounts } from './worker-restarts.js';

const WORKER_SCRIPT = join(PROJECT_ROOT, 'dist', 'host', 'run', 'pool-worker.js');

export { DEFAULT_TIMEOUT_MS, defaultWorkers } from './executor.js';

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

/**
 * A pool's worker threads and the channel they get its one component on. Each worker, as it starts (a
 * replacement too), asks on the channel; the pool answers, to every worker listening, once it has the
 * component (`deliver`), and never before: workers started early run the host's code alone until then.
 * The channel's name is random and the pool's own: no other pool's workers listen to it.
 */
class Workers implements EarlyWorkers {
  readonly piscina: Piscina<PoolTask, PoolAnswers>;
  private readonly channel: BroadcastChannel;
  private payload: ComponentPayload | undefined;

  constructor(
    readonly concurrency: number,
    readonly heapLimitMb: number,
  ) {
    const workerData: PoolWorkerData = { payloadChannel: `wasm-risk:pool:${randomUUID()}` };
    this.channel = new BroadcastChannel(workerData.payloadChannel);
    // A parked pool must not keep the process alive; a worker that asks keeps it alive itself.
    this.channel.unref();
    this.channel.onmessage = () => this.send();
    // Starts `concurrency` workers at once, in parallel: a run's chunks then find every worker ready, not
    // one thread starting while the others compute.
    this.piscina = new Piscina({
      filename: WORKER_SCRIPT,
      workerData,
      // The pool's run and wait histograms are read by no one.
      recordTiming: false,
      minThreads: concurrency,
      maxThreads: concurrency,
      // The JS heap of a worker holds lifted inputs and results, never the component's linear memory.
      resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
      execArgv: WORKER_EXEC_ARGV,
    });
    // Piscina reports a worker's answer to a task that was already cancelled (a sibling chunk failed, or the
    // deadline passed) as an 'error' event; with no listener that would end the host. It is expected noise.
    this.piscina.on('error', (error: unknown) => debug('worker pool: %s', messageOf(error)));
  }

  /** The component, for every worker that asked and every one that will: once, for the pool's life. */
  deliver(payload: ComponentPayload): void {
    if (this.payload) throw new Error('a worker pool holds one component for its whole life');
    this.payload = payload;
    this.send();
  }

  private claimed = false;

  /** True the first time only: early workers are for one engine. */
  claim(): boolean {
    if (this.claimed || this.payload) return false;
    this.claimed = true;
    return true;
  }

  /** Whether the pool was given its component. */
  get delivered(): boolean {
    return this.payload !== undefined;
  }

  private send(): void {
    if (this.payload) this.channel.postMessage(this.payload);
  }

  async destroy(): Promise<void> {
    this.channel.close();
    await this.piscina.destroy();
  }

  discard(): Promise<void> {
    return this.destroy();
  }
}

/** The idle pools of closed engines, for the next engine of the same component (parked-pools.ts). */
const parking = new PoolParking<Workers>();

/** Workers started before their engine's component is loaded (`startWorkersEarly`): for that engine alone. */
export interface EarlyWorkers {
  /** Stops them: the component was not loaded, or the engine found other workers. */
  discard(): Promise<void>;
}

/**
 * Starts an engine's workers now, for a component still to be read, admitted and compiled (with a memory
 * limit of `memoryLimitBytes`): the threads start, and import the host's code, while the calling thread
 * does that. They get the component only if it is admitted, when the engine starts over them
 * (`EnginePool`, `early`). None are started when a parked pool of that worker count and memory limit
 * might be taken over instead (undefined).
 */
export function startWorkersEarly(workers: number, memoryLimitBytes: number): EarlyWorkers | undefined {
  if (parking.some((pool) => pool.concurrency === workers && pool.heapLimitMb === workerHeapLimitMb(memoryLimitBytes))) return undefined;
  return new Workers(workers, workerHeapLimitMb(memoryLimitBytes));
}

export class EnginePool implements EngineExecutor {
  /** Tasks are batches of engine calls of any method; answers are checked against each call's method
   *  (`receivedResult`). */
  private readonly piscina: Piscina<PoolTask, PoolAnswers>;
  private readonly workers: Workers;
  /** Which parked pools this engine's workers could come from, and go to when it closes. */
  private readonly key: string;
  private readonly heapLimitMb: number;
  readonly concurrency: number;
  readonly stopsRunningCalls = true;
  /** Tasks running on a worker. */
  private busy = 0;
  /** Calls waiting for a worker, in arrival order. */
  private readonly waiting: PendingCall[] = [];
  private closed = false;
  /** A dispatch is due at the event loop's next check phase (`dispatchSoon`). */
  private dispatchScheduled = false;
  /** Per worker thread, the memory its instance held after its last task. */
  private readonly workerMemory = new Map<number, number>();
  /** Workers stopped and instances dropped by this engine's calls. */
  private readonly restarts = new WorkerRestarts();

  /** Every worker gets `component` once, at start, and calls nothing else. The workers of the last engine
   *  of the same payload and worker count that closed idle in the past few seconds are taken over, still
   *  running; else those started early for this engine (`early`, if of its worker count and heap), which
   *  get the component now; otherwise all the workers start now, together. Early workers not used are
   *  stopped. */
  constructor(component: ComponentPayload, options: PoolOptions & { early?: EarlyWorkers } = {}) {
    if (!existsSync(WORKER_SCRIPT)) {
      void options.early?.discard().catch(() => undefined);
      throw new ComponentLoadError(`worker script ${WORKER_SCRIPT} is missing: run \`make build\``);
    }
    this.concurrency = options.workers ?? defaultWorkers();
    this.heapLimitMb = workerHeapLimitMb(component.memoryLimitBytes);
    this.key = poolKey(component, this.concurrency);
    const parked = parking.take(this.key);
    // Early workers serve the one engine that claims them first; a second is given none of them.
    const early = options.early instanceof Workers && options.early.claim() ? options.early : undefined;
    const fits = early !== undefined && early.concurrency === this.concurrency && early.heapLimitMb === this.heapLimitMb;
    if (early && (parked || !fits)) void early.discard().catch(() => undefined);
    this.workers = parked ?? (fits ? early : new Workers(this.concurrency, this.heapLimitMb));
    if (!this.workers.delivered) this.workers.deliver(component);
    this.piscina = this.workers.piscina;
  }

  /** Runs one engine call in a worker; every failure is a typed error. */
  run<M extends EngineMethod>(call: EngineCall<M>, limits: CallLimits): Promise<EngineCallResults[M]> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new CancelledError('the engine was closed'));
      const pending = new PendingCall(call as EngineCall, limits, (value) => resolve(value as EngineCallResults[M]), reject, this.waiting);
      if (limits.signal?.aborted) return pending.settle(cancelled(limits.signal));
      const atOnce = this.dispatchesAtOnce(pending.call);
      // A call dispatched here, to a free worker, has no wait to bound; one left for later (`dispatchSoon`) may
      // find the workers taken by calls that waited before it (a task's calls that wait again keep their place).
      pending.wait(atOnce && this.busy < this.concurrency && this.waiting.length === 0 ? 'dispatched at once' : 'bounded');
      if (atOnce) this.dispatch();
      else this.dispatchSoon();
    });
  }

  /** The linear memory and tables the workers' instances hold, as of their last tasks. */
  memoryBytes(): number {
    let sum = 0;
    for (const bytes of this.workerMemory.values()) sum += bytes;
    return sum;
  }

  workerRestarts(): WorkerRestartCounts {
    return this.restarts.totals;
  }

  /** Cancels the calls that wait; stops the workers if a call runs, else parks them (parked-pools.ts). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of [...this.waiting]) pending.settle(new CancelledError('the engine was closed'));
    if (this.busy === 0) parking.park(this.key, this.workers);
    else await this.workers.destroy();
  }

  /**
   * Whether a call that arrives is dispatched at once: on an idle pool (a lone request waits for nothing), and
   * if it simulates paths (milliseconds of work: bundled, it would wait on one worker while another is free).
   * Else, with a task running, it is dispatched once the event loop has read what else has arrived
   * (`dispatchSoon`), so small calls that come together cross together: a thread hop each way and a task for
   * all of them instead of one each. Under load that hop, not the component, is most of a small call's cost to
   * the calling thread. A call's deadline starts when it is dispatched, not when it arrives.
   */
  private dispatchesAtOnce(call: EngineCall): boolean {
    return this.busy === 0 || simulatedPaths(call) > 0;
  }

  /** Dispatches at the event loop's next check phase (`setImmediate`: after the requests of one round of reads). */
  private dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Gives waiting calls to free workers: each free worker takes an even share of those waiting, bundling
   *  small calls only (`bundledCalls`). */
  private dispatch(): void {
    while (this.busy < this.concurrency && this.waiting.length > 0) {
      const share = Math.min(MAX_CALLS_PER_TASK, Math.ceil(this.waiting.length / (this.concurrency - this.busy)));
      const calls = this.waiting.splice(0, bundledCalls(this.waiting, share));
      this.busy++;
      void this.runTask(calls).finally(() => this.dispatch());
    }
  }

  /**
   * Runs `calls` as one task. Each call has the time left to its request at dispatch, counted from its own
   * start in the worker; a worker that is still starting (replacing one stopped before) has up to a whole
   * timeout to get ready, uncharged. A call that overruns (or is cancelled while it runs) stops the worker:
   * it gets the error, the calls after it (and before it: their answers went with the worker) wait again.
   */
  private async runTask(calls: PendingCall[]): Promise<void> {
    const progress = TaskProgress.create(calls.length);
    const dispatchedAt = Date.now();
    calls.forEach((pending, index) => pending.dispatch(progress, index));
    const stop = new AbortController();
    let culprit: { index: number; error: Error } | undefined;
    const stopWorker = (index: number, error: Error) => {
      culprit ??= { index, error };
      stop.abort();
    };
    let timer: NodeJS.Timeout | undefined;
    const startupMs = Math.max(...calls.map((pending) => pending.limits.clock.waitMs));
    const watch = (delayMs: number) => {
      timer = setTimeout(() => {
        const running = progress.running;
        if (running < 0) return watchStartup();
        const limitMs = dispatchedAt + progress.startedMs + calls[running]!.allowanceMs;
        if (Date.now() < limitMs) return watch(limitMs - Date.now());
        const { timeoutMs } = calls[running]!.limits.clock;
        stopWorker(running, new TimeoutError(`call exceeded its ${timeoutMs} ms deadline; the worker was terminated`, true));
      }, Math.ceil(Math.max(0, delayMs)));
    };
    // The worker is still starting (a replacement, or a fresh pool): its calls have waited, none has run. Past
    // their time they fail as a wait does, withdrawn from the task, and the worker goes on starting for the
    // calls after them: stopping it blamed the component for a slow thread start and started another, as slow.
    // Only a start that outlasts WORKER_START_LIMIT_MS too (an instantiation that never ends) stops it.
    const watchStartup = () => {
      const now = Date.now();
      if (now < dispatchedAt + startupMs) return watch(dispatchedAt + startupMs - now);
      calls.forEach((pending, index) => {
        progress.withdraw(index);
        pending.settle(pending.waitExpired());
      });
      const startLimit = dispatchedAt + Math.max(startupMs, WORKER_START_LIMIT_MS);
      if (now < startLimit) return watch(startLimit - now);
      stopWorker(-1, new TimeoutError(`the worker did not start within ${Math.max(startupMs, WORKER_START_LIMIT_MS)} ms and was terminated`, true));
    };
    watch(Math.min(...calls.map((pending) => pending.allowanceMs)));
    for (const pending of calls) pending.onRunningCancel = (index) => stopWorker(index, cancelled(pending.limits.signal, { workerStopped: true }));
    let outcome: { answers: PoolAnswers } | { error: unknown };
    try {
      const packed = packCalls(calls.map((pending) => pending.call));
      const task: PoolTask = { ...packed, progress: progress.buffer, dispatchedAt };
      outcome = { answers: await this.piscina.run(task, { signal: stop.signal, transferList: [packed.portfolios.buffer as ArrayBuffer] }) };
    } catch (error) {
      outcome = { error };
    } finally {
      // The worker is free (or gone) before any caller hears back: one that closes the engine finds it idle.
      this.busy--;
      clearTimeout(timer);
    }
    if ('error' in outcome) {
      // Its worker is gone (stopped, or out of heap), and with it the instance's memory.
      this.workerMemory.delete(progress.worker);
      const blamed = culprit?.index ?? progress.running;
      const failure = culprit?.error ?? this.taskFailure(outcome.error);
      const replaced = this.closed ? undefined : replacementCause(failure);
      if (replaced) this.restarts.count(replaced);
      calls.forEach((pending, index) => {
        // Before any call started (the component would not instantiate, or the pool was closed), the task failed as a whole.
        if (index === blamed || blamed < 0 || this.closed) pending.settle(failure);
        else pending.wait('again');
      });
      this.waiting.sort((a, b) => a.arrival - b.arrival);
      return;
    }
    const { answers } = outcome;
    this.workerMemory.set(answers.worker, answers.memoryBytes);
    calls.forEach((pending, index) => {
      const answer = answers.outcomes[index];
      if (answer === undefined) return pending.settle(cancelled(pending.limits.signal));
      if (!answer.ok) {
        if (answer.discarded) this.restarts.count(answer.discarded);
        return pending.settle(fromTransported(answer.error));
      }
      try {
        pending.settle(undefined, receivedResult(pending.call.method, answer.value));
      } catch (error) {
        pending.settle(error);
      }
    });
  }

  /** Why a task failed when no call of it was stopped: the engine was closed under it, its worker ran out
   *  of JS heap, or else whatever piscina reports the worker died of. */
  private taskFailure(error: unknown): unknown {
    if (this.closed) return new CancelledError('the engine was closed', { cause: error });
    if (isWorkerOutOfMemory(error)) return new OutOfMemoryError(`the worker running the call ran out of its ${this.heapLimitMb} MiB JS heap and was replaced`, { cause: error });
    return error;
  }
}

/** How long a worker may take to start and instantiate its component, if its calls' deadlines are shorter. */
const WORKER_START_LIMIT_MS = DEFAULT_TIMEOUT_MS;

/** Calls one task carries at most: a freed worker takes an even share of the waiting calls, up to this. */
const MAX_CALLS_PER_TASK = 64;
/**
 * Simulated paths one task carries at most, beyond its first call. A task saves a thread hop each way per
 * call it bundles, which matters for closed-form calls and small runs (tens of µs against a few ms); for
 * larger calls the hop is nothing, and bundling would cost: a task's answers cross together when it ends,
 * so a run's chunks bundled in one task reach the caller (and its progress) all at the end, on one worker
 * while the other idles, and its losses are held together (memory: MAX_RESULT_PATHS bounds a single call).
 */
const BUNDLED_PATHS = 50_000;
/** How many of the first `share` waiting calls go in one task: while their paths stay within BUNDLED_PATHS,
 *  and always the first. */
function bundledCalls(waiting: readonly PendingCall[], share: number): number {
  let paths = 0;
  for (let count = 0; count < share; count++) {
    const { call } = waiting[count]!;
    paths += simulatedPaths(call);
    if (paths > BUNDLED_PATHS) return Math.max(1, count);
  }
  return share;
}

/** The paths a call simulates (0 for a closed-form call or info). */
function simulatedPaths(call: EngineCall): number {
  return call.method === 'simulatePnl' || call.method === 'chunkSummary' ? Number(call.run.pathCount) : 0;
}

let arrivals = 0;

/** A call from its arrival to its answer: waiting (for a worker, until its clock says), then dispatched. */
class PendingCall {
  /** Arrival order: a call that waits again keeps its place. */
  readonly arrival = arrivals++;
  /** The call's running time, fixed when it is first dispatched. */
  allowanceMs = 0;
  private dispatched = false;
  /** Whether its request's clock had started (another of its calls was dispatched) before this one first was. */
  private requestStartedBefore = false;
  private settled = false;
  private queued = false;
  private waitTimer: NodeJS.Timeout | undefined;
  /** When a call that waits again stops waiting: a whole timeout after its first task's worker was stopped
   *  for another call. It still runs once a worker is free in time, but however many calls that hang it is
   *  bundled with, one after another, its request is answered within a bounded time. */
  private waitsAgainUntil: number | undefined;
  private task: { progress: TaskProgress; index: number } | undefined;
  /** Set by the task running it: stops the worker, the call being cancelled while it runs. */
  onRunningCancel: ((index: number) => void) | undefined;
  private readonly onAbort = () => this.cancel();

  constructor(
    readonly call: EngineCall,
    readonly limits: CallLimits,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly queue: PendingCall[],
  ) {
    limits.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Joins the queue: until its clock runs out (`bounded`), or to leave it at once (`dispatched at once`), or
   *  `again` after its task's worker was stopped for another call (it has its allowance already, and runs
   *  when a worker is free within a timeout of the first time this happened: `waitsAgainUntil`). */
  wait(how: 'bounded' | 'dispatched at once' | 'again'): void {
    if (this.settled) return;
    const { clock } = this.limits;
    if (how === 'again') {
      if (this.limits.signal?.aborted) return this.settle(cancelled(this.limits.signal));
      this.waitsAgainUntil ??= performance.now() + clock.timeoutMs;
      // Checked here too: the pool gives the waiting calls to a worker before any timer could fire.
      if (performance.now() >= this.waitsAgainUntil) return this.settle(this.waitAgainExpired());
    }
    this.task = undefined;
    this.onRunningCancel = undefined;
    this.queue.push(this);
    this.queued = true;
    if (how === 'bounded') {
      this.waitTimer = setTimeout(() => this.settle(this.waitExpired()), Math.ceil(Math.max(0, clock.waitsUntil - performance.now())));
    } else if (how === 'again') {
      this.waitTimer = setTimeout(() => this.settle(this.waitAgainExpired()), Math.ceil(Math.max(0, this.waitsAgainUntil! - performance.now())));
    }
  }

  private waitAgainExpired(): TimeoutError {
    return new TimeoutError(`the request exceeded its ${this.limits.clock.timeoutMs} ms deadline waiting again for a worker: the worker it had was stopped for other calls`, false);
  }

  /** Why the call stopped waiting for a worker, in the queue or for one still starting: nothing of it ran. */
  waitExpired(): TimeoutError | QueueTimeoutError {
    const { clock } = this.limits;
    return clock.started && (this.requestStartedBefore || !this.dispatched)
      ? new TimeoutError(`the request exceeded its ${clock.timeoutMs} ms deadline waiting for a worker`, false)
      : new QueueTimeoutError(`no worker was free within ${clock.waitMs} ms: the engine is overloaded`);
  }

  /** Leaves the queue for call `index` of a task. */
  dispatch(progress: TaskProgress, index: number): void {
    clearTimeout(this.waitTimer);
    this.queued = false;
    if (!this.dispatched) {
      this.requestStartedBefore = this.limits.clock.started;
      this.allowanceMs = Math.max(0, this.limits.clock.start() - performance.now());
    }
    this.dispatched = true;
    this.task = { progress, index };
  }

  /** The caller cancelled: it stops waiting, is withdrawn from its task if it has not started, or stops its
   *  worker if it runs (the other calls of the task wait again). */
  cancel(): void {
    if (this.settled) return;
    const task = this.task;
    if (task && task.progress.running === task.index) return this.onRunningCancel?.(task.index);
    // Not started (the worker skips it; if it starts in the meantime, its answer is dropped), or done.
    task?.progress.withdraw(task.index);
    this.settle(cancelled(this.limits.signal));
  }

  /** Answers the caller once: with `error`, or else with `value`. */
  settle(error: unknown, value?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.waitTimer);
    this.limits.signal?.removeEventListener('abort', this.onAbort);
    if (this.queued) this.queue.splice(this.queue.indexOf(this), 1);
    if (error === undefined) this.resolve(value);
    else this.reject(error);
  }
}

function cancelled(signal: AbortSignal | undefined, { workerStopped = false } = {}): CancelledError {
  const message = workerStopped ? 'request cancelled by the caller while it ran; its worker was stopped' : 'request cancelled by the caller';
  return new CancelledError(message, { cause: signal?.reason, workerStopped });
}

/** Why a task's worker was replaced, from the error its task failed with: stopped at a deadline or on a
 *  cancellation, or out of JS heap; undefined for a failure that says nothing of a replacement. */
function replacementCause(failure: unknown): WorkerRestartCause | undefined {
  if (failure instanceof TimeoutError) return 'timeout';
  if (failure instanceof CancelledError) return 'cancelled';
  if (failure instanceof OutOfMemoryError) return 'oom';
  return undefined;
}

/** Node ends a worker that reaches its heap limit with this error; piscina rejects its task with it. */
function isWorkerOutOfMemory(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_WORKER_OUT_OF_MEMORY';
}
