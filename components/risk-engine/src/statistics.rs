//! VaR, ES and the VaR's standard error from scenario P&L, as the README's "Statistics" section defines.
//! Sums run over the sorted losses so the numbers do not depend on how the scenarios were chunked.

use crate::model::{LevelRisk, RiskError, RiskReport, RiskResult};

/// 1-based rank of the VaR order statistic: ceil(c N), with c N within 1e-9 relative of an integer
/// taken as that integer (0.99 * 100 must be 99, not 100).
fn var_rank(confidence: f64, n: usize) -> usize {
    let x = confidence * n as f64;
    let nearest = x.round();
    let rank = if (x - nearest).abs() <= 1e-9 * x { nearest } else { x.ceil() };
    (rank as usize).clamp(1, n)
}

/// Extreme but finite inputs (vol 1e6, say) can overflow `exp`: that is the caller's input, not a result.
pub fn ensure_finite(pnl: &[f64]) -> RiskResult<()> {
    match pnl.iter().position(|v| !v.is_finite()) {
        Some(scenario) => Err(RiskError::InvalidInput(format!(
            "portfolio: P&L of scenario {scenario} is not a finite number; spots, vols, drifts or quantities are too extreme"
        ))),
        None => Ok(()),
    }
}

pub fn summarize_pnl(pnl: &[f64], confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    ensure_finite(pnl)?;
    let mut losses: Vec<f64> = pnl.iter().map(|v| -v).collect();
    losses.sort_unstable_by(|a, b| a.total_cmp(b));
    Ok(summarize_sorted_losses(&losses, confidence_levels))
}

fn summarize_sorted_losses(losses: &[f64], confidence_levels: &[f64]) -> RiskReport {
    let n = losses.len();
    let levels = confidence_levels
        .iter()
        .map(|&confidence| {
            let k = var_rank(confidence, n);
            let var = losses[k - 1];
            let beyond = &losses[k..];
            let es = if beyond.is_empty() { var } else { beyond.iter().sum::<f64>() / beyond.len() as f64 };
            let spread = (n as f64 * confidence * (1.0 - confidence)).sqrt().ceil() as usize;
            let upper = losses[(k + spread).min(n) - 1];
            let lower = losses[k.saturating_sub(spread).max(1) - 1];
            LevelRisk { confidence, var, es, std_error: (upper - lower) / 2.0 }
        })
        .collect();
    let mean_loss = losses.iter().sum::<f64>() / n as f64;
    let std_pnl = if n > 1 {
        (losses.iter().map(|l| (l - mean_loss) * (l - mean_loss)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    RiskReport { scenarios: n as u64, levels, mean_pnl: -mean_loss, std_pnl }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_ten_scenarios() {
        // Losses 1..=10 (P&L -1..=-10). c = 0.8: k = 8, VaR = 8, ES = mean(9, 10) = 9.5.
        let pnl: Vec<f64> = (1..=10).map(|v| -(v as f64)).collect();
        let report = summarize_pnl(&pnl, &[0.8, 0.9, 0.99]).unwrap();
        let l = &report.levels;
        assert_eq!((l[0].var, l[0].es), (8.0, 9.5));
        // c = 0.9: k = 9 exactly (0.9 * 10 is 9.000000000000002 in binary), ES = 10.
        assert_eq!((l[1].var, l[1].es), (9.0, 10.0));
        // c = 0.99: k = ceil(9.9) = 10, nothing beyond: ES = VaR.
        assert_eq!((l[2].var, l[2].es), (10.0, 10.0));
        // j = ceil(sqrt(10 * 0.8 * 0.2)) = 2: (L(10) - L(6)) / 2.
        assert_eq!(l[0].std_error, 2.0);
        assert_eq!(report.mean_pnl, -5.5);
        assert!((report.std_pnl - 3.027_650_354_097_491_7).abs() < 1e-12);
    }

    #[test]
    fn non_finite_pnl_is_an_error_not_a_number() {
        assert!(summarize_pnl(&[1.0, f64::INFINITY], &[0.9]).is_err());
    }
}
