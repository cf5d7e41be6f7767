//! The canonical-ABI seam: WIT types in, engine types through, WIT types out. The only file of the engine
//! that knows the contract: with the `component` feature (on by default) wit-bindgen generates the world
//! from ../../wit and the engine exports it, so a change to the contract is a compile error here.
//!
//! The seam is written as macros rather than impls because each crate that generates the bindings gets its
//! own copy of the world's types: a crate that wraps the engine in another version of the contract
//! (components/fixtures-versions) uses them too, so it converts and delegates exactly as the engine does.

/// `From` conversions between the engine's model and a `wasm-risk:risk` world's `types` interface, given
/// as the path of the module wit-bindgen generated it in.
#[macro_export]
macro_rules! wit_conversions {
    ($($types:ident)::+) => {
        impl From<$($types)::+::Portfolio> for $crate::model::Portfolio {
            fn from(p: $($types)::+::Portfolio) -> Self {
                $crate::model::Portfolio {
                    assets: p.assets.into_iter().map(Into::into).collect(),
                    dependence: $crate::model::Dependence::Correlation(p.correlation),
                    risk_free_rate: p.risk_free_rate,
                    positions: p.positions.into_iter().map(Into::into).collect(),
                }
            }
        }

        impl From<$($types)::+::Asset> for $crate::model::Asset {
            fn from(a: $($types)::+::Asset) -> Self {
                $crate::model::Asset { spot: a.spot, drift: a.drift, vol: a.vol }
            }
        }

        impl From<$($types)::+::Position> for $crate::model::Position {
            fn from(position: $($types)::+::Position) -> Self {
                $crate::model::Position {
                    asset_index: position.asset_index,
                    quantity: position.quantity,
                    instrument: match position.instrument {
                        $($types)::+::Instrument::Spot => $crate::model::Instrument::Spot,
                        $($types)::+::Instrument::European(option) => $crate::model::Instrument::European {
                            kind: match option.kind {
                                $($types)::+::OptionKind::Call => $crate::model::OptionKind::Call,
                                $($types)::+::OptionKind::Put => $crate::model::OptionKind::Put,
                            },
                            strike: option.strike,
                            expiry_years: option.expiry_years,
                        },
                    },
                }
            }
        }

        impl From<$($types)::+::Simulation> for $crate::model::Simulation {
            fn from(s: $($types)::+::Simulation) -> Self {
                $crate::model::Simulation {
                    seed: s.seed,
                    horizon_days: s.horizon_days,
                    antithetic: s.antithetic,
                    first_path: s.first_path,
                    path_count: s.path_count,
                }
            }
        }

        impl From<$crate::model::RiskReport> for $($types)::+::RiskReport {
            fn from(r: $crate::model::RiskReport) -> Self {
                $($types)::+::RiskReport {
                    scenarios: r.scenarios,
                    levels: r
                        .levels
                        .into_iter()
                        .map(|l| $($types)::+::LevelRisk { confidence: l.confidence, var: l.var, es: l.es, std_error: l.std_error })
                        .collect(),
                    mean_pnl: r.mean_pnl,
                    std_pnl: r.std_pnl,
                }
            }
        }

        impl From<$crate::model::RiskError> for $($types)::+::RiskError {
            fn from(e: $crate::model::RiskError) -> Self {
                match e {
                    $crate::model::RiskError::InvalidInput(m) => $($types)::+::RiskError::InvalidInput(m),
                    $crate::model::RiskError::NotPositiveSemidefinite(m) => $($types)::+::RiskError::NotPositiveSemidefinite(m),
                    $crate::model::RiskError::TooLarge(m) => $($types)::+::RiskError::TooLarge(m),
                }
            }
        }
    };
}

/// `From` conversion of a factor portfolio (contract 1.2.0 on) into the engine's model, for a world whose
/// `types` interface was given to `wit_conversions!` too.
#[macro_export]
macro_rules! wit_factor_conversions {
    ($($types:ident)::+) => {
        impl From<$($types)::+::FactorPortfolio> for $crate::model::Portfolio {
            fn from(p: $($types)::+::FactorPortfolio) -> Self {
                $crate::model::Portfolio {
                    assets: p.assets.into_iter().map(Into::into).collect(),
                    dependence: $crate::model::Dependence::Factors(p.factor_loadings),
                    risk_free_rate: p.risk_free_rate,
                    positions: p.positions.into_iter().map(Into::into).collect(),
                }
            }
        }
    };
}

/// The named functions of the world's `Guest` trait, for an `impl Guest` in a module where
/// `wit_conversions!` (and for the `-factors` functions `wit_factor_conversions!`) was invoked with the
/// same path: each delegates to `engine`, a factor portfolio's as a correlation portfolio's. `info` reports the
/// calling crate's package version, which is the version of the contract it was built against.
#[macro_export]
macro_rules! wit_guest_functions {
    ($($types:ident)::+ : $function:ident $(, $rest:ident)*) => {
        $crate::wit_guest_functions!(@ [$($types)::+] $function);
        $crate::wit_guest_functions!($($types)::+ : $($rest),*);
    };
    ($($types:ident)::+ :) => {};
    (@ [$($types:ident)::+] info) => {
        fn info() -> $($types)::+::EngineInfo {
            $($types)::+::EngineInfo { name: $crate::engine::NAME.into(), version: env!("CARGO_PKG_VERSION").into() }
        }
    };
    (@ [$($types:ident)::+] monte_carlo) => {
        fn monte_carlo(
            portfolio: $($types)::+::Portfolio,
            run: $($types)::+::Simulation,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::monte_carlo(&portfolio.into(), &run.into(), &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] simulate_pnl) => {
        fn simulate_pnl(portfolio: $($types)::+::Portfolio, run: $($types)::+::Simulation) -> Result<Vec<f64>, $($types)::+::RiskError> {
            $crate::engine::simulate_pnl(&portfolio.into(), &run.into()).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] sorted_losses) => {
        fn sorted_losses(portfolio: $($types)::+::Portfolio, run: $($types)::+::Simulation) -> Result<Vec<f64>, $($types)::+::RiskError> {
            $crate::engine::sorted_losses(&portfolio.into(), &run.into()).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] historical) => {
        fn historical(
            portfolio: $($types)::+::Portfolio,
            returns: Vec<Vec<f64>>,
            horizon_days: f64,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::historical(&portfolio.into(), &returns, horizon_days, &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] parametric) => {
        fn parametric(
            portfolio: $($types)::+::Portfolio,
            horizon_days: f64,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::parametric(&portfolio.into(), horizon_days, &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] monte_carlo_factors) => {
        fn monte_carlo_factors(
            portfolio: $($types)::+::FactorPortfolio,
            run: $($types)::+::Simulation,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::monte_carlo(&portfolio.into(), &run.into(), &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] simulate_pnl_factors) => {
        fn simulate_pnl_factors(portfolio: $($types)::+::FactorPortfolio, run: $($types)::+::Simulation) -> Result<Vec<f64>, $($types)::+::RiskError> {
            $crate::engine::simulate_pnl(&portfolio.into(), &run.into()).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] sorted_losses_factors) => {
        fn sorted_losses_factors(portfolio: $($types)::+::FactorPortfolio, run: $($types)::+::Simulation) -> Result<Vec<f64>, $($types)::+::RiskError> {
            $crate::engine::sorted_losses(&portfolio.into(), &run.into()).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] historical_factors) => {
        fn historical_factors(
            portfolio: $($types)::+::FactorPortfolio,
            returns: Vec<Vec<f64>>,
            horizon_days: f64,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::historical(&portfolio.into(), &returns, horizon_days, &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
    (@ [$($types:ident)::+] parametric_factors) => {
        fn parametric_factors(
            portfolio: $($types)::+::FactorPortfolio,
            horizon_days: f64,
            confidence_levels: Vec<f64>,
        ) -> Result<$($types)::+::RiskReport, $($types)::+::RiskError> {
            $crate::engine::parametric(&portfolio.into(), horizon_days, &confidence_levels).map(Into::into).map_err(Into::into)
        }
    };
}

/// The engine's own component: the world of ../../wit, exported.
#[cfg(feature = "component")]
mod component {
    wit_bindgen::generate!({ world: "risk", path: "../../wit" });
    crate::wit_conversions!(wasm_risk::risk::types);
    crate::wit_factor_conversions!(wasm_risk::risk::types);

    struct RiskEngine;

    impl exports::wasm_risk::risk::engine::Guest for RiskEngine {
        crate::wit_guest_functions!(wasm_risk::risk::types:
            info, monte_carlo, simulate_pnl, sorted_losses, historical, parametric,
            monte_carlo_factors, simulate_pnl_factors, sorted_losses_factors, historical_factors, parametric_factors);
    }

    export!(RiskEngine);
}
