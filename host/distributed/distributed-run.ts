// The requester side of a distributed Monte Carlo run: one BullMQ flow per run (a parent job, one child
// per chunk of paths), the chunks' results merged here into the same report a local run gives, bit for
// bit. A chunk's typed failure fails the run at once; a deadline, a cancellation or a failure removes the
// run's chunks that no worker took yet; a lost Redis is RedisUnavailableError.
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import type { RiskReport } from '../contract/types.js';
import { CancelledError, ComponentContractError, InvalidInputError, TimeoutError } from '../errors.js';
import { addMoments, mergeSortedRuns, summarizeLossTail, tailLength, type LossMoments } from '../report/risk-statistics.js';
import { MAX_PATHS_PER_CALL } from '../request/limits.js';
import type { ValidMonteCarloRequest } from '../request/risk-request.js';
import { CHUNK_JOB, chunkJobData, RUN_JOB } from './chunk-job.js';
import { parseChunkResult, type ChunkResult } from './chunk-result.js';
import { DEFAULT_CHUNK_PATHS, MAX_CHUNKS, type ValidDistributedOptions } from './distributed-options.js';
import { errorFromFailedReason } from './job-errors.js';
import { RedisLink } from './redis-connection.js';

/** Attempts of a chunk whose worker failed untyped (a defect, not the chunk's fault); typed failures are
 *  never retried, and a chunk whose worker died is taken back by BullMQ's stalled-job check instead. */
const CHUNK_ATTEMPTS = 2;
/** A run left in Redis by a requester that died is removed after this long. */
const ABANDONED_RUN_SECONDS = 24 * 3600;
/** How often a run's parent is looked at besides its events: should its `completed` event be missed (trimmed
 *  from the events stream before it was read), the run still ends, not at its deadline. */
const PARENT_CHECK_MS = 1_000;
/** Events the queue's stream keeps (BullMQ trims it to about this many). */
export const EVENTS_KEPT = 1_000;

export interface DistributedRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  chunkPaths?: number;
  onProgress?: (donePaths: number, totalPaths: number) => void;
}

interface PlannedChunk {
  firstPath: number;
  pathCount: number;
}

export class DistributedRuns {
  private constructor(
    private readonly link: RedisLink,
    private readonly flows: FlowProducer,
    private readonly events: QueueEvents,
    private readonly queue: Queue,
    private readonly options: ValidDistributedOptions,
  ) {}

  static async connect(options: ValidDistributedOptions): Promise<DistributedRuns> {
    const link = await new RedisLink(options.redis, options.insecureRedis).open();
    const flows = new FlowProducer({ connection: link.connection });
    const events = new QueueEvents(options.queue, { connection: link.connection });
    // Keeps the queue's events stream short: BullMQ copies each chunk's result (its loss tail, up to MBs)
    // into a `completed` event, and would keep 10,000 of them in Redis by default.
    const queue = new Queue(options.queue, { connection: link.connection, streams: { events: { maxLen: EVENTS_KEPT } } });
    // Their connections report errors here; a lost Redis is reported by `link.lost` once given up.
    flows.on('error', () => undefined);
    events.on('error', () => undefined);
    queue.on('error', () => undefined);
    try {
      await link.guard(Promise.all([events.waitUntilReady(), queue.waitUntilReady()]));
      return new DistributedRuns(link, flows, events, queue, options);
    } catch (error) {
      await Promise.allSettled([events.close(), flows.close(), queue.close()]);
      await link.close();
      throw error;
    }
  }

  /** The report of a run of `component` (its SHA-256), from chunks run by whichever workers hold it. */
  async report(request: ValidMonteCarloRequest, component: { name: string; version: string; sha256: string }, options: DistributedRunOptions): Promise<RiskReport> {
    const chunks = planChunks(request.paths, options.chunkPaths ?? this.options.chunkPaths ?? DEFAULT_CHUNK_PATHS);
    const keep = tailLength(request.paths, request.confidence);
    const tree = await this.link.guard(
      this.flows.add({
        name: RUN_JOB,
        queueName: this.options.queue,
        data: { chunks: chunks.length },
        opts: { removeOnComplete: { age: ABANDONED_RUN_SECONDS }, removeOnFail: { age: ABANDONED_RUN_SECONDS } },
        children: chunks.map(({ firstPath, pathCount }) => ({
          name: CHUNK_JOB,
          queueName: this.options.queue,
          data: chunkJobData(component.sha256, request, firstPath, pathCount, keep),
          opts: { failParentOnFailure: true, attempts: CHUNK_ATTEMPTS, removeOnFail: true },
        })),
      }),
    );
    const parent = tree.job;
    const byJobId = new Map<string, PlannedChunk>();
    tree.children?.forEach((child, i) => byJobId.set(child.job.id!, chunks[i]!));
    try {
      await this.finished(parent.id!, byJobId, request.paths, options);
      const values = await this.link.guard(parent.getChildrenValues());
      return merge(request, component, values, byJobId, keep);
    } finally {
      await this.remove(parent);
    }
  }

  /** Resolves when the parent job completes (all chunks done); rejects at the first chunk failure, the
   *  deadline, a cancellation or a lost Redis. */
  private finished(parentId: string, chunks: ReadonlyMap<string, PlannedChunk>, paths: number, { timeoutMs, signal, onProgress }: DistributedRunOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = 0;
      const check = setInterval(() => {
        void this.queue.getJobState(parentId).then(
          (state) => state === 'completed' && settle(() => resolve()),
          () => undefined,
        );
      }, PARENT_CHECK_MS);
      const onCompleted = ({ jobId }: { jobId: string }) => {
        if (jobId === parentId) return settle(() => resolve());
        const chunk = chunks.get(jobId);
        if (chunk) onProgress?.((done += chunk.pathCount), paths);
      };
      const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
        // The parent fails with its failing chunk, whose own event carries the reason.
        if (chunks.has(jobId)) settle(() => reject(errorFromFailedReason(failedReason)));
      };
      const onAbort = () => settle(() => reject(new CancelledError('the distributed run was cancelled', { cause: signal?.reason })));
      const unsubscribe = this.link.whenLost((error) => settle(() => reject(error)));
      const timer = setTimeout(() => settle(() => reject(new TimeoutError(`the distributed run did not finish within ${timeoutMs} ms`, false))), timeoutMs);
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        clearInterval(check);
        unsubscribe();
        this.events.off('completed', onCompleted);
        this.events.off('failed', onFailed);
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      this.events.on('completed', onCompleted);
      this.events.on('failed', onFailed);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Removes the run and what is left of its chunks. A chunk a worker is running cannot be removed (BullMQ
   *  holds its lock); it finishes, and its result has no parent to go to. */
  private async remove(parent: Job): Promise<void> {
    if (this.link.connection.status !== 'ready') return;
    try {
      await parent.removeUnprocessedChildren();
      await parent.remove({ removeChildren: true });
    } catch {
      // A running chunk keeps its parent; the parent's removeOnComplete/removeOnFail age removes it later.
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.flows.close(), this.queue.close()]);
    await this.link.close();
  }
}

function planChunks(paths: number, chunkPaths: number): PlannedChunk[] {
  if (!Number.isInteger(chunkPaths) || chunkPaths < 1 || chunkPaths > MAX_PATHS_PER_CALL) {
    throw new InvalidInputError('chunkPaths', `must be an integer in [1, ${MAX_PATHS_PER_CALL}]`);
  }
  const count = Math.ceil(paths / chunkPaths);
  if (count > MAX_CHUNKS) throw new InvalidInputError('chunkPaths', `${paths} paths in chunks of ${chunkPaths} would be ${count} jobs, more than ${MAX_CHUNKS}`);
  return Array.from({ length: count }, (_, i) => ({ firstPath: i * chunkPaths, pathCount: Math.min(chunkPaths, paths - i * chunkPaths) }));
}

/** The chunks' tails merged and cut to the run's tail, their moments added: `summarizeLossTail` of these is
 *  what `summarizeSortedLosses` gives for all the run's losses. Every chunk must answer once, for the
 *  component that was asked for. */
function merge(
  request: ValidMonteCarloRequest,
  component: { name: string; version: string; sha256: string },
  values: Record<string, unknown>,
  chunks: ReadonlyMap<string, PlannedChunk>,
  keep: number,
): RiskReport {
  const byJobId = new Map(Object.entries(values).map(([key, value]) => [key.slice(key.lastIndexOf(':') + 1), value]));
  const results: ChunkResult[] = [];
  for (const [jobId, chunk] of chunks) {
    if (!byJobId.has(jobId)) throw new ComponentContractError(`chunk at path ${chunk.firstPath}: no result`);
    const result = parseChunkResult(byJobId.get(jobId), { ...chunk, tailLength: keep });
    const { name, version, sha256 } = result.component;
    if (sha256 !== component.sha256 || name !== component.name || version !== component.version) {
      throw new ComponentContractError(`chunk at path ${chunk.firstPath}: run by ${name} ${version} (${sha256}), not the component asked for`);
    }
    results.push(result);
  }
  let moments: LossMoments = { count: 0, sum: 0n, squares: 0n };
  for (const result of results) moments = addMoments(moments, result.moments);
  const merged = mergeSortedRuns(results.map((result) => result.tail));
  return summarizeLossTail(merged.subarray(merged.length - keep), moments, request.confidence);
}
