// The library API: a typed risk engine over one sandboxed component, run in a pool of worker threads
// (default) or in the calling thread.
// Requests are validated here, cross into a worker once per chunk, and come back checked (in the thread
// that called the component, engine-calls.ts); failures are typed errors. Monte Carlo paths are split
// into chunks over the workers and merged bit for bit.
import { ComponentImage } from './load/component-image.js';
import type { EngineCall } from './run/engine-calls.js';
import type { CallLimits, EngineExecutor } from './run/executor.js';
import { EnginePool } from './run/worker-pool.js';
import { validateEngineOptions, type EngineOptions } from './request/engine-options.js';
import type { EngineInfo, Portfolio, RiskReport, Simulation } from './contract/types.js';
import { InvalidInputError } from './errors.js';
import { InThreadExecutor } from './run/in-thread-executor.js';
import { MAX_PATHS_PER_CALL } from './request/limits.js';
import { validatePortfolio, type PortfolioSpec } from './request/portfolio.js';
import { DEFAULT_COMPONENT } from './files/package-paths.js';
import { mergeSortedRuns, summarizeSortedLosses } from './report/risk-statistics.js';
import {
  validateClosedFormOptions,
  validateMonteCarloOptions,
  type ClosedFormOptions,
  type MonteCarloOptions,
  type MonteCarloRequest,
} from './request/risk-request.js';

export type RiskMethod = 'monte-carlo' | 'historical' | 'parametric';

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
  /** Deadline of the whole request (default: the engine's `timeoutMs`). */
  timeoutMs?: number;
}

export interface MonteCarloCallOptions extends MonteCarloOptions, CallOptions {
  /** Called after each finished chunk of paths. */
  onProgress?: (donePaths: number, totalPaths: number) => void;
  /** Paths per call into the component (default: without `onProgress`, one call per worker; with it,
   *  or in-thread, eight chunks per worker, so that progress moves and deadlines are checked). */
  chunkPaths?: number;
}

/** One Monte Carlo request as the engine carries it out: validated inputs, limits and paths per call. */
interface MonteCarloRun {
  portfolio: Portfolio;
  request: MonteCarloRequest;
  limits: CallLimits;
  chunk: number;
  onProgress: MonteCarloCallOptions['onProgress'];
}

/** Fewer paths than this per call and the per-call overhead starts to show. */
const MIN_CHUNK_PATHS = 10_000;
/** Chunks per worker when progress is watched or must be checked between calls (in-thread deadlines);
 *  otherwise each worker gets one share, which measured fastest (fewer round trips and merges). */
const CHUNKS_PER_WORKER = 8;

export class RiskEngine {
  private constructor(
    private readonly executor: EngineExecutor,
    private readonly timeoutMs: number,
    readonly component: ComponentIdentity,
  ) {}

  /** Loads a component (default: the project's own engine) and starts where its calls run. */
  static async load(path: string = DEFAULT_COMPONENT, options: EngineOptions = {}): Promise<RiskEngine> {
    const { cacheDir, memoryLimitMb, admission } = validateEngineOptions(options);
    return RiskEngine.fromImage(await ComponentImage.load(path, { cacheDir, memoryLimitMb, admission }), options);
  }

  /** Starts an engine over a component already loaded (and, in the registry, already checked); of the
   *  options only where and how long calls run apply, the rest shaped the image. */
  static async fromImage(image: ComponentImage, options: EngineOptions = {}): Promise<RiskEngine> {
    const { isolation, workers, timeoutMs } = validateEngineOptions(options);
    const executor = isolation === 'in-thread' ? new InThreadExecutor(image.payload) : new EnginePool(image.payload, { workers });
    try {
      const info = (await executor.run({ method: 'info' }, limitsFor(timeoutMs))) as EngineInfo;
      return new RiskEngine(executor, timeoutMs, { ...info, sha256: image.sha256 });
    } catch (error) {
      await executor.close();
      throw error;
    }
  }

  /** Calls the component's `info` in a worker: a health check that instantiates afresh after a failure. */
  async info(options: CallOptions = {}): Promise<EngineInfo> {
    return (await this.run({ method: 'info' }, this.limits(options))) as EngineInfo;
  }

  /** How many calls run at once (worker threads, or 1 in-thread). */
  get concurrency(): number {
    return this.executor.concurrency;
  }

  /** Stops the worker threads, if any; the engine cannot be used afterwards. */
  async close(): Promise<void> {
    await this.executor.close();
  }

  async monteCarlo(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const run = this.monteCarloRun(portfolio, options);
    const { request } = run;
    // One chunk: the component summarises its own P&L, which then never crosses the boundary. Several:
    // each is sorted where it was simulated, and the sorted runs are merged here.
    const report =
      run.chunk >= request.paths ? await this.monteCarloInOneCall(run) : summarizeSortedLosses(await this.sortedLossesInChunks(run), request.confidence);
    return this.result('monte-carlo', report, request.paths, request.horizonDays, request.seed, started);
  }

  /** The P&L of every path, in path order (for plots or custom statistics). */
  async simulatePnl(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<Float64Array> {
    return this.simulate(this.monteCarloRun(portfolio, options));
  }

  async historical(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const { signal, timeoutMs, ...rest } = options;
    const request = validateClosedFormOptions(rest);
    const { portfolio: engineInput, returns } = validatePortfolio(portfolio);
    if (!returns || returns.length === 0) throw new InvalidInputError('returns', 'historical VaR needs past returns (T x n log-returns)');
    const confidence = Float64Array.from(request.confidence);
    const call: EngineCall = { method: 'historical', portfolio: engineInput, returns, horizonDays: request.horizonDays, confidence };
    const report = (await this.run(call, this.limits({ signal, timeoutMs }))) as RiskReport;
    return this.result('historical', report, returns.length, request.horizonDays, null, started);
  }

  async parametric(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const { signal, timeoutMs, ...rest } = options;
    const request = validateClosedFormOptions(rest);
    const confidence = Float64Array.from(request.confidence);
    const call: EngineCall = { method: 'parametric', portfolio: validatePortfolio(portfolio).portfolio, horizonDays: request.horizonDays, confidence };
    const report = (await this.run(call, this.limits({ signal, timeoutMs }))) as RiskReport;
    return this.result('parametric', report, null, request.horizonDays, null, started);
  }

  /** Validates a Monte Carlo request (options, limits, portfolio) and decides its paths per call. */
  private monteCarloRun(portfolio: PortfolioSpec, options: MonteCarloCallOptions): MonteCarloRun {
    const { onProgress, signal, timeoutMs, chunkPaths, ...rest } = options;
    const request = validateMonteCarloOptions(rest);
    const limits = this.limits({ signal, timeoutMs });
    return {
      portfolio: validatePortfolio(portfolio).portfolio,
      request,
      limits,
      chunk: this.chunkSize(request.paths, chunkPaths, onProgress !== undefined),
      onProgress,
    };
  }

  private async monteCarloInOneCall({ portfolio, request, limits, onProgress }: MonteCarloRun): Promise<RiskReport> {
    const call: EngineCall = { method: 'monteCarlo', portfolio, run: simulation(request, 0, request.paths), confidence: Float64Array.from(request.confidence) };
    const report = (await this.run(call, limits)) as RiskReport;
    onProgress?.(request.paths, request.paths);
    return report;
  }

  /** The P&L of every path in path order, from one call or from chunks. */
  private async simulate(run: MonteCarloRun): Promise<Float64Array> {
    const { portfolio, request, limits, chunk, onProgress } = run;
    if (chunk >= request.paths) {
      const pnl = (await this.run({ method: 'simulatePnl', portfolio, run: simulation(request, 0, request.paths) }, limits)) as Float64Array;
      onProgress?.(request.paths, request.paths);
      return pnl;
    }
    const pnl = new Float64Array(request.paths);
    await this.runChunks('simulatePnl', run, (values, first) => pnl.set(values, first));
    return pnl;
  }

  /** The losses of every path in ascending order: each chunk's sorted in its worker, merged here. */
  private async sortedLossesInChunks(run: MonteCarloRun): Promise<Float64Array> {
    const runs: Float64Array[] = [];
    await this.runChunks('sortedLosses', run, (values) => runs.push(values));
    return mergeSortedRuns(runs);
  }

  /** Runs the chunks concurrently over the executor, handing each (checked) result to `accept` as it
   *  arrives; the first failure cancels the others. */
  private async runChunks(
    method: 'simulatePnl' | 'sortedLosses',
    { portfolio, request, limits, chunk, onProgress }: MonteCarloRun,
    accept: (values: Float64Array, firstPath: number) => void,
  ): Promise<void> {
    const failFast = new AbortController();
    const chunkLimits = { ...limits, signal: limits.signal ? AbortSignal.any([limits.signal, failFast.signal]) : failFast.signal };
    let done = 0;
    const chunks: Promise<void>[] = [];
    for (let first = 0; first < request.paths; first += chunk) {
      const count = Math.min(chunk, request.paths - first);
      chunks.push(
        this.run({ method, portfolio, run: simulation(request, first, count) }, chunkLimits).then((values) => {
          accept(values as Float64Array, first);
          done += count;
          onProgress?.(done, request.paths);
        }),
      );
    }
    try {
      // Rejects with the first failure; the cancellations it causes in the other chunks come later.
      await Promise.all(chunks);
    } catch (error) {
      failFast.abort();
      throw error;
    }
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
    if (oneCall) return Math.min(MAX_PATHS_PER_CALL, paths);
    const chunksPerWorker = reportsProgress || !this.executor.stopsRunningCalls ? CHUNKS_PER_WORKER : 1;
    return Math.min(MAX_PATHS_PER_CALL, Math.max(MIN_CHUNK_PATHS, Math.ceil(paths / (this.executor.concurrency * chunksPerWorker))));
  }

  private run(call: EngineCall, limits: CallLimits): Promise<unknown> {
    return this.executor.run(call, limits);
  }

  private limits(options: CallOptions): CallLimits {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InvalidInputError('timeoutMs', 'must be a positive integer');
    return { deadlineAt: performance.now() + timeoutMs, timeoutMs, signal: options.signal };
  }

  private result(method: RiskMethod, report: RiskReport, paths: number | null, horizonDays: number, seed: bigint | null, started: number): RiskResult {
    return {
      method,
      paths,
      horizonDays,
      seed: seed === null ? null : seed.toString(),
      levels: report.levels.map(({ confidence, var: valueAtRisk, es, stdError }) => ({ confidence, var: valueAtRisk, es, stdError })),
      meanPnl: report.meanPnl,
      stdPnl: report.stdPnl,
      component: this.component,
      elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}

function simulation(request: MonteCarloRequest, firstPath: number, pathCount: number): Simulation {
  return { seed: request.seed, horizonDays: request.horizonDays, antithetic: request.antithetic, firstPath: BigInt(firstPath), pathCount: BigInt(pathCount) };
}

function limitsFor(timeoutMs: number): CallLimits {
  return { deadlineAt: performance.now() + timeoutMs, timeoutMs };
}
