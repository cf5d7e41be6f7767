// The service's answers as JSON Schema, for /openapi.json: a result (the CLI's `--json` object, with the
// request's id and whether the fallback answered it), a batch's results, the admin API's answers, and the
// problem document of every failure. Written in zod once and held to the types the code answers with (RiskResult, Problem) at compile
// time, so the document cannot drift from what is sent; test/service/risk-routes.test.ts validates real
// answers against it.
import { z } from 'zod';
import { jsonSchemaOf, type JsonSchema } from '../request/json-schema.js';
import type { RiskResult } from '../risk-engine.js';
import type { RegisteredVersion, ShadowReport } from '../versions/registry.js';
import { RISK_METHODS } from '../request/risk-request.js';
import { problemSchema } from './problems.js';

const levelSchema = z.strictObject({
  confidence: z.number(),
  var: z.number().describe('loss exceeded with probability 1 - confidence (positive = loss)'),
  es: z.number().describe('mean loss at or beyond the VaR'),
  stdError: z.number().describe('standard error of the VaR estimate (0 for the closed form)'),
});

const riskResultSchema = z.strictObject({
  method: z.enum(RISK_METHODS),
  paths: z.number().int().nullable().describe('scenarios behind the numbers: simulated paths, history rows, or null for the closed form'),
  horizonDays: z.number(),
  seed: z.string().nullable().describe('the Monte Carlo seed as a decimal string; null otherwise'),
  levels: z.array(levelSchema),
  meanPnl: z.number(),
  stdPnl: z.number(),
  component: z.strictObject({ name: z.string(), version: z.string(), sha256: z.string() }).describe('what computed it (the reference, with an empty sha256, when `fallback`)'),
  elapsedMs: z.number(),
});

/** Compile-time: the schema describes exactly RiskResult (a field added to one and not the other fails the build). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const resultMatches: Same<z.infer<typeof riskResultSchema>, RiskResult> = true;
void resultMatches;

const answeredSchema = riskResultSchema.extend({ fallback: z.boolean().describe('answered by the reference after the component failed') });

/** 200 of `POST /v1/<method>`. */
const methodAnswerSchema = answeredSchema.extend({ requestId: z.string() });

/** 200 of `POST /v1/batch`: each item's result, or its problem, in order. */
const batchAnswerSchema = z.strictObject({ requestId: z.string(), results: z.array(z.union([answeredSchema, problemSchema])) });

const versionRefSchema = z.strictObject({ version: z.string(), sha256: z.string(), path: z.string().describe('the file it was loaded from') });

const registeredVersionSchema = versionRefSchema.extend({
  contractVersion: z.string().describe('version of the `engine` interface it exports'),
  active: z.boolean().describe('whether it serves'),
});

const shadowReportSchema = z.strictObject({
  candidate: versionRefSchema.nullable(),
  requests: z.number().int(),
  mismatches: z.number().int().describe('requests whose candidate answer differed beyond the tolerance, or failed'),
  maxRelativeDifference: z.number(),
  examples: z.array(z.string()),
});

const registeredMatches: Same<z.infer<typeof registeredVersionSchema>, RegisteredVersion> = true;
const shadowMatches: Same<z.infer<typeof shadowReportSchema>, ShadowReport> = true;
void registeredMatches;
void shadowMatches;

/** The admin API's list, swap and rollback answer: the serving version and every registered one. */
const servingSchema = z.strictObject({ serving: z.string().nullable(), versions: z.array(registeredVersionSchema) });

/** A route's `response` schemas: its success (`status`, 200 unless said) as `ok`, every failure as a problem document. */
function responses(ok: z.ZodType, status = 200): Record<string, JsonSchema> {
  const problem = { description: 'a problem document (RFC 9457)', content: { 'application/problem+json': { schema: jsonSchemaOf(problemSchema) } } };
  return { [status]: { description: 'the answer', content: { 'application/json': { schema: jsonSchemaOf(ok) } } }, '4xx': problem, '5xx': problem };
}

export const methodResponses = (): Record<string, JsonSchema> => responses(methodAnswerSchema);
export const batchResponses = (): Record<string, JsonSchema> => responses(batchAnswerSchema);
/** The admin routes': the versions (list, swap, rollback), a registration (201), a shadow report. */
export const servingResponses = (): Record<string, JsonSchema> => responses(servingSchema);
export const registeredResponses = (): Record<string, JsonSchema> => responses(registeredVersionSchema, 201);
export const shadowResponses = (): Record<string, JsonSchema> => responses(shadowReportSchema);
