// The seed of a Monte Carlo run, one grammar on every surface: a bigint or a safe integer (library), or a
// decimal string (the CLI's `--seed`, the service's `"seed"`, a distributed job, a golden vector, and the
// `seed` every result prints). A decimal string is written as a JSON integer is: no sign, no leading zero,
// nothing around it; `042` would read as 34 to a tool that takes a leading zero for octal, and one seed has
// one spelling, the one results print, so a seed copied from a result is taken as it is.
import { z } from 'zod';
import type { JsonSchema } from './json-schema.js';

const U64_MAX = (1n << 64n) - 1n;

/** 0 to 2^64 - 1 takes at most 20 digits (18446744073709551615); the range is checked on the value. */
const SEED_DIGITS = '^(0|[1-9][0-9]{0,19})$';
const SEED_PATTERN = new RegExp(SEED_DIGITS);

export const SEED_ERROR = 'must be an integer in [0, 2^64): a decimal string without sign or leading zeros, or a safe integer';
/** A seed given as a whole number past 2^53 must be a decimal string: as a number it has lost digits. (A negative one is refused as any seed out of range.) */
const SEED_NUMBER_ERROR = 'must be an integer in [0, 2^64) (past 2^53, a decimal string: a JSON number loses digits)';

export const seedSchema = z
  .union([
    z.bigint(),
    z.number().int({ error: SEED_NUMBER_ERROR }).nonnegative({ error: SEED_ERROR }),
    z.string().regex(SEED_PATTERN, { error: SEED_ERROR }),
  ], { error: SEED_ERROR })
  .transform((seed) => BigInt(seed))
  .refine((seed) => seed >= 0n && seed <= U64_MAX, { error: SEED_ERROR });

/** The seed as JSON Schema (the service's bodies, /openapi.json): what `seedSchema` takes from JSON. */
export const SEED_JSON_SCHEMA: JsonSchema = {
  description: 'Monte Carlo seed, 0 to 2^64-1: a decimal string without sign or leading zeros (a u64 does not fit a JSON number), or a safe integer (default "42")',
  anyOf: [
    { type: 'string', pattern: SEED_DIGITS },
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  ],
};

