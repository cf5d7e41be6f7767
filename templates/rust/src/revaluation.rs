//! Full revaluation of the portfolio on one scenario of log-returns over the horizon: spots move to
//! S exp(x), options are repriced with the horizon taken off their expiry.

use crate::pricing::option_value;
use crate::wasm_risk::risk::types::{Instrument, Portfolio};

pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// What a scenario needs, computed once: the horizon in years and today's value of every position.
pub struct Revaluation<'a> {
    portfolio: &'a Portfolio,
    horizon_years: f64,
    today: Vec<f64>,
}

impl<'a> Revaluation<'a> {
    pub fn new(portfolio: &'a Portfolio, horizon_days: f64) -> Self {
        let today = portfolio
            .positions
            .iter()
            .map(|position| {
                let asset = &portfolio.assets[position.asset_index as usize];
                match &position.instrument {
                    Instrument::Spot => asset.spot,
                    Instrument::European(option) => option_value(option, asset.spot, option.expiry_years, portfolio.risk_free_rate, asset.vol),
                }
            })
            .collect();
        Revaluation { portfolio, horizon_years: horizon_days / TRADING_DAYS_PER_YEAR, today }
    }

    /// P&L of the portfolio when asset i moves by the log-return `log_returns[i]`.
    pub fn pnl(&self, log_returns: &[f64]) -> f64 {
        let p = self.portfolio;
        let mut total = 0.0;
        for (position, today) in p.positions.iter().zip(&self.today) {
            let i = position.asset_index as usize;
            let asset = &p.assets[i];
            let spot = asset.spot * log_returns[i].exp();
            let later = match &position.instrument {
                Instrument::Spot => spot,
                Instrument::European(option) => option_value(option, spot, option.expiry_years - self.horizon_years, p.risk_free_rate, asset.vol),
            };
            total += position.quantity * (later - today);
        }
        total
    }
}
