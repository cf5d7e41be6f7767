// Black-Scholes value and delta of a European option, as the model revalues options (README "The
// model"); the operation order is part of the spec the Rust component mirrors.

import type { OptionKind } from '../host/contract/types.js';
import { exp, ln } from './elementary-functions.js';
import { normalCdf } from './normal-distribution.js';

/**
 * d1 = (ln(S/K) + (r + vol^2/2) T) / volSqrtT, with ln(S/K) and volSqrtT = vol sqrt(T) passed in:
 * a Monte Carlo path knows ln(S/K) as ln(S0/K) plus its log-return, and the price needs volSqrtT
 * for d2 too.
 */
function d1(logMoneyness: number, years: number, rate: number, vol: number, volSqrtT: number): number {
  return (logMoneyness + (rate + (vol * vol) / 2) * years) / volSqrtT;
}

/**
 * Value of one option at `spot`, given logMoneyness = ln(spot / strike): S N(d1) - K e^{-rT} N(d2)
 * for a call, K e^{-rT} N(-d2) - S N(-d1) for a put, d2 = d1 - vol sqrt(T). At or after expiry
 * (years <= 0) the intrinsic value.
 */
export function blackScholesPriceAt(
  kind: OptionKind,
  spot: number,
  logMoneyness: number,
  strike: number,
  years: number,
  rate: number,
  vol: number,
): number {
  if (years <= 0) return kind === 'call' ? Math.max(spot - strike, 0) : Math.max(strike - spot, 0);
  const volSqrtT = vol * Math.sqrt(years);
  const first = d1(logMoneyness, years, rate, vol, volSqrtT);
  const second = first - volSqrtT;
  const discountedStrike = strike * exp(-rate * years);
  return kind === 'call'
    ? spot * normalCdf(first) - discountedStrike * normalCdf(second)
    : discountedStrike * normalCdf(-second) - spot * normalCdf(-first);
}

/** Value of one option (blackScholesPriceAt with ln(spot / strike) computed here). */
export function blackScholesPrice(
  kind: OptionKind,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  vol: number,
): number {
  return blackScholesPriceAt(kind, spot, ln(spot / strike), strike, years, rate, vol);
}

/**
 * dPrice/dSpot: N(d1) for a call, -N(-d1) for a put (equal to N(d1) - 1, without its cancellation).
 * At or after expiry the intrinsic value's slope: call 1 if S > K else 0, put -1 if S < K else 0.
 */
export function blackScholesDelta(
  kind: OptionKind,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  vol: number,
): number {
  if (years <= 0) {
    if (kind === 'call') return spot > strike ? 1 : 0;
    return spot < strike ? -1 : 0;
  }
  const first = d1(ln(spot / strike), years, rate, vol, vol * Math.sqrt(years));
  return kind === 'call' ? normalCdf(first) : -normalCdf(-first);
}
