// Typed errors cross the worker boundary as plain data (structured clone drops classes) and are
// rebuilt on the other side with the same class and code.
import {
  ComponentContractError,
  ComponentLoadError,
  ComponentTrapError,
  IncompatibleComponentError,
  InvalidInputError,
  NotPositiveSemidefiniteError,
  namedField,
  OutOfMemoryError,
  RequestTooLargeError,
  WasmRiskError,
} from '../errors.js';
import { asComponentRefusal, isComponentRefusal } from '../contract/component-refusal.js';

export interface TransportedError {
  code: string;
  message: string;
  field?: string;
  /** The component refused the request (component-refusal.ts). */
  refusal?: true;
}

export function toTransported(error: WasmRiskError): TransportedError {
  const field = namedField(error);
  const transported: TransportedError = field === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, field };
  if (isComponentRefusal(error)) transported.refusal = true;
  return transported;
}

const rebuild: Record<string, (e: TransportedError) => WasmRiskError> = {
  ERR_INVALID_INPUT: (e) => new InvalidInputError(e.field ?? '', e.field ? e.message.slice(e.field.length + 2) : e.message),
  ERR_NOT_POSITIVE_SEMIDEFINITE: (e) => new NotPositiveSemidefiniteError(e.message, e.field === undefined ? {} : { field: e.field }),
  ERR_REQUEST_TOO_LARGE: (e) => new RequestTooLargeError(e.message),
  ERR_COMPONENT_LOAD: (e) => new ComponentLoadError(e.message),
  ERR_COMPONENT_CONTRACT: (e) => new ComponentContractError(e.message),
  ERR_COMPONENT_TRAP: (e) => new ComponentTrapError(e.message),
  ERR_OUT_OF_MEMORY: (e) => new OutOfMemoryError(e.message),
  ERR_INCOMPATIBLE_COMPONENT: (e) => new IncompatibleComponentError(e.message),
};

export function fromTransported(error: TransportedError): WasmRiskError {
  const rebuilt = (rebuild[error.code] ?? ((e: TransportedError) => new ComponentTrapError(e.message)))(error);
  return error.refusal ? asComponentRefusal(rebuilt) : rebuilt;
}
