//! The model's mathematics: the standard normal distribution, Black-Scholes and the Cholesky factor of
//! the correlation matrix. Plain f64 arithmetic, the same formulas as the JavaScript and Python templates.

use crate::wasm_risk::risk::types::{OptionContract, OptionKind, RiskError};

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;

pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x - LN_SQRT_2PI).exp()
}

/// Phi(x) by Hart's algorithm 5666 as given by West (2005): about 1e-16 absolute, in a fixed number of
/// operations; exactly 0 and 1 past |x| = 37.
pub fn normal_cdf(x: f64) -> f64 {
    let a = x.abs();
    let mut tail = 0.0;
    if a <= 37.0 {
        let e = (-(a * a) / 2.0).exp();
        tail = if a < 7.07106781186547 {
            let numerator = (((((0.0352624965998911 * a + 0.700383064443688) * a + 6.37396220353165) * a + 33.912866078383) * a
                + 112.079291497871)
                * a
                + 221.213596169931)
                * a
                + 220.206867912376;
            let denominator = ((((((0.0883883476483184 * a + 1.75566716318264) * a + 16.064177579207) * a + 86.7807322029461) * a
                + 296.564248779674)
                * a
                + 637.333633378831)
                * a
                + 793.826512519948)
                * a
                + 440.413735824752;
            e * numerator / denominator
        } else {
            e / (a + 1.0 / (a + 2.0 / (a + 3.0 / (a + 4.0 / (a + 0.65))))) / 2.506628274631
        };
    }
    if x > 0.0 { 1.0 - tail } else { tail }
}

const A: [f64; 6] = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B: [f64; 5] = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C: [f64; 6] = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D: [f64; 4] = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/// Phi^-1(p) for p in (0, 1): Acklam's rational approximation, then one Halley step on Phi.
pub fn inverse_normal_cdf(p: f64) -> f64 {
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - 0.02425 {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    let u = (normal_cdf(x) - p) / normal_pdf(x);
    x - u / (1.0 + x * u / 2.0)
}

/// Black-Scholes value of a European option with `years` to expiry; intrinsic value at or past expiry.
pub fn option_value(option: &OptionContract, spot: f64, years: f64, rate: f64, vol: f64) -> f64 {
    let sign = match option.kind {
        OptionKind::Call => 1.0,
        OptionKind::Put => -1.0,
    };
    let discounted_strike = option.strike * (-rate * years.max(0.0)).exp();
    let v = vol * years.max(0.0).sqrt();
    if v == 0.0 {
        return (sign * (spot - discounted_strike)).max(0.0);
    }
    let d1 = ((spot / option.strike).ln() + (rate + vol * vol / 2.0) * years) / v;
    let d2 = d1 - v;
    sign * (spot * normal_cdf(sign * d1) - discounted_strike * normal_cdf(sign * d2))
}

/// dValue/dSpot of `option_value`.
pub fn option_delta(option: &OptionContract, spot: f64, years: f64, rate: f64, vol: f64) -> f64 {
    let v = vol * years.max(0.0).sqrt();
    let call = matches!(option.kind, OptionKind::Call);
    if v == 0.0 {
        let discounted_strike = option.strike * (-rate * years.max(0.0)).exp();
        let in_the_money = if call { spot > discounted_strike } else { spot < discounted_strike };
        return match (in_the_money, call) {
            (false, _) => 0.0,
            (true, true) => 1.0,
            (true, false) => -1.0,
        };
    }
    let d1 = ((spot / option.strike).ln() + (rate + vol * vol / 2.0) * years) / v;
    if call { normal_cdf(d1) } else { normal_cdf(d1) - 1.0 }
}

/// Lower-triangular L with L L' = correlation; a degenerate direction gets a zero column.
pub fn cholesky(correlation: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, RiskError> {
    let n = correlation.len();
    let mut factor = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = correlation[i][j];
            for k in 0..j {
                s -= factor[i][k] * factor[j][k];
            }
            if i == j {
                if s < -1e-10 {
                    return Err(RiskError::NotPositiveSemidefinite(format!(
                        "portfolio.correlation is not positive semi-definite (pivot {s} at row {i})"
                    )));
                }
                factor[i][i] = if s > 1e-12 { s.sqrt() } else { 0.0 };
            } else {
                // Under a degenerate pivot a positive semi-definite matrix leaves at most sqrt(1e-10): more is a
                // negative direction, which a zero entry would silently drop.
                if factor[j][j] == 0.0 && s.abs() > 1e-5 {
                    return Err(RiskError::NotPositiveSemidefinite(format!(
                        "portfolio.correlation is not positive semi-definite (row {i} keeps {s} of column {j}, whose pivot is 0)"
                    )));
                }
                factor[i][j] = if factor[j][j] == 0.0 { 0.0 } else { s / factor[j][j] };
            }
        }
    }
    Ok(factor)
}
