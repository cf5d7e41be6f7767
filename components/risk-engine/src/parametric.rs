//! Delta-normal VaR/ES: the P&L is linearised in the log-returns, which are jointly normal.

use crate::black_scholes;
use crate::model::{explained_variance, Dependence, Instrument, LevelRisk, Portfolio, RiskError, RiskReport, RiskResult};
use crate::normal;
use crate::revaluation::horizon_years;

pub fn parametric(portfolio: &Portfolio, horizon_days: f64, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
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
    let variance = match &portfolio.dependence {
        Dependence::Correlation(correlation) => correlated_variance(portfolio, &exposure, correlation, h),
        Dependence::Factors(loadings) => factor_variance(portfolio, &exposure, loadings, h),
    };
    ensure_finite(mean, "mean")?;
    // Checked before the max below, which would turn a NaN (an overflowing term of each sign) into 0. Then
    // every level is finite too: sigma, the root of a finite variance, is below 1.4e154, so sigma z and
    // sigma phi(z) / (1 - c) (at most 9 sigma for a double c) cannot carry -mean past the largest double.
    ensure_finite(variance, "variance")?;
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
    Ok(RiskReport { scenarios: 0, levels, mean_pnl: mean, std_pnl: sigma })
}

/// Extreme but finite inputs (a quantity of 1e308, a vol of 1e200) overflow the closed form: that is the
/// caller's input, as in a simulation (`statistics::ensure_finite`), not a result.
fn ensure_finite(value: f64, what: &str) -> RiskResult<()> {
    if value.is_finite() {
        return Ok(());
    }
    Err(RiskError::InvalidInput(format!(
        "portfolio: the delta-normal P&L's {what} is not a finite number; spots, vols, drifts or quantities are too extreme"
    )))
}

/// sum_i sum_j D_i D_j C_ij vol_i vol_j h, over i then j ascending: O(n^2).
fn correlated_variance(portfolio: &Portfolio, exposure: &[f64], correlation: &[Vec<f64>], h: f64) -> f64 {
    let n = exposure.len();
    let mut variance = 0.0;
    for i in 0..n {
        for j in 0..n {
            let a = &portfolio.assets[i];
            let b = &portfolio.assets[j];
            variance += exposure[i] * exposure[j] * correlation[i][j] * a.vol * b.vol * h;
        }
    }
    variance
}

/// w' (L L' + R) w h with w_i = D_i vol_i and R the residual variances 1 - sum_j L_ij^2, in O(n k) as
/// (sum_j b_j^2 + sum_i w_i^2 R_i) h with b_j = sum_i w_i L_ij; each sum from 0 in ascending index.
fn factor_variance(portfolio: &Portfolio, exposure: &[f64], loadings: &[Vec<f64>], h: f64) -> f64 {
    let weights: Vec<f64> = exposure.iter().zip(&portfolio.assets).map(|(d, a)| d * a.vol).collect();
    let mut common = vec![0.0; loadings[0].len()];
    for (w, row) in weights.iter().zip(loadings) {
        for (b, l) in common.iter_mut().zip(row) {
            *b += w * l;
        }
    }
    let explained = common.iter().fold(0.0, |sum, b| sum + b * b);
    let residual = weights.iter().zip(loadings).fold(0.0, |sum, (w, row)| sum + w * w * (1.0 - explained_variance(row)).max(0.0));
    (explained + residual) * h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Asset, OptionKind, Position};

    /// The O(n k) variance is the O(n^2) one of the correlation the loadings imply, to rounding.
    #[test]
    fn factor_variance_equals_the_implied_correlations() {
        let n = 9;
        let loadings: Vec<Vec<f64>> = (0..n).map(|i| vec![0.7 - 0.06 * i as f64, 0.05 * i as f64 - 0.2]).collect();
        let implied: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| if i == j { 1.0 } else { loadings[i][0] * loadings[j][0] + loadings[i][1] * loadings[j][1] }).collect())
            .collect();
        let assets = (0..n).map(|i| Asset { spot: 40.0 + 7.0 * i as f64, drift: 0.03, vol: 0.1 + 0.04 * i as f64 }).collect();
        let positions = (0..n as u32)
            .map(|i| Position {
                asset_index: i,
                quantity: 3.0 - i as f64,
                instrument: if i % 2 == 0 { Instrument::Spot } else { Instrument::European { kind: OptionKind::Call, strike: 60.0, expiry_years: 0.5 } },
            })
            .collect();
        let factors = Portfolio { assets, dependence: Dependence::Factors(loadings), risk_free_rate: 0.01, positions };
        let correlated = Portfolio { dependence: Dependence::Correlation(implied), ..factors.clone() };
        let (a, b) = (parametric(&factors, 10.0, &[0.99]).unwrap(), parametric(&correlated, 10.0, &[0.99]).unwrap());
        assert!((a.std_pnl - b.std_pnl).abs() <= 1e-12 * b.std_pnl, "{} vs {}", a.std_pnl, b.std_pnl);
        assert_eq!(a.mean_pnl.to_bits(), b.mean_pnl.to_bits());
    }

    /// A book whose closed form overflows is the caller's input error, never an infinite VaR.
    #[test]
    fn an_overflowing_closed_form_is_an_input_error() {
        let book = |quantity: f64, drift: f64, vol: f64| Portfolio {
            assets: vec![Asset { spot: 100.0, drift, vol }],
            dependence: Dependence::Correlation(vec![vec![1.0]]),
            risk_free_rate: 0.0,
            positions: vec![Position { asset_index: 0, quantity, instrument: Instrument::Spot }],
        };
        // Terms of 1e320 of each sign: their sum is NaN, which must not pass for a variance of 0.
        let hedged = Portfolio {
            assets: vec![Asset { spot: 100.0, drift: 0.0, vol: 1e-3 }; 2],
            dependence: Dependence::Correlation(vec![vec![1.0, -1.0], vec![-1.0, 1.0]]),
            risk_free_rate: 0.0,
            positions: vec![
                Position { asset_index: 0, quantity: 1e158, instrument: Instrument::Spot },
                Position { asset_index: 1, quantity: 2e158, instrument: Instrument::Spot },
            ],
        };
        for (portfolio, what) in [
            (book(1e308, 0.0, 0.2), "mean"),
            (book(1.0, 1e308, 0.2), "mean"),
            (book(1.0, 0.0, 1e200), "mean"),
            (book(1e160, 0.0, 0.2), "variance"),
            (hedged, "variance"),
        ] {
            match parametric(&portfolio, 1.0, &[0.99]) {
                Err(RiskError::InvalidInput(message)) => assert!(message.starts_with(&format!("portfolio: the delta-normal P&L's {what} ")), "{message}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
