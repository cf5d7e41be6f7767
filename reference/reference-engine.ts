// The risk model of README "The model" in plain TypeScript: an independent implementation the tests
// compare the Rust component against, path by path. Inputs are assumed validated by the host.

import { isFactorPortfolio, type EnginePortfolio } from '../host/contract/engine-portfolio.js';
import type { RiskReport, Simulation } from '../host/contract/types.js';
import { InvalidInputError } from '../host/errors.js';
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
  portfolio: EnginePortfolio,
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
 * The standard normal shocks Z of a path's assets from its stream's normals, into `shocks`. A correlation
 * portfolio draws n normals eps: Z = L eps with L the Cholesky factor (Z_i = 0 + L_i0 eps_0 + L_i1 eps_1 +
 * ... over k <= i ascending). A factor portfolio draws k + n: the factors F_0..F_k-1, then the residuals
 * e_0..e_n-1: Z_i = (0 + L_i0 F_0 + ... + L_i,k-1 F_k-1) + sqrt(max(0, 1 - (0 + L_i0^2 + ...))) e_i.
 */
function createShocks(portfolio: EnginePortfolio): { normals: number; correlate: (normals: Float64Array, shocks: Float64Array) => void } {
  const n = portfolio.assets.length;
  if (isFactorPortfolio(portfolio)) {
    const loadings = portfolio.factorLoadings;
    const k = loadings[0]!.length;
    const residualScales = Float64Array.from(loadings, (row) => {
      let explained = 0;
      for (let j = 0; j < k; j++) explained += row[j]! * row[j]!;
      return Math.sqrt(Math.max(0, 1 - explained));
    });
    return {
      normals: k + n,
      correlate: (normals, shocks) => {
        for (let i = 0; i < n; i++) {
          const row = loadings[i]!;
          let common = 0;
          for (let j = 0; j < k; j++) common += row[j]! * normals[j]!;
          shocks[i] = common + residualScales[i]! * normals[k + i]!;
        }
      },
    };
  }
  const factor = choleskyLower(portfolio.correlation);
  return {
    normals: n,
    correlate: (normals, shocks) => {
      for (let i = 0; i < n; i++) {
        let correlated = 0;
        for (let k = 0; k <= i; k++) correlated += factor[i * n + k]! * normals[k]!;
        shocks[i] = correlated;
      }
    },
  };
}

/**
 * P&L of paths firstPath .. firstPath + pathCount - 1, in path order. Per path: the normals from the path's
 * stream, the shocks Z from them (createShocks), log-return x_i = (drift_i - vol_i^2/2) h + vol_i sqrt(h)
 * Z_i, S_i(h) = S_i exp(x_i), then full revaluation.
 */
export function referenceSimulatePnl(portfolio: EnginePortfolio, run: Simulation): Float64Array {
  const { assets } = portfolio;
  const n = assets.length;
  const horizonYears = run.horizonDays / TRADING_DAYS_PER_YEAR;
  const { normals: normalCount, correlate } = createShocks(portfolio);
  const revalue = createRevaluation(portfolio, horizonYears);
  const driftTerms = Float64Array.from(
    assets,
    ({ drift, vol }) => (drift - (vol * vol) / 2) * horizonYears,
  );
  const diffusionScales = Float64Array.from(assets, ({ vol }) => vol * Math.sqrt(horizonYears));

  const normals = new Float64Array(normalCount);
  const shocks = new Float64Array(n);
  const logReturns = new Float64Array(n);
  const spots = new Float64Array(n);
  const pnl = new Float64Array(Number(run.pathCount));
  for (let index = 0; index < pnl.length; index++) {
    fillPathShocks(run.seed, run.firstPath + BigInt(index), run.antithetic, normals);
    correlate(normals, shocks);
    for (let i = 0; i < n; i++) {
      logReturns[i] = driftTerms[i]! + diffusionScales[i]! * shocks[i]!;
      spots[i] = assets[i]!.spot * exp(logReturns[i]!);
    }
    pnl[index] = revalue(spots, logReturns);
  }
  const overflow = pnl.findIndex((value) => !Number.isFinite(value));
  if (overflow >= 0) {
    throw new InvalidInputError('portfolio', `P&L of path ${run.firstPath + BigInt(overflow)} is not a finite number; spots, vols, drifts or quantities are too extreme`);
  }
  return pnl;
}

export function referenceMonteCarlo(
  portfolio: EnginePortfolio,
  run: Simulation,
  confidenceLevels: ArrayLike<number>,
): RiskReport {
  return summarizePnl(referenceSimulatePnl(portfolio, run), confidenceLevels);
}

/** Full revaluation on each row of log-returns over the horizon, applied as S_i exp(r_i). */
export function referenceHistorical(
  portfolio: EnginePortfolio,
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
  const overflow = pnl.findIndex((value) => !Number.isFinite(value));
  if (overflow >= 0) {
    throw new InvalidInputError(`returns[${overflow}]`, "the P&L of this row is not a finite number; its returns, or the portfolio's spots, vols or quantities, are too extreme");
  }
  return summarizePnl(pnl, confidenceLevels);
}

/**
 * Delta-normal closed form: P&L ~ N(mu, sigma^2) with mu = D.m and sigma^2 = D'VD, D_i = S_i times
 * the sum over the asset's positions (in order) of quantity * delta, m_i = (drift_i - vol_i^2/2) h,
 * V_ij = C_ij vol_i vol_j h. Sums run over i, then j, ascending, and each product in the engine's order
 * (docs/model.md), so mu and sigma are the engine's bit for bit and overflow on the same inputs: the
 * fallback refuses what the engine refuses. With factor loadings L (n x k), C = L L' + diag(1 - sum_j
 * L_ij^2) and sigma^2 is taken in O(n k) (factorVariance).
 */
export function referenceParametric(
  portfolio: EnginePortfolio,
  horizonDays: number,
  confidenceLevels: ArrayLike<number>,
): RiskReport {
  const { assets, positions, riskFreeRate } = portfolio;
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
  for (let i = 0; i < assets.length; i++) {
    const { drift, vol } = assets[i]!;
    mean += exposures[i]! * (drift - (vol * vol) / 2) * horizonYears;
  }
  const variance = isFactorPortfolio(portfolio)
    ? factorVariance(portfolio.assets, exposures, portfolio.factorLoadings, horizonYears)
    : correlatedVariance(portfolio.assets, exposures, portfolio.correlation, horizonYears);
  closedFormFinite(mean, 'mean');
  closedFormFinite(variance, 'variance');
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

/** The engine's error for a closed form that overflows (terms of 1e320 of each sign make a NaN variance). */
function closedFormFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) {
    throw new InvalidInputError('portfolio', `the delta-normal P&L's ${what} is not a finite number; spots, vols, drifts or quantities are too extreme`);
  }
}

type Assets = EnginePortfolio['assets'];

/** D'VD with V_ij = C_ij vol_i vol_j h, over i then j ascending, each term D_i D_j C_ij vol_i vol_j h
 *  multiplied left to right: O(n^2). */
function correlatedVariance(assets: Assets, exposures: Float64Array, correlation: readonly Float64Array[], horizonYears: number): number {
  let variance = 0;
  for (let i = 0; i < assets.length; i++) {
    for (let j = 0; j < assets.length; j++) {
      variance += exposures[i]! * exposures[j]! * correlation[i]![j]! * assets[i]!.vol * assets[j]!.vol * horizonYears;
    }
  }
  return variance;
}

/** w'(L L' + R)w h with w_i = D_i vol_i and R_i = 1 - sum_j L_ij^2: |L'w|^2 + sum_i w_i^2 R_i, O(n k). */
function factorVariance(assets: Assets, exposures: Float64Array, loadings: readonly Float64Array[], horizonYears: number): number {
  const k = loadings[0]!.length;
  const common = new Float64Array(k);
  let residual = 0;
  for (let i = 0; i < assets.length; i++) {
    const weight = exposures[i]! * assets[i]!.vol;
    const row = loadings[i]!;
    let explained = 0;
    for (let j = 0; j < k; j++) {
      common[j] = common[j]! + weight * row[j]!;
      explained += row[j]! * row[j]!;
    }
    residual += weight * weight * Math.max(0, 1 - explained);
  }
  let systematic = 0;
  for (let j = 0; j < k; j++) systematic += common[j]! * common[j]!;
  return (systematic + residual) * horizonYears;
}
