// A fallback worker (loaded by piscina from dist/host/service/fallback-worker.js): the TypeScript reference
// model (reference/) on one validated request, off the server's event loop. The reference refuses what the
// engine refuses (a P&L that overflows, say) with the engine's typed errors, which cross back as data
// (error-transport.ts): piscina would hand over a plain Error, answered as a 500.
import type { RiskReport } from '../contract/types.js';
import { WasmRiskError } from '../errors.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import { toTransported, type TransportedError } from '../run/error-transport.js';
import { referenceHistorical, referenceMonteCarlo, referenceParametric } from '../../reference/reference-engine.js';

export type ReferenceOutcome = { report: RiskReport } | { error: TransportedError };

/** A request for the reference, and where its thread writes when it starts it (the epoch ms, in a shared
 *  BigInt64Array's first slot): the deadline is counted from there, not from a thread's start-up. */
export interface ReferenceTask {
  request: ValidRiskRequest;
  startedAt: SharedArrayBuffer;
}

export default function referenceOutcome({ request, startedAt }: ReferenceTask): ReferenceOutcome {
  Atomics.store(new BigInt64Array(startedAt), 0, BigInt(Date.now()));
  try {
    return { report: referenceReport(request) };
  } catch (error) {
    if (error instanceof WasmRiskError) return { error: toTransported(error) };
    throw error;
  }
}

function referenceReport(request: ValidRiskRequest): RiskReport {
  switch (request.method) {
    case 'monte-carlo': {
      const { portfolio, seed, horizonDays, antithetic, paths, confidence } = request;
      return referenceMonteCarlo(portfolio, { seed, horizonDays, antithetic, firstPath: 0n, pathCount: BigInt(paths) }, confidence);
    }
    case 'historical':
      return referenceHistorical(request.portfolio, request.returns, request.horizonDays, request.confidence);
    case 'parametric':
      return referenceParametric(request.portfolio, request.horizonDays, request.confidence);
  }
}
