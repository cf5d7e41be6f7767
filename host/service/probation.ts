// The probation of a version just swapped in (registry-backend.ts): its first requests and seconds, during
// which its failures count towards an automatic rollback. Only a failure that says something of the version
// may count, and a client chooses its requests: a failure no request can cause on a sound engine (a trap, a
// broken contract) counts at once; one that a request can cause on any version (a timeout: more work than
// the deadline allows; out of memory: a very large input; a refusal of the input as the caller's fault)
// counts only if the version swapped out answers the same request within the same deadline, run on its own
// (idle) workers after the failure. A good version under a client's oversized requests is not rolled back;
// a version that loops, or is slower, or refuses what its predecessor answers, still is.
import { ComponentContractError, ComponentTrapError, OutOfMemoryError, TimeoutError } from '../errors.js';
import { isComponentRefusal } from '../contract/component-refusal.js';

/** What a failure on probation was: `refusal` is the component's own risk-error (component-refusal.ts). */
export type ProbationCause = 'trap' | 'contract' | 'timeout' | 'oom' | 'refusal';
/** What became of it: `counted` against the version, `excused` (the version swapped out failed on the same
 *  request too, so the request was at fault), or `unjudged` (no version to compare with, or enough
 *  comparisons under way to decide the rollback already). */
export type ProbationVerdict = 'counted' | 'excused' | 'unjudged';

export const PROBATION_CAUSES: readonly ProbationCause[] = ['trap', 'contract', 'timeout', 'oom', 'refusal'];
export const PROBATION_VERDICTS: readonly ProbationVerdict[] = ['counted', 'excused', 'unjudged'];

/** What a failure says of the version that failed, if anything: a request that timed out waiting for a
 *  worker, a cancellation or bad input the host found itself says nothing of it. */
export function probationCause(error: unknown): ProbationCause | undefined {
  if (error instanceof ComponentTrapError) return 'trap';
  if (error instanceof ComponentContractError) return 'contract';
  if (error instanceof TimeoutError) return error.workerStopped ? 'timeout' : undefined;
  if (error instanceof OutOfMemoryError) return 'oom';
  return isComponentRefusal(error) ? 'refusal' : undefined;
}

/** Whether a failure of this cause can be the request's doing, so it counts only by comparison. */
export function judgedByComparison(cause: ProbationCause): boolean {
  return cause === 'timeout' || cause === 'oom' || cause === 'refusal';
}

export interface ProbationLimits {
  failures: number;
  requests: number;
  seconds: number;
}

export class Probation {
  requests = 0;
  failures = 0;
  /** Comparisons running on the version swapped out. */
  comparing = 0;
  private readonly startedAt = performance.now();

  constructor(
    /** The version on probation. */
    readonly version: string,
    /** The version it replaced, which a comparison runs on and a rollback returns to. */
    readonly previous: string | undefined,
    private readonly limits: ProbationLimits,
  ) {}

  /** Whether it is still within its first requests and seconds. */
  get open(): boolean {
    return this.requests < this.limits.requests && performance.now() - this.startedAt <= this.limits.seconds * 1000;
  }

  /** Whether another comparison could still change the outcome: fewer run than failures are still needed. */
  get wantsComparison(): boolean {
    return this.previous !== undefined && this.comparing < this.limits.failures - this.failures;
  }
}
