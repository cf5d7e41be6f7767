// Full revaluation of the portfolio on one scenario of log-returns over the horizon: spots move to
// S exp(x), options are repriced with the horizon taken off their expiry.
import { optionValue } from './pricing.js';

export const TRADING_DAYS_PER_YEAR = 252;

/** What a scenario needs, computed once: the horizon in years and today's value of every position. */
export function revaluation(portfolio, horizonDays) {
  const horizonYears = horizonDays / TRADING_DAYS_PER_YEAR;
  const { assets, positions, riskFreeRate } = portfolio;
  const today = positions.map(({ assetIndex, instrument }) => {
    const asset = assets[assetIndex];
    return instrument.tag === 'spot' ? asset.spot : optionValue(instrument.val, asset.spot, instrument.val.expiryYears, riskFreeRate, asset.vol);
  });
  /** P&L of the portfolio when asset i moves by the log-return `logReturns[i]`. */
  return function pnl(logReturns) {
    let total = 0;
    positions.forEach(({ assetIndex, quantity, instrument }, p) => {
      const asset = assets[assetIndex];
      const spot = asset.spot * Math.exp(logReturns[assetIndex]);
      const later = instrument.tag === 'spot' ? spot : optionValue(instrument.val, spot, instrument.val.expiryYears - horizonYears, riskFreeRate, asset.vol);
      total += quantity * (later - today[p]);
    });
    return total;
  };
}
