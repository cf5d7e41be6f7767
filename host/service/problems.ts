// Every failure the service answers with, as an RFC 9457 problem document (application/problem+json):
// the host's typed errors keep their stable `code`, and this table gives each its HTTP status.
import {
  CancelledError,
  ChunkForgedError,
  ChunkStalledError,
  ComponentContractError,
  ComponentTrapError,
  InvalidInputError,
  NotPositiveSemidefiniteError,
  OutOfMemoryError,
  RequestTooLargeError,
  RequestTimeoutError,
  ExpectationFailedError,
  HeadersTooLargeError,
  TimeoutError,
  WasmRiskError,
  namedField,
  NotFoundError,
  MethodNotAllowedError,
  QueueFullError,
  QueueTimeoutError,
  ServiceUnavailableError,
  UnauthorizedError,
  PathNotAllowedError,
  UnknownVersionError,
  IncompatibleComponentError,
  GoldenVectorsFailedError,
  PolicyDeniedError,
  ProvenanceError,
  SignatureError,
  ComponentLoadError,
  RedisUnavailableError,
} from '../errors.js';
import { z } from 'zod';
import { terminalText } from '../report/terminal-text.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem document, as /openapi.json describes it (response-schemas.ts). */
export const problemSchema = z.strictObject({
  type: z.string().describe('urn:wasm-risk:problem:<code>'),
  title: z.string(),
  status: z.number().int(),
  code: z.string().describe('the stable error code (ERR_...)'),
  detail: z.string(),
  field: z.string().optional().describe('the JSON path of the offending value, for bad input'),
  requestId: z.string().optional(),
});

export type Problem = z.infer<typeof problemSchema>;

/** The status of each error class; anything else is a 500 (ERR_INTERNAL). */
const STATUS: [new (...args: never[]) => WasmRiskError, number, string][] = [
  [InvalidInputError, 400, 'Bad input'],
  [UnauthorizedError, 401, 'Unauthorized'],
  [PathNotAllowedError, 403, 'Path not allowed'],
  [NotFoundError, 404, 'Not found'],
  [UnknownVersionError, 404, 'Unknown version'],
  [MethodNotAllowedError, 405, 'Method not allowed'],
  [RequestTimeoutError, 408, 'Request not received in time'],
  [RequestTooLargeError, 413, 'Request too large'],
  [ExpectationFailedError, 417, 'Expectation failed'],
  [NotPositiveSemidefiniteError, 422, 'Correlation not positive semi-definite'],
  // A candidate version the registry's gates refused (admin API).
  [IncompatibleComponentError, 422, 'Component incompatible'],
  [GoldenVectorsFailedError, 422, 'Component failed the golden vectors'],
  [PolicyDeniedError, 422, 'Component denied by the policy'],
  [ProvenanceError, 422, 'Component provenance refused'],
  [SignatureError, 422, 'Component signature refused'],
  [ComponentLoadError, 422, 'Component cannot be loaded'],
  [QueueFullError, 429, 'Too many requests'],
  [HeadersTooLargeError, 431, 'Request header fields too large'],
  [ComponentTrapError, 500, 'Component trapped'],
  [ComponentContractError, 500, 'Component broke its contract'],
  // `--redis --results-key`: a chunk's result (or job) not authenticated by the key.
  [ChunkForgedError, 500, 'Distributed chunk forged'],
  [ServiceUnavailableError, 503, 'Service unavailable'],
  [QueueTimeoutError, 503, 'No worker free before the deadline'],
  // `--redis`: the queue of the distributed runs is gone; the other methods still answer.
  [RedisUnavailableError, 503, 'Distributed queue unavailable'],
  // `--redis`: a chunk's worker died (or stopped renewing its lock) twice; the run may succeed on a retry.
  [ChunkStalledError, 503, 'Distributed chunk stalled'],
  [CancelledError, 503, 'Request cancelled'],
  [TimeoutError, 504, 'Deadline exceeded'],
  [OutOfMemoryError, 507, 'Component out of memory'],
];

/** Seconds a client should wait before retrying a 429 or 503. */
export const RETRY_AFTER_SECONDS = 1;

/** The problem document of `error`; component text in messages is escaped as for a terminal (it ends up in logs). */
export function problemOf(error: unknown, requestId?: string): Problem {
  const row = STATUS.find(([type]) => error instanceof type);
  const [status, title] = row ? [row[1], row[2]] : [500, 'Internal error'];
  const code = error instanceof WasmRiskError ? error.code : 'ERR_INTERNAL';
  const problem: Problem = {
    type: `urn:wasm-risk:problem:${code}`,
    title,
    status,
    code,
    detail: terminalText(error instanceof WasmRiskError ? error.message : 'internal error'),
  };
  // Bad input names its field (a correlation that is not positive semi-definite is bad input too); input that
  // is wrong as a whole (bytes that are not HTTP) has none to name.
  const field = namedField(error);
  if (field) problem.field = field;
  if (requestId !== undefined) problem.requestId = requestId;
  return problem;
}

/** Whether a client may retry the same request later (the answer carries Retry-After). */
export function isRetryable(status: number): boolean {
  return status === 429 || status === 503;
}
