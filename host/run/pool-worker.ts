// A pool worker (loaded by piscina from dist/host/run/pool-worker.js): its own instance of the pool's one
// component (sent once, as workerData), never shared between threads. A task is one or more engine calls
// (several when calls were waiting, worker-pool.ts), run one after another, each answered on its own,
// each marked in the task's shared progress as it starts (task-progress.ts).
import { threadId } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCallOutcome } from './engine-calls.js';
import { unpackCall, type TransportedCall } from './call-transport.js';
import { TaskProgress } from './task-progress.js';

const caller = new ComponentCaller(workerData as ComponentPayload);
// Instantiated as the worker starts: a new worker's start-up is not charged to the call that waits for it
// (the task's progress shows no call running yet). Instantiating again after a trap is the next call's time.
const ready = caller.warm();

export interface PoolTask {
  calls: TransportedCall[];
  /** The task's TaskProgress. */
  progress: SharedArrayBuffer;
  /** Date.now() when the pool dispatched the task: starts are recorded relative to it. */
  dispatchedAt: number;
}

/** What a task answers: each call's outcome, in order (undefined for a call withdrawn before it started),
 *  and the memory this worker's instance holds after them. */
export interface PoolAnswers {
  outcomes: (EngineCallOutcome | undefined)[];
  worker: number;
  memoryBytes: number;
}

export default async function runTask({ calls, progress: buffer, dispatchedAt }: PoolTask): Promise<unknown> {
  const progress = new TaskProgress(buffer);
  const outcomes: PoolAnswers['outcomes'] = [];
  progress.claim(threadId);
  await ready;
  for (const [index, call] of calls.entries()) {
    if (progress.withdrawn(index)) {
      outcomes.push(undefined);
      continue;
    }
    progress.start(index, Date.now() - dispatchedAt);
    outcomes.push(await caller.execute(unpackCall(call)));
  }
  const answers: PoolAnswers = { outcomes, worker: threadId, memoryBytes: caller.memoryBytes() };
  // Vectors (P&L or sorted losses, each in a buffer of its own) are moved to the caller, not copied.
  const buffers = outcomes.flatMap((answer) => (answer?.ok && answer.value instanceof Float64Array ? [answer.value.buffer as ArrayBuffer] : []));
  if (buffers.length === 0) return answers;
  const transfer = { [transferableSymbol]: buffers, [valueSymbol]: answers };
  return move(transfer as Parameters<typeof move>[0]);
}
