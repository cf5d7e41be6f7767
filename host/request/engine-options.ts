// Options of a RiskEngine (isolation limits), validated once when it is created: the functions that take
// them accept the validated form too, and parse only raw options (`validateOnce`).
import { z } from 'zod';
import { admissionOptionsSchema } from '../audit/admission.js';
import { distributedOptionsSchema } from '../distributed/distributed-options.js';
import { DEFAULT_MEMORY_LIMIT_MB } from '../load/component-image.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers } from '../run/executor.js';
import { parseOrThrow, validated, type Validated } from './validation.js';

/** wasm32 cannot address more than 4 GiB; below 16 MiB the engine cannot hold a useful request. */
const MIN_MEMORY_MB = 16;
const MAX_MEMORY_MB = 4_096;
const MAX_TIMEOUT_MS = 2_147_483_647;

export const engineOptionsSchema = z.strictObject({
  cacheDir: z.string().optional(),
  /** Capability policy, strict mode, trusted keys: what the component must pass before it runs. */
  admission: admissionOptionsSchema.optional(),
  /** 'workers' (default): calls run in a pool of threads and can be stopped at their deadline.
   *  'in-thread': no thread hop, lowest overhead, but a running call cannot be interrupted. */
  isolation: z.enum(['workers', 'in-thread'], { error: "must be 'workers' or 'in-thread'" }).default('workers'),
  workers: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).max(256, { error: 'must be at most 256' }).optional(),
  timeoutMs: z
    .number()
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_TIMEOUT_MS, { error: `must be at most ${MAX_TIMEOUT_MS}` })
    .default(DEFAULT_TIMEOUT_MS),
  memoryLimitMb: z
    .number()
    .int({ error: 'must be an integer' })
    .min(MIN_MEMORY_MB, { error: `must be at least ${MIN_MEMORY_MB}` })
    .max(MAX_MEMORY_MB, { error: `must be at most ${MAX_MEMORY_MB}` })
    .default(DEFAULT_MEMORY_LIMIT_MB),
  /** Monte Carlo runs split into chunk jobs on a BullMQ queue in Redis, for `wasm-risk worker`s (docs/distributed.md). */
  distributed: distributedOptionsSchema.optional(),
});

export type EngineOptions = z.input<typeof engineOptionsSchema>;
export type ValidatedEngineOptions = Validated<z.output<typeof engineOptionsSchema> & { workers: number }>;

export function validateEngineOptions(options: unknown): ValidatedEngineOptions {
  const parsed = parseOrThrow(engineOptionsSchema, options ?? {});
  // Parsed here with the rest: marked, so the audit at load does not parse it again.
  const admission = parsed.admission && validated(parsed.admission);
  return validated({ ...parsed, admission, workers: parsed.workers ?? defaultWorkers() });
}
