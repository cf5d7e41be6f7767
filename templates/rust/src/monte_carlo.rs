//! Seeded Monte Carlo paths. Path p draws from its own stream, so any split of a run into chunks gives
//! every path the same P&L.

use std::f64::consts::TAU;

use crate::pricing::cholesky;
use crate::random::PathStream;
use crate::revaluation::{Revaluation, TRADING_DAYS_PER_YEAR};
use crate::wasm_risk::risk::types::{Portfolio, RiskError, Simulation};

/// n independent standard normals by Box-Muller, into `out`.
fn normals(stream: &mut PathStream, out: &mut [f64]) {
    let n = out.len();
    for i in (0..n).step_by(2) {
        let radius = (-2.0 * stream.next_uniform().ln()).sqrt();
        let angle = TAU * stream.next_uniform();
        out[i] = radius * angle.cos();
        if i + 1 < n {
            out[i + 1] = radius * angle.sin();
        }
    }
}

/// The P&L of paths [run.first_path, run.first_path + run.path_count), in path order.
pub fn simulate_pnl(portfolio: &Portfolio, run: &Simulation) -> Result<Vec<f64>, RiskError> {
    let assets = &portfolio.assets;
    let n = assets.len();
    let factor = cholesky(&portfolio.correlation)?;
    let h = run.horizon_days / TRADING_DAYS_PER_YEAR;
    let drift_term: Vec<f64> = assets.iter().map(|a| (a.drift - a.vol * a.vol / 2.0) * h).collect();
    let vol_term: Vec<f64> = assets.iter().map(|a| a.vol * h.sqrt()).collect();
    let revaluation = Revaluation::new(portfolio, run.horizon_days);
    let mut eps = vec![0.0; n];
    let mut log_returns = vec![0.0; n];
    let mut out = Vec::with_capacity(run.path_count as usize);
    for k in 0..run.path_count {
        let path = run.first_path + k;
        let key = if run.antithetic { path >> 1 } else { path };
        normals(&mut PathStream::new(run.seed, key), &mut eps);
        let sign = if run.antithetic && path & 1 == 1 { -1.0 } else { 1.0 };
        for i in 0..n {
            let mut z = 0.0;
            for j in 0..=i {
                z += factor[i][j] * eps[j];
            }
            log_returns[i] = drift_term[i] + vol_term[i] * sign * z;
        }
        out.push(revaluation.pnl(&log_returns));
    }
    Ok(out)
}
