// Executes engine calls against one component's instance, in whatever thread holds it (a pool worker or,
// in-thread mode, the caller's), and checks each result there: only small, checked values leave it.
// Instantiates on first use and again after a trap.
import { ComponentInstance, type ComponentPayload } from './component-instance.js';
import { checkedInfo, checkedPnl, checkedReport, checkedSortedLosses, componentFailure } from '../contract/checked-results.js';
import { isFactorPortfolio, type EngineExports, type EngineInfo, type EnginePortfolio, type RiskReport, type Simulation } from '../contract/types.js';
import { ComponentTrapError, IncompatibleComponentError, OutOfMemoryError, WasmRiskError } from '../errors.js';
import { toTransported, type TransportedError } from './error-transport.js';
import { lossMoments, sortedLosses, type LossMoments } from '../report/risk-statistics.js';
import type { WorkerRestartCause } from './worker-restarts.js';

/** What each engine call takes besides its method. */
interface EngineCallArgs {
  info: object;
  simulatePnl: { portfolio: EnginePortfolio; run: Simulation };
  /** A chunk's `keep` largest losses and the exact moments of all of them (a Monte Carlo run's chunk, local
   *  or distributed), from its losses in ascending order: the component's `sorted-losses` (contract 1.1 on),
   *  else its `simulate-pnl` sorted here, where it was simulated. */
  chunkSummary: { portfolio: EnginePortfolio; run: Simulation; keep: number };
  historical: { portfolio: EnginePortfolio; returns: Float64Array[]; horizonDays: number; confidence: Float64Array };
  parametric: { portfolio: EnginePortfolio; horizonDays: number; confidence: Float64Array };
}

/** What each engine call answers, checked. */
export interface EngineCallResults {
  info: EngineInfo;
  simulatePnl: Float64Array;
  chunkSummary: ChunkSummary;
  historical: RiskReport;
  parametric: RiskReport;
}

/** What a chunk of a Monte Carlo run answers: its largest losses, ascending, and the exact moments of all its
 *  losses. Summed where the chunk was simulated, so the caller's thread does no work in proportion to its
 *  paths: the service's event loop answers every request, and a chunk worker's main thread renews BullMQ's
 *  locks (summing 10,000,000 losses there, over a second, let a lock lapse and the chunk be taken back as
 *  stalled). */
export interface ChunkSummary {
  tail: Float64Array;
  moments: LossMoments;
}

export type EngineMethod = keyof EngineCallResults;

/** One call into the component, of any method or of the methods `M`. */
export type EngineCall<M extends EngineMethod = EngineMethod> = { [K in M]: { method: K } & EngineCallArgs[K] }[M];

/** A failure's `discarded`: the call's instance was dropped (the next call gets a fresh one), and why. */
export type EngineCallOutcome<M extends EngineMethod = EngineMethod> =
  | { ok: true; value: EngineCallResults[M] }
  | { ok: false; error: TransportedError; discarded?: Extract<WorkerRestartCause, 'trap' | 'oom'> };

/** A trap once any memory has used this share of the room its part of the limit lets it grow into is taken
 *  as allocation failure (a doubling Vec fails near half). Per memory: several share the one limit. */
const OUT_OF_MEMORY_SHARE = 0.5;

/** A factor-model function (contract 1.2 on), or the typed refusal of a component built against an earlier
 *  contract, which has none. */
function factorFunction<F>(available: F | undefined): F {
  if (available === undefined) throw new IncompatibleComponentError('this component does not support factor models (contract >= 1.2): give the portfolio a correlation matrix, or load a newer component');
  return available;
}

/** Each call: the component function it calls (a factor portfolio's `-factors` twin) and the check of its
 *  answer, made before the answer crosses to another thread: a report has one level per requested
 *  confidence (its lifted levels are bounded, see glue-patches.ts), a P&L or a list of losses one value per
 *  path. */
const INVOKE: { [M in EngineMethod]: (engine: EngineExports, call: EngineCall<M>) => EngineCallResults[M] } = {
  info: (engine) => checkedInfo(engine.info()),
  simulatePnl: (engine, { portfolio, run }) =>
    checkedPnl(isFactorPortfolio(portfolio) ? factorFunction(engine.simulatePnlFactors)(portfolio, run) : engine.simulatePnl(portfolio, run), Number(run.pathCount)),
  chunkSummary: (engine, { portfolio, run, keep }) => {
    const losses = checkedLosses(engine, portfolio, run);
    // A copy: the tail crosses to the caller without the rest of the chunk's buffer.
    return { tail: losses.slice(Math.max(0, losses.length - keep)), moments: lossMoments(losses) };
  },
  historical: (engine, { portfolio, returns, horizonDays, confidence }) =>
    checkedReport(
      isFactorPortfolio(portfolio)
        ? factorFunction(engine.historicalFactors)(portfolio, returns, horizonDays, confidence)
        : engine.historical(portfolio, returns, horizonDays, confidence),
      Array.from(confidence),
      BigInt(returns.length),
    ),
  parametric: (engine, { portfolio, horizonDays, confidence }) =>
    checkedReport(
      isFactorPortfolio(portfolio) ? factorFunction(engine.parametricFactors)(portfolio, horizonDays, confidence) : engine.parametric(portfolio, horizonDays, confidence),
      Array.from(confidence),
      0n,
    ),
};

/** A chunk's losses in ascending order, checked (`chunkSummary`). */
function checkedLosses(engine: EngineExports, portfolio: EnginePortfolio, run: Simulation): Float64Array {
  if (isFactorPortfolio(portfolio)) return checkedSortedLosses(factorFunction(engine.sortedLossesFactors)(portfolio, run), Number(run.pathCount));
  if (engine.sortedLosses) return checkedSortedLosses(engine.sortedLosses(portfolio, run), Number(run.pathCount));
  return sortedLosses(checkedPnl(engine.simulatePnl(portfolio, run), Number(run.pathCount)));
}

function invoke<M extends EngineMethod>(instance: ComponentInstance, call: EngineCall<M>): EngineCallResults[M] {
  const calls: (engine: EngineExports, call: EngineCall<M>) => EngineCallResults[M] = INVOKE[call.method];
  instance.beginCall();
  return calls(instance.engine, call);
}

/** Whether `value`, which crossed from a worker, has the shape of what `method` answers: the worker
 *  checked it in full (`INVOKE`), this only lets the type system know. */
const RECEIVED: { [M in EngineMethod]: (value: unknown) => value is EngineCallResults[M] } = {
  info: (value): value is EngineInfo => typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string' && 'version' in value && typeof value.version === 'string',
  simulatePnl: (value) => value instanceof Float64Array,
  chunkSummary: (value): value is ChunkSummary =>
    typeof value === 'object' && value !== null && 'tail' in value && value.tail instanceof Float64Array && 'moments' in value && isLossMoments(value.moments),
  historical: isReport,
  parametric: isReport,
};

function isLossMoments(value: unknown): value is LossMoments {
  return typeof value === 'object' && value !== null && 'count' in value && typeof value.count === 'number' && 'sum' in value && typeof value.sum === 'bigint' && 'squares' in value && typeof value.squares === 'bigint';
}

function isReport(value: unknown): value is RiskReport {
  return typeof value === 'object' && value !== null && 'scenarios' in value && typeof value.scenarios === 'bigint' && 'levels' in value && Array.isArray(value.levels);
}

/** The answer to `method` that came back from a worker, typed. */
export function receivedResult<M extends EngineMethod>(method: M, value: unknown): EngineCallResults[M] {
  const received: (value: unknown) => value is EngineCallResults[M] = RECEIVED[method];
  if (!received(value)) throw new TypeError(`a worker answered ${method} with a value of the wrong shape`);
  return value;
}

export class ComponentCaller {
  private instance: ComponentInstance | undefined;

  constructor(private readonly component: ComponentPayload) {}

  private warming: Promise<void> | undefined;

  /** The linear memory and tables the instance holds now (0 without one). */
  memoryBytes(): number {
    return this.instance?.memoryBytes() ?? 0;
  }

  /** Instantiates the component ahead of the first call (once, however often it is asked). Never throws: a
   *  failure to instantiate is the first call's typed error, from execute(). */
  warm(): Promise<void> {
    this.warming ??= ComponentInstance.create(this.component).then(
      (instance) => {
        this.instance ??= instance;
      },
      () => undefined,
    );
    return this.warming;
  }

  /** Never throws: the outcome is plain data, ready to cross a thread boundary. */
  async execute<M extends EngineMethod>(call: EngineCall<M>): Promise<EngineCallOutcome<M>> {
    const component = this.component;
    let instance = this.instance;
    try {
      instance ??= this.instance = await ComponentInstance.create(component);
      return { ok: true, value: invoke(instance, call) };
    } catch (thrown) {
      let error = thrown instanceof WasmRiskError ? thrown : componentFailure(thrown);
      if (!(error instanceof ComponentTrapError)) return { ok: false, error: toTransported(error) };
      // Its state may be corrupt: the next call gets a fresh instance.
      this.instance = undefined;
      if (instance && instance.memoryPressure() >= OUT_OF_MEMORY_SHARE) {
        const held = instance.memoryBytes();
        error = new OutOfMemoryError(
          `component ran out of memory: it holds ${(held / 2 ** 20).toFixed(0)} MiB of its ${(component.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB limit`,
        );
      }
      // A failure to instantiate discarded no instance: there was none.
      if (!instance) return { ok: false, error: toTransported(error) };
      return { ok: false, error: toTransported(error), discarded: error instanceof OutOfMemoryError ? 'oom' : 'trap' };
    }
  }
}
