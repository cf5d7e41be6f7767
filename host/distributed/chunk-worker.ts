// The worker side of a distributed run: a BullMQ Worker that takes chunk jobs off the queue, runs each in
// the sandboxed engine of the component it names, and answers with the chunk's largest losses and exact
// moments (chunk-result.ts). A run's parent job only marks that all its chunks are done. With a results key,
// a job must carry its requester's MAC, and the result carries the worker's, bound to the job.
import { Worker, type Job } from 'bullmq';
import { InvalidInputError, WasmRiskError } from '../errors.js';
import { CHUNK_JOB, parseChunkJob, RUN_JOB } from './chunk-job.js';
import { chunkResultData, type ChunkResultData } from './chunk-result.js';
import type { HeldComponents } from './held-components.js';
import { unrecoverable } from './job-errors.js';
import { chunkSummary } from '../risk-engine.js';
import type { RedisLink } from './redis-connection.js';
import type { ResultsKey } from './results-key.js';

export interface ChunkWorkerOptions {
  queue: string;
  concurrency: number;
  /** How long a job's lock lasts without renewal: a worker killed mid-chunk has its chunk taken back and
   *  given to another after about this long (BullMQ's stalled-job check runs as often). */
  lockMs: number;
  /** Without it, jobs are run and results sent unauthenticated. */
  resultsKey?: ResultsKey;
}

export function startChunkWorker(link: RedisLink, components: HeldComponents, { queue, concurrency, lockMs, resultsKey }: ChunkWorkerOptions): Worker {
  return new Worker(queue, (job: Job) => processJob(job, components, resultsKey), {
    connection: link.connection,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // Only the run's requester reads results; it removes the run when it has them.
    removeOnFail: { count: 1000 },
  });
}

async function processJob(job: Job, components: HeldComponents, resultsKey: ResultsKey | undefined): Promise<ChunkResultData | null> {
  try {
    if (job.name === RUN_JOB) return null;
    if (job.name !== CHUNK_JOB) throw new InvalidInputError('job.name', `must be '${CHUNK_JOB}' or '${RUN_JOB}'`);
    // The job as its requester wrote it, MAC aside: what the result's MAC is bound to.
    const authentic = resultsKey?.checkJob(job.data, String(job.id));
    const chunk = parseChunkJob(job.data);
    const engine = await components.engineFor(chunk.component);
    // Summed in the engine's thread: this one renews the jobs' locks (a lapsed lock marks a chunk stalled).
    const { tail, moments } = await chunkSummary(engine, chunk.request, chunk.firstPath, chunk.pathCount, chunk.tailLength);
    const result = chunkResultData({ component: engine.component, firstPath: chunk.firstPath, pathCount: chunk.pathCount, tail, moments });
    return authentic && resultsKey ? resultsKey.signResult(authentic, result) : result;
  } catch (error) {
    throw error instanceof WasmRiskError ? unrecoverable(error) : error;
  }
}
