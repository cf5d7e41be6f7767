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

/// The first scenario whose P&L is not a finite number, if any.
pub fn first_non_finite(pnl: &[f64]) -> Option<usize> {
    pnl.iter().position(|v| !v.is_finite())
}

/// Extreme but finite inputs (vol 1e6, say) can overflow `exp`: that is the caller's input, not a result.
/// `pnl` holds the paths from `first_path` on, so the error names the run's path, whichever chunk found it.
pub fn ensure_finite(pnl: &[f64], first_path: u64) -> RiskResult<()> {
    match first_non_finite(pnl) {
        Some(index) => Err(RiskError::InvalidInput(format!(
            "portfolio: P&L of path {} is not a finite number; spots, vols, drifts or quantities are too extreme",
            first_path + index as u64
        ))),
        None => Ok(()),
    }
}

/// Takes the P&L by value: its buffer becomes the sorted losses, so a run of 10M paths needs no
/// third copy of them.
pub fn summarize_pnl(pnl: Vec<f64>, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    ensure_finite(&pnl, 0)?;
    finite_report(summarize_sorted_losses(&sorted_losses(pnl), confidence_levels))
}

/// Finite losses can still have sums past the largest double (P&Ls of 1e200, whose squares overflow):
/// the report of such inputs is the caller's error, as an overflowing P&L is, never an infinite number.
/// (The levels' sums overflow only where the mean's or the squares' do.)
fn finite_report(report: RiskReport) -> RiskResult<RiskReport> {
    let overflowed = if !report.mean_pnl.is_finite() {
        "mean"
    } else if !report.std_pnl.is_finite() {
        "standard deviation"
    } else {
        return Ok(report);
    };
    Err(RiskError::InvalidInput(format!(
        "portfolio: the P&L's {overflowed} is not a finite number; spots, vols, drifts or quantities are too extreme"
    )))
}

/// Below this many scenarios a comparison sort is as quick as the radix sort's fixed cost.
const RADIX_SORT_MIN: usize = 1024;
/// The radix sort's digit: 8 passes of 256 buckets, whose write streams stay in L1.
const DIGIT_BITS: u32 = 8;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = u64::BITS.div_ceil(DIGIT_BITS) as usize;

/// A double's bits flipped so that unsigned order is `f64::total_cmp` order: negatives (sign set)
/// all inverted, positives with the sign bit set.
#[inline(always)]
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    bits ^ ((((bits as i64) >> 63) as u64) | (1 << 63))
}

#[inline(always)]
fn from_total_order_key(key: u64) -> f64 {
    f64::from_bits(key ^ (!(((key as i64) >> 63) as u64) | (1 << 63)))
}

/// The losses (-P&L) in ascending `f64::total_cmp` order. A total order sorts one way only, so this
/// is exactly what `sort_unstable_by(total_cmp)` gives; for many scenarios it is an LSD radix sort
/// on the total-order keys (no data-dependent branches, about a quarter of quicksort's time, in
/// wasm and natively), skipping the digits that all keys share.
pub fn sorted_losses(pnl: Vec<f64>) -> Vec<f64> {
    let n = pnl.len();
    // (The bucket counts are 32-bit: far more scenarios than a call may have take the comparison sort.)
    if n < RADIX_SORT_MIN || n > u32::MAX as usize {
        let mut losses: Vec<f64> = pnl.into_iter().map(|v| -v).collect();
        losses.sort_unstable_by(|a, b| a.total_cmp(b));
        return losses;
    }
    // In place: f64 and u64 have one layout, so these collects reuse the buffer.
    let mut keys: Vec<u64> = pnl.into_iter().map(|v| total_order_key(-v)).collect();
    let mut counts = vec![[0u32; BUCKETS]; PASSES];
    for &key in &keys {
        for (pass, count) in counts.iter_mut().enumerate() {
            count[(key >> (pass as u32 * DIGIT_BITS)) as usize % BUCKETS] += 1;
        }
    }
    let mut scratch: Vec<u64> = Vec::new();
    for (pass, count) in counts.iter().enumerate() {
        if count.iter().any(|&c| c as usize == n) {
            continue;
        }
        if scratch.is_empty() {
            scratch = vec![0; n];
        }
        let mut next = [0u32; BUCKETS];
        let mut at = 0;
        for (next, &c) in next.iter_mut().zip(count) {
            *next = at;
            at += c;
        }
        let shift = pass as u32 * DIGIT_BITS;
        for &key in &keys {
            let bucket = (key >> shift) as usize % BUCKETS;
            scratch[next[bucket] as usize] = key;
            next[bucket] += 1;
        }
        core::mem::swap(&mut keys, &mut scratch);
    }
    keys.into_iter().map(from_total_order_key).collect()
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
        let report = summarize_pnl(pnl, &[0.8, 0.9, 0.99]).unwrap();
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
        assert!(summarize_pnl(vec![1.0, f64::INFINITY], &[0.9]).is_err());
    }

    #[test]
    fn statistics_that_overflow_are_an_error_not_a_number() {
        let message = |pnl: Vec<f64>| match summarize_pnl(pnl, &[0.5]) {
            Err(RiskError::InvalidInput(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(message(vec![1e200, -1e200, 0.0]).starts_with("portfolio: the P&L's standard deviation "));
        assert!(message(vec![-1e308, -1e308, -1e308, 1e308]).starts_with("portfolio: the P&L's mean "));
    }

    #[test]
    fn radix_sorted_losses_are_the_total_order_sort() {
        let mut state = 3u64;
        for n in [0, 1, 7, RADIX_SORT_MIN - 1, RADIX_SORT_MIN, 5000, 100_003] {
            let mut pnl: Vec<f64> = (0..n)
                .map(|i| {
                    let u = crate::random::splitmix64(&mut state);
                    match i % 11 {
                        0 => 0.0,
                        1 => -0.0,
                        2 => f64::from_bits(u >> 12),
                        3 => -f64::from_bits(u >> 12),
                        4 => f64::MAX,
                        5 => (u >> 40) as f64,
                        _ => ((u >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e4,
                    }
                })
                .collect();
            pnl.reverse();
            let mut expected: Vec<f64> = pnl.iter().map(|v| -v).collect();
            expected.sort_unstable_by(|a, b| a.total_cmp(b));
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&sorted_losses(pnl)), bits(&expected), "{n} scenarios");
        }
        // All keys sharing every digit but the lowest, and all equal.
        let same: Vec<f64> = (0..5000).map(|i| f64::from_bits(0x4059_0000_0000_0000 + (i % 3))).collect();
        let mut expected: Vec<f64> = same.iter().map(|v| -v).collect();
        expected.sort_unstable_by(|a, b| a.total_cmp(b));
        assert_eq!(sorted_losses(same.clone()), expected);
        assert_eq!(sorted_losses(vec![2.5; 3000]), vec![-2.5; 3000]);
    }
}
