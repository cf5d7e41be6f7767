// A pool worker (loaded by piscina from dist/host/run/pool-worker.js): its own instance of the pool's one
// component (sent once, as workerData), never shared between threads, one engine call per task.
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCall } from './engine-calls.js';

const caller = new ComponentCaller(workerData as ComponentPayload);

export default async function runEngineCall(call: EngineCall): Promise<unknown> {
  const outcome = await caller.execute(call);
  // A vector (P&L or sorted losses, each in a buffer of its own) is moved to the caller, not copied.
  if (outcome.ok && outcome.value instanceof Float64Array) {
    const transfer = { [transferableSymbol]: [outcome.value.buffer], [valueSymbol]: outcome };
    return move(transfer as Parameters<typeof move>[0]);
  }
  return outcome;
}
