// The BullMQ clients of one Redis connection that a requester needs: the flow producer that queues a run,
// the queue (job states, results, removal), and the reader of the queue's events. Once the connection is
// given up (`lost`), they are of no more use: DistributedRuns opens new ones for its next run.
import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { ValidDistributedOptions } from './distributed-options.js';
import { RedisLink } from './redis-connection.js';

/** Events the queue's stream keeps (BullMQ trims it to about this many). */
export const EVENTS_KEPT = 1_000;
/** Pause before the events stream is read again after its reading failed (a malformed event, or Redis gone). */
const EVENTS_RESTART_MS = 100;

export class QueueClients {
  private closing = false;
  /** The queue's events, read until close (`readEvents`). */
  private readonly reading: Promise<void>;

  private constructor(
    readonly link: RedisLink,
    readonly flows: FlowProducer,
    readonly events: QueueEvents,
    readonly queue: Queue,
  ) {
    this.reading = this.readEvents();
  }

  /** Connects, or fails with RedisUnavailableError. */
  static async open(options: ValidDistributedOptions): Promise<QueueClients> {
    const link = await new RedisLink(options.redis, options.insecureRedis).open();
    const flows = new FlowProducer({ connection: link.connection });
    // Started by `readEvents`, which starts it again whenever it stops.
    const events = new QueueEvents(options.queue, { connection: link.connection, autorun: false });
    // Keeps the queue's events stream short: BullMQ copies each chunk's result (its loss tail, up to MBs)
    // into a `completed` event, and would keep 10,000 of them in Redis by default.
    const queue = new Queue(options.queue, { connection: link.connection, streams: { events: { maxLen: EVENTS_KEPT } } });
    // Their connections report errors here; a lost Redis is reported by `link.lost` once given up.
    flows.on('error', () => undefined);
    events.on('error', () => undefined);
    queue.on('error', () => undefined);
    try {
      await link.guard(Promise.all([events.waitUntilReady(), queue.waitUntilReady()]));
      return new QueueClients(link, flows, events, queue);
    } catch (error) {
      await Promise.allSettled([events.close(), flows.close(), queue.close()]);
      await link.close();
      throw error;
    }
  }

  /** Writes the events stream's bound into the queue's meta hash again, before each run: BullMQ writes it once,
   *  as the Queue starts, and a Redis that lost its data (restarted without it, or flushed) while the
   *  connection came back has none, so the next job added set BullMQ's default, 10,000 events (each completed
   *  one a chunk's result), for as long as the requester lived. */
  async boundEvents(): Promise<void> {
    await this.link.guard(this.link.connection.hset(this.queue.toKey('meta'), 'opts.maxLenEvents', EVENTS_KEPT));
  }

  /** Whether the connection was given up (RedisUnavailableError to whatever it guarded). */
  get lost(): boolean {
    return this.link.connection.status === 'end';
  }

  /** BullMQ's reading of the events stream ends for good at an event it cannot parse (its JSON.parse throws
   *  out of the loop), and anyone who can write the queue can add one: the run under way and every later one
   *  would then see a chunk's failure only at its deadline. Read again, from the newest event; a run whose
   *  events fell in between still ends, as its parent's state is polled (DistributedRuns `finished`). */
  private async readEvents(): Promise<void> {
    while (!this.closing && !this.lost) {
      try {
        await this.events.run();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, EVENTS_RESTART_MS));
      }
    }
  }

  /** Waits for the clients to close only while Redis answers. ioredis never ends a connection closed between
   *  two reconnect attempts (redis/ioredis#1247): BullMQ's close waits for that end, and the events reader for
   *  a command that connection holds, for ever. So a requester that closed once its Redis was given up, while
   *  the events connection still retried, never got to report ERR_REDIS_UNAVAILABLE: `var --redis` ended with
   *  nothing printed, exit 0. Their closes are started all the same, which stops the reconnect attempts. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = Promise.allSettled([this.events.close(), this.flows.close(), this.queue.close()]).then(() => this.reading);
    if (this.link.connection.status === 'ready') await closed;
    await this.link.close();
  }
}
