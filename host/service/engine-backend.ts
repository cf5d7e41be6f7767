// The backend without an admin API: one component, loaded, audited and admitted once at start (as `var`
// loads it), serving every request until the server stops.
import type { BatchOutcome, CallOptions, RiskEngine, RiskResult } from '../risk-engine.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import type { RiskBackend } from './evaluation.js';
import type { WorkerRestartCounts } from '../run/worker-restarts.js';

export class EngineBackend implements RiskBackend {
  constructor(private readonly engine: RiskEngine) {}

  get version(): string {
    return this.engine.component.version;
  }

  get concurrency(): number {
    return this.engine.concurrency;
  }

  run(request: ValidRiskRequest, options: CallOptions): Promise<RiskResult> {
    return this.engine.run(request, options);
  }

  runBatch(requests: ValidRiskRequest[], options: CallOptions): Promise<BatchOutcome[]> {
    return this.engine.runBatch(requests, options);
  }

  memoryBytes(): Map<string, number> {
    return new Map([[this.version, this.engine.memoryBytes]]);
  }

  workerRestarts(): Map<string, WorkerRestartCounts> {
    return new Map([[this.version, this.engine.workerRestarts]]);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
