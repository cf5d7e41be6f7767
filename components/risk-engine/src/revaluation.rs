//! Full revaluation of a portfolio at the horizon: the P&L of moving today's spots to new spots.
//! Everything that does not depend on the scenario (today's values, the aged options' constants,
//! ln(S0 / K)) is computed once; a scenario brings each asset's spot and log-return.

use crate::black_scholes::{self, LiveOption};
use crate::elementary::ln;
use crate::model::{Instrument, Portfolio};

pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

pub fn horizon_years(horizon_days: f64) -> f64 {
    horizon_days / TRADING_DAYS_PER_YEAR
}

#[derive(Clone, Copy, Debug)]
enum AtHorizon {
    Spot,
    /// The option aged by the horizon, and ln(S0 / K) for its log-moneyness.
    Option { option: LiveOption, log_moneyness_today: f64 },
}

#[derive(Clone, Copy, Debug)]
struct Term {
    asset: usize,
    quantity: f64,
    /// Today's value of the instrument (spot price or option premium).
    today: f64,
    at_horizon: AtHorizon,
}

pub struct Revaluation {
    terms: Vec<Term>,
}

impl Revaluation {
    pub fn new(portfolio: &Portfolio, horizon_days: f64) -> Self {
        let horizon = horizon_years(horizon_days);
        let rate = portfolio.risk_free_rate;
        let terms = portfolio
            .positions
            .iter()
            .map(|position| {
                let asset = position.asset_index as usize;
                let spot = portfolio.assets[asset].spot;
                let vol = portfolio.assets[asset].vol;
                let (today, at_horizon) = match position.instrument {
                    Instrument::Spot => (spot, AtHorizon::Spot),
                    Instrument::European { kind, strike, expiry_years } => (
                        black_scholes::price(kind, spot, strike, expiry_years, rate, vol),
                        AtHorizon::Option {
                            option: LiveOption::new(kind, strike, expiry_years - horizon, rate, vol),
                            log_moneyness_today: ln(spot / strike),
                        },
                    ),
                };
                Term { asset, quantity: position.quantity, today, at_horizon }
            })
            .collect();
        Self { terms }
    }

    /// P&L of one scenario in which asset i moved by log-return `log_returns[i]` to `spots[i]`,
    /// summed over the positions in order.
    pub fn pnl(&self, spots: &[f64], log_returns: &[f64]) -> f64 {
        let mut pnl = 0.0;
        for term in &self.terms {
            let later = term.value(spots[term.asset], log_returns[term.asset]);
            pnl += term.quantity * (later - term.today);
        }
        pnl
    }

    /// The P&L of `LANES` scenarios side by side: asset i of lane l at `spots[i * LANES + l]`.
    /// Each lane is summed exactly as `pnl` sums one scenario.
    pub fn pnl_lanes<const LANES: usize>(&self, spots: &[f64], log_returns: &[f64]) -> [f64; LANES] {
        let mut pnl = [0.0; LANES];
        for term in &self.terms {
            let at = term.asset * LANES;
            let spots: &[f64; LANES] = spots[at..at + LANES].try_into().expect("a lane per scenario");
            match term.at_horizon {
                AtHorizon::Spot => {
                    for l in 0..LANES {
                        pnl[l] += term.quantity * (spots[l] - term.today);
                    }
                }
                AtHorizon::Option { option, log_moneyness_today } => {
                    let log_returns = log_returns[at..at + LANES].try_into().expect("a lane per scenario");
                    let later = option.price_lanes(spots, log_moneyness_today, log_returns);
                    for l in 0..LANES {
                        pnl[l] += term.quantity * (later[l] - term.today);
                    }
                }
            }
        }
        pnl
    }
}

impl Term {
    #[inline(always)]
    fn value(&self, spot: f64, log_return: f64) -> f64 {
        match self.at_horizon {
            AtHorizon::Spot => spot,
            AtHorizon::Option { option, log_moneyness_today } => option.price(spot, log_moneyness_today + log_return),
        }
    }
}
