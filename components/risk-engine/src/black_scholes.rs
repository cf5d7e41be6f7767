//! Black-Scholes prices and deltas of European options; intrinsic value at or past expiry.

use crate::elementary::{exp, ln};
use crate::model::OptionKind;
use crate::normal;

pub fn price(kind: OptionKind, spot: f64, strike: f64, years: f64, rate: f64, vol: f64) -> f64 {
    LiveOption::new(kind, strike, years, rate, vol).price(spot, ln(spot / strike))
}

pub fn delta(kind: OptionKind, spot: f64, strike: f64, years: f64, rate: f64, vol: f64) -> f64 {
    if years <= 0.0 {
        return match kind {
            OptionKind::Call => if spot > strike { 1.0 } else { 0.0 },
            OptionKind::Put => if spot < strike { -1.0 } else { 0.0 },
        };
    }
    let option = LiveOption::new(kind, strike, years, rate, vol);
    let d1 = option.d1(ln(spot / strike));
    match kind {
        OptionKind::Call => normal::cdf(d1),
        // -N(-d1) rather than N(d1) - 1: no cancellation for deep in-the-money puts.
        OptionKind::Put => -normal::cdf(-d1),
    }
}

/// An option with `years` to expiry and what its price needs that does not depend on the spot, so a
/// Monte Carlo run computes it once per position rather than once per path.
#[derive(Clone, Copy, Debug)]
pub struct LiveOption {
    kind: OptionKind,
    strike: f64,
    /// 0 or less: expired, worth its intrinsic value.
    years: f64,
    /// (r + vol^2 / 2) T
    carry: f64,
    /// vol sqrt(T)
    vol_sqrt_t: f64,
    /// K e^{-rT}
    discounted_strike: f64,
}

impl LiveOption {
    pub fn new(kind: OptionKind, strike: f64, years: f64, rate: f64, vol: f64) -> Self {
        let live = years > 0.0;
        Self {
            kind,
            strike,
            years,
            carry: if live { (rate + vol * vol / 2.0) * years } else { 0.0 },
            vol_sqrt_t: if live { vol * years.sqrt() } else { 0.0 },
            discounted_strike: if live { strike * exp(-rate * years) } else { 0.0 },
        }
    }

    /// d1 = (ln(S/K) + (r + vol^2/2) T) / (vol sqrt T).
    #[inline(always)]
    fn d1(&self, log_moneyness: f64) -> f64 {
        (log_moneyness + self.carry) / self.vol_sqrt_t
    }

    /// The price at `spot`, given `log_moneyness` = ln(spot / strike) (a Monte Carlo path knows it as
    /// ln(S0 / K) plus its log-return, without a logarithm per path).
    #[inline(always)]
    pub fn price(&self, spot: f64, log_moneyness: f64) -> f64 {
        if self.years <= 0.0 {
            return match self.kind {
                OptionKind::Call => (spot - self.strike).max(0.0),
                OptionKind::Put => (self.strike - spot).max(0.0),
            };
        }
        let d1 = self.d1(log_moneyness);
        let d2 = d1 - self.vol_sqrt_t;
        match self.kind {
            OptionKind::Call => spot * normal::cdf(d1) - self.discounted_strike * normal::cdf(d2),
            OptionKind::Put => self.discounted_strike * normal::cdf(-d2) - spot * normal::cdf(-d1),
        }
    }

    /// Not yet expired: priced by Black-Scholes, through the normal CDF.
    pub fn is_live(&self) -> bool {
        self.years > 0.0
    }

    /// The arguments of the normal CDF in the price of a live option on `LANES` scenarios side by
    /// side (log-moneyness = `log_moneyness_today` + `log_returns[l]`): d1 and d2 for a call, -d1
    /// and -d2 for a put (negation is exact). `price_lanes` takes their CDF.
    #[inline(always)]
    pub fn cdf_arguments_lanes<const LANES: usize>(
        &self,
        log_moneyness_today: f64,
        log_returns: &[f64; LANES],
        d1: &mut [f64; LANES],
        d2: &mut [f64; LANES],
    ) {
        for l in 0..LANES {
            d1[l] = self.d1(log_moneyness_today + log_returns[l]);
            d2[l] = d1[l] - self.vol_sqrt_t;
        }
        if self.kind == OptionKind::Put {
            for l in 0..LANES {
                d1[l] = -d1[l];
                d2[l] = -d2[l];
            }
        }
    }

    /// `price` on `LANES` scenarios side by side into `prices`, bit for bit: for a live option `n1`
    /// and `n2` are the normal CDF of `cdf_arguments_lanes`'s d1 and d2; an expired one (worth its
    /// intrinsic value) reads neither.
    #[inline(always)]
    pub fn price_lanes<const LANES: usize>(&self, spots: &[f64; LANES], n1: &[f64; LANES], n2: &[f64; LANES], prices: &mut [f64; LANES]) {
        if !self.is_live() {
            for l in 0..LANES {
                prices[l] = self.price(spots[l], 0.0);
            }
            return;
        }
        match self.kind {
            OptionKind::Call => {
                for l in 0..LANES {
                    prices[l] = spots[l] * n1[l] - self.discounted_strike * n2[l];
                }
            }
            OptionKind::Put => {
                for l in 0..LANES {
                    prices[l] = self.discounted_strike * n2[l] - spots[l] * n1[l];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_prices() {
        let call = price(OptionKind::Call, 100.0, 100.0, 1.0, 0.05, 0.2);
        let put = price(OptionKind::Put, 100.0, 100.0, 1.0, 0.05, 0.2);
        assert!((call - 10.450_583_572_185_565).abs() < 1e-10, "{call}");
        assert!((put - 5.573_526_022_256_971).abs() < 1e-10, "{put}");
    }

    #[test]
    fn put_call_parity_holds() {
        let (s, k, t, r, v) = (87.0, 95.0, 0.7, 0.03, 0.35);
        let parity = price(OptionKind::Call, s, k, t, r, v) - price(OptionKind::Put, s, k, t, r, v);
        assert!((parity - (s - k * (-r * t).exp())).abs() < 1e-10);
    }

    #[test]
    fn expired_options_are_worth_intrinsic_value() {
        assert_eq!(price(OptionKind::Call, 110.0, 100.0, 0.0, 0.05, 0.2), 10.0);
        assert_eq!(price(OptionKind::Put, 110.0, 100.0, -0.1, 0.05, 0.2), 0.0);
        assert_eq!(delta(OptionKind::Put, 90.0, 100.0, 0.0, 0.05, 0.2), -1.0);
    }
}
