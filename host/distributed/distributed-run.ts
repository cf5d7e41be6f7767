// The requester side of a distributed Monte Carlo run: one BullMQ flow per run (a parent job, one child
// per chunk of paths), the chunks' results merged (merge-results.ts) into the same report a local run gives, bit for
// bit. A chunk's typed failure fails the run at once; a deadline, a cancellation or a failure removes the
// run's chunks that no worker took yet; a lost Redis is RedisUnavailableError, and the next run connects again.
// With a results key, each chunk job carries a MAC and each result must carry one bound to its job.
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import type { RiskReport } from '../contract/types.js';
import { CancelledError, InvalidInputError, RedisUnavailableError } from '../errors.js';
import { summarizeLossTail, tailLength } from '../report/risk-statistics.js';
import { MAX_PATHS_PER_CALL } from '../request/limits.js';
import type { ValidMonteCarloRequest } from '../request/risk-request.js';
import { CHUNK_JOB, chunkJobData, RUN_JOB, type ChunkJobData } from './chunk-job.js';
import { DEFAULT_CHUNK_PATHS, MAX_CHUNKS, type ValidDistributedOptions } from './distributed-options.js';
import { errorFromFailedReason, runFailure } from './job-errors.js';
import { mergeChunkResults } from './merge-results.js';
import { QueueClients } from './queue-clients.js';
import { ResultsKey, warnUnauthenticatedChunks } from './results-key.js';
import { runDeadlineError } from './run-deadline.js';

/** Attempts of a chunk whose worker failed untyped (a defect, not the chunk's fault); typed failures are
 *  never retried, and a chunk whose worker died is taken back by BullMQ's stalled-job check instead. */
const CHUNK_ATTEMPTS = 2;
/** A run left in Redis by a requester that died is removed after this long. */
const ABANDONED_RUN_SECONDS = 24 * 3600;
/** How often a run's parent is looked at besides its events: should its `completed` event, or its failing
 *  chunk's `failed` event, be missed (trimmed from the events stream before it was read, or lost while the
 *  stream's reading started again), the run still ends, not at its deadline. */
const PARENT_CHECK_MS = 1_000;
/** Why a run fails whose parent job is no longer in Redis: retrying it is the remedy, as for a lost Redis. */
const RUN_GONE = 'Redis is unavailable: the run\'s jobs are gone from it (restarted without its data, or flushed); run it again';

export interface DistributedRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  chunkPaths?: number;
  onProgress?: (donePaths: number, totalPaths: number) => void;
}

interface PlannedChunk {
  firstPath: number;
  pathCount: number;
  /** Its job's data, without a MAC: what its result's MAC is bound to. */
  job: ChunkJobData;
}

export class DistributedRuns {
  /** The clients of the connection runs go through: replaced by new ones once it is given up (`live`). */
  private clients: Promise<QueueClients>;

  private constructor(
    clients: QueueClients,
    private readonly options: ValidDistributedOptions,
    private readonly resultsKey: ResultsKey | undefined,
  ) {
    this.clients = Promise.resolve(clients);
  }

  static async connect(options: ValidDistributedOptions): Promise<DistributedRuns> {
    const resultsKey = options.resultsKey === undefined ? undefined : await ResultsKey.read(options.resultsKey, 'distributed.resultsKey');
    const clients = await QueueClients.open(options);
    // Once connected: a requester that cannot connect fails with its one error line.
    if (!resultsKey) warnUnauthenticatedChunks();
    return new DistributedRuns(clients, options, resultsKey);
  }

  /** The report of a run of `component` (its SHA-256), from chunks run by whichever workers hold it. */
  async report(request: ValidMonteCarloRequest, component: { name: string; version: string; sha256: string }, options: DistributedRunOptions): Promise<RiskReport> {
    const keep = tailLength(request.paths, request.confidence);
    // A fresh id per run: a result (and its MAC) from another run answers another job.
    const runId = randomUUID();
    const chunks = planChunks(request.paths, options.chunkPaths ?? this.options.chunkPaths ?? DEFAULT_CHUNK_PATHS).map((chunk) => ({
      ...chunk,
      job: chunkJobData(runId, component.sha256, request, chunk.firstPath, chunk.pathCount, keep),
    }));
    const clients = await this.live();
    await clients.boundEvents();
    const tree = await clients.link.guard(
      clients.flows.add({
        name: RUN_JOB,
        queueName: this.options.queue,
        data: { chunks: chunks.length },
        opts: { removeOnComplete: { age: ABANDONED_RUN_SECONDS }, removeOnFail: { age: ABANDONED_RUN_SECONDS } },
        children: chunks.map(({ job }) => ({
          name: CHUNK_JOB,
          queueName: this.options.queue,
          data: this.resultsKey ? this.resultsKey.signJob(job) : job,
          // A failed chunk is kept for its reason (`failureOf`), and removed with its run.
          opts: { failParentOnFailure: true, attempts: CHUNK_ATTEMPTS, removeOnFail: { age: ABANDONED_RUN_SECONDS } },
        })),
      }),
    );
    const parent = tree.job;
    const byJobId = new Map<string, PlannedChunk>();
    tree.children?.forEach((child, i) => byJobId.set(child.job.id!, chunks[i]!));
    try {
      await finished(clients, parent.id!, byJobId, request.paths, options);
      // Read as BullMQ's getChildrenValues would (the parent's `:processed` hash, a field per child's key), but
      // one planned chunk at a time: the whole hash at once is every chunk's tail, and whatever else is in it.
      const fields = Array.from(byJobId, ([jobId, chunk]) => ({ field: clients.queue.toKey(jobId), ...chunk }));
      const { tail, moments } = await mergeChunkResults(clients.link, clients.queue.toKey(`${parent.id!}:processed`), fields, component, keep, this.resultsKey);
      return summarizeLossTail(tail, moments, request.confidence);
    } finally {
      await remove(clients, parent);
    }
  }

  /** The clients of a live connection. Once Redis was given up, the next run connects afresh (and fails
   *  with RedisUnavailableError if it is still away), so a long-lived requester, `serve --redis`, outlives a
   *  Redis restart; runs that ask at the same time share one attempt. */
  private async live(): Promise<QueueClients> {
    const current = this.clients;
    const clients = await current.catch(() => undefined);
    if (clients && !clients.lost) return clients;
    if (this.clients === current) {
      this.clients = QueueClients.open(this.options);
      // Not awaited: the old connection is gone, and closing what is left of it must not hold up a run.
      void clients?.close();
    }
    return this.clients;
  }

  async close(): Promise<void> {
    await (await this.clients.catch(() => undefined))?.close();
  }
}

/** Resolves when the parent job completes (all chunks done); rejects at the first chunk failure, the
 *  deadline, a cancellation, a lost Redis, or a run whose jobs are gone from Redis. */
function finished(
  clients: QueueClients,
  parentId: string,
  chunks: ReadonlyMap<string, PlannedChunk>,
  paths: number,
  { timeoutMs, signal, onProgress }: DistributedRunOptions,
): Promise<void> {
  const { link, events, queue } = clients;
  return new Promise<void>((resolve, reject) => {
    let done = 0;
    const check = setInterval(() => {
      // A Redis error here is the next check's to see again, or the link's to report.
      void queue
        .getJobState(parentId)
        .then(async (state) => {
          if (state === 'completed') settle(() => resolve());
          // No such job: Redis restarted without its data (or was flushed) while its connection came back in
          // time. Nothing would ever finish the run; it waited for its deadline, then said ERR_TIMEOUT.
          if (state === 'unknown') settle(() => reject(new RedisUnavailableError(RUN_GONE)));
          if (state === 'failed') {
            const error = await runFailure(link, queue, parentId, (jobId) => chunks.has(jobId));
            settle(() => reject(error));
          }
        })
        .catch(() => undefined);
    }, PARENT_CHECK_MS);
    const answered = new Set<string>();
    const onCompleted = ({ jobId }: { jobId: string }) => {
      if (jobId === parentId) return settle(() => resolve());
      const chunk = chunks.get(jobId);
      // Once a chunk: an event repeated in the stream (whoever can write it can repeat one) counts no path twice.
      if (!chunk || answered.has(jobId)) return;
      answered.add(jobId);
      onProgress?.((done += chunk.pathCount), paths);
    };
    const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
      // The parent fails with its failing chunk, whose own event carries the reason.
      if (chunks.has(jobId)) settle(() => reject(errorFromFailedReason(failedReason)));
    };
    const onAbort = () => settle(() => reject(new CancelledError('the distributed run was cancelled', { cause: signal?.reason })));
    const unsubscribe = link.whenLost((error) => settle(() => reject(error)));
    // Says how many chunks workers took and finished by then, read before the run is removed.
    const timer = setTimeout(() => settle(() => void runDeadlineError(clients, [...chunks.keys()], timeoutMs).then(reject)), timeoutMs);
    let settled = false;
    // Once: the deadline's outcome comes a moment later, and nothing may answer the run in between.
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(check);
      unsubscribe();
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    events.on('completed', onCompleted);
    events.on('failed', onFailed);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Removes the run and what is left of its chunks. A chunk a worker is running cannot be removed (BullMQ
 *  holds its lock); it finishes, and its result has no parent to go to. */
async function remove({ link }: QueueClients, parent: Job): Promise<void> {
  if (link.connection.status !== 'ready') return;
  try {
    // Guarded: a Redis that stopped answering held the run's failure (its deadline's ERR_TIMEOUT) for ever.
    await link.guard(parent.removeUnprocessedChildren());
    await link.guard(parent.remove({ removeChildren: true }));
  } catch {
    // A running chunk keeps its parent; the parent's removeOnComplete/removeOnFail age removes it later.
  }
}

function planChunks(paths: number, chunkPaths: number): { firstPath: number; pathCount: number }[] {
  if (!Number.isInteger(chunkPaths) || chunkPaths < 1 || chunkPaths > MAX_PATHS_PER_CALL) {
    throw new InvalidInputError('chunkPaths', `must be an integer in [1, ${MAX_PATHS_PER_CALL}]`);
  }
  const count = Math.ceil(paths / chunkPaths);
  if (count > MAX_CHUNKS) throw new InvalidInputError('chunkPaths', `${paths} paths in chunks of ${chunkPaths} would be ${count} jobs, more than ${MAX_CHUNKS}`);
  return Array.from({ length: count }, (_, i) => ({ firstPath: i * chunkPaths, pathCount: Math.min(chunkPaths, paths - i * chunkPaths) }));
}
