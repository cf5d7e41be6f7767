//! TEST FIXTURE, never shipped: the engine behind contract 1.3.0 (wit/risk.wit: 1.2.0 plus the optional
//! `capabilities` export), so the swap tests can replace the engine (1.2.0) with a compatible later version whose
//! numbers are the engine's own. Only the bindings are this crate's; the model is the engine's library.

wit_bindgen::generate!({ world: "risk", path: "wit" });
risk_engine::wit_conversions!(wasm_risk::risk::types);
risk_engine::wit_factor_conversions!(wasm_risk::risk::types);

struct RiskEngine;

impl exports::wasm_risk::risk::engine::Guest for RiskEngine {
    risk_engine::wit_guest_functions!(wasm_risk::risk::types:
        info, monte_carlo, simulate_pnl, sorted_losses, historical, parametric,
        monte_carlo_factors, simulate_pnl_factors, sorted_losses_factors, historical_factors, parametric_factors);

    fn capabilities() -> Vec<String> {
        vec!["antithetic".into(), "historical".into(), "parametric".into()]
    }
}

export!(RiskEngine);
