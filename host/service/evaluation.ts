// One evaluation as the service runs it: on the serving engine, under its deadline, timed and counted;
// when the component traps, times out or runs out of memory, on the fallback (if one is configured).
import { ComponentTrapError, OutOfMemoryError, TimeoutError } from '../errors.js';
import type { CallOptions, RiskResult } from '../risk-engine.js';
import type { RiskRequest } from '../request/risk-request.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import type { RestartCause, ServiceMetrics } from './metrics.js';

/** A request in both forms: as the body gave it (for a registry, which validates what it runs) and validated. */
export interface ServiceRequest {
  raw: RiskRequest;
  valid: ValidRiskRequest;
}

/** What serves the requests: one engine (engine-backend.ts), or a registry of versions (registry-backend.ts). */
export interface RiskBackend {
  /** The version serving now, or undefined when none is. */
  readonly version: string | undefined;
  /** Evaluations that can run at once. */
  readonly concurrency: number;
  run(request: ServiceRequest, options: CallOptions): Promise<RiskResult>;
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

export class Evaluator {
  constructor(
    private readonly backend: RiskBackend,
    private readonly metrics: ServiceMetrics,
    private readonly fallback: RiskFallback | undefined,
  ) {}

  async evaluate(request: ServiceRequest, options: CallOptions): Promise<Evaluated> {
    const method = request.valid.method;
    const timer = this.metrics.engineCallDuration.startTimer({ method });
    try {
      const result = await this.backend.run(request, options);
      if (request.valid.method === 'monte-carlo') this.metrics.pathsSimulated.inc(request.valid.paths);
      return { result, fallback: false };
    } catch (error) {
      const cause = restartCause(error);
      if (cause === undefined) throw error;
      this.metrics.workerRestarts.inc({ cause });
      if (!this.fallback) throw error;
      this.metrics.fallbacks.inc({ cause });
      // Its own deadline: the engine's time is spent, the reference gets the full timeout again.
      const result = await this.fallback.run(request.valid, { timeoutMs: options.timeoutMs });
      if (request.valid.method === 'monte-carlo') this.metrics.pathsSimulated.inc(request.valid.paths);
      return { result, fallback: true };
    } finally {
      timer();
    }
  }
}

/** Why the component's instance was discarded, for a failure that discards it. */
export function restartCause(error: unknown): RestartCause | undefined {
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof OutOfMemoryError) return 'oom';
  if (error instanceof ComponentTrapError) return 'trap';
  return undefined;
}
