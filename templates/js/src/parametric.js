// Delta-normal VaR/ES: P&L ~ sum_i D_i r_i with D_i the portfolio's delta to asset i in money,
// r ~ N(m, V), m_i = (drift_i - vol_i^2 / 2) h, V_ij = C_ij vol_i vol_j h.
import { cholesky, inverseNormalCdf, normalPdf, optionDelta } from './pricing.js';
import { TRADING_DAYS_PER_YEAR } from './revaluation.js';

export function parametricReport(portfolio, horizonDays, confidenceLevels) {
  const { assets, correlation, positions, riskFreeRate } = portfolio;
  cholesky(correlation); // refuses a correlation that is not positive semi-definite
  const h = horizonDays / TRADING_DAYS_PER_YEAR;
  const exposure = new Float64Array(assets.length);
  for (const { assetIndex, quantity, instrument } of positions) {
    const asset = assets[assetIndex];
    const delta = instrument.tag === 'spot' ? 1 : optionDelta(instrument.val, asset.spot, instrument.val.expiryYears, riskFreeRate, asset.vol);
    exposure[assetIndex] += asset.spot * quantity * delta;
  }
  let mean = 0;
  let variance = 0;
  assets.forEach((a, i) => {
    mean += exposure[i] * (a.drift - (a.vol * a.vol) / 2) * h;
    assets.forEach((b, j) => {
      variance += exposure[i] * exposure[j] * correlation[i][j] * a.vol * b.vol * h;
    });
  });
  const sigma = Math.sqrt(Math.max(variance, 0));
  const levels = Array.from(confidenceLevels, (confidence) => {
    const z = inverseNormalCdf(confidence);
    return { confidence, var: -mean + sigma * z, es: -mean + (sigma * normalPdf(z)) / (1 - confidence), stdError: 0 };
  });
  return { scenarios: 0n, levels, meanPnl: mean, stdPnl: sigma };
}
