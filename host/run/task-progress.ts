// What a pool task's worker is doing, shared between the worker and the pool without a message: which of
// the task's calls is running and since when, and which calls the pool has withdrawn before they started.
// The pool times each call from its own start (so neither a worker's start-up nor the calls before it in
// the task are charged to it), knows which call to blame when it has to stop the worker, and can withdraw
// a cancelled call that has not started without stopping the others.

/** Layout of the shared Int32Array: the running call's index (-1 before the first), its start in ms after
 *  the task was dispatched, the worker's thread id (0 until it takes the task), then one withdrawn flag per call. */
const RUNNING = 0;
const STARTED_MS = 1;
const WORKER = 2;
const FLAGS = 3;

export class TaskProgress {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  /** A fresh record for a task of `calls` calls. */
  static create(calls: number): TaskProgress {
    const progress = new TaskProgress(new SharedArrayBuffer((FLAGS + calls) * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(progress.cells, RUNNING, -1);
    return progress;
  }

  /** The index of the call running (or last run), -1 before the first starts. */
  get running(): number {
    return Atomics.load(this.cells, RUNNING);
  }

  /** When the running call started, in ms after the task was dispatched. */
  get startedMs(): number {
    return Atomics.load(this.cells, STARTED_MS);
  }

  /** The thread id of the worker that took the task, or 0 before one did. */
  get worker(): number {
    return Atomics.load(this.cells, WORKER);
  }

  /** In the worker: it takes the task. */
  claim(threadId: number): void {
    Atomics.store(this.cells, WORKER, threadId);
  }

  /** In the worker: call `index` starts, `sinceDispatchMs` after the task was dispatched. The start time is
   *  written first, so the pool never pairs a new index with the previous call's start. */
  start(index: number, sinceDispatchMs: number): void {
    Atomics.store(this.cells, STARTED_MS, sinceDispatchMs);
    Atomics.store(this.cells, RUNNING, index);
  }

  /** In the pool: call `index` must not start (the worker skips it, unless it has started already). */
  withdraw(index: number): void {
    Atomics.store(this.cells, FLAGS + index, 1);
  }

  /** In the worker: whether call `index` was withdrawn. */
  withdrawn(index: number): boolean {
    return Atomics.load(this.cells, FLAGS + index) === 1;
  }
}
