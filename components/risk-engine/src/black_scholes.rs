//! Black-Scholes prices and deltas of European options; intrinsic value at or past expiry.

use crate::model::OptionKind;
use crate::normal;

pub fn price(kind: OptionKind, spot: f64, strike: f64, years: f64, rate: f64, vol: f64) -> f64 {
    if years <= 0.0 {
        return match kind {
            OptionKind::Call => (spot - strike).max(0.0),
            OptionKind::Put => (strike - spot).max(0.0),
        };
    }
    let (d1, d2) = d1_d2(spot, strike, years, rate, vol);
    let discounted_strike = strike * (-rate * years).exp();
    match kind {
        OptionKind::Call => spot * normal::cdf(d1) - discounted_strike * normal::cdf(d2),
        OptionKind::Put => discounted_strike * normal::cdf(-d2) - spot * normal::cdf(-d1),
    }
}

pub fn delta(kind: OptionKind, spot: f64, strike: f64, years: f64, rate: f64, vol: f64) -> f64 {
    if years <= 0.0 {
        return match kind {
            OptionKind::Call => if spot > strike { 1.0 } else { 0.0 },
            OptionKind::Put => if spot < strike { -1.0 } else { 0.0 },
        };
    }
    let (d1, _) = d1_d2(spot, strike, years, rate, vol);
    match kind {
        OptionKind::Call => normal::cdf(d1),
        // -N(-d1) rather than N(d1) - 1: no cancellation for deep in-the-money puts.
        OptionKind::Put => -normal::cdf(-d1),
    }
}

fn d1_d2(spot: f64, strike: f64, years: f64, rate: f64, vol: f64) -> (f64, f64) {
    let vol_sqrt_t = vol * years.sqrt();
    let d1 = ((spot / strike).ln() + (rate + vol * vol / 2.0) * years) / vol_sqrt_t;
    (d1, d1 - vol_sqrt_t)
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
