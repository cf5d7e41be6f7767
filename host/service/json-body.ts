// How the service reads a JSON body: secure-json-parse (fastify's own parser: a `__proto__` or
// `constructor.prototype` key is refused, not merged), and a key given twice is refused as it is in a
// portfolio file (json-file.ts): JSON.parse would silently keep the last value. A body that holds more arrays,
// objects or strings than the largest batch the contract's limits allow is refused before it is parsed (json-budget.ts).
// No other content type is read.
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { InvalidInputError, messageOf, RequestTooLargeError } from '../errors.js';
import { jsonBudgetExcess, type JsonBudget } from '../files/json-budget.js';
import { firstDuplicateKey, utf8Problem } from '../files/json-file.js';
import { PORTFOLIO_JSON_BUDGET } from '../request/portfolio.js';
import { parserMessage } from '../report/echoed-input.js';
import { monteCarloOptionsSchema } from '../request/risk-request.js';
import { fieldPath } from '../request/validation.js';
import { headerValues } from './raw-headers.js';

/** What a body of another type than JSON is told. */
export const NOT_JSON = 'must be sent as JSON, with content-type: application/json';

/** The most a body may hold: one largest portfolio (a batch's items share the budget of one, whether they
 *  share the batch's portfolio or bring their own), the batch's root and `requests`, and per item its object,
 *  its `confidence` array, its keys (method, portfolio and the Monte Carlo options) and its method and seed strings. */
export function bodyJsonBudget(maxBatch: number): JsonBudget {
  const itemKeys = 2 + Object.keys(monteCarloOptionsSchema.shape).length;
  return {
    containers: PORTFOLIO_JSON_BUDGET.containers + 2 + 2 * maxBatch,
    strings: PORTFOLIO_JSON_BUDGET.strings + 2 + (itemKeys + 2) * maxBatch,
  };
}

export function useStrictJsonBodies(app: FastifyInstance, maxBatch: number): void {
  const budget = bodyJsonBudget(maxBatch);
  // JSON only: fastify's text/plain parser would hand a JSON text over as a string, refused as `must be
  // object` at the root instead of for its content type.
  app.removeAllContentTypeParsers();
  // Any other type: an empty body is no body (a POST /admin/rollback sent with a stray content type), and
  // anything else is refused for its type. Read only up to the body limit, as a JSON body is.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if ((body as Buffer).length === 0) done(null, undefined);
    else done(new InvalidInputError('body', NOT_JSON), undefined);
  });
  // Read as bytes, not as a string: fastify would decode bytes that are not UTF-8 to U+FFFD, so two different
  // asset ids could arrive as one; such a body is refused, as such a portfolio file is.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const unread = codingProblem(headerValues(request.raw.rawHeaders, 'content-type'), request.headers['content-encoding'], request.headers['transfer-encoding']);
    if (unread !== undefined) {
      done(new InvalidInputError('body', unread), undefined);
      return;
    }
    const notUtf8 = utf8Problem(body as Buffer);
    if (notUtf8 !== undefined) {
      done(new InvalidInputError('body', notUtf8), undefined);
      return;
    }
    const text = (body as Buffer).toString('utf8');
    const excess = jsonBudgetExcess(text, budget);
    if (excess !== undefined) {
      done(new RequestTooLargeError(`the body holds ${excess}, more than a batch of ${maxBatch} within the contract's limits can (wit/limits.json)`), undefined);
      return;
    }
    let value: unknown;
    try {
      value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      done(new InvalidInputError('body', `not valid JSON: ${parserMessage(messageOf(error))}`), undefined);
      return;
    }
    const duplicate = firstDuplicateKey(text);
    if (duplicate !== undefined) done(new InvalidInputError(fieldPath(duplicate), 'duplicate key in the body'), undefined);
    else done(null, value);
  });
}

/**
 * Why a JSON body sent with this content type, content encoding and transfer encoding cannot be read as sent,
 * if it cannot: the body is read as UTF-8 bytes (RFC 8259), so a declared charset that is not UTF-8 and a
 * coding (gzip, br; Node takes a transfer encoding's chunks apart, nothing else) are refused rather than
 * ignored, which read a body the client compressed, or encoded in Latin-1, as something else than it meant.
 */
function codingProblem(contentTypes: readonly string[], contentEncoding: string | undefined, transferEncoding: string | undefined): string | undefined {
  for (const [header, value, none] of [
    ['content-encoding', contentEncoding, 'identity'],
    ['transfer-encoding', transferEncoding, 'chunked'],
  ] as const) {
    // A list (RFC 9110 5.6.1), whose empty elements are none.
    const codings = (value ?? '').split(',').map((coding) => coding.trim().toLowerCase());
    if (codings.some((coding) => coding !== '' && coding !== 'identity' && coding !== none)) return `${header} ${value} is not read: send the body uncompressed`;
  }
  // Node reads the first of two Content-Type headers, and the charset regex the first of two charsets; a
  // proxy in front, or the client's own library, may go by the last.
  if (contentTypes.length > 1) return `content-type is given ${contentTypes.length} times: send it once`;
  if (contentTypes[0] === 'application/json') return undefined;
  for (const [, charset] of (contentTypes[0] ?? '').matchAll(/;\s*charset\s*=\s*"?([^";\s]*)/gi)) {
    if (!/^utf-?8$/i.test(charset!)) return `charset ${charset} is not read: send UTF-8, with charset=utf-8 or none`;
  }
  return undefined;
}
