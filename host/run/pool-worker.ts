// A pool worker (loaded by piscina from dist/host/run/pool-worker.js): its own instance of the pool's one
// component, never shared between threads. The component is sent once, after the worker asks for it on the
// pool's channel (worker-pool.ts): a pool can start while its component is still being admitted, and its
// workers then get nothing of it until it passes. A task is one or more engine calls
// (several when calls were waiting, worker-pool.ts), run one after another, each answered on its own,
// each marked in the task's shared progress as it starts (task-progress.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import type { ComponentPayload } from './component-instance.js';
import { ComponentCaller, type EngineCallOutcome } from './engine-calls.js';
import { callUnpacker, type PackedCalls } from './call-transport.js';
import { TaskProgress } from './task-progress.js';

/** What piscina hands every worker of a pool: where to ask for the pool's component. */
export interface PoolWorkerData {
  payloadChannel: string;
}

/** The pool's component: asked for on its channel (the pool answers once it has it, to every worker that
 *  listens; the other workers' questions are ignored here). */
function receivePayload({ payloadChannel }: PoolWorkerData): Promise<ComponentPayload> {
  const channel = new BroadcastChannel(payloadChannel);
  return new Promise((resolve) => {
    channel.onmessage = (event) => {
      const { data } = event as { data: unknown };
      if (typeof data !== 'object' || data === null) return;
      channel.close();
      resolve(data as ComponentPayload);
    };
    channel.postMessage('payload?');
  });
}

// Asked for first, received and instantiated as the worker starts: a new worker's start-up is not charged to
// the call that waits for it (the task's progress shows no call running yet). Instantiating again after a
// trap is the next call's time.
const ready = receivePayload(workerData as PoolWorkerData).then(async (payload) => {
  const caller = new ComponentCaller(payload);
  await caller.warm();
  return caller;
});

/**
 * piscina's worker script, which imports this module, has piscina's `common` module loaded already (it
 * gives the worker its `workerData`, the one the pool was made with, as node:worker_threads does here); a
 * result marked movable there crosses with its buffers transferred. Importing the `piscina` package
 * instead would load the whole pool (its queues, histograms, the ESM wrapper) into every new worker
 * thread: about 14 ms of its start. Found among the modules already loaded (resolving the package would
 * cost a new thread about 2 ms). piscina is pinned to one version (package.json);
 * test/isolation/worker-start.test.ts checks that results still cross moved, and this graph.
 */
function piscinaCommon(): { markMovable?: unknown } {
  const require = createRequire(import.meta.url);
  const loaded = Object.keys(require.cache).find((file) => file.endsWith(join('piscina', 'dist', 'common.js')));
  return require(loaded ?? join(dirname(require.resolve('piscina')), 'common.js')) as { markMovable?: unknown };
}
const { markMovable } = piscinaCommon();
if (typeof markMovable !== 'function') throw new Error("piscina's common module has no markMovable: check the pinned piscina version");
/** piscina's symbols for a movable result: registered symbols, the same in every module. */
const transferableSymbol = Symbol.for('Piscina.transferable');
const valueSymbol = Symbol.for('Piscina.valueOf');

export interface PoolTask extends PackedCalls {
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

export default async function runTask({ calls, portfolios, progress: buffer, dispatchedAt }: PoolTask): Promise<unknown> {
  const progress = new TaskProgress(buffer);
  const outcomes: PoolAnswers['outcomes'] = [];
  progress.claim(threadId);
  const caller = await ready;
  const unpack = callUnpacker(portfolios);
  for (const [index, call] of calls.entries()) {
    if (progress.withdrawn(index)) {
      outcomes.push(undefined);
      continue;
    }
    progress.start(index, Date.now() - dispatchedAt);
    outcomes.push(await caller.execute(unpack(call)));
  }
  const answers: PoolAnswers = { outcomes, worker: threadId, memoryBytes: caller.memoryBytes() };
  // Vectors (P&L or a chunk's tail, each in a buffer of its own) are moved to the caller, not copied.
  const buffers = outcomes.flatMap((answer) => (answer?.ok ? movableVectors(answer.value) : []));
  if (buffers.length === 0) return answers;
  const transfer = { [transferableSymbol]: buffers, [valueSymbol]: answers };
  (markMovable as (value: object) => void)(transfer);
  return transfer;
}

/** The buffers of the vectors an answer holds: a vector itself, or a chunk summary's tail. */
function movableVectors(value: unknown): ArrayBuffer[] {
  if (value instanceof Float64Array) return [value.buffer as ArrayBuffer];
  if (typeof value === 'object' && value !== null && 'tail' in value && value.tail instanceof Float64Array) return [value.tail.buffer as ArrayBuffer];
  return [];
}
