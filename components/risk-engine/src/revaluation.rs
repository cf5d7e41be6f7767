//! Full revaluation of a portfolio at the horizon: the P&L of moving today's spots to new spots.

use crate::black_scholes;
use crate::model::{Instrument, Portfolio};

pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

pub fn horizon_years(horizon_days: f64) -> f64 {
    horizon_days / TRADING_DAYS_PER_YEAR
}

pub struct Revaluation<'a> {
    portfolio: &'a Portfolio,
    horizon: f64,
    /// Today's value of each position's instrument (spot price or option premium).
    today: Vec<f64>,
}

impl<'a> Revaluation<'a> {
    pub fn new(portfolio: &'a Portfolio, horizon_days: f64) -> Self {
        let today = portfolio
            .positions
            .iter()
            .map(|position| {
                let spot = portfolio.assets[position.asset_index as usize].spot;
                instrument_value(portfolio, position.asset_index as usize, &position.instrument, spot, 0.0)
            })
            .collect();
        Self { portfolio, horizon: horizon_years(horizon_days), today }
    }

    /// P&L when asset i is worth `spots[i]` at the horizon.
    pub fn pnl(&self, spots: &[f64]) -> f64 {
        let mut pnl = 0.0;
        for (position, today) in self.portfolio.positions.iter().zip(&self.today) {
            let asset = position.asset_index as usize;
            let later = instrument_value(self.portfolio, asset, &position.instrument, spots[asset], self.horizon);
            pnl += position.quantity * (later - today);
        }
        pnl
    }
}

fn instrument_value(portfolio: &Portfolio, asset: usize, instrument: &Instrument, spot: f64, elapsed: f64) -> f64 {
    match *instrument {
        Instrument::Spot => spot,
        Instrument::European { kind, strike, expiry_years } => black_scholes::price(
            kind,
            spot,
            strike,
            expiry_years - elapsed,
            portfolio.risk_free_rate,
            portfolio.assets[asset].vol,
        ),
    }
}
