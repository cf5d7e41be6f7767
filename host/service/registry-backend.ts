// The backend with operations: a ComponentRegistry of versions, one serving, swapped and rolled back without
// dropping a request (the registry's guarantee), every change in its audit log under the acting name; and
// the automatic rollback of a version that fails repeatedly right after it started serving.
import type { ComponentBytes } from '../load/component-format.js';
import type { BatchOutcome, CallOptions, RiskResult } from '../risk-engine.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import { recordRefusal, type ComponentRegistry, type RegisteredVersion, type ServingChange, type ShadowReport } from '../versions/registry.js';
import type { RiskBackend } from './evaluation.js';
import { judgedByComparison, Probation, probationCause, type ProbationCause, type ProbationLimits, type ProbationVerdict } from './probation.js';
import type { ServiceMetrics, SwapKind } from './metrics.js';
import { RefusalBudget } from './refusal-budget.js';
import type { WorkerRestartCounts } from '../run/worker-restarts.js';

/** When a newly swapped-in version is rolled back on its own: `failures` failures that count against it
 *  (probation.ts) among its first `requests` requests, within `seconds` of its start. `failures: 0` turns it off. */
export type AutoRollbackOptions = ProbationLimits;

export const DEFAULT_AUTO_ROLLBACK: AutoRollbackOptions = { failures: 3, requests: 100, seconds: 60 };

/** The actor the audit log names for an automatic rollback (refused as a token's actor name). */
export const AUTO_ROLLBACK_ACTOR = 'auto-rollback';

/** A change of the serving version, or an automatic rollback that could not be made (`error`). */
export interface VersionChange {
  kind: SwapKind;
  actor: string;
  from: string | undefined;
  to: string | undefined;
  error?: unknown;
}

export interface RegistryBackendOptions {
  /** Evaluations that can run at once: the registry's workers per version. */
  concurrency: number;
  /** Where swaps are counted and the versions' memory shown: the server's metrics. */
  metrics: ServiceMetrics;
  autoRollback?: AutoRollbackOptions;
  /** Told of every change of the serving version (the server's log). */
  onChange?: (change: VersionChange) => void;
  /** How many refusals each actor may write to the audit log a minute (default: refusal-budget.ts's). */
  refusalBudget?: RefusalBudget;
}

export class RegistryBackend implements RiskBackend {
  readonly concurrency: number;
  private readonly autoRollback: AutoRollbackOptions;
  private probation: Probation | undefined;
  private readonly refusalBudget: RefusalBudget;

  constructor(
    readonly registry: ComponentRegistry,
    private readonly options: RegistryBackendOptions,
  ) {
    this.concurrency = options.concurrency;
    this.autoRollback = options.autoRollback ?? DEFAULT_AUTO_ROLLBACK;
    this.refusalBudget = options.refusalBudget ?? new RefusalBudget();
  }

  get version(): string | undefined {
    return this.registry.servingVersion;
  }

  async run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult> {
    // Read in the tick `registry.run` picks its version in, so this is the version that runs the request.
    const probation = this.onProbation(this.registry.servingVersion);
    if (probation) probation.requests++;
    try {
      return await this.registry.run(request, options);
    } catch (error) {
      if (probation) this.judge(probation, request, error, options);
      throw error;
    }
  }

  /** A batch counts on probation as its evaluations would one by one. */
  async runBatch(requests: ValidRiskRequest[], options: CallOptions): Promise<BatchOutcome[]> {
    const probation = this.onProbation(this.registry.servingVersion);
    if (probation) probation.requests += requests.length;
    const outcomes = await this.registry.runBatch(requests, options);
    if (probation) outcomes.forEach((outcome, i) => outcome.ok || this.judge(probation, requests[i]!, outcome.error, options));
    return outcomes;
  }

  list(): RegisteredVersion[] {
    return this.registry.list();
  }

  async register(candidate: ComponentBytes, actor: string): Promise<RegisteredVersion> {
    return this.registry.register(candidate, { actor });
  }

  /** Logs a candidate the admin API refused before the registry saw it, under `actor`; past the actor's
   *  budget, counts it instead. */
  async recordRefusal(path: string, error: unknown, actor: string): Promise<void> {
    if (!this.refusalBudget.take(actor)) {
      this.options.metrics.adminRefusalsUnrecorded.inc();
      return;
    }
    await recordRefusal(this.registry, path, error, actor);
  }

  /** Makes `version` serve and puts it on probation. */
  async swap(version: string, actor: string): Promise<void> {
    await this.change('swap', actor, () => this.registry.swap(version, { actor }));
  }

  async rollback(actor: string): Promise<void> {
    await this.change('rollback', actor, () => this.registry.rollback({ actor }));
  }

  async startShadow(version: string, actor: string): Promise<ShadowReport> {
    await this.registry.startShadow(version, { actor });
    return this.registry.shadowReport();
  }

  stopShadow(actor: string): Promise<ShadowReport> {
    return this.registry.stopShadow({ actor });
  }

  memoryBytes(): Map<string, number> {
    return this.registry.memoryBytes();
  }

  workerRestarts(): Map<string, WorkerRestartCounts> {
    return this.registry.workerRestarts();
  }

  close(): Promise<void> {
    return this.registry.close();
  }

  /** Runs a change of the serving version; counts it, logs it and restarts the probation if it changed
   *  anything. What changed is the registry's answer: versions read around `apply` would count a swap to the
   *  version a concurrent swap had just made serve, and name the wrong `from`. */
  private async change(kind: SwapKind, actor: string, apply: () => Promise<ServingChange | undefined>): Promise<void> {
    const change = await apply();
    if (!change) return;
    const { from, to } = change;
    this.probation = kind === 'swap' ? new Probation(to, from, this.autoRollback) : undefined;
    this.options.metrics.swaps.inc({ kind });
    this.options.onChange?.({ kind, actor, from, to });
  }

  /** The probation `version` is on, if it is still within its first requests and seconds. */
  private onProbation(version: string | undefined): Probation | undefined {
    const probation = this.probation;
    if (!probation || probation.version !== version || this.autoRollback.failures === 0 || !probation.open) return undefined;
    return probation;
  }

  /** Judges a failure of the version on probation: at once, or by running the same request, under the same
   *  deadline and without the client's signal, on the version it replaced (not awaited: the client has its
   *  answer). A comparison's outcome counts even if the probation's window has closed meanwhile. */
  private judge(probation: Probation, request: ValidRiskRequest, error: unknown, options: CallOptions): void {
    const cause = probationCause(error);
    if (cause === undefined) return;
    if (!judgedByComparison(cause)) return this.failed(probation, cause);
    if (!probation.wantsComparison) return this.judged(cause, 'unjudged');
    probation.comparing++;
    void this.registry
      .runOn(probation.previous!, request, { timeoutMs: options.timeoutMs })
      .then(
        () => this.failed(probation, cause),
        () => this.judged(cause, 'excused'),
      )
      .finally(() => probation.comparing--);
  }

  private judged(cause: ProbationCause, verdict: ProbationVerdict): void {
    this.options.metrics.probationFailures.inc({ cause, verdict });
  }

  private failed(probation: Probation, cause: ProbationCause): void {
    this.judged(cause, 'counted');
    probation.failures++;
    if (probation.failures !== this.autoRollback.failures || this.probation !== probation) return;
    this.probation = undefined;
    // Only if it still serves: a swap made since then is not undone. A failed rollback (a broken audit log)
    // leaves the version serving, as a failed manual one would; the server's log says why.
    void this.change('auto-rollback', AUTO_ROLLBACK_ACTOR, () => this.registry.rollback({ actor: AUTO_ROLLBACK_ACTOR, ifServing: probation.version })).catch(
      (error: unknown) => this.options.onChange?.({ kind: 'auto-rollback', actor: AUTO_ROLLBACK_ACTOR, from: probation.version, to: probation.version, error }),
    );
  }
}
