// Evaluations as the service runs them: on the serving engine, under its deadline, timed and counted;
// when the component traps, times out or runs out of memory, or refuses as bad input what the reference
// computes, on the fallback (if one is configured).
import { ComponentTrapError, OutOfMemoryError, TimeoutError } from '../errors.js';
import type { BatchOutcome, CallOptions, RiskResult } from '../risk-engine.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import type { FallbackCause, ServiceMetrics } from './metrics.js';
import { isComponentRefusal } from '../contract/component-refusal.js';
import type { WorkerRestartCounts } from '../run/worker-restarts.js';
import { problemOf } from './problems.js';

/** What serves the requests: one engine (engine-backend.ts), or a registry of versions (registry-backend.ts). */
export interface RiskBackend {
  /** The version serving now, or undefined when none is. */
  readonly version: string | undefined;
  /** Evaluations that can run at once. */
  readonly concurrency: number;
  run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult>;
  /** Many requests in one go (RiskEngine.runBatch), answered in order. */
  runBatch(requests: ValidRiskRequest[], options: CallOptions): Promise<BatchOutcome[]>;
  /** The linear memory each loaded version's instances hold now, in bytes. */
  memoryBytes(): Map<string, number>;
  /** The instances each loaded version's engine has discarded and replaced so far, by cause. */
  workerRestarts(): Map<string, WorkerRestartCounts>;
  close(): Promise<void>;
}

/** Answers what the component could not (fallback.ts). */
export interface RiskFallback {
  run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult>;
  close(): Promise<void>;
}

export interface Evaluated {
  result: RiskResult;
  fallback: boolean;
}

/** One evaluation of a batch: its answer, or the error it ends with. */
export type EvaluatedOutcome = { ok: true; evaluated: Evaluated } | { ok: false; error: unknown };

export class Evaluator {
  constructor(
    private readonly backend: RiskBackend,
    private readonly metrics: ServiceMetrics,
    private readonly fallback: RiskFallback | undefined,
  ) {}

  async evaluate(request: ValidRiskRequest, options: CallOptions): Promise<Evaluated> {
    const timer = this.metrics.engineCallDuration.startTimer({ method: request.method });
    try {
      return await this.counted(request, this.engineFirst(request, options));
    } finally {
      timer();
    }
  }

  private async engineFirst(request: ValidRiskRequest, options: CallOptions): Promise<Evaluated> {
    try {
      const result = await this.backend.run(request, options);
      this.simulated(request);
      return { result, fallback: false };
    } catch (error) {
      return await this.fallBack(request, error, options);
    }
  }

  /** Evaluates `requests` together (one engine task per worker); each failure falls back on its own. */
  async evaluateBatch(requests: ValidRiskRequest[], options: CallOptions): Promise<EvaluatedOutcome[]> {
    const timer = this.metrics.engineCallDuration.startTimer({ method: 'batch' });
    try {
      const outcomes = await this.backend.runBatch(requests, options);
      const evaluated = await Promise.all(outcomes.map((outcome, i) => this.itemOutcome(requests[i]!, outcome, options)));
      this.countBatch(requests, evaluated);
      return evaluated;
    } finally {
      timer();
    }
  }

  /** A batch item's answer: the engine's, or (when it failed) the fallback's, or its error. */
  private itemOutcome(request: ValidRiskRequest, outcome: BatchOutcome, options: CallOptions): EvaluatedOutcome | Promise<EvaluatedOutcome> {
    if (outcome.ok) {
      this.simulated(request);
      return { ok: true, evaluated: { result: outcome.result, fallback: false } };
    }
    return this.fallBack(request, outcome.error, options).then(
      (evaluated): EvaluatedOutcome => ({ ok: true, evaluated }),
      (error: unknown): EvaluatedOutcome => ({ ok: false, error }),
    );
  }

  /** Counts a batch's evaluations, one increment per method, outcome and code rather than one per item: each
   *  costs a label lookup, and a batch holds up to 1,000 items. */
  private countBatch(requests: ValidRiskRequest[], outcomes: EvaluatedOutcome[]): void {
    const tally = new Map<string, { labels: EvaluationLabels; count: number }>();
    outcomes.forEach((outcome, i) => {
      const labels = evaluationLabels(requests[i]!.method, outcome);
      const key = `${labels.method} ${labels.outcome} ${labels.code}`;
      const counted = tally.get(key);
      if (counted) counted.count++;
      else tally.set(key, { labels, count: 1 });
    });
    for (const { labels, count } of tally.values()) this.metrics.evaluations.inc(labels, count);
  }

  /** Answers from the fallback if the component failed in a way that discarded its instance, or refused the
   *  request as the caller's fault and the reference computes it, and there is a fallback; otherwise
   *  rethrows. (The instances discarded are counted by the engine, worker-restarts.ts.) */
  private async fallBack(request: ValidRiskRequest, error: unknown, options: CallOptions): Promise<Evaluated> {
    const cause = fallbackCause(error);
    if (cause === undefined || !this.fallback) throw error;
    // Its own deadline: the engine's time is spent, the reference gets the full timeout again.
    const answered = this.fallback.run(request, { timeoutMs: options.timeoutMs });
    // The host validated the request before the component saw it, so a component's refusal is believed only
    // if the reference refuses it too (or cannot say): the caller's error stands, as the component worded it.
    const result = cause === 'refusal' ? await answered.catch(() => Promise.reject(error)) : await answered;
    this.metrics.fallbacks.inc({ cause });
    this.simulated(request);
    return { result, fallback: true };
  }

  /** Counts one evaluation as it ends: answered by the engine or the fallback, or failed with its code. */
  private async counted(request: ValidRiskRequest, evaluated: Promise<Evaluated>): Promise<Evaluated> {
    try {
      const answer = await evaluated;
      this.metrics.evaluations.inc(evaluationLabels(request.method, { ok: true, evaluated: answer }));
      return answer;
    } catch (error) {
      this.metrics.evaluations.inc(evaluationLabels(request.method, { ok: false, error }));
      throw error;
    }
  }

  private simulated(request: ValidRiskRequest): void {
    if (request.method === 'monte-carlo') this.metrics.pathsSimulated.inc(request.paths);
  }
}

interface EvaluationLabels {
  method: ValidRiskRequest['method'];
  outcome: 'ok' | 'fallback' | 'error';
  code: string;
}

/** How `evaluations_total` labels an evaluation's end. */
function evaluationLabels(method: ValidRiskRequest['method'], outcome: EvaluatedOutcome): EvaluationLabels {
  if (!outcome.ok) return { method, outcome: 'error', code: problemOf(outcome.error).code };
  return { method, outcome: outcome.evaluated.fallback ? 'fallback' : 'ok', code: 'OK' };
}

/** Why the fallback answers a failure, if it does: a request that timed out while no call of it ran (waiting
 *  for a worker) stopped no worker and says nothing of the component. */
function fallbackCause(error: unknown): FallbackCause | undefined {
  if (error instanceof TimeoutError) return error.workerStopped ? 'timeout' : undefined;
  if (error instanceof OutOfMemoryError) return 'oom';
  if (error instanceof ComponentTrapError) return 'trap';
  return isComponentRefusal(error) ? 'refusal' : undefined;
}
