// `--fallback reference`: what answers when the component traps, times out or runs out of memory. The
// TypeScript reference (reference/, the model the component is tested against path by path) runs the same
// validated request and seed in a worker thread of its own, under its own deadline, so a slow fallback
// neither blocks the server nor outlives its time. As for the engine's calls, the deadline counts from the
// reference's start in its thread: waiting for a thread (one starting, hundreds of ms on a busy machine, or
// one busy with another fallback) is bounded apart, by the same deadline or FALLBACK_START_LIMIT_MS if longer.
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { TimeoutError } from '../errors.js';
import { PACKAGE_VERSION, PROJECT_ROOT } from '../files/package-paths.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import { fromTransported } from '../run/error-transport.js';
import { DEFAULT_TIMEOUT_MS, WORKER_EXEC_ARGV } from '../run/worker-pool.js';
import { riskResult, type CallOptions, type ComponentIdentity, type RiskResult } from '../risk-engine.js';
import type { RiskFallback } from './evaluation.js';
import type { ReferenceOutcome, ReferenceTask } from './fallback-worker.js';

const WORKER_SCRIPT = join(PROJECT_ROOT, 'dist', 'host', 'service', 'fallback-worker.js');
/** The longest a fallback waits for its thread when its deadline is shorter: a thread's start-up (the first
 *  fallback after an idle spell, or after a thread stopped at a deadline) is the machine's, not the request's. */
export const FALLBACK_START_LIMIT_MS = 30_000;

/** What a fallback answer names as its engine: the reference model, no component. */
export const REFERENCE_IDENTITY: ComponentIdentity = { name: 'wasm-risk-reference', version: PACKAGE_VERSION, sha256: '' };

export class ReferenceFallback implements RiskFallback {
  private readonly piscina: Piscina<ReferenceTask, ReferenceOutcome>;

  constructor(workers: number) {
    this.piscina = new Piscina({
      filename: WORKER_SCRIPT,
      // One thread is ready from the start: the first fallback does not wait for a thread to start.
      minThreads: 1,
      maxThreads: workers,
      idleTimeout: 30_000,
      recordTiming: false,
      execArgv: WORKER_EXEC_ARGV,
    });
  }

  async run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const startedAt = new BigInt64Array(new SharedArrayBuffer(8));
    const stop = new AbortController();
    const waitMs = Math.max(timeoutMs, FALLBACK_START_LIMIT_MS);
    const handedOverAt = Date.now();
    let overrun: 'start' | 'run' | undefined;
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      const start = Number(Atomics.load(startedAt, 0));
      const now = Date.now();
      const limit = start === 0 ? handedOverAt + waitMs : start + timeoutMs;
      if (now < limit) {
        timer = setTimeout(watch, start === 0 ? Math.min(limit - now, timeoutMs) : limit - now);
        return;
      }
      overrun = start === 0 ? 'start' : 'run';
      stop.abort();
    };
    timer = setTimeout(watch, timeoutMs);
    let outcome: ReferenceOutcome;
    try {
      outcome = await this.piscina.run({ request, startedAt: startedAt.buffer as SharedArrayBuffer }, { signal: stop.signal });
    } catch (error) {
      if (overrun === 'start') throw new TimeoutError(`the reference fallback did not start within ${waitMs} ms`, false, { cause: error });
      if (overrun === 'run') throw new TimeoutError(`the reference fallback exceeded its ${timeoutMs} ms deadline`, true, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if ('error' in outcome) throw fromTransported(outcome.error);
    return riskResult(REFERENCE_IDENTITY, request, outcome.report, started);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
