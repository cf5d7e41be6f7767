//! Historical simulation: each row of past log-returns is one scenario for today's portfolio.

use crate::elementary::exp;
use crate::model::{Portfolio, RiskError, RiskReport, RiskResult};
use crate::revaluation::Revaluation;
use crate::statistics;

pub fn historical(
    portfolio: &Portfolio,
    returns: &[Vec<f64>],
    horizon_days: f64,
    confidence_levels: &[f64],
) -> RiskResult<RiskReport> {
    let revaluation = Revaluation::new(portfolio, horizon_days);
    let mut spots = vec![0.0; portfolio.assets.len()];
    let pnl: Vec<f64> = returns
        .iter()
        .map(|row| {
            for ((spot, asset), &r) in spots.iter_mut().zip(&portfolio.assets).zip(row) {
                *spot = asset.spot * exp(r);
            }
            revaluation.pnl(&spots, row)
        })
        .collect();
    // A row's P&L overflows from its returns as often as from the portfolio: the error names the row.
    if let Some(row) = statistics::first_non_finite(&pnl) {
        return Err(RiskError::InvalidInput(format!(
            "returns[{row}]: the P&L of this row is not a finite number; its returns, or the portfolio's spots, vols or quantities, are too extreme"
        )));
    }
    statistics::summarize_pnl(pnl, confidence_levels)
}
