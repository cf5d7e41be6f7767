//! The plugin's entry point: the `engine` interface of the `wasm-risk:risk` world (wit/risk.wit). Every
//! argument is validated, then handed to the model; failures are the contract's `risk-error` cases.

wit_bindgen::generate!({ world: "risk", path: "wit" });

mod monte_carlo;
mod parametric;
mod pricing;
mod random;
mod revaluation;
mod statistics;
mod validation;

use exports::wasm_risk::risk::engine::Guest;
use wasm_risk::risk::types::{EngineInfo, FactorPortfolio, Portfolio, RiskError, RiskReport, Simulation};

struct Plugin;

fn simulated_losses(portfolio: &Portfolio, run: &Simulation) -> Result<Vec<f64>, RiskError> {
    validation::portfolio(portfolio)?;
    validation::simulation(run)?;
    Ok(statistics::sorted_losses(&monte_carlo::simulate_pnl(portfolio, run)?))
}

impl Guest for Plugin {
    fn info() -> EngineInfo {
        EngineInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() }
    }

    fn monte_carlo(portfolio: Portfolio, run: Simulation, confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        validation::confidence(&confidence_levels)?;
        Ok(statistics::report(&simulated_losses(&portfolio, &run)?, &confidence_levels))
    }

    fn simulate_pnl(portfolio: Portfolio, run: Simulation) -> Result<Vec<f64>, RiskError> {
        validation::portfolio(&portfolio)?;
        validation::simulation(&run)?;
        monte_carlo::simulate_pnl(&portfolio, &run)
    }

    fn sorted_losses(portfolio: Portfolio, run: Simulation) -> Result<Vec<f64>, RiskError> {
        simulated_losses(&portfolio, &run)
    }

    fn historical(portfolio: Portfolio, returns: Vec<Vec<f64>>, horizon_days: f64, confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        validation::portfolio(&portfolio)?;
        validation::returns(&returns, portfolio.assets.len())?;
        validation::horizon(horizon_days, "horizonDays")?;
        validation::confidence(&confidence_levels)?;
        let revaluation = revaluation::Revaluation::new(&portfolio, horizon_days);
        let pnl: Vec<f64> = returns.iter().map(|row| revaluation.pnl(row)).collect();
        Ok(statistics::report(&statistics::sorted_losses(&pnl), &confidence_levels))
    }

    fn parametric(portfolio: Portfolio, horizon_days: f64, confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        validation::portfolio(&portfolio)?;
        validation::horizon(horizon_days, "horizonDays")?;
        validation::confidence(&confidence_levels)?;
        parametric::report(&portfolio, horizon_days, &confidence_levels)
    }

    // Factor-model portfolios (contract 1.2): this plugin models correlation matrices only. Answering
    // `invalid-input` "not supported" tells the host (and `wasm-risk conformance`) so.
    fn monte_carlo_factors(_portfolio: FactorPortfolio, _run: Simulation, _confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        Err(not_supported("monte-carlo-factors"))
    }

    fn simulate_pnl_factors(_portfolio: FactorPortfolio, _run: Simulation) -> Result<Vec<f64>, RiskError> {
        Err(not_supported("simulate-pnl-factors"))
    }

    fn sorted_losses_factors(_portfolio: FactorPortfolio, _run: Simulation) -> Result<Vec<f64>, RiskError> {
        Err(not_supported("sorted-losses-factors"))
    }

    fn historical_factors(_portfolio: FactorPortfolio, _returns: Vec<Vec<f64>>, _horizon_days: f64, _confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        Err(not_supported("historical-factors"))
    }

    fn parametric_factors(_portfolio: FactorPortfolio, _horizon_days: f64, _confidence_levels: Vec<f64>) -> Result<RiskReport, RiskError> {
        Err(not_supported("parametric-factors"))
    }
}

fn not_supported(function: &str) -> RiskError {
    RiskError::InvalidInput(format!("{function} is not supported by this plugin"))
}

export!(Plugin);
