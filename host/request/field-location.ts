// Where a request sat in what its caller sent, so that every bad-input error names the field as the caller
// wrote it, whoever found the problem: the validation, a check after it, the engine, or the fallback. The
// library, the CLI and the engine name a request's fields flat (`paths`, `assets[0].vol`, `returns[3]`,
// `portfolio` for the whole book); a service body holds the portfolio under `portfolio`, a batch item under
// `requests[i]`, a distributed job under `job.run`.
import { InvalidInputError, namedField, NotPositiveSemidefiniteError } from '../errors.js';
import { PORTFOLIO_KEYS } from './portfolio.js';
import { under } from './validation.js';

export interface FieldLocation {
  /** The path of the request's portfolio (`portfolio`, `requests[2].portfolio`); '' when its fields are
   *  named flat. */
  portfolio: string;
  /** The path of the object holding the request's options (`requests[2]`); '' at the top. */
  options: string;
}

/** Fields named flat, as the library, the CLI and the engine name them. */
export const FLAT: FieldLocation = { portfolio: '', options: '' };

/** A flat field at `at`: a portfolio's field (or `portfolio`, the whole book) under the portfolio's path,
 *  any other under the options'. */
export function locatedField(field: string, at: FieldLocation): string {
  if (field === '') return field;
  const head = /^[^.[]*/.exec(field)![0];
  if (head === 'portfolio') return at.portfolio === '' ? field : under(at.portfolio, field.slice(head.length).replace(/^\./, ''));
  return PORTFOLIO_KEYS.has(head) ? under(at.portfolio, field) : under(at.options, field);
}

/** `error` with its field named at `at`, if it is bad input named flat (a correlation that is not positive
 *  semi-definite included); any other error as it is. */
export function located(error: unknown, at: FieldLocation): unknown {
  const named = namedField(error);
  if (named === undefined || (at.portfolio === '' && at.options === '')) return error;
  const field = locatedField(named, at);
  if (field === named) return error;
  return error instanceof InvalidInputError
    ? new InvalidInputError(field, error.problem, { cause: error })
    : new NotPositiveSemidefiniteError((error as Error).message, { field, cause: error });
}
