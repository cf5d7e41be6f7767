// The bounded queue in front of the engine: at most `concurrency` requests run at once and at most
// `maxQueue` wait; one more is refused at once (429) instead of piling up, so memory stays bounded
// whatever the load; and none waits longer than `maxWaitMs` (503), so latency stays bounded too. A request
// whose client has gone by its turn is dropped, not run. Draining refuses new work (503) and resolves once the
// running and waiting are done.
import { CancelledError, QueueFullError, QueueTimeoutError, ServiceUnavailableError } from '../errors.js';

export interface QueueOptions {
  concurrency: number;
  maxQueue: number;
  /** Longest wait for a slot; past it the request is refused with QueueTimeoutError (the service's
   *  --timeout-ms, as the engine bounds a call's wait for a worker). */
  maxWaitMs: number;
  /** Called whenever the running or waiting counts change (for the gauges). */
  onChange?: (running: number, waiting: number) => void;
}

/** A request waiting for a slot: `start` gives it the slot, `drop` refuses it. */
interface Waiting {
  stillWanted: () => boolean;
  start: () => void;
  drop: (error: Error) => void;
}

export class RequestQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private draining = false;
  private idle: (() => void) | undefined;

  constructor(private readonly options: QueueOptions) {}

  /** Runs `task` when a slot is free; throws QueueFullError when the queue is full, ServiceUnavailableError when
   *  draining, and CancelledError when the slot comes and `stillWanted` says the client has gone (under overload
   *  clients give up and send again: running what nobody waits for any more would keep the queue full of it). */
  async run<T>(task: () => Promise<T>, stillWanted: () => boolean = () => true): Promise<T> {
    if (this.draining) throw new ServiceUnavailableError('the server is shutting down');
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.maxQueue) {
        throw new QueueFullError(`${this.running} requests running and ${this.waiting.length} waiting: the queue is full`);
      }
      await new Promise<void>((start, drop) => {
        const entry: Waiting = {
          stillWanted,
          start: () => {
            clearTimeout(timer);
            start();
          },
          drop: (error) => {
            clearTimeout(timer);
            drop(error);
          },
        };
        const timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          this.changed();
          entry.drop(new QueueTimeoutError(`no slot was free within ${this.options.maxWaitMs} ms: the server is overloaded`));
        }, this.options.maxWaitMs);
        this.waiting.push(entry);
        this.changed();
      });
    } else {
      this.running++;
      this.changed();
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  get depth(): number {
    return this.waiting.length;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Refuses new requests from now on; resolves when every admitted one has finished. */
  drain(): Promise<void> {
    this.draining = true;
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  /** Hands the slot to the next waiting request whose client is still there, or frees it. */
  private release(): void {
    let next = this.waiting.shift();
    while (next && !next.stillWanted()) {
      next.drop(new CancelledError('the client closed its connection while the request waited'));
      next = this.waiting.shift();
    }
    if (next) next.start();
    else this.running--;
    this.changed();
    if (this.running === 0) this.idle?.();
  }

  private changed(): void {
    this.options.onChange?.(this.running, this.waiting.length);
  }
}
