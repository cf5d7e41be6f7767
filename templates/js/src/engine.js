// The plugin's entry point: the `engine` interface of the wasm-risk:risk world. Every argument is
// validated, then handed to the model; failures are thrown as the contract's `risk-error` cases.
import { simulatePnl } from './monte-carlo.js';
import { parametricReport } from './parametric.js';
import { revaluation } from './revaluation.js';
import { reportFromSortedLosses, sortedLosses } from './statistics.js';
import { notSupported } from './errors.js';
import { validateConfidence, validateHorizon, validatePortfolio, validateReturns, validateSimulation } from './validation.js';

const NAME = '__PLUGIN_NAME__';
const VERSION = '0.1.0';

function simulatedLosses(portfolio, run) {
  validatePortfolio(portfolio);
  validateSimulation(run);
  return sortedLosses(simulatePnl(portfolio, run));
}

export const engine = {
  info() {
    return { name: NAME, version: VERSION };
  },

  monteCarlo(portfolio, run, confidenceLevels) {
    validateConfidence(confidenceLevels);
    return reportFromSortedLosses(simulatedLosses(portfolio, run), confidenceLevels);
  },

  simulatePnl(portfolio, run) {
    validatePortfolio(portfolio);
    validateSimulation(run);
    return simulatePnl(portfolio, run);
  },

  sortedLosses(portfolio, run) {
    return simulatedLosses(portfolio, run);
  },

  historical(portfolio, returns, horizonDays, confidenceLevels) {
    validatePortfolio(portfolio);
    validateReturns(returns, portfolio.assets.length);
    validateHorizon(horizonDays);
    validateConfidence(confidenceLevels);
    const pnl = revaluation(portfolio, horizonDays);
    return reportFromSortedLosses(sortedLosses(Array.from(returns, (row) => pnl(row))), confidenceLevels);
  },

  parametric(portfolio, horizonDays, confidenceLevels) {
    validatePortfolio(portfolio);
    validateHorizon(horizonDays);
    validateConfidence(confidenceLevels);
    return parametricReport(portfolio, horizonDays, confidenceLevels);
  },

  // Factor-model portfolios (contract 1.2): this plugin models correlation matrices only. Answering
  // `invalid-input` "not supported" tells the host (and `wasm-risk conformance`) so.
  monteCarloFactors() {
    throw notSupported('monte-carlo-factors');
  },

  simulatePnlFactors() {
    throw notSupported('simulate-pnl-factors');
  },

  sortedLossesFactors() {
    throw notSupported('sorted-losses-factors');
  },

  historicalFactors() {
    throw notSupported('historical-factors');
  },

  parametricFactors() {
    throw notSupported('parametric-factors');
  },
};
