// The risk model of README "The model" in plain TypeScript: an independent implementation the tests
// compare the Rust component against, path by path. Inputs are assumed validated by the host.

import type { Portfolio, RiskReport, Simulation } from '../host/contract/types.js';
import { summarizePnl } from '../host/report/risk-statistics.js';
import { blackScholesDelta, blackScholesPrice, blackScholesPriceAt } from './black-scholes.js';
import { choleskyLower } from './cholesky.js';
import { exp, ln } from './elementary-functions.js';
import { inverseNormalCdf, normalPdf } from './normal-distribution.js';
import { fillPathShocks } from './random-streams.js';

const TRADING_DAYS_PER_YEAR = 252;

/**
 * P&L of the portfolio when asset i moves by log-return logReturns[i] to spotsAtHorizon[i], summed
 * over the positions in order. Options age by the horizon and are revalued with ln(S/K) = ln(S0/K) +
 * log-return; today's values and ln(S0/K) are computed once.
 */
function createRevaluation(
  portfolio: Portfolio,
  horizonYears: number,
): (spotsAtHorizon: Float64Array, logReturns: ArrayLike<number>) => number {
  const { assets, positions, riskFreeRate } = portfolio;
  const valuesToday = positions.map(({ assetIndex, instrument }) => {
    const asset = assets[assetIndex]!;
    if (instrument.tag === 'spot') return asset.spot;
    const { kind, strike, expiryYears } = instrument.val;
    return blackScholesPrice(kind, asset.spot, strike, expiryYears, riskFreeRate, asset.vol);
  });
  const logMoneynessToday = positions.map(({ assetIndex, instrument }) =>
    instrument.tag === 'spot' ? 0 : ln(assets[assetIndex]!.spot / instrument.val.strike),
  );
  return (spotsAtHorizon, logReturns) => {
    let pnl = 0;
    for (let p = 0; p < positions.length; p++) {
      const { assetIndex, quantity, instrument } = positions[p]!;
      const spot = spotsAtHorizon[assetIndex]!;
      const valueAtHorizon =
        instrument.tag === 'spot'
          ? spot
          : blackScholesPriceAt(
              instrument.val.kind,
              spot,
              logMoneynessToday[p]! + logReturns[assetIndex]!,
              instrument.val.strike,
              instrument.val.expiryYears - horizonYears,
              riskFreeRate,
              assets[assetIndex]!.vol,
            );
      pnl += quantity * (valueAtHorizon - valuesToday[p]!);
    }
    return pnl;
  };
}

/**
 * P&L of paths firstPath .. firstPath + pathCount - 1, in path order. Per path: eps from the path's
 * stream, Z = L eps (Z_i = 0 + L_i0 eps_0 + L_i1 eps_1 + ... over k <= i ascending), log-return
 * x_i = (drift_i - vol_i^2/2) h + vol_i sqrt(h) Z_i, S_i(h) = S_i exp(x_i), then full revaluation.
 */
export function referenceSimulatePnl(portfolio: Portfolio, run: Simulation): Float64Array {
  const { assets } = portfolio;
  const n = assets.length;
  const horizonYears = run.horizonDays / TRADING_DAYS_PER_YEAR;
  const factor = choleskyLower(portfolio.correlation);
  const revalue = createRevaluation(portfolio, horizonYears);
  const driftTerms = Float64Array.from(
    assets,
    ({ drift, vol }) => (drift - (vol * vol) / 2) * horizonYears,
  );
  const diffusionScales = Float64Array.from(assets, ({ vol }) => vol * Math.sqrt(horizonYears));

  const shocks = new Float64Array(n);
  const logReturns = new Float64Array(n);
  const spots = new Float64Array(n);
  const pnl = new Float64Array(Number(run.pathCount));
  for (let index = 0; index < pnl.length; index++) {
    fillPathShocks(run.seed, run.firstPath + BigInt(index), run.antithetic, shocks);
    for (let i = 0; i < n; i++) {
      let correlated = 0;
      for (let k = 0; k <= i; k++) correlated += factor[i * n + k]! * shocks[k]!;
      logReturns[i] = driftTerms[i]! + diffusionScales[i]! * correlated;
      spots[i] = assets[i]!.spot * exp(logReturns[i]!);
    }
    pnl[index] = revalue(spots, logReturns);
  }
  return pnl;
}

export function referenceMonteCarlo(
  portfolio: Portfolio,
  run: Simulation,
  confidenceLevels: ArrayLike<number>,
): RiskReport {
  return summarizePnl(referenceSimulatePnl(portfolio, run), confidenceLevels);
}

/** Full revaluation on each row of log-returns over the horizon, applied as S_i exp(r_i). */
export function referenceHistorical(
  portfolio: Portfolio,
  returns: readonly Float64Array[],
  horizonDays: number,
  confidenceLevels: ArrayLike<number>,
): RiskReport {
  const { assets } = portfolio;
  const revalue = createRevaluation(portfolio, horizonDays / TRADING_DAYS_PER_YEAR);
  const spots = new Float64Array(assets.length);
  const pnl = Float64Array.from(returns, (row) => {
    for (let i = 0; i < assets.length; i++) spots[i] = assets[i]!.spot * exp(row[i]!);
    return revalue(spots, row);
  });
  return summarizePnl(pnl, confidenceLevels);
}

/**
 * Delta-normal closed form: P&L ~ N(mu, sigma^2) with mu = D.m and sigma^2 = D'VD, D_i = S_i times
 * the sum over the asset's positions (in order) of quantity * delta, m_i = (drift_i - vol_i^2/2) h,
 * V_ij = C_ij vol_i vol_j h. Sums run over i, then j, ascending.
 */
export function referenceParametric(
  portfolio: Portfolio,
  horizonDays: number,
  confidenceLevels: ArrayLike<number>,
): RiskReport {
  const { assets, correlation, positions, riskFreeRate } = portfolio;
  const horizonYears = horizonDays / TRADING_DAYS_PER_YEAR;
  const exposures = new Float64Array(assets.length);
  for (const { assetIndex, quantity, instrument } of positions) {
    const asset = assets[assetIndex]!;
    const delta =
      instrument.tag === 'spot'
        ? 1
        : blackScholesDelta(
            instrument.val.kind,
            asset.spot,
            instrument.val.strike,
            instrument.val.expiryYears,
            riskFreeRate,
            asset.vol,
          );
    exposures[assetIndex] = exposures[assetIndex]! + quantity * delta;
  }
  for (let i = 0; i < assets.length; i++) exposures[i] = assets[i]!.spot * exposures[i]!;

  let mean = 0;
  let variance = 0;
  for (let i = 0; i < assets.length; i++) {
    const { drift, vol } = assets[i]!;
    mean += exposures[i]! * ((drift - (vol * vol) / 2) * horizonYears);
    for (let j = 0; j < assets.length; j++) {
      const covariance = correlation[i]![j]! * vol * assets[j]!.vol * horizonYears;
      variance += exposures[i]! * covariance * exposures[j]!;
    }
  }
  // Rounding can push a hedged portfolio's variance a hair below zero.
  const sigma = Math.sqrt(Math.max(variance, 0));

  return {
    scenarios: 0n,
    levels: Array.from(confidenceLevels, (confidence) => {
      const z = inverseNormalCdf(confidence);
      return {
        confidence,
        var: -mean + sigma * z,
        es: -mean + (sigma * normalPdf(z)) / (1 - confidence),
        stdError: 0,
      };
    }),
    meanPnl: mean,
    stdPnl: sigma,
  };
}
