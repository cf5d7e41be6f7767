// The library API: a typed risk engine over one sandboxed component, run in a pool of worker threads
// (default) or in the calling thread.
// A request is validated once (request/risk-request.ts), crosses into a worker once per chunk, and comes
// back checked (in the thread that called the component, engine-calls.ts); failures are typed errors.
// The host owns the Monte Carlo summary: every run, however it is split, gets each chunk's sorted losses
// (from the component's `sorted-losses`, or its P&L sorted in the worker), adds up their exact moments,
// merges their largest losses and summarises them here, so a component's numbers do not depend on the split.
import { setMaxListeners } from 'node:events';
import { ComponentImage } from './load/component-image.js';
import type { ComponentSource } from './load/component-format.js';
import { DEFAULT_TIMEOUT_MS, MAX_RESULT_PATHS, RequestClock, type CallLimits, type EngineExecutor } from './run/executor.js';
import { validateEngineOptions, type EngineOptions, type ValidatedEngineOptions } from './request/engine-options.js';
import type { EngineInfo, RiskReport, Simulation } from './contract/types.js';
import { ComponentContractError, ComponentTrapError, InvalidInputError, OutOfMemoryError, TimeoutError, WasmRiskError } from './errors.js';
import type { ChunkSummary, EngineCall, EngineCallResults } from './run/engine-calls.js';
import { InThreadExecutor } from './run/in-thread-executor.js';
import { MAX_PATHS_PER_CALL } from './request/limits.js';
import type { PortfolioSpec } from './request/portfolio.js';
import { DEFAULT_COMPONENT } from './files/package-paths.js';
import { addMoments, LargestLosses, summarizeLossTail, summarizePnl, tailLength, type LossMoments } from './report/risk-statistics.js';
import { validateOnce } from './request/validation.js';
import type { DistributedRuns } from './distributed/distributed-run.js';
import type { EarlyWorkers } from './run/worker-pool.js';
import type { WorkerRestartCounts } from './run/worker-restarts.js';
import { importDistributed } from './distributed/import-distributed.js';
import {
  validateMonteCarloRequest,
  validateRiskRequest,
  type ClosedFormOptions,
  type MonteCarloOptions,
  type MonteCarloRiskRequest,
  type RiskMethod,
  type RiskRequest,
  type ValidMonteCarloRequest,
  type ValidRiskRequest,
} from './request/risk-request.js';

export type { RiskMethod, RiskRequest } from './request/risk-request.js';

export interface ComponentIdentity extends EngineInfo {
  sha256: string;
}

/** One risk result: the CLI's `--json` object. */
export interface RiskResult {
  method: RiskMethod;
  /** Scenarios behind the numbers: simulated paths, history rows, or null for the closed form. */
  paths: number | null;
  horizonDays: number;
  /** Decimal string (a u64 does not fit a JSON number); null unless Monte Carlo. */
  seed: string | null;
  levels: { confidence: number; var: number; es: number; stdError: number }[];
  meanPnl: number;
  stdPnl: number;
  component: ComponentIdentity;
  elapsedMs: number;
}

/** Per-call controls, on top of the request's own options. */
export interface CallOptions {
  /** Cancels the request; its running chunks' workers are stopped. */
  signal?: AbortSignal;
  /** Deadline of the whole request (default: the engine's `timeoutMs`), from when its first call starts on
   *  a worker; waiting for a free worker is bounded by the same time (QueueTimeoutError). */
  timeoutMs?: number;
}

/** How a request runs: `CallOptions`, and for Monte Carlo how its paths are split and watched. */
export interface RunOptions extends CallOptions {
  /** Monte Carlo: called after each finished chunk of paths. */
  onProgress?: (donePaths: number, totalPaths: number) => void;
  /** Monte Carlo: paths per call into the component (default: without `onProgress`, one call per worker;
   *  with it, or in-thread, eight chunks per worker, so that progress moves and deadlines are checked; at
   *  most 2,000,000 paths a call either way, so memory does not grow with the run). */
  chunkPaths?: number;
}

export interface MonteCarloCallOptions extends MonteCarloOptions, RunOptions {}

/** One answer of a batch (`runBatch`): the request's result, or why it failed. */
export type BatchOutcome = { ok: true; result: RiskResult } | { ok: false; error: WasmRiskError };

/** Fewer paths than this per call and the per-call overhead starts to show. */
const MIN_CHUNK_PATHS = 10_000;
/** Chunks per worker when progress is watched or must be checked between calls (in-thread deadlines);
 *  otherwise each worker gets one share, which measured fastest (fewer round trips and merges). */
const CHUNKS_PER_WORKER = 8;

// The host's own ways into an engine, set by the class (which alone reaches its private parts) and exported
// below as functions: they take the host's internal types (a loaded image, a validated request), so they are
// not methods of the public class.
let startOverImage: (image: ComponentImage, options: ValidatedEngineOptions) => Promise<RiskEngine>;
let runChunkSummary: (engine: RiskEngine, request: ValidMonteCarloRequest, firstPath: number, pathCount: number, keep: number) => Promise<ChunkSummary>;

export class RiskEngine {
  private constructor(
    private readonly executor: EngineExecutor,
    private readonly timeoutMs: number,
    readonly component: ComponentIdentity,
    /** Where Monte Carlo runs go when the `distributed` option is set: chunk jobs for `wasm-risk worker`s. */
    private readonly distributed?: DistributedRuns,
  ) {}

  /** Loads a component and starts where its calls run. `source` is a path, a `file:` URL or the
   *  component's bytes (default: the package's own engine). On workers, the threads start while the
   *  component is read, admitted and compiled, and get it only once it is admitted. */
  static async load(source: ComponentSource = DEFAULT_COMPONENT, options: EngineOptions = {}): Promise<RiskEngine> {
    const settings = validateEngineOptions(options);
    const { cacheDir, memoryLimitMb, admission } = settings;
    const early = settings.isolation === 'workers' ? (await import('./run/worker-pool.js')).startWorkersEarly(settings.workers, memoryLimitMb * 2 ** 20) : undefined;
    let image: ComponentImage;
    try {
      image = await ComponentImage.load(source, { cacheDir, memoryLimitMb, admission });
    } catch (error) {
      await early?.discard();
      throw error;
    }
    return RiskEngine.start(image, settings, early);
  }

  static {
    startOverImage = (image, options) => RiskEngine.start(image, options);
    runChunkSummary = (engine, request, firstPath, pathCount, keep) =>
      engine.executor.run({ method: 'chunkSummary', portfolio: request.portfolio, run: simulation(request, firstPath, pathCount), keep }, engine.limits({}));
  }

  private static async start(image: ComponentImage, options: ValidatedEngineOptions, early?: EarlyWorkers): Promise<RiskEngine> {
    const { isolation, workers, timeoutMs, distributed } = options;
    // The worker pool (and piscina) is imported only by an engine that runs on workers.
    const executor = isolation === 'in-thread' ? new InThreadExecutor(image.payload) : new (await import('./run/worker-pool.js')).EnginePool(image.payload, { workers, early });
    try {
      // The first call waits for the workers to start and instantiate the component: a load, not a request,
      // so a request deadline shorter than a thread's start-up (tens of ms asked, hundreds taken on a busy
      // machine) does not fail it: that wait is bounded by the default deadline, or the engine's if longer.
      // Once info() runs, the engine's deadline applies, as to any call (an info() that loops fails at it).
      const info = await executor.run({ method: 'info' }, { clock: new RequestClock(timeoutMs, Math.max(timeoutMs, DEFAULT_TIMEOUT_MS)) });
      // Imported only when used: BullMQ and ioredis stay unloaded for local runs.
      const runs = distributed && (await (await importDistributed(() => import('./distributed/distributed-run.js'))).DistributedRuns.connect(distributed));
      return new RiskEngine(executor, timeoutMs, { ...info, sha256: image.sha256 }, runs);
    } catch (error) {
      await executor.close();
      throw error;
    }
  }

  /** Calls the component's `info` in a worker: a health check that instantiates afresh after a failure. */
  async info(options: CallOptions = {}): Promise<EngineInfo> {
    return this.executor.run({ method: 'info' }, this.limits(options ?? {}));
  }

  /** The linear memory and tables the component's instances hold now (as of their last calls), in bytes. */
  get memoryBytes(): number {
    return this.executor.memoryBytes();
  }

  /** The component instances this engine has discarded and replaced, by cause: each worker stopped (at a
   *  deadline, on a cancellation, out of JS heap) and each instance dropped after a trap, once, however
   *  many requests failed with it. Runs on remote workers (`distributed`) are counted by those workers. */
  get workerRestarts(): WorkerRestartCounts {
    return this.executor.workerRestarts();
  }

  /** How many calls run at once (worker threads, or 1 in-thread). */
  get concurrency(): number {
    return this.executor.concurrency;
  }

  /** Ends the engine: its waiting calls are cancelled and its workers stopped, or, if no call runs, left a
   *  few seconds to the next engine of the same component (run/parked-pools.ts). It cannot be used afterwards. */
  async close(): Promise<void> {
    await this.distributed?.close();
    await this.executor.close();
  }

  /** `await using engine = await RiskEngine.load()` closes the engine when the block is left. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs one request of any method: `{ method: 'monte-carlo', portfolio, paths: 100_000 }`. A request
   *  validated before (the registry's, run on two versions) is not parsed again. */
  async run(request: RiskRequest | ValidRiskRequest, runOptions: RunOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const options = runOptions ?? {};
    const valid = validateOnce<RiskRequest, ValidRiskRequest>(request, validateRiskRequest);
    const limits = this.limits(options);
    const report =
      valid.method !== 'monte-carlo'
        ? await this.executor.run(closedFormCall(valid), limits)
        : this.distributed
          ? await this.distributed.report(valid, this.component, { ...options, timeoutMs: limits.clock.timeoutMs })
          : await this.monteCarloReport(valid, limits, options);
    return riskResult(this.component, valid, report, started);
  }

  /**
   * Runs many requests, answered in order, each with its result or its own error: an invalid or failing
   * request does not stop the others. They run as they would one by one (each with its own deadline); on
   * workers, calls that wait together cross to a worker together, so a batch costs a few thread hops, not
   * one per request.
   */
  async runBatch(requests: readonly (RiskRequest | ValidRiskRequest)[], callOptions: CallOptions = {}): Promise<BatchOutcome[]> {
    if (!Array.isArray(requests)) throw new InvalidInputError('requests', 'must be an array');
    const options = checkedRunOptions(callOptions);
    const batch = new AbortController();
    // Every request of the batch listens to the caller's signal through this one.
    setMaxListeners(0, batch.signal);
    const forward = () => batch.abort(options.signal?.reason);
    if (options.signal?.aborted) forward();
    options.signal?.addEventListener('abort', forward, { once: true });
    try {
      // Array.from, not map: a hole is a missing request, answered with its error (map skipped it: no outcome).
      return await Promise.all(Array.from(requests, (request) => this.run(request, { ...options, signal: batch.signal }).then(succeeded, failed)));
    } finally {
      options.signal?.removeEventListener('abort', forward);
    }
  }

  async monteCarlo(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, onProgress, chunkPaths, ...request } = options ?? {};
    return this.run({ method: 'monte-carlo', portfolio, ...request }, { signal, timeoutMs, onProgress, chunkPaths });
  }

  async historical(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, ...request } = options ?? {};
    return this.run({ method: 'historical', portfolio, ...request }, { signal, timeoutMs });
  }

  async parametric(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, ...request } = options ?? {};
    return this.run({ method: 'parametric', portfolio, ...request }, { signal, timeoutMs });
  }

  /** The P&L of every path, in path order (for plots or custom statistics). */
  async simulatePnl(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<Float64Array> {
    const { signal, timeoutMs, onProgress, chunkPaths, ...request } = options ?? {};
    const valid = validateMonteCarloRequest({ method: 'monte-carlo', portfolio, ...request });
    return this.simulate(valid, this.limits({ signal, timeoutMs, onProgress }), { onProgress, chunkPaths });
  }

  /** A Monte Carlo result and the P&L of its paths from one simulation: the result is summarised from that
   *  P&L, the same numbers `run` gives for the request. */
  async runWithPnl(request: MonteCarloRiskRequest | ValidMonteCarloRequest, runOptions: RunOptions = {}): Promise<{ result: RiskResult; pnl: Float64Array }> {
    const started = performance.now();
    const options = runOptions ?? {};
    const valid = validateOnce<MonteCarloRiskRequest, ValidMonteCarloRequest>(request, validateMonteCarloRequest);
    const pnl = await this.simulate(valid, this.limits(options), options);
    return { result: riskResult(this.component, valid, summarizePnl(pnl, valid.confidence), started), pnl };
  }

  /** The P&L of every path in path order, from one call or from chunks. */
  private async simulate(request: ValidMonteCarloRequest, limits: CallLimits, options: RunOptions): Promise<Float64Array> {
    const chunks: [firstPath: number, pnl: Float64Array][] = [];
    const pnlOf = (first: number, count: number): EngineCall<'simulatePnl'> => ({ method: 'simulatePnl', portfolio: request.portfolio, run: simulation(request, first, count) });
    await this.runChunks(request, limits, options, pnlOf, (values, first) => chunks.push([first, values]));
    // One chunk is the whole P&L already; several are copied into place.
    if (chunks.length === 1) return chunks[0]![1];
    const pnl = new Float64Array(request.paths);
    for (const [first, values] of chunks) pnl.set(values, first);
    return pnl;
  }

  /** The report of a run from its chunks' summaries, each made where the chunk was simulated (a worker
   *  thread, in parallel with the others, not the event loop): its losses sorted, their exact moments, and
   *  its largest losses, which alone cross back, since the statistics read no other loss (`tailLength`). As
   *  each chunk arrives (while the others still run) its moments are added and its largest losses merged
   *  (`LargestLosses`); a run of any length holds no more. The same numbers, bit for bit, as a summary of
   *  every loss (`summarizeSortedLosses`): the moments are exact sums, and the largest losses of the merge
   *  are the merge of each chunk's largest. */
  private async monteCarloReport(request: ValidMonteCarloRequest, limits: CallLimits, options: RunOptions): Promise<RiskReport> {
    const keep = tailLength(request.paths, request.confidence);
    const tail = new LargestLosses(keep);
    let moments: LossMoments = { count: 0, sum: 0n, squares: 0n };
    const summaryOf = (first: number, count: number): EngineCall<'chunkSummary'> => ({ method: 'chunkSummary', portfolio: request.portfolio, run: simulation(request, first, count), keep });
    await this.runChunks(request, limits, options, summaryOf, (summary) => {
      moments = addMoments(moments, summary.moments);
      tail.add(summary.tail);
    });
    return summarizeLossTail(tail.largest(), moments, request.confidence);
  }

  /** Runs the chunks concurrently over the executor, handing each (checked) result to `accept` as it
   *  arrives; the first failure cancels the others, and the run fails once every chunk has settled. */
  private async runChunks<M extends 'simulatePnl' | 'chunkSummary'>(
    request: ValidMonteCarloRequest,
    limits: CallLimits,
    { onProgress, chunkPaths }: RunOptions,
    callFor: (firstPath: number, pathCount: number) => EngineCall<M>,
    accept: (value: EngineCallResults[M], firstPath: number) => void,
  ): Promise<void> {
    const chunk = this.chunkSize(request.paths, chunkPaths, onProgress !== undefined);
    // Several chunks: the first failure cancels the others, through a signal every chunk listens to while
    // it waits and runs (as many listeners as chunks is by design). One chunk (most runs on one worker, and
    // small ones) has no others to cancel.
    const failFast = chunk < request.paths ? new AbortController() : undefined;
    let chunkLimits = limits;
    if (failFast) {
      const chunkSignal = limits.signal ? AbortSignal.any([limits.signal, failFast.signal]) : failFast.signal;
      setMaxListeners(0, chunkSignal);
      chunkLimits = { ...limits, signal: chunkSignal };
    }
    let done = 0;
    const failures: unknown[] = [];
    const failed = (error: unknown) => {
      failures.push(error);
      // A chunk still waiting when the deadline passes: those running stop at the same deadline on their own,
      // and say that they overran (cancelled now, they would say they were cancelled).
      if (!waitedPastDeadline(error)) failFast?.abort();
    };
    const chunks: Promise<void>[] = [];
    for (let first = 0; first < request.paths; first += chunk) {
      const count = Math.min(chunk, request.paths - first);
      chunks.push(
        this.executor
          .run(callFor(first, count), chunkLimits)
          .then((value) => {
            accept(value, first);
            done += count;
            onProgress?.(done, request.paths);
          })
          .catch(failed),
      );
    }
    await Promise.all(chunks);
    // The run's error is the one that says what the component did (a chunk that overran, trapped, ran out of
    // memory), not the first to arrive: at the deadline, a chunk that waited fails a moment before the one
    // running is stopped, and said that no worker was stopped, so a looping run was neither answered by the
    // service's fallback nor counted against a version on probation.
    if (failures.length > 0) throw failures.find(blamesComponent) ?? failures[0];
  }

  /** Paths per call: as requested; else all in one call when nothing runs beside it, no one watches
   *  progress and a deadline can stop the call (in-thread, only small runs: the deadline and
   *  cancellation are checked between chunks); else one share per worker, or more for progress and
   *  in-thread deadlines. */
  private chunkSize(paths: number, requested: number | undefined, reportsProgress: boolean): number {
    if (requested !== undefined) {
      if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PATHS_PER_CALL) {
        throw new InvalidInputError('chunkPaths', `must be an integer in [1, ${MAX_PATHS_PER_CALL}]`);
      }
      return requested;
    }
    const oneCall = this.executor.concurrency === 1 && !reportsProgress && (this.executor.stopsRunningCalls || paths <= MIN_CHUNK_PATHS);
    if (oneCall) return Math.min(MAX_RESULT_PATHS, paths);
    const chunksPerWorker = reportsProgress || !this.executor.stopsRunningCalls ? CHUNKS_PER_WORKER : 1;
    return Math.min(MAX_RESULT_PATHS, Math.max(MIN_CHUNK_PATHS, Math.ceil(paths / (this.executor.concurrency * chunksPerWorker))));
  }

  private limits(runOptions: RunOptions): CallLimits {
    const options = checkedRunOptions(runOptions);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InvalidInputError('timeoutMs', 'must be a positive integer');
    return { clock: new RequestClock(timeoutMs), signal: options.signal };
  }
}

/** Starts an engine over a component already loaded (and, in the registry, already checked); of the options
 *  only where and how long calls run apply, the rest shaped the image. For the registry, `compare` and `conformance`. */
export function engineOverImage(image: ComponentImage, options: EngineOptions | ValidatedEngineOptions = {}): Promise<RiskEngine> {
  return startOverImage(image, validateOnce<EngineOptions, ValidatedEngineOptions>(options, validateEngineOptions));
}

/** The `keep` largest losses of paths [firstPath, firstPath + pathCount) of a run, ascending, and the exact
 *  moments of all of them, from one call under the engine's deadline: one chunk of a run split elsewhere (a
 *  distributed worker's job), summed in the engine's thread, not the caller's. */
export function chunkSummary(engine: RiskEngine, request: ValidMonteCarloRequest, firstPath: number, pathCount: number, keep: number): Promise<ChunkSummary> {
  return runChunkSummary(engine, request, firstPath, pathCount, keep);
}

/** Call options as a JavaScript caller may pass them: null is none, and a signal or progress callback of the
 *  wrong kind is refused by name before anything runs (it used to surface as a TypeError from deep inside). */
function checkedRunOptions<Options extends RunOptions>(options: Options | null): Options | Record<string, never> {
  if (options === null) return {};
  if (typeof options !== 'object') throw new InvalidInputError('options', 'must be an object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new InvalidInputError('signal', 'must be an AbortSignal');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InvalidInputError('onProgress', 'must be a function');
  return options;
}

/** The result of a request (the CLI's `--json` object) from the report that answered it: the one place
 *  that shapes a result, for the engine and for the service's reference fallback alike. */
export function riskResult(component: ComponentIdentity, request: ValidRiskRequest, report: RiskReport, started: number): RiskResult {
  return {
    method: request.method,
    paths: request.method === 'parametric' ? null : Number(report.scenarios),
    horizonDays: request.horizonDays,
    seed: request.method === 'monte-carlo' ? request.seed.toString() : null,
    levels: report.levels.map(({ confidence, var: valueAtRisk, es, stdError }) => ({ confidence, var: valueAtRisk, es, stdError })),
    meanPnl: report.meanPnl,
    stdPnl: report.stdPnl,
    component,
    elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
}

/** The one call that answers a closed-form request. */
function closedFormCall(request: Exclude<ValidRiskRequest, ValidMonteCarloRequest>): EngineCall<'historical' | 'parametric'> {
  const { portfolio, horizonDays } = request;
  const confidence = Float64Array.from(request.confidence);
  return request.method === 'historical'
    ? { method: 'historical', portfolio, returns: request.returns, horizonDays, confidence }
    : { method: 'parametric', portfolio, horizonDays, confidence };
}

/** A chunk that failed because the deadline passed while it waited for a worker: nothing of it ran. */
function waitedPastDeadline(error: unknown): boolean {
  return error instanceof TimeoutError && !error.workerStopped;
}

/** Whether a chunk's failure is the component's doing, rather than a wait, a cancellation or the caller's. */
function blamesComponent(error: unknown): boolean {
  return (error instanceof TimeoutError && error.workerStopped) || error instanceof ComponentTrapError || error instanceof OutOfMemoryError || error instanceof ComponentContractError;
}

function succeeded(result: RiskResult): BatchOutcome {
  return { ok: true, result };
}

/** A request's own failure, as its outcome; anything but a typed error is a defect and propagates. */
function failed(error: unknown): BatchOutcome {
  if (error instanceof WasmRiskError) return { ok: false, error };
  throw error;
}

function simulation(request: ValidMonteCarloRequest, firstPath: number, pathCount: number): Simulation {
  return { seed: request.seed, horizonDays: request.horizonDays, antithetic: request.antithetic, firstPath: BigInt(firstPath), pathCount: BigInt(pathCount) };
}
