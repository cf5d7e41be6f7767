// How many component instances an engine discarded and replaced, by why: counted where it happens (the
// worker pool as it stops a worker, the thread that drops a trapped instance), so every caller of the
// engine (the library, the CLI, the service's /metrics) sees each replacement once, not one per request
// that failed: a run split across workers stops its other running chunks' workers when one chunk fails.

/** Why an instance was discarded: its call overran its deadline (`timeout`), trapped (`trap`), ran out of
 *  memory (`oom`), or was stopped while it ran because its request had ended (`cancelled`: the caller
 *  cancelled, a service client left, or another chunk of the same run failed first). */
export type WorkerRestartCause = 'timeout' | 'trap' | 'oom' | 'cancelled';

export const WORKER_RESTART_CAUSES: readonly WorkerRestartCause[] = ['timeout', 'trap', 'oom', 'cancelled'];

export type WorkerRestartCounts = Readonly<Record<WorkerRestartCause, number>>;

export class WorkerRestarts {
  private readonly counts: Record<WorkerRestartCause, number> = { timeout: 0, trap: 0, oom: 0, cancelled: 0 };

  count(cause: WorkerRestartCause): void {
    this.counts[cause]++;
  }

  /** The counts so far (a copy). */
  get totals(): WorkerRestartCounts {
    return { ...this.counts };
  }
}
