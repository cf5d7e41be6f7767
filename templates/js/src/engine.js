// The plugin's entry point: the `engine` interface of the wasm-risk:risk world. Every argument is
// validated, then handed to the model; failures are thrown as the contract's `risk-error` cases.
import { simulatePnl } from './monte-carlo.js';
import { parametricReport } from './parametric.js';
import { revaluation } from './revaluation.js';
import { reportFromSortedLosses, sortedLosses } from './statistics.js';
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
};
