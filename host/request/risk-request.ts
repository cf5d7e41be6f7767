// Options of a risk request (paths, seed, horizon, confidence levels), validated once at the edge.
import { z } from 'zod';
import { parseOrThrow } from './validation.js';
import { MAX_CONFIDENCE_LEVELS, MAX_HORIZON_DAYS, MAX_PATHS } from './limits.js';

export const DEFAULT_PATHS = 100_000;
export const DEFAULT_SEED = 42n;
export const DEFAULT_HORIZON_DAYS = 1;
export const DEFAULT_CONFIDENCE = [0.95, 0.99];

const U64_MAX = (1n << 64n) - 1n;

const confidenceSchema = z
  .array(z.number({ error: 'must be a number' }).gt(0, { error: 'must be strictly between 0 and 1' }).lt(1, { error: 'must be strictly between 0 and 1' }))
  .min(1, { error: 'must list at least one level' })
  .max(MAX_CONFIDENCE_LEVELS, { error: `must list at most ${MAX_CONFIDENCE_LEVELS} levels` });

const horizonSchema = z
  .number({ error: 'must be a number' })
  .gt(0, { error: `must be in (0, ${MAX_HORIZON_DAYS}]` })
  .max(MAX_HORIZON_DAYS, { error: `must be in (0, ${MAX_HORIZON_DAYS}]` });

const seedSchema = z.union([z.bigint(), z.number().int().nonnegative()], { error: 'must be an integer in [0, 2^64)' })
  .transform((seed) => BigInt(seed))
  .refine((seed) => seed >= 0n && seed <= U64_MAX, { error: 'must be an integer in [0, 2^64)' });

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

export function validateMonteCarloOptions(options: unknown): MonteCarloRequest {
  return parseOrThrow(monteCarloOptionsSchema, options ?? {});
}

export function validateClosedFormOptions(options: unknown): ClosedFormRequest {
  return parseOrThrow(closedFormOptionsSchema, options ?? {});
}
