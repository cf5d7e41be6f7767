//! VaR, ES and their standard error from N scenario losses sorted ascending, as wasm-risk's model defines
//! them (docs/model.md of wasm-risk, "Statistics").

use crate::wasm_risk::risk::types::{LevelRisk, RiskReport};

/// Losses (-P&L) in ascending total order (-0 before +0).
pub fn sorted_losses(pnl: &[f64]) -> Vec<f64> {
    let mut losses: Vec<f64> = pnl.iter().map(|x| -x).collect();
    losses.sort_by(f64::total_cmp);
    losses
}

fn rank(confidence: f64, count: usize) -> usize {
    let target = confidence * count as f64;
    let nearest = target.round();
    let k = if (target - nearest).abs() <= 1e-9 * target { nearest } else { target.ceil() };
    (k as usize).clamp(1, count)
}

pub fn report(losses: &[f64], confidence_levels: &[f64]) -> RiskReport {
    let count = losses.len();
    let mean_loss = losses.iter().sum::<f64>() / count as f64;
    let squares: f64 = losses.iter().map(|l| (l - mean_loss) * (l - mean_loss)).sum();
    let levels = confidence_levels
        .iter()
        .map(|&confidence| {
            let k = rank(confidence, count);
            let var = losses[k - 1];
            let es = if k == count { var } else { losses[k..].iter().sum::<f64>() / (count - k) as f64 };
            let j = (count as f64 * confidence * (1.0 - confidence)).sqrt().ceil() as usize;
            let std_error = (losses[(k + j).min(count) - 1] - losses[k.saturating_sub(j).max(1) - 1]) / 2.0;
            LevelRisk { confidence, var, es, std_error }
        })
        .collect();
    RiskReport {
        scenarios: count as u64,
        levels,
        mean_pnl: -mean_loss,
        std_pnl: if count > 1 { (squares / (count - 1) as f64).sqrt() } else { 0.0 },
    }
}
