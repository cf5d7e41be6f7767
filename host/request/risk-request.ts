// A risk request (method, portfolio, and that method's options: paths, seed, horizon, confidence levels),
// validated once at the edge into the typed request every layer below takes.
import { z } from 'zod';
import type { EnginePortfolio } from '../contract/types.js';
import { InvalidInputError } from '../errors.js';
import { jsonShapeCheck } from './json-schema.js';
import { parseOrThrow, validated, type Validated } from './validation.js';
import { MAX_CONFIDENCE_LEVELS, MAX_HORIZON_DAYS, MAX_PATHS } from './limits.js';
import { validatePortfolio, type InputSource, type PortfolioSpec, type ValidatedPortfolio } from './portfolio.js';
import { seedSchema } from './seed.js';
import { FLAT, locatedField, type FieldLocation } from './field-location.js';

export const RISK_METHODS = ['monte-carlo', 'historical', 'parametric'] as const;
export type RiskMethod = (typeof RISK_METHODS)[number];

export const DEFAULT_PATHS = 100_000;
export const DEFAULT_SEED = 42n;
export const DEFAULT_HORIZON_DAYS = 1;
export const DEFAULT_CONFIDENCE = [0.95, 0.99];

const confidenceSchema = z
  .array(z.number({ error: 'must be a number' }).gt(0, { error: 'must be strictly between 0 and 1' }).lt(1, { error: 'must be strictly between 0 and 1' }))
  .min(1, { error: 'must list at least one level' })
  .max(MAX_CONFIDENCE_LEVELS, { error: `must list at most ${MAX_CONFIDENCE_LEVELS} levels` });

const horizonSchema = z
  .number({ error: 'must be a number' })
  .gt(0, { error: `must be in (0, ${MAX_HORIZON_DAYS}]` })
  .max(MAX_HORIZON_DAYS, { error: `must be in (0, ${MAX_HORIZON_DAYS}]` });

export const monteCarloOptionsSchema = z.strictObject({
  paths: z
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_PATHS, { error: `must be at most ${MAX_PATHS}` })
    .default(DEFAULT_PATHS),
  seed: seedSchema.default(DEFAULT_SEED),
  horizonDays: horizonSchema.default(DEFAULT_HORIZON_DAYS),
  confidence: confidenceSchema.default(DEFAULT_CONFIDENCE),
  antithetic: z.boolean().default(false),
});

export const closedFormOptionsSchema = z.strictObject({
  horizonDays: horizonSchema.default(DEFAULT_HORIZON_DAYS),
  confidence: confidenceSchema.default(DEFAULT_CONFIDENCE),
});

export type MonteCarloOptions = z.input<typeof monteCarloOptionsSchema>;
export type MonteCarloRequest = z.output<typeof monteCarloOptionsSchema>;
export type ClosedFormOptions = z.input<typeof closedFormOptionsSchema>;
export type ClosedFormRequest = z.output<typeof closedFormOptionsSchema>;

function validateMonteCarloOptions(options: unknown, at: FieldLocation): MonteCarloRequest {
  return parseOrThrow(monteCarloOptionsSchema, options ?? {}, at.options);
}

/** The closed-form options' compiled check and defaults, for options parsed from JSON (as the portfolio's,
 *  see validatePortfolio): their output is their input with the defaults filled in, nothing transformed. */
const hasClosedFormOptions = jsonShapeCheck(closedFormOptionsSchema);
const CLOSED_FORM_DEFAULTS: ClosedFormRequest = closedFormOptionsSchema.parse({});

function validateClosedFormOptions(options: unknown, source: InputSource, at: FieldLocation): ClosedFormRequest {
  if (source === 'json' && hasClosedFormOptions(options)) return { ...CLOSED_FORM_DEFAULTS, ...(options as ClosedFormOptions) };
  return parseOrThrow(closedFormOptionsSchema, options ?? {}, at.options);
}

/** One risk request as a caller writes it: the method, the portfolio, and the method's options. */
export type RiskRequest =
  | ({ method: 'monte-carlo'; portfolio: PortfolioSpec } & MonteCarloOptions)
  | ({ method: 'historical'; portfolio: PortfolioSpec } & ClosedFormOptions)
  | ({ method: 'parametric'; portfolio: PortfolioSpec } & ClosedFormOptions);

/** A request after validation: every option set, the portfolio in the engine's form, past returns present
 *  for historical VaR. */
export type ValidRiskRequest = Validated<
  | ({ method: 'monte-carlo'; portfolio: EnginePortfolio } & MonteCarloRequest)
  | ({ method: 'historical'; portfolio: EnginePortfolio; returns: Float64Array[] } & ClosedFormRequest)
  | ({ method: 'parametric'; portfolio: EnginePortfolio } & ClosedFormRequest)
>;

export type MonteCarloRiskRequest = Extract<RiskRequest, { method: 'monte-carlo' }>;
export type ValidMonteCarloRequest = Extract<ValidRiskRequest, { method: 'monte-carlo' }>;

const requestSchema = z.looseObject({
  method: z.enum(RISK_METHODS, { error: `must be one of ${RISK_METHODS.join(', ')}` }),
  portfolio: z.unknown(),
});

/** Validates a request: its options first, then the portfolio (errors name the field, `paths`, `assets[2].vol`,
 *  at `at`: `portfolio.assets[2].vol` in a service request body, see field-location.ts). `source: 'json'`
 *  says the portfolio was parsed from JSON text as it is (see validatePortfolio). */
export function validateRiskRequest(request: unknown, { at = FLAT, source = 'any' }: { at?: FieldLocation; source?: InputSource } = {}): ValidRiskRequest {
  const { method, portfolio, ...options } = source === 'json' && isJsonRequest(request) ? request : parseOrThrow(requestSchema, request, at.options);
  return requestOn(method, options, () => validatePortfolio(portfolio, at.portfolio, source), at, source);
}

/** Validates a request without a portfolio of its own for `portfolio`, validated once for many (a batch's
 *  shared portfolio, at `at.portfolio`): only the request's options are parsed. */
export function validateRiskRequestOn(portfolio: ValidatedPortfolio, request: unknown, at: FieldLocation, source: InputSource = 'any'): ValidRiskRequest {
  if (source === 'json' && isJsonRequest(request) && !('portfolio' in request)) {
    // JSON data with a known method and no portfolio of its own: its other fields are the options.
    const { method, ...options } = request;
    return requestOn(method, options, () => portfolio, at, source);
  }
  const withPortfolio = typeof request === 'object' && request !== null ? { ...request, portfolio } : request;
  const { method, portfolio: _given, ...options } = parseOrThrow(requestSchema, withPortfolio, at.options);
  return requestOn(method, options, () => portfolio, at, source);
}

/** Whether JSON data is an object with a known method: all `requestSchema` checks (the rest is the options'
 *  and the portfolio's to check). */
function isJsonRequest(request: unknown): request is { method: RiskMethod; portfolio?: unknown } & Record<string, unknown> {
  return (
    typeof request === 'object' &&
    request !== null &&
    !Array.isArray(request) &&
    (RISK_METHODS as readonly unknown[]).includes((request as { method?: unknown }).method)
  );
}

function requestOn(
  method: RiskMethod,
  options: Record<string, unknown>,
  portfolioOf: () => ValidatedPortfolio,
  at: FieldLocation,
  source: InputSource,
): ValidRiskRequest {
  switch (method) {
    case 'monte-carlo': {
      const valid = distinctLevels(validateMonteCarloOptions(options, at), at);
      return validated({ method, ...valid, portfolio: portfolioOf().portfolio });
    }
    case 'historical': {
      const valid = distinctLevels(validateClosedFormOptions(options, source, at), at);
      const { portfolio: engineForm, returns } = portfolioOf();
      if (!returns || returns.length === 0) {
        throw new InvalidInputError(locatedField('returns', at), 'historical VaR needs past returns (T x n log-returns)');
      }
      return validated({ method, ...valid, portfolio: engineForm, returns });
    }
    case 'parametric': {
      const valid = distinctLevels(validateClosedFormOptions(options, source, at), at);
      return validated({ method, ...valid, portfolio: portfolioOf().portfolio });
    }
  }
}

/** Options whose confidence levels are each given once (`checkDistinctLevels`). */
function distinctLevels<T extends { confidence: number[] }>(options: T, at: FieldLocation): T {
  checkDistinctLevels(options.confidence, locatedField('confidence', at));
  return options;
}

/** Refuses a confidence level listed twice, named by `field`: it was computed and reported twice, two identical
 *  rows that a reader takes for two levels. The CLI checks its flag with it before any work starts. */
export function checkDistinctLevels(levels: readonly number[], field: string): void {
  const repeated = levels.find((level, i) => levels.indexOf(level) !== i);
  if (repeated !== undefined) throw new InvalidInputError(field, `lists ${repeated} twice; give each level once`);
}

/** `validateRiskRequest` for what must be a Monte Carlo request (a simulation's P&L). */
export function validateMonteCarloRequest(request: unknown): ValidMonteCarloRequest {
  const valid = validateRiskRequest(request);
  if (valid.method !== 'monte-carlo') throw new InvalidInputError('method', 'must be monte-carlo: only a simulation has a P&L per path');
  return valid;
}
