// The `distributed` option of a RiskEngine: where its Monte Carlo runs are queued and how they are split.
import { z } from 'zod';
import { MAX_PATHS_PER_CALL } from '../request/limits.js';

export const DEFAULT_QUEUE = 'wasm-risk';
/** Paths per chunk job by default: 8 MB of losses in the worker, seconds of work, few jobs per run. */
export const DEFAULT_CHUNK_PATHS = 1_000_000;
/** Chunk jobs of one run at most: each is a Redis job and a child of the run's flow. */
export const MAX_CHUNKS = 10_000;
/** A queue name requesters and workers both accept (BullMQ itself refuses an empty one and any ':'). */
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const QUEUE_NAME_RULE = 'must be 1-64 letters, digits, - or _';

export const distributedOptionsSchema = z.strictObject({
  /** redis:// or rediss:// URL, with a password if Redis needs one. */
  redis: z.string(),
  queue: z.string().regex(QUEUE_NAME, { error: QUEUE_NAME_RULE }).default(DEFAULT_QUEUE),
  chunkPaths: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).max(MAX_PATHS_PER_CALL, { error: `must be at most ${MAX_PATHS_PER_CALL}` }).optional(),
  /** Accept a Redis off loopback with neither TLS nor a password. */
  insecureRedis: z.boolean().default(false),
  /** A file holding the 32-byte secret that requesters and workers share, and Redis never sees: it
   *  authenticates each chunk job and result (results-key.ts). Without it, a warning, and results are trusted. */
  resultsKey: z.string().optional(),
});

export type DistributedOptions = z.input<typeof distributedOptionsSchema>;
export type ValidDistributedOptions = z.output<typeof distributedOptionsSchema>;
