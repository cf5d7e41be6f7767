// A pool worker (loaded by piscina from dist/host/engine-worker.js): its own instance of the pool's one
// component (sent once, as workerData), never shared between threads, one engine call per task.
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCall, type EngineCallOutcome } from './engine-calls.js';

const caller = new ComponentCaller(workerData as ComponentPayload);

export default async function runEngineCall(call: EngineCall): Promise<unknown> {
  const outcome = await caller.execute(call);
  // A P&L vector (jco lifts it into its own buffer) is moved to the caller rather than copied.
  if (outcome.ok && outcome.value instanceof Float64Array) {
    const pnl = outcome.value;
    return move({ [transferableSymbol]: [pnl.buffer], [valueSymbol]: outcome } as unknown as EngineCallOutcome as never);
  }
  return outcome;
}
