// A pool worker: keeps one instance per component (never shared between threads), runs one engine call
// per task, and discards an instance after a trap. Loaded by piscina from dist/host/engine-worker.js.
import { ComponentInstance, type ComponentPayload } from './component-instance.js';
import { componentFailure } from './component-results.js';
import type { Portfolio, Simulation } from './engine-types.js';
import { ComponentTrapError, OutOfMemoryError, WasmRiskError } from './errors.js';
import { toTransported, type TransportedError } from './error-transport.js';

export type EngineCall =
  | { method: 'info' }
  | { method: 'simulatePnl'; portfolio: Portfolio; run: Simulation }
  | { method: 'monteCarlo'; portfolio: Portfolio; run: Simulation; confidence: Float64Array }
  | { method: 'historical'; portfolio: Portfolio; returns: Float64Array[]; horizonDays: number; confidence: Float64Array }
  | { method: 'parametric'; portfolio: Portfolio; horizonDays: number; confidence: Float64Array };

export interface EngineTask {
  component: ComponentPayload;
  call: EngineCall;
}

export type EngineTaskOutcome = { ok: true; value: unknown } | { ok: false; error: TransportedError };

/** A trap while holding this share of the cap is taken as allocation failure (a doubling Vec fails near half). */
const OUT_OF_MEMORY_SHARE = 0.5;

const instances = new Map<string, ComponentInstance>();

function instanceKey(component: ComponentPayload): string {
  return `${component.sha256}:${component.memoryLimitBytes}`;
}

async function instanceFor(component: ComponentPayload): Promise<ComponentInstance> {
  const key = instanceKey(component);
  let instance = instances.get(key);
  if (!instance) {
    instance = await ComponentInstance.create(component);
    instances.set(key, instance);
  }
  return instance;
}

function invoke(instance: ComponentInstance, call: EngineCall): unknown {
  const engine = instance.engine;
  switch (call.method) {
    case 'info':
      return engine.info();
    case 'simulatePnl':
      return engine.simulatePnl(call.portfolio, call.run);
    case 'monteCarlo':
      return engine.monteCarlo(call.portfolio, call.run, call.confidence);
    case 'historical':
      return engine.historical(call.portfolio, call.returns, call.horizonDays, call.confidence);
    case 'parametric':
      return engine.parametric(call.portfolio, call.horizonDays, call.confidence);
  }
}

export default async function runEngineTask({ component, call }: EngineTask): Promise<EngineTaskOutcome> {
  let instance: ComponentInstance | undefined;
  try {
    instance = await instanceFor(component);
    return { ok: true, value: invoke(instance, call) };
  } catch (thrown) {
    let error = thrown instanceof WasmRiskError ? thrown : componentFailure(thrown);
    if (error instanceof ComponentTrapError) {
      // Its state may be corrupt: the next call gets a fresh instance.
      instances.delete(instanceKey(component));
      if (instance && instance.memoryBytes() >= OUT_OF_MEMORY_SHARE * component.memoryLimitBytes) {
        error = new OutOfMemoryError(
          `component ran out of memory: it holds ${(instance.memoryBytes() / 2 ** 20).toFixed(0)} MiB of its ${(component.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB limit`,
        );
      }
    }
    return { ok: false, error: toTransported(error) };
  }
}
