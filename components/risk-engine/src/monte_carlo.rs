//! Correlated geometric Brownian motion, one seeded stream per path (see random.rs).

use crate::cholesky;
use crate::model::{Portfolio, RiskReport, RiskResult, Simulation};
use crate::random::Xoshiro256PlusPlus;
use crate::revaluation::{horizon_years, Revaluation};
use crate::statistics;

/// P&L of paths `first_path .. first_path + path_count`, in path order. Inputs must be validated.
pub fn simulate_pnl(portfolio: &Portfolio, run: &Simulation) -> RiskResult<Vec<f64>> {
    let n = portfolio.assets.len();
    let factor = cholesky::factor(&portfolio.correlation)?;
    let h = horizon_years(run.horizon_days);
    let log_drift: Vec<f64> = portfolio.assets.iter().map(|a| (a.drift - a.vol * a.vol / 2.0) * h).collect();
    let log_vol: Vec<f64> = portfolio.assets.iter().map(|a| a.vol * h.sqrt()).collect();
    let revaluation = Revaluation::new(portfolio, run.horizon_days);

    let mut shocks = vec![0.0; n];
    let mut spots = vec![0.0; n];
    let mut pnl = Vec::with_capacity(run.path_count as usize);
    for path in run.first_path..run.first_path + run.path_count {
        let (key, negate) = if run.antithetic { (path / 2, path % 2 == 1) } else { (path, false) };
        Xoshiro256PlusPlus::for_stream(run.seed, key).fill_normals(&mut shocks);
        if negate {
            shocks.iter_mut().for_each(|z| *z = -*z);
        }
        for i in 0..n {
            let row = &factor[i * n..i * n + i + 1];
            let mut z = 0.0;
            for (l, eps) in row.iter().zip(&shocks) {
                z += l * eps;
            }
            let asset = &portfolio.assets[i];
            spots[i] = asset.spot * (log_drift[i] + log_vol[i] * z).exp();
        }
        pnl.push(revaluation.pnl(&spots));
    }
    statistics::ensure_finite(&pnl)?;
    Ok(pnl)
}

pub fn monte_carlo(portfolio: &Portfolio, run: &Simulation, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    statistics::summarize_pnl(&simulate_pnl(portfolio, run)?, confidence_levels)
}
