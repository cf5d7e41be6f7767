// One field of a Redis hash read only if it is at most so long: what a requester reads back from the queue
// (a chunk's result, a job's failure) is written by whoever can write Redis, so its length is checked before
// a byte of it is loaded, and in the same step, as a length checked first and the value read after could be
// replaced in between.
import type { RedisLink } from './redis-connection.js';

/** A field's value if it is at most ARGV[2] bytes long, else its length. A missing field is nil. */
const READ_AT_MOST = `local length = redis.call('HSTRLEN', KEYS[1], ARGV[1])
if length > tonumber(ARGV[2]) then return length end
return redis.call('HGET', KEYS[1], ARGV[1])`;

/** The value of `field` in the hash `key`; its length in bytes instead when over `maxBytes`; null when absent.
 *  Rejects with Redis's ReplyError (WRONGTYPE: `key` is no hash), or RedisUnavailableError (the link's guard). */
export async function readFieldAtMost(link: RedisLink, key: string, field: string, maxBytes: number): Promise<string | number | null> {
  return (await link.guard(link.connection.eval(READ_AT_MOST, 1, key, field, maxBytes))) as string | number | null;
}
