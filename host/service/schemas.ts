// The service's request bodies as JSON Schema, generated from the host's own zod schemas (the portfolio
// file's, the CLI's options): fastify validates each body with them at the edge and @fastify/swagger
// publishes them in /openapi.json, so the document is what is enforced. validateRiskRequest then checks what
// JSON Schema cannot say (symmetric correlations, known asset ids) and puts each request in the engine's form.
import { RequestTooLargeError } from '../errors.js';
import { FLAT, type FieldLocation } from '../request/field-location.js';
import { MAX_PATHS } from '../request/limits.js';
import { jsonSchemaOf, type JsonSchema } from '../request/json-schema.js';
import { portfolioSchema, validatePortfolio } from '../request/portfolio.js';
import { SEED_JSON_SCHEMA } from '../request/seed.js';
import { closedFormOptionsSchema, monteCarloOptionsSchema, RISK_METHODS, validateRiskRequest, validateRiskRequestOn, type RiskMethod, type ValidRiskRequest } from '../request/risk-request.js';

const PORTFOLIO_SCHEMA = { ...jsonSchemaOf(portfolioSchema), description: 'the portfolio, as in a portfolio file' };

/** The body of `POST /v1/<method>`: the portfolio and that method's options, each optional. */
export function methodBodySchema(method: RiskMethod): JsonSchema {
  const options = jsonSchemaOf(method === 'monte-carlo' ? monteCarloOptionsSchema : closedFormOptionsSchema) as { properties: JsonSchema };
  const properties = method === 'monte-carlo' ? { ...options.properties, seed: SEED_JSON_SCHEMA } : options.properties;
  return { type: 'object', properties: { portfolio: PORTFOLIO_SCHEMA, ...properties }, required: ['portfolio'], additionalProperties: false };
}

/** The body of `POST /v1/batch`: each item is checked on its own and answered with its result or its error. */
export function batchBodySchema(maxBatch: number): JsonSchema {
  return {
    type: 'object',
    properties: {
      requests: {
        type: 'array',
        minItems: 1,
        maxItems: maxBatch,
        description: `up to ${maxBatch} evaluations, answered in order; each item is the body of POST /v1/<method> plus its method`,
        // Only what lets each item be answered on its own: a bad item gets its own error, not the batch's.
        items: { type: 'object', required: ['method'], properties: { method: { enum: [...RISK_METHODS] } } },
      },
      portfolio: { ...PORTFOLIO_SCHEMA, description: 'the portfolio of every item that gives none of its own (validated once for all of them)' },
    },
    required: ['requests'],
    additionalProperties: false,
  };
}

/** Where the request of a `POST /v1/<method>` body sits in it: the portfolio under `portfolio`. */
export const BODY: FieldLocation = { ...FLAT, portfolio: 'portfolio' };

/** A body (already schema-checked, or a batch item at `at`) as the request the engine takes, validated;
 *  errors name the field as the body spells it (`portfolio.assets[0].vol`, `requests[2].paths`). */
export function serviceRequestOf(method: RiskMethod, body: Record<string, unknown>, at: FieldLocation = BODY): ValidRiskRequest {
  return validateRiskRequest({ ...body, method }, { at, source: 'json' });
}

/** One `/v1/batch` item: where its fields sit in the body, and its request, validated, or the error that
 *  refuses it. */
export interface BatchItem {
  at: FieldLocation;
  request: ValidRiskRequest | Error;
}

/** The items of a `/v1/batch` body. An item without a portfolio of its own takes the batch's, validated
 *  once; a bad one refuses the whole batch (every item that uses it would fail the same way), naming
 *  `portfolio...`. */
export function batchRequestsOf(body: { requests: Record<string, unknown>[]; portfolio?: unknown }): BatchItem[] {
  const shared = body.portfolio === undefined ? undefined : validatePortfolio(body.portfolio, BODY.portfolio, 'json');
  return body.requests.map((item, index) => {
    const options = `requests[${index}]`;
    const own = !shared || 'portfolio' in item;
    const at = { options, portfolio: own ? `${options}.portfolio` : BODY.portfolio };
    try {
      return { at, request: own ? serviceRequestOf(item.method as RiskMethod, item, at) : validateRiskRequestOn(shared, item, at, 'json') };
    } catch (error) {
      return { at, request: error as Error };
    }
  });
}

/** Refuses a batch whose Monte Carlo items ask more paths in all than one request may: each item is bounded by
 *  its deadline, but they run one after another on the pool, so 1,000 items of the most paths each held every
 *  worker for many deadlines while other clients' requests waited and timed out. A batch is one request. */
export function checkBatchPaths(requests: readonly ValidRiskRequest[]): void {
  let paths = 0;
  for (const request of requests) if (request.method === 'monte-carlo') paths += request.paths;
  if (paths > MAX_PATHS) {
    throw new RequestTooLargeError(
      `the batch's Monte Carlo items ask ${paths.toLocaleString('en-US')} paths in all, more than one request may (${MAX_PATHS.toLocaleString('en-US')}): split it, or send fewer paths`,
    );
  }
}
