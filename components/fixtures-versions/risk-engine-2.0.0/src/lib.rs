//! TEST FIXTURE, never shipped: the engine behind contract 2.0.0 (wit/risk.wit: monte-carlo takes its
//! confidence levels in basis points, an incompatible change), so the tests can prove the host refuses a
//! major version it does not support. Only the bindings are this crate's; the model is the engine's library.

wit_bindgen::generate!({ world: "risk", path: "wit" });
risk_engine::wit_conversions!(wasm_risk::risk::types);

use wasm_risk::risk::types::{Portfolio, RiskError, RiskReport, Simulation};

struct RiskEngine;

impl exports::wasm_risk::risk::engine::Guest for RiskEngine {
    risk_engine::wit_guest_functions!(wasm_risk::risk::types: info, simulate_pnl, historical, parametric);

    fn monte_carlo(portfolio: Portfolio, run: Simulation, confidence_basis_points: Vec<u32>) -> Result<RiskReport, RiskError> {
        let confidence_levels: Vec<f64> = confidence_basis_points.iter().map(|&bp| f64::from(bp) / 10_000.0).collect();
        risk_engine::engine::monte_carlo(&portfolio.into(), &run.into(), &confidence_levels).map(Into::into).map_err(Into::into)
    }
}

export!(RiskEngine);
