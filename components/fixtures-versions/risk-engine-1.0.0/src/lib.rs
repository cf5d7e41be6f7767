//! TEST FIXTURE, never shipped: the engine behind contract 1.0.0 (wit/risk.wit: the first contract, before
//! `sorted-losses`), so the tests can prove that a component built against an earlier minor version keeps
//! loading and gives the engine's own numbers: the host sorts its `simulate-pnl` instead. Its WIT is also
//! what the hostile fixtures (components/fixtures) are built against. Only the bindings are this crate's;
//! the model is the engine's library.

wit_bindgen::generate!({ world: "risk", path: "wit" });
risk_engine::wit_conversions!(wasm_risk::risk::types);

struct RiskEngine;

impl exports::wasm_risk::risk::engine::Guest for RiskEngine {
    risk_engine::wit_guest_functions!(wasm_risk::risk::types: info, monte_carlo, simulate_pnl, historical, parametric);
}

export!(RiskEngine);
