// A fallback worker (loaded by piscina from dist/host/service/fallback-worker.js): the TypeScript reference
// model (reference/) on one validated request, off the server's event loop.
import type { RiskReport } from '../contract/types.js';
import type { ValidRiskRequest } from '../request/risk-request.js';
import { referenceHistorical, referenceMonteCarlo, referenceParametric } from '../../reference/reference-engine.js';

export default function referenceReport(request: ValidRiskRequest): RiskReport {
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
