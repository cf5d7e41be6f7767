// `--fallback reference`: what answers when the component traps, times out or runs out of memory. The
// TypeScript reference (reference/, the model the component is tested against path by path) runs the same
// validated request and seed in a worker thread of its own, under its own deadline, so a slow fallback
// neither blocks the server nor outlives its time.
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { TimeoutError } from '../errors.js';
import { PACKAGE_VERSION, PROJECT_ROOT } from '../files/package-paths.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import { fromTransported } from '../run/error-transport.js';
import { DEFAULT_TIMEOUT_MS, WORKER_EXEC_ARGV } from '../run/worker-pool.js';
import { riskResult, type CallOptions, type ComponentIdentity, type RiskResult } from '../risk-engine.js';
import type { RiskFallback } from './evaluation.js';
import type { ReferenceOutcome } from './fallback-worker.js';

const WORKER_SCRIPT = join(PROJECT_ROOT, 'dist', 'host', 'service', 'fallback-worker.js');

/** What a fallback answer names as its engine: the reference model, no component. */
export const REFERENCE_IDENTITY: ComponentIdentity = { name: 'wasm-risk-reference', version: PACKAGE_VERSION, sha256: '' };

export class ReferenceFallback implements RiskFallback {
  private readonly piscina: Piscina<ValidRiskRequest, ReferenceOutcome>;

  constructor(workers: number) {
    this.piscina = new Piscina({
      filename: WORKER_SCRIPT,
      minThreads: 0,
      maxThreads: workers,
      idleTimeout: 30_000,
      recordTiming: false,
      execArgv: WORKER_EXEC_ARGV,
    });
  }

  async run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let outcome: ReferenceOutcome;
    try {
      outcome = await this.piscina.run(request, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw new TimeoutError(`the reference fallback exceeded its ${timeoutMs} ms deadline`, true, { cause: error });
      throw error;
    }
    if ('error' in outcome) throw fromTransported(outcome.error);
    return riskResult(REFERENCE_IDENTITY, request, outcome.report, started);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
