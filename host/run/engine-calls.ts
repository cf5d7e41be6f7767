// Executes engine calls against one component's instance, in whatever thread holds it (a pool worker or,
// in-thread mode, the caller's), and checks each result there: only small, checked values leave it.
// Instantiates on first use and again after a trap.
import { ComponentInstance, type ComponentPayload } from './component-instance.js';
import { checkedInfo, checkedPnl, checkedReport, componentFailure } from '../contract/checked-results.js';
import type { Portfolio, Simulation } from '../contract/types.js';
import { ComponentTrapError, OutOfMemoryError, WasmRiskError } from '../errors.js';
import { toTransported, type TransportedError } from './error-transport.js';
import { sortedLosses } from '../report/risk-statistics.js';

export type EngineCall =
  | { method: 'info' }
  | { method: 'simulatePnl'; portfolio: Portfolio; run: Simulation }
  /** A chunk's P&L, checked and turned into ascending losses where it was simulated. */
  | { method: 'sortedLosses'; portfolio: Portfolio; run: Simulation }
  | { method: 'monteCarlo'; portfolio: Portfolio; run: Simulation; confidence: Float64Array }
  | { method: 'historical'; portfolio: Portfolio; returns: Float64Array[]; horizonDays: number; confidence: Float64Array }
  | { method: 'parametric'; portfolio: Portfolio; horizonDays: number; confidence: Float64Array };

export type EngineCallOutcome = { ok: true; value: unknown } | { ok: false; error: TransportedError };

/** A trap once any memory has used this share of the room its part of the limit lets it grow into is taken
 *  as allocation failure (a doubling Vec fails near half). Per memory: several share the one limit. */
const OUT_OF_MEMORY_SHARE = 0.5;

/** Calls the component and checks its answer against the call, before the answer crosses to another
 *  thread: a report has one level per requested confidence (its lifted levels are bounded, see
 *  glue-patches.ts), a P&L one value per path. */
function invoke(instance: ComponentInstance, call: EngineCall): unknown {
  const engine = instance.engine;
  switch (call.method) {
    case 'info':
      return checkedInfo(engine.info());
    case 'simulatePnl':
      return checkedPnl(engine.simulatePnl(call.portfolio, call.run), Number(call.run.pathCount));
    case 'sortedLosses':
      return sortedLosses(checkedPnl(engine.simulatePnl(call.portfolio, call.run), Number(call.run.pathCount)));
    case 'monteCarlo':
      return checkedReport(engine.monteCarlo(call.portfolio, call.run, call.confidence), Array.from(call.confidence), call.run.pathCount);
    case 'historical':
      return checkedReport(engine.historical(call.portfolio, call.returns, call.horizonDays, call.confidence), Array.from(call.confidence), BigInt(call.returns.length));
    case 'parametric':
      return checkedReport(engine.parametric(call.portfolio, call.horizonDays, call.confidence), Array.from(call.confidence), 0n);
  }
}

export class ComponentCaller {
  private instance: ComponentInstance | undefined;

  constructor(private readonly component: ComponentPayload) {}

  /** Never throws: the outcome is plain data, ready to cross a thread boundary. */
  async execute(call: EngineCall): Promise<EngineCallOutcome> {
    const component = this.component;
    let instance = this.instance;
    try {
      instance ??= this.instance = await ComponentInstance.create(component);
      return { ok: true, value: invoke(instance, call) };
    } catch (thrown) {
      let error = thrown instanceof WasmRiskError ? thrown : componentFailure(thrown);
      if (error instanceof ComponentTrapError) {
        // Its state may be corrupt: the next call gets a fresh instance.
        this.instance = undefined;
        if (instance && instance.memoryPressure() >= OUT_OF_MEMORY_SHARE) {
          const held = instance.memoryBytes();
          error = new OutOfMemoryError(
            `component ran out of memory: it holds ${(held / 2 ** 20).toFixed(0)} MiB of its ${(component.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB limit`,
          );
        }
      }
      return { ok: false, error: toTransported(error) };
    }
  }
}
