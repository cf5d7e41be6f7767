// The one way the host connects to Redis for distributed runs: the URL checked as a trust boundary (TLS or
// a password off loopback), and connections that give up in bounded time with a typed error instead of
// retrying forever, so a Redis that goes away fails a run (or stops a worker) rather than hanging it.
import { Redis, ReplyError } from 'ioredis';
import { InsecureRedisError, InvalidInputError, messageOf, RedisUnavailableError } from '../errors.js';

/** Time to open a connection, and the reconnect attempts (each RECONNECT_DELAY_MS apart) after which a
 *  lost connection is given up: about 10 s in all. */
const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_ATTEMPTS = 20;
const RECONNECT_DELAY_MS = 500;
/** How long a command may wait while Redis sends nothing at all before the connection is given up: one that
 *  accepts connections but does not answer (stopped, wedged, or no Redis) held a run, before and past its
 *  deadline, and a worker's start, for ever, as a TCP connection to it never fails. */
const SILENCE_MS = 10_000;
/** The last error before any error event. */
const CLOSED = 'connection closed';

/** Anyone who can write the queue can make workers run jobs (on the components they hold) and can forge
 *  results a requester will merge, so the queue must not be open to the network. */
export function checkRedisUrl(url: string, insecureRedis: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('redis', 'must be a redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new InvalidInputError('redis', 'must be a redis:// or rediss:// URL');
  const protectedLink = parsed.protocol === 'rediss:' || parsed.password !== '';
  if (!protectedLink && !isLoopback(parsed.hostname) && !insecureRedis) {
    throw new InsecureRedisError(`refusing ${parsed.host}: a Redis off loopback needs rediss:// (TLS) or a password (--insecure-redis to accept it)`);
  }
  return parsed;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** A Redis connection that reports its loss (once given up) as RedisUnavailableError to whatever it
 *  guards. BullMQ duplicates it, with the same give-up policy, for its blocking reads. */
export class RedisLink {
  readonly connection: Redis;
  private readonly onLost = new Set<(error: RedisUnavailableError) => void>();
  private lastError = CLOSED;
  /** When Redis last sent a byte on the current connection. */
  private heardAt = 0;

  constructor(url: string, insecureRedis = false) {
    checkRedisUrl(url, insecureRedis);
    this.connection = new Redis(url, {
      // BullMQ's blocking reads need it; a lost connection still fails its commands, once given up.
      maxRetriesPerRequest: null,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => (attempt > RECONNECT_ATTEMPTS ? null : RECONNECT_DELAY_MS),
      lazyConnect: true,
    });
    this.connection.on('error', (error) => {
      this.lastError = messageOf(error);
    });
    this.connection.on('connect', () => {
      this.heardAt = Date.now();
      this.connection.stream.on('data', () => {
        this.heardAt = Date.now();
      });
    });
    this.connection.once('end', () => {
      for (const listener of this.onLost) listener(this.unavailable());
    });
    // BullMQ duplicates this connection (a Worker's blocking reads) and stops listening to the duplicate's
    // errors when it closes it, while a reconnect attempt may still be under way: that attempt's failure then
    // went to no listener, and ioredis printed it ("[ioredis] Unhandled error event: ... ECONNREFUSED") after
    // a worker's own ERR_REDIS_UNAVAILABLE line. The loss is reported through this connection; a duplicate's
    // errors say nothing more.
    const duplicate = this.connection.duplicate.bind(this.connection);
    this.connection.duplicate = (override) => duplicate(override).on('error', () => undefined);
  }

  /** Calls `listener` when the connection is given up (next tick, if it was already); returns the unsubscribe. */
  whenLost(listener: (error: RedisUnavailableError) => void): () => void {
    this.onLost.add(listener);
    if (this.connection.status === 'end') queueMicrotask(() => this.onLost.has(listener) && listener(this.unavailable()));
    return () => {
      this.onLost.delete(listener);
    };
  }

  /** `work`, or RedisUnavailableError if the connection is given up before it settles. ioredis fails the
   *  commands it still holds ("Connection is closed.") a tick before it reports the end, so a command
   *  waiting for a reconnection that never came fails as the connection given up, not as itself. A Redis
   *  silent for SILENCE_MS while `work` waits is given up the same way. */
  async guard<T>(work: Promise<T>): Promise<T> {
    let unsubscribe: () => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      unsubscribe = this.whenLost(reject);
    });
    const started = Date.now();
    let silence: NodeJS.Timeout;
    const listen = () => {
      const quiet = Date.now() - Math.max(started, this.heardAt);
      // Not between two reconnect attempts: ioredis then never ends the connection (redis/ioredis#1247) and
      // stops the attempts, whose last gives it up anyway.
      if (quiet >= SILENCE_MS && this.connection.status !== 'reconnecting') return this.giveUp(`no answer from Redis for ${SILENCE_MS} ms`);
      silence = setTimeout(listen, Math.max(SILENCE_MS - quiet, RECONNECT_DELAY_MS));
    };
    silence = setTimeout(listen, SILENCE_MS);
    try {
      return await Promise.race([work, lost]);
    } catch (error) {
      throw this.connection.status === 'end' && !(error instanceof RedisUnavailableError) ? this.unavailable(error) : error;
    } finally {
      clearTimeout(silence);
      unsubscribe();
    }
  }

  /** Ends the connection for good: what it guards fails with RedisUnavailableError saying `why`. */
  private giveUp(why: string): void {
    this.lastError = why;
    this.connection.disconnect();
  }

  /** Connects, or fails with RedisUnavailableError. The PING makes a Redis that wants a password, and was
   *  given none, say so here (NOAUTH) rather than fail the first job's commands. */
  async open(): Promise<this> {
    try {
      await this.guard(this.connection.connect());
      await this.guard(this.connection.ping());
      await this.selectedDatabase();
      return this;
    } catch (error) {
      this.connection.disconnect();
      throw error instanceof RedisUnavailableError || error instanceof InvalidInputError ? error : this.unavailable(error);
    }
  }

  /** ioredis selects the URL's database (`redis://host/5`) as it connects, but a SELECT that Redis refuses (an
   *  index past its `databases`) goes only to its error listeners: the link went on in database 0, beside the
   *  queues of whoever runs there, with no word. Selected again here, where a refusal is the URL's fault. */
  private async selectedDatabase(): Promise<void> {
    const { db } = this.connection.options;
    if (!db) return;
    await this.guard(this.connection.select(db)).catch((error: unknown) => {
      throw error instanceof ReplyError ? new InvalidInputError('redis', `database ${db}: ${messageOf(error)}`) : error;
    });
  }

  /** The error for a connection given up, or a command that failed on it: with the connection's last error
   *  too when it says more (a refused password comes as an error event, the failed command only says
   *  "Connection is closed"). */
  unavailable(cause?: unknown): RedisUnavailableError {
    const reason = cause === undefined ? this.lastError : messageOf(cause);
    const more = this.lastError !== reason && this.lastError !== CLOSED ? ` (${this.lastError})` : '';
    return new RedisUnavailableError(`Redis is unavailable: ${reason}${more}`, { cause });
  }

  /** QUIT while Redis answers; otherwise a disconnect, not waited for: a QUIT would wait in the offline queue
   *  for a reconnection that may never come. */
  async close(): Promise<void> {
    if (this.connection.status === 'end') return;
    if (this.connection.status !== 'ready') return this.connection.disconnect();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
