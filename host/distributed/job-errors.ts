// Typed errors across Redis: a worker fails a job with its typed error as JSON in BullMQ's failedReason
// (the only text BullMQ keeps of a failure), and the requester rebuilds the same class and code from it,
// from the job's `failed` event or, when that was missed, from the job itself.
import { UnrecoverableError, type Queue } from 'bullmq';
import { ReplyError } from 'ioredis';
import { z } from 'zod';
import {
  ChunkForgedError,
  ChunkStalledError,
  ComponentTrapError,
  InsecureRedisError,
  PolicyDeniedError,
  ProvenanceError,
  QueueTimeoutError,
  SignatureError,
  TimeoutError,
  UnknownComponentError,
  WasmRiskError,
} from '../errors.js';
import { fromTransported, toTransported, type TransportedError } from '../run/error-transport.js';
import { readFieldAtMost } from './bounded-field.js';
import type { RedisLink } from './redis-connection.js';

/** Bounded: a failedReason is read from Redis, written by whoever can write the queue. */
const transportedSchema = z.strictObject({
  code: z.string().regex(/^ERR_[A-Z_]{1,60}$/),
  message: z.string().max(4096),
  field: z.string().max(1024).optional(),
  refusal: z.literal(true).optional(),
});

/** The longest reason a worker of ours writes (its message and field, each character escaped to at most six
 *  bytes, and the code): a longer one is not parsed, but quoted as a reason no worker of ours wrote. */
export const MAX_FAILED_REASON_BYTES = 6 * (4096 + 1024) + 1024;

/** The reason BullMQ fails a job with once its stalled-job check took it back from its worker more often than
 *  `maxStalledCount` (1: so twice) allows (`moveStalledJobsToWait`). */
const STALLED_REASON = 'job stalled more than allowable limit';

/** The errors a worker raises that the thread-level transport does not know. */
const rebuild: Record<string, (e: TransportedError) => WasmRiskError> = {
  ERR_UNKNOWN_COMPONENT: (e) => new UnknownComponentError(e.message),
  ERR_POLICY_DENIED: (e) => new PolicyDeniedError(e.message, []),
  ERR_PROVENANCE: (e) => new ProvenanceError(e.message),
  ERR_SIGNATURE: (e) => new SignatureError(e.message),
  ERR_TIMEOUT: (e) => new TimeoutError(e.message, true),
  ERR_QUEUE_TIMEOUT: (e) => new QueueTimeoutError(e.message),
  ERR_INSECURE_REDIS: (e) => new InsecureRedisError(e.message),
  ERR_CHUNK_FORGED: (e) => new ChunkForgedError(e.message),
};

/** A typed failure is the chunk's own (bad input, a trap, a broken contract, a component the worker does
 *  not hold or admit): it would fail again anywhere, so BullMQ must not retry it. */
export function unrecoverable(error: WasmRiskError): UnrecoverableError {
  return new UnrecoverableError(JSON.stringify(toTransported(error)));
}

/** The typed error behind a failed job's reason: BullMQ's for a chunk stalled too often is ChunkStalledError
 *  (it was ComponentTrapError, though nothing trapped); any other reason no worker of ours wrote is a
 *  ComponentTrapError that quotes it. */
export function errorFromFailedReason(reason: string): WasmRiskError {
  if (reason === STALLED_REASON) {
    return new ChunkStalledError(
      `a chunk's worker stopped renewing its lock twice (BullMQ: ${reason}): the worker died or was killed mid-chunk, or was too busy to renew the lock within its --lock-ms; nothing trapped, the run can be run again`,
    );
  }
  let parsed: TransportedError | undefined;
  try {
    // A reason from the events stream is already in memory (BullMQ read it whole), but what parsing it builds is not.
    if (reason.length > MAX_FAILED_REASON_BYTES) throw new RangeError('longer than any reason of ours');
    const result = transportedSchema.safeParse(JSON.parse(reason));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return new ComponentTrapError(`a chunk failed: ${reason.slice(0, 512)}`);
  return (rebuild[parsed.code] ?? fromTransported)(parsed);
}

/** Why the run `parentId` failed, its failing chunk's event missed: that chunk's typed error, read from its
 *  job (BullMQ fails the parent with "child <queue key>:<id> failed"; `isChunk` says whether the id is one of
 *  the run's), or the parent's reason as it is. Only each job's `failedReason` is read, and only up to
 *  MAX_FAILED_REASON_BYTES: queue.getJob loaded the whole job and parsed its data, options and return value
 *  (BullMQ's Job.fromJSON), whatever anyone who can write Redis had put there. */
export async function runFailure(link: RedisLink, queue: Queue, parentId: string, isChunk: (jobId: string) => boolean): Promise<WasmRiskError> {
  const failedReason = async (jobId: string) => {
    // WRONGTYPE (no job hash there) is no reason; a lost Redis rejects, for the caller to look again.
    const reason = await readFieldAtMost(link, queue.toKey(jobId), 'failedReason', MAX_FAILED_REASON_BYTES).catch((error: unknown) => {
      if (error instanceof ReplyError) return null;
      throw error;
    });
    return typeof reason === 'number' ? `its reason is ${reason} bytes long, more than any a worker writes` : (reason ?? undefined);
  };
  const reason = (await failedReason(parentId)) || 'the run failed';
  const childId = /:([^:\s]+) failed$/.exec(reason)?.[1];
  const child = childId !== undefined && isChunk(childId) ? await failedReason(childId) : undefined;
  return errorFromFailedReason(child || reason);
}
