//! Monte Carlo, historical and parametric VaR/ES: the `wasm-risk:risk` world's engine.
//! Built for wasm32 it exports the world through `bindings`; built natively (benchmarks, unit tests), or
//! without its default `component` feature, the same engine is a plain Rust library.

#[cfg(target_arch = "wasm32")]
mod bindings;
mod black_scholes;
mod cholesky;
mod elementary;
pub mod engine;
mod historical;
mod limits;
pub mod model;
mod monte_carlo;
mod normal;
mod parametric;
mod random;
mod revaluation;
mod statistics;
