// The input schemas as JSON Schema, generated from their zod schemas (the one source): the service
// publishes them in /openapi.json and validates bodies with them, and, compiled by ajv, they check data
// parsed from JSON in about a microsecond where zod takes tens (a 10-asset portfolio: 0.7 us vs 16-25 us).
import { Ajv } from 'ajv';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** `schema` as draft-07 JSON Schema (the draft fastify's ajv speaks), as clients write it: fields with a
 *  default are optional. Refinements (cross-field rules) have no JSON Schema form and are left out. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Nothing coerced, removed or defaulted: a value is checked as it was given. */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: false });

/** Whether a value parsed from JSON has the shape of `schema` (its refinements aside). Only for JSON data:
 *  plain objects, arrays, strings, finite numbers, booleans and null, read once, with no getters. */
export function jsonShapeCheck(schema: z.ZodType): (value: unknown) => boolean {
  const check = ajv.compile(jsonSchemaOf(schema));
  return (value) => check(value) === true;
}
