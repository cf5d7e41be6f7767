// A chunk job as it crosses Redis: which component (by SHA-256, never its code), which run (a random id, and
// the request), which of its paths, how many of its largest losses to send back, and with a results key
// its MAC (results-key.ts). Written by the requester, validated field by field
// and bounded by the worker (Redis is a trust boundary), the run through the same edge validation as any
// request.
import { z } from 'zod';
import { isFactorPortfolio, type EnginePortfolio } from '../contract/types.js';
import type { PortfolioSpec } from '../request/portfolio.js';
import { MAX_PATHS, MAX_PATHS_PER_CALL } from '../request/limits.js';
import { validateRiskRequest, type ValidMonteCarloRequest } from '../request/risk-request.js';
import { parseOrThrow } from '../request/validation.js';

/** The names of a run's jobs in the queue: one parent per run, one child per chunk of its paths. */
export const RUN_JOB = 'run';
export const CHUNK_JOB = 'chunk';

/** Bumped when the job's shape changes: a worker refuses a format it does not know. */
export const CHUNK_JOB_FORMAT = 2;
export const SHA256_HEX = /^[0-9a-f]{64}$/;

const count = (max: number) => z.number().int().min(1).max(max);

const chunkJobSchema = z
  .strictObject({
    format: z.literal(CHUNK_JOB_FORMAT),
    runId: z.uuid(),
    component: z.string().regex(SHA256_HEX, { error: 'must be a SHA-256 in lowercase hex' }),
    run: z.strictObject({
      // Validated in full by validateRiskRequest below; here only what it cannot see.
      portfolio: z.record(z.string(), z.unknown()).refine((p) => !('returns' in p), { error: 'a Monte Carlo chunk carries no past returns' }),
      paths: count(MAX_PATHS),
      seed: z.string(),
      horizonDays: z.number(),
      confidence: z.array(z.number()),
      antithetic: z.boolean(),
    }),
    firstPath: z.number().int().min(0).max(MAX_PATHS - 1),
    pathCount: count(MAX_PATHS_PER_CALL),
    tailLength: count(MAX_PATHS),
    // Checked (results-key.ts) by a worker that holds the results key, before this schema; ignored by one that does not.
    mac: z.string().max(64).optional(),
  })
  .refine((job) => job.firstPath + job.pathCount <= job.run.paths, { error: 'the chunk must lie inside the run', path: ['pathCount'] });

export type ChunkJobData = z.input<typeof chunkJobSchema>;

/** A chunk job, validated: the run as any request is, and the chunk inside it. */
export interface ChunkJob {
  component: string;
  request: ValidMonteCarloRequest;
  firstPath: number;
  pathCount: number;
  tailLength: number;
}

/** The job's data, without a MAC. */
export function chunkJobData(runId: string, component: string, request: ValidMonteCarloRequest, firstPath: number, pathCount: number, tailLength: number): ChunkJobData {
  const { paths, seed, horizonDays, confidence, antithetic } = request;
  const run = { portfolio: portfolioSpecOf(request.portfolio), paths, seed: seed.toString(), horizonDays, confidence, antithetic };
  return { format: CHUNK_JOB_FORMAT, runId, component, run, firstPath, pathCount, tailLength };
}

/** Validates a job's data; InvalidInputError names the field (`job.run.portfolio.assets[0].vol`). */
export function parseChunkJob(data: unknown): ChunkJob {
  const { component, run, firstPath, pathCount, tailLength } = parseOrThrow(chunkJobSchema, data, 'job');
  // Its errors name the field in the job: job.run.portfolio.assets[0].vol, job.run.seed.
  const request = validateRiskRequest({ method: 'monte-carlo', ...run }, { at: { portfolio: 'job.run.portfolio', options: 'job.run' } });
  if (request.method !== 'monte-carlo') throw new Error('unreachable: the method is fixed above');
  return { component, request, firstPath, pathCount, tailLength };
}

/** The engine's form back into the portfolio file's, with positional asset ids: the worker validates it
 *  as it would any portfolio. Every number is carried as is, so the worker runs the very same portfolio. */
function portfolioSpecOf(portfolio: EnginePortfolio): PortfolioSpec {
  const id = (index: number) => `a${index}`;
  return {
    assets: portfolio.assets.map(({ spot, drift, vol }, index) => ({ id: id(index), spot, drift, vol })),
    ...(isFactorPortfolio(portfolio)
      ? { factorLoadings: portfolio.factorLoadings.map((row) => Array.from(row)) }
      : { correlation: portfolio.correlation.map((row) => Array.from(row)) }),
    riskFreeRate: portfolio.riskFreeRate,
    positions: portfolio.positions.map(({ assetIndex, quantity, instrument }) =>
      instrument.tag === 'spot'
        ? { asset: id(assetIndex), type: 'spot' as const, quantity }
        : { asset: id(assetIndex), type: instrument.val.kind, strike: instrument.val.strike, expiryYears: instrument.val.expiryYears, quantity },
    ),
  };
}
