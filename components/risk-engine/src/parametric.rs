//! Delta-normal VaR/ES: the P&L is linearised in the log-returns, which are jointly normal.

use crate::black_scholes;
use crate::model::{Instrument, LevelRisk, Portfolio, RiskReport};
use crate::normal;
use crate::revaluation::horizon_years;

pub fn parametric(portfolio: &Portfolio, horizon_days: f64, confidence_levels: &[f64]) -> RiskReport {
    let h = horizon_years(horizon_days);
    let n = portfolio.assets.len();
    // Dollar delta per asset: d P&L / d log-return = S_i * sum of quantity * delta.
    let mut exposure = vec![0.0; n];
    for position in &portfolio.positions {
        let i = position.asset_index as usize;
        let asset = &portfolio.assets[i];
        let delta = match position.instrument {
            Instrument::Spot => 1.0,
            Instrument::European { kind, strike, expiry_years } => {
                black_scholes::delta(kind, asset.spot, strike, expiry_years, portfolio.risk_free_rate, asset.vol)
            }
        };
        exposure[i] += position.quantity * delta;
    }
    for (e, asset) in exposure.iter_mut().zip(&portfolio.assets) {
        *e *= asset.spot;
    }
    let mean: f64 = exposure.iter().zip(&portfolio.assets).map(|(e, a)| e * (a.drift - a.vol * a.vol / 2.0) * h).sum();
    let mut variance = 0.0;
    for i in 0..n {
        for j in 0..n {
            let a = &portfolio.assets[i];
            let b = &portfolio.assets[j];
            variance += exposure[i] * exposure[j] * portfolio.correlation[i][j] * a.vol * b.vol * h;
        }
    }
    let sigma = variance.max(0.0).sqrt();
    let levels = confidence_levels
        .iter()
        .map(|&confidence| {
            let z = normal::quantile(confidence);
            LevelRisk {
                confidence,
                var: -mean + sigma * z,
                es: -mean + sigma * normal::pdf(z) / (1.0 - confidence),
                std_error: 0.0,
            }
        })
        .collect();
    RiskReport { scenarios: 0, levels, mean_pnl: mean, std_pnl: sigma }
}
