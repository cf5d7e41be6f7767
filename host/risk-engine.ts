// The library API: a typed risk engine over one sandboxed component. Requests are validated here,
// cross the boundary once per chunk, and come back checked; failures are typed errors.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ComponentImage, type LoadOptions } from './component-loader.js';
import { checkedInfo, checkedPnl, checkedReport, componentFailure } from './component-results.js';
import type { EngineExports, EngineInfo, Portfolio, RiskReport, Simulation } from './engine-types.js';
import { ComponentTrapError, InvalidInputError } from './errors.js';
import { MAX_PATHS_PER_CALL } from './limits.js';
import { validatePortfolio, type PortfolioSpec } from './portfolio.js';
import { DEFAULT_COMPONENT } from './project-paths.js';
import { summarizePnl } from './risk-statistics.js';
import {
  validateClosedFormOptions,
  validateMonteCarloOptions,
  type ClosedFormOptions,
  type MonteCarloOptions,
  type MonteCarloRequest,
} from './risk-request.js';

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

export interface MonteCarloCallOptions extends MonteCarloOptions {
  /** Called after each finished chunk of paths. */
  onProgress?: (donePaths: number, totalPaths: number) => void;
  signal?: AbortSignal;
}

/** Paths per component call: small enough for progress and cancellation, large enough to amortise a call. */
const CHUNK_PATHS = 50_000;

export class RiskEngine {
  private instance: EngineExports | undefined;

  private constructor(
    private readonly image: ComponentImage,
    readonly component: ComponentIdentity,
  ) {}

  /** Loads, transpiles (cached) and instantiates a component; without a path, the project's own engine. */
  static async load(path: string = DEFAULT_COMPONENT, options: LoadOptions = {}): Promise<RiskEngine> {
    const image = await ComponentImage.load(path, options);
    const instance = await image.instantiate();
    const info = checkedInfo(callSync(() => instance.info()));
    const engine = new RiskEngine(image, { ...info, sha256: image.sha256 });
    engine.instance = instance;
    return engine;
  }

  async monteCarlo(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const { onProgress, signal, ...rest } = options;
    const request = validateMonteCarloOptions(rest);
    const pnl = await this.simulateValidated(validatePortfolio(portfolio).portfolio, request, onProgress, signal);
    const report = summarizePnl(pnl, request.confidence);
    return this.result('monte-carlo', report, request.paths, request.horizonDays, request.seed, started);
  }

  /** The P&L of every path, in path order (for plots or custom statistics). */
  async simulatePnl(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<Float64Array> {
    const { onProgress, signal, ...rest } = options;
    return this.simulateValidated(validatePortfolio(portfolio).portfolio, validateMonteCarloOptions(rest), onProgress, signal);
  }

  async historical(portfolio: PortfolioSpec, options: ClosedFormOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const request = validateClosedFormOptions(options);
    const { portfolio: engineInput, returns } = validatePortfolio(portfolio);
    if (!returns || returns.length === 0) throw new InvalidInputError('returns', 'historical VaR needs past returns (T x n log-returns)');
    const confidence = Float64Array.from(request.confidence);
    const report = await this.call((engine) => engine.historical(engineInput, returns, request.horizonDays, confidence));
    checkedReport(report, request.confidence, BigInt(returns.length));
    return this.result('historical', report, returns.length, request.horizonDays, null, started);
  }

  async parametric(portfolio: PortfolioSpec, options: ClosedFormOptions = {}): Promise<RiskResult> {
    const started = performance.now();
    const request = validateClosedFormOptions(options);
    const { portfolio: engineInput } = validatePortfolio(portfolio);
    const confidence = Float64Array.from(request.confidence);
    const report = await this.call((engine) => engine.parametric(engineInput, request.horizonDays, confidence));
    checkedReport(report, request.confidence, 0n);
    return this.result('parametric', report, null, request.horizonDays, null, started);
  }

  private async simulateValidated(
    portfolio: Portfolio,
    request: MonteCarloRequest,
    onProgress: MonteCarloCallOptions['onProgress'],
    signal: AbortSignal | undefined,
  ): Promise<Float64Array> {
    const pnl = new Float64Array(request.paths);
    const chunk = Math.min(MAX_PATHS_PER_CALL, CHUNK_PATHS);
    for (let first = 0; first < request.paths; first += chunk) {
      signal?.throwIfAborted();
      const count = Math.min(chunk, request.paths - first);
      const run: Simulation = {
        seed: request.seed,
        horizonDays: request.horizonDays,
        antithetic: request.antithetic,
        firstPath: BigInt(first),
        pathCount: BigInt(count),
      };
      pnl.set(checkedPnl(await this.call((engine) => engine.simulatePnl(portfolio, run)), count), first);
      onProgress?.(first + count, request.paths);
      await yieldToEventLoop();
    }
    return pnl;
  }

  /** Runs one call on the live instance; a trapped instance is dropped and the next call gets a fresh one. */
  private async call<T>(fn: (engine: EngineExports) => T): Promise<T> {
    this.instance ??= await this.image.instantiate();
    const instance = this.instance;
    try {
      return callSync(() => fn(instance));
    } catch (error) {
      if (error instanceof ComponentTrapError) this.instance = undefined;
      throw error;
    }
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

function callSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (thrown) {
    throw componentFailure(thrown);
  }
}
