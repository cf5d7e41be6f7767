// Typed errors across Redis: a worker fails a job with its typed error as JSON in BullMQ's failedReason
// (the only text BullMQ keeps of a failure), and the requester rebuilds the same class and code from it.
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import {
  ChunkForgedError,
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

/** Bounded: a failedReason is read from Redis, written by whoever can write the queue. */
const transportedSchema = z.strictObject({
  code: z.string().regex(/^ERR_[A-Z_]{1,60}$/),
  message: z.string().max(4096),
  field: z.string().max(1024).optional(),
  refusal: z.literal(true).optional(),
});

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

/** The typed error behind a failed job's reason; a reason no worker of ours wrote (BullMQ's own, such as a
 *  job stalled too often) is a ComponentTrapError that quotes it. */
export function errorFromFailedReason(reason: string): WasmRiskError {
  let parsed: TransportedError | undefined;
  try {
    const result = transportedSchema.safeParse(JSON.parse(reason));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return new ComponentTrapError(`a chunk failed: ${reason.slice(0, 512)}`);
  return (rebuild[parsed.code] ?? fromTransported)(parsed);
}
