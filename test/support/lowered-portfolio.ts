// A portfolio with a correlation matrix as the host lowers it, for tests that call a component's exports
// directly (as a different host might): those take the correlation form, which the host's own type
// (EnginePortfolio, either form) does not promise.
import { isFactorPortfolio, type Portfolio } from '../../host/contract/types.js';
import { validatePortfolio } from '../../host/request/portfolio.js';

export function loweredCorrelationPortfolio(spec: unknown): { portfolio: Portfolio; assetIds: string[] } {
  const { portfolio, assetIds } = validatePortfolio(spec);
  if (isFactorPortfolio(portfolio)) throw new Error('a test portfolio has factor loadings where a correlation matrix was meant');
  return { portfolio, assetIds };
}
