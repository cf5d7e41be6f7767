// A pool worker (loaded by piscina from dist/host/run/pool-worker.js): its own instance of the pool's one
// component (sent once, as workerData), never shared between threads. A task is one or more engine calls
// (several when calls were waiting, worker-pool.ts), run one after another, each answered on its own,
// each marked in the task's shared progress as it starts (task-progress.ts).
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCallOutcome } from './engine-calls.js';
import { unpackCall, type TransportedCall } from './call-transport.js';
import { TaskProgress } from './task-progress.js';

const caller = new ComponentCaller(workerData as ComponentPayload);
// Instantiated as the worker starts, before any call needs it.
void caller.warm();

export interface PoolTask {
  calls: TransportedCall[];
  /** The task's TaskProgress. */
  progress: SharedArrayBuffer;
  /** Date.now() when the pool dispatched the task: starts are recorded relative to it. */
  dispatchedAt: number;
}

/** The answer to each call of the task, in order; undefined for a call withdrawn before it started. */
export type PoolAnswers = (EngineCallOutcome | undefined)[];

export default async function runTask({ calls, progress: buffer, dispatchedAt }: PoolTask): Promise<unknown> {
  const progress = new TaskProgress(buffer);
  const answers: PoolAnswers = [];
  for (const [index, call] of calls.entries()) {
    if (progress.withdrawn(index)) {
      answers.push(undefined);
      continue;
    }
    // A call's time is its own: instantiating (at start, or after a trap) comes before its start mark.
    await caller.warm();
    progress.start(index, Date.now() - dispatchedAt);
    answers.push(await caller.execute(unpackCall(call)));
  }
  // Vectors (P&L or sorted losses, each in a buffer of its own) are moved to the caller, not copied.
  const buffers = answers.flatMap((answer) => (answer?.ok && answer.value instanceof Float64Array ? [answer.value.buffer as ArrayBuffer] : []));
  if (buffers.length === 0) return answers;
  const transfer = { [transferableSymbol]: buffers, [valueSymbol]: answers };
  return move(transfer as Parameters<typeof move>[0]);
}
