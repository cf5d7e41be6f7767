// The service's request bodies as JSON Schema, generated from the host's own zod schemas (the portfolio
// file's, the CLI's options): fastify validates each body with them at the edge and @fastify/swagger
// publishes them in /openapi.json, so the document is what is enforced. validateRiskRequest then checks what
// JSON Schema cannot say (symmetric correlations, known asset ids) and puts each request in the engine's form.
import { InvalidInputError } from '../errors.js';
import { jsonSchemaOf, type JsonSchema } from '../request/json-schema.js';
import { portfolioSchema, validatePortfolio } from '../request/portfolio.js';
import { closedFormOptionsSchema, monteCarloOptionsSchema, RISK_METHODS, validateRiskRequest, validateRiskRequestOn, type RiskMethod, type ValidRiskRequest } from '../request/risk-request.js';

/** A u64 does not fit a JSON number: the seed is a decimal string (or a safe integer), as the CLI prints it. */
const SEED_SCHEMA: JsonSchema = {
  description: 'Monte Carlo seed, 0 to 2^64-1, as a decimal string (default "42")',
  anyOf: [
    { type: 'string', pattern: '^[0-9]{1,20}$' },
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  ],
};

const PORTFOLIO_SCHEMA = { ...jsonSchemaOf(portfolioSchema), description: 'the portfolio, as in a portfolio file' };

/** The body of `POST /v1/<method>`: the portfolio and that method's options, each optional. */
export function methodBodySchema(method: RiskMethod): JsonSchema {
  const options = jsonSchemaOf(method === 'monte-carlo' ? monteCarloOptionsSchema : closedFormOptionsSchema) as { properties: JsonSchema };
  const properties = method === 'monte-carlo' ? { ...options.properties, seed: SEED_SCHEMA } : options.properties;
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

/** A body (already schema-checked, or a batch item) as the request the engine takes, validated; errors
 *  name the field as the body spells it (`portfolio.assets[0].vol`). */
export function serviceRequestOf(method: RiskMethod, body: Record<string, unknown>): ValidRiskRequest {
  return validateRiskRequest({ ...withSeed(body), method }, { portfolioField: 'portfolio', source: 'json' });
}

/** The requests of a `/v1/batch` body, each validated or the error that refuses it. An item without a
 *  portfolio of its own takes the batch's, validated once; a bad one refuses the whole batch (every item
 *  that uses it would fail the same way), naming `portfolio...`. */
export function batchRequestsOf(body: { requests: Record<string, unknown>[]; portfolio?: unknown }): (ValidRiskRequest | Error)[] {
  const shared = body.portfolio === undefined ? undefined : validatePortfolio(body.portfolio, 'portfolio', 'json');
  return body.requests.map((item) => {
    try {
      return shared && !('portfolio' in item) ? validateRiskRequestOn(shared, withSeed(item), 'portfolio', 'json') : serviceRequestOf(item.method as RiskMethod, item);
    } catch (error) {
      return error as Error;
    }
  });
}

/** A body's fields with its seed, if any, as the bigint the engine takes. */
function withSeed({ seed, ...fields }: Record<string, unknown>): Record<string, unknown> {
  return seed === undefined ? fields : { ...fields, seed: seedOf(seed) };
}

function seedOf(seed: unknown): bigint | unknown {
  if (typeof seed === 'string') {
    if (!/^[0-9]{1,20}$/.test(seed)) throw new InvalidInputError('seed', 'must be an integer in [0, 2^64) as a decimal string');
    return BigInt(seed);
  }
  return seed;
}
