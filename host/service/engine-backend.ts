// The backend without an admin API: one component, loaded, audited and admitted once at start (as `var`
// loads it), serving every request until the server stops.
import type { CallOptions, RiskEngine, RiskResult } from '../risk-engine.js';
import type { RiskBackend, ServiceRequest } from './evaluation.js';

export class EngineBackend implements RiskBackend {
  constructor(private readonly engine: RiskEngine) {}

  get version(): string {
    return this.engine.component.version;
  }

  get concurrency(): number {
    return this.engine.concurrency;
  }

  run(request: ServiceRequest, options: CallOptions): Promise<RiskResult> {
    // Validated already: the engine does not parse it again.
    return this.engine.run(request.valid, options);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
