// Which errors are a component's refusals: a `risk-error` case it answered with, saying the request is at
// fault (invalid input, a correlation that is not positive semi-definite, a request too large). The host
// validated the request before it crossed, so a refusal of it may as well be the component's own failure
// blaming the caller; the service checks such a refusal against another engine before it believes it
// (service/evaluation.ts against the reference, service/probation.ts against the version swapped out).
import type { WasmRiskError } from '../errors.js';

const refusals = new WeakSet<WasmRiskError>();

/** Marks `error` as the component's refusal (checked-results.ts, and error-transport.ts as it crosses threads). */
export function asComponentRefusal<E extends WasmRiskError>(error: E): E {
  refusals.add(error);
  return error;
}

export function isComponentRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && refusals.has(error as WasmRiskError);
}
