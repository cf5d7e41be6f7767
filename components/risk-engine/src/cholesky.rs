//! Cholesky factor of a correlation matrix, accepting semi-definite (degenerate) matrices.

use crate::model::{RiskError, RiskResult};

/// A pivot below this is a genuinely negative eigen-direction, not rounding.
const NEGATIVE_PIVOT: f64 = -1e-10;
/// A pivot at or below this is a degenerate direction: its column of the factor is zero.
const ZERO_PIVOT: f64 = 1e-12;
/// What may be left of an entry under a degenerate pivot: in a positive semi-definite matrix it is at most
/// sqrt(pivot x its own row's pivot) <= sqrt(1e-10) (the pivots' rounding tolerance, a correlation's <= 1).
/// More is a direction the matrix makes negative: taken as 0, the entry was silently dropped.
const DEGENERATE_RESIDUAL: f64 = 1e-5;

/// Lower-triangular `L` with `L L' = correlation`, flat row-major n x n.
pub fn factor(correlation: &[Vec<f64>]) -> RiskResult<Vec<f64>> {
    let n = correlation.len();
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = correlation[i][j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum < NEGATIVE_PIVOT {
                    return Err(RiskError::NotPositiveSemidefinite(format!(
                        "correlation is not positive semi-definite (pivot {sum:.3e} at row {i})"
                    )));
                }
                l[i * n + i] = if sum <= ZERO_PIVOT { 0.0 } else { sum.sqrt() };
            } else {
                let pivot = l[j * n + j];
                if pivot == 0.0 && sum.abs() > DEGENERATE_RESIDUAL {
                    return Err(RiskError::NotPositiveSemidefinite(format!(
                        "correlation is not positive semi-definite (row {i} keeps {sum:.3e} of column {j}, whose pivot is 0)"
                    )));
                }
                l[i * n + j] = if pivot == 0.0 { 0.0 } else { sum / pivot };
            }
        }
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_a_two_by_two() {
        let l = factor(&[vec![1.0, 0.6], vec![0.6, 1.0]]).unwrap();
        assert_eq!(l[0], 1.0);
        assert_eq!(l[1], 0.0);
        assert!((l[2] - 0.6).abs() < 1e-15);
        assert!((l[3] - 0.8).abs() < 1e-15);
    }

    #[test]
    fn degenerate_matrix_has_a_zero_column() {
        let l = factor(&[vec![1.0, 1.0], vec![1.0, 1.0]]).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn rejects_what_is_left_under_a_degenerate_pivot() {
        // Rows 0 and 1 equal (a zero pivot in column 1), yet rows 1 and 2 correlated 0.9 where rows 0 and 2
        // are not: smallest eigenvalue -0.345. Dropping the 0.9 gave a factor, and a wrong VaR.
        let c = vec![vec![1.0, 1.0, 0.0], vec![1.0, 1.0, 0.9], vec![0.0, 0.9, 1.0]];
        assert!(matches!(factor(&c), Err(RiskError::NotPositiveSemidefinite(_))));
        // The same degenerate pair, consistent with row 2: a factor, the column zero.
        let c = vec![vec![1.0, 1.0, 0.3], vec![1.0, 1.0, 0.3], vec![0.3, 0.3, 1.0]];
        let l = factor(&c).unwrap();
        assert_eq!(l[2 * 3 + 1], 0.0);
    }

    #[test]
    fn rejects_a_matrix_that_is_not_psd() {
        let c = vec![vec![1.0, 0.9, -0.9], vec![0.9, 1.0, 0.9], vec![-0.9, 0.9, 1.0]];
        assert!(matches!(factor(&c), Err(RiskError::NotPositiveSemidefinite(_))));
    }
}
