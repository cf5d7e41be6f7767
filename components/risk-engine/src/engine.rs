//! The engine's entry points: validate the whole request, then compute. Never panics on bad input.

use crate::cholesky;
use crate::model::{self, Dependence, Portfolio, RiskReport, RiskResult, Simulation};
use crate::{historical, monte_carlo, parametric, statistics};

pub const NAME: &str = env!("CARGO_PKG_NAME");

pub fn monte_carlo(portfolio: &Portfolio, run: &Simulation, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    portfolio.validate()?;
    run.validate()?;
    model::validate_confidence_levels(confidence_levels)?;
    monte_carlo::monte_carlo(portfolio, run, confidence_levels)
}

pub fn simulate_pnl(portfolio: &Portfolio, run: &Simulation) -> RiskResult<Vec<f64>> {
    portfolio.validate()?;
    run.validate()?;
    monte_carlo::simulate_pnl(portfolio, run)
}

/// The losses (-P&L) of the paths of `run` in ascending `f64::total_cmp` order: the engine's own sort
/// (statistics.rs), so a host that merges and summarises chunks does not sort them again.
pub fn sorted_losses(portfolio: &Portfolio, run: &Simulation) -> RiskResult<Vec<f64>> {
    Ok(statistics::sorted_losses(simulate_pnl(portfolio, run)?))
}

/// The report of scenario P&Ls simulated elsewhere (chunks merged in path order), as `monte_carlo` gives.
pub fn summarize_pnl(pnl: &[f64], confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    model::validate_confidence_levels(confidence_levels)?;
    statistics::summarize_pnl(pnl.to_vec(), confidence_levels)
}

pub fn historical(
    portfolio: &Portfolio,
    returns: &[Vec<f64>],
    horizon_days: f64,
    confidence_levels: &[f64],
) -> RiskResult<RiskReport> {
    portfolio.validate()?;
    model::validate_returns(returns, portfolio.assets.len())?;
    model::validate_horizon(horizon_days)?;
    model::validate_confidence_levels(confidence_levels)?;
    historical::historical(portfolio, returns, horizon_days, confidence_levels)
}

pub fn parametric(portfolio: &Portfolio, horizon_days: f64, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    portfolio.validate()?;
    model::validate_horizon(horizon_days)?;
    model::validate_confidence_levels(confidence_levels)?;
    // The closed form needs a valid covariance too, or its variance could come out negative (loadings
    // within their bounds always give one).
    if let Dependence::Correlation(correlation) = &portfolio.dependence {
        cholesky::factor(correlation)?;
    }
    parametric::parametric(portfolio, horizon_days, confidence_levels)
}
