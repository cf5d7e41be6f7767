//! Delta-normal VaR/ES: P&L ~ sum_i D_i r_i with D_i the portfolio's delta to asset i in money,
//! r ~ N(m, V), m_i = (drift_i - vol_i^2 / 2) h, V_ij = C_ij vol_i vol_j h.

use crate::pricing::{cholesky, inverse_normal_cdf, normal_pdf, option_delta};
use crate::revaluation::TRADING_DAYS_PER_YEAR;
use crate::wasm_risk::risk::types::{Instrument, LevelRisk, Portfolio, RiskError, RiskReport};

pub fn report(portfolio: &Portfolio, horizon_days: f64, confidence_levels: &[f64]) -> Result<RiskReport, RiskError> {
    let assets = &portfolio.assets;
    cholesky(&portfolio.correlation)?; // refuses a correlation that is not positive semi-definite
    let h = horizon_days / TRADING_DAYS_PER_YEAR;
    let mut exposure = vec![0.0; assets.len()];
    for position in &portfolio.positions {
        let i = position.asset_index as usize;
        let asset = &assets[i];
        let delta = match &position.instrument {
            Instrument::Spot => 1.0,
            Instrument::European(option) => option_delta(option, asset.spot, option.expiry_years, portfolio.risk_free_rate, asset.vol),
        };
        exposure[i] += asset.spot * position.quantity * delta;
    }
    let mut mean = 0.0;
    let mut variance = 0.0;
    for (i, a) in assets.iter().enumerate() {
        mean += exposure[i] * (a.drift - a.vol * a.vol / 2.0) * h;
        for (j, b) in assets.iter().enumerate() {
            variance += exposure[i] * exposure[j] * portfolio.correlation[i][j] * a.vol * b.vol * h;
        }
    }
    let sigma = variance.max(0.0).sqrt();
    let levels = confidence_levels
        .iter()
        .map(|&confidence| {
            let z = inverse_normal_cdf(confidence);
            LevelRisk { confidence, var: -mean + sigma * z, es: -mean + sigma * normal_pdf(z) / (1.0 - confidence), std_error: 0.0 }
        })
        .collect();
    Ok(RiskReport { scenarios: 0, levels, mean_pnl: mean, std_pnl: sigma })
}
