// A portfolio in the engine's form, either record of the contract: with a correlation matrix (`portfolio`) or,
// contract 1.2 on, with factor loadings (`factor-portfolio`), which the host sends to the `-factors`
// functions. Its own module, with type-only imports, so that the reference (and the service's fallback
// worker, under a deadline from its first request) loads nothing else of the contract to tell them apart.
import type { FactorPortfolio, Portfolio } from './generated/interfaces/wasm-risk-risk-types.js';

export type EnginePortfolio = Portfolio | FactorPortfolio;

export function isFactorPortfolio(portfolio: EnginePortfolio): portfolio is FactorPortfolio {
  return 'factorLoadings' in portfolio;
}
