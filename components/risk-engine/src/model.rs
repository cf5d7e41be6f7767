//! The engine's own view of a request, independent of the WIT bindings, and its validation.
//! Every check names the field in the JSON spelling the host uses, so messages read the same on both sides.

use crate::limits;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Asset {
    pub spot: f64,
    pub drift: f64,
    pub vol: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptionKind {
    Call,
    Put,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instrument {
    Spot,
    European { kind: OptionKind, strike: f64, expiry_years: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    pub asset_index: u32,
    pub quantity: f64,
    pub instrument: Instrument,
}

/// How the assets' standard normal shocks Z depend on one another.
#[derive(Clone, Debug, PartialEq)]
pub enum Dependence {
    /// n x n correlation matrix: Z = C eps with C its Cholesky factor.
    Correlation(Vec<Vec<f64>>),
    /// n x k factor loadings L: Z_i = sum_j L_ij F_j + sqrt(1 - sum_j L_ij^2) e_i.
    Factors(Vec<Vec<f64>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Portfolio {
    pub assets: Vec<Asset>,
    pub dependence: Dependence,
    pub risk_free_rate: f64,
    pub positions: Vec<Position>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simulation {
    pub seed: u64,
    pub horizon_days: f64,
    pub antithetic: bool,
    pub first_path: u64,
    pub path_count: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelRisk {
    pub confidence: f64,
    pub var: f64,
    pub es: f64,
    pub std_error: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RiskReport {
    pub scenarios: u64,
    pub levels: Vec<LevelRisk>,
    pub mean_pnl: f64,
    pub std_pnl: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RiskError {
    InvalidInput(String),
    NotPositiveSemidefinite(String),
    TooLarge(String),
}

pub type RiskResult<T> = Result<T, RiskError>;

fn invalid(field: &str, problem: &str) -> RiskError {
    RiskError::InvalidInput(format!("{field}: {problem}"))
}

/// `field` names the value only when it is wrong: formatting a name per correlation entry on every call
/// would cost more than simulating a small chunk of paths.
fn finite(value: f64, field: impl FnOnce() -> String) -> RiskResult<()> {
    if value.is_finite() { Ok(()) } else { Err(invalid(&field(), "must be a finite number")) }
}

fn positive(value: f64, field: impl FnOnce() -> String) -> RiskResult<()> {
    if value.is_finite() && value > 0.0 { Ok(()) } else { Err(invalid(&field(), "must be a finite number > 0")) }
}

/// Symmetry and unit-diagonal tolerance: correlations typed or estimated to ~1e-9 are accepted.
const CORRELATION_TOLERANCE: f64 = 1e-9;
/// How far past 1 a row of factor loadings' sum of squares may go (rounding of loadings scaled to 1).
const LOADINGS_TOLERANCE: f64 = 1e-9;

/// A row of factor loadings' sum of squares, from 0 in ascending column order: the variance the factors
/// explain.
pub fn explained_variance(row: &[f64]) -> f64 {
    row.iter().fold(0.0, |sum, &l| sum + l * l)
}

impl Portfolio {
    pub fn validate(&self) -> RiskResult<()> {
        let n = self.assets.len();
        if n == 0 {
            return Err(invalid("assets", "must not be empty"));
        }
        let max_assets = match self.dependence {
            Dependence::Correlation(_) => limits::MAX_ASSETS,
            Dependence::Factors(_) => limits::MAX_FACTOR_ASSETS,
        };
        if n > max_assets {
            return Err(RiskError::TooLarge(format!("assets: {n} exceeds the limit of {max_assets}")));
        }
        for (i, asset) in self.assets.iter().enumerate() {
            positive(asset.spot, || format!("assets[{i}].spot"))?;
            finite(asset.drift, || format!("assets[{i}].drift"))?;
            positive(asset.vol, || format!("assets[{i}].vol"))?;
        }
        match &self.dependence {
            Dependence::Correlation(correlation) => validate_correlation(correlation, n)?,
            Dependence::Factors(loadings) => validate_loadings(loadings, n)?,
        }
        finite(self.risk_free_rate, || "riskFreeRate".into())?;
        if self.positions.is_empty() {
            return Err(invalid("positions", "must not be empty"));
        }
        if self.positions.len() > limits::MAX_POSITIONS {
            return Err(RiskError::TooLarge(format!(
                "positions: {} exceeds the limit of {}",
                self.positions.len(),
                limits::MAX_POSITIONS
            )));
        }
        for (p, position) in self.positions.iter().enumerate() {
            if position.asset_index as usize >= n {
                return Err(invalid(&format!("positions[{p}].asset"), "refers to no asset"));
            }
            finite(position.quantity, || format!("positions[{p}].quantity"))?;
            if let Instrument::European { strike, expiry_years, .. } = position.instrument {
                positive(strike, || format!("positions[{p}].strike"))?;
                positive(expiry_years, || format!("positions[{p}].expiryYears"))?;
            }
        }
        Ok(())
    }
}

fn validate_correlation(correlation: &[Vec<f64>], n: usize) -> RiskResult<()> {
    if correlation.len() != n {
        return Err(invalid("correlation", &format!("must have {n} rows (one per asset), has {}", correlation.len())));
    }
    for (i, row) in correlation.iter().enumerate() {
        if row.len() != n {
            return Err(invalid(&format!("correlation[{i}]"), &format!("must have {n} entries, has {}", row.len())));
        }
        for (j, &value) in row.iter().enumerate() {
            let field = || format!("correlation[{i}][{j}]");
            finite(value, field)?;
            if !(-1.0..=1.0).contains(&value) {
                return Err(invalid(&field(), "must lie in [-1, 1]"));
            }
        }
        if (row[i] - 1.0).abs() > CORRELATION_TOLERANCE {
            return Err(invalid(&format!("correlation[{i}][{i}]"), "diagonal must be 1"));
        }
    }
    for i in 0..n {
        for j in 0..i {
            if (correlation[i][j] - correlation[j][i]).abs() > CORRELATION_TOLERANCE {
                return Err(invalid(&format!("correlation[{i}][{j}]"), &format!("must equal correlation[{j}][{i}] (symmetric)")));
            }
        }
    }
    Ok(())
}

fn validate_loadings(loadings: &[Vec<f64>], n: usize) -> RiskResult<()> {
    if loadings.len() != n {
        return Err(invalid("factorLoadings", &format!("must have {n} rows (one per asset), has {}", loadings.len())));
    }
    let k = loadings[0].len();
    if k == 0 {
        return Err(invalid("factorLoadings[0]", "must have at least 1 factor"));
    }
    if k > limits::MAX_FACTORS {
        return Err(RiskError::TooLarge(format!("factorLoadings: {k} factors exceed the limit of {}", limits::MAX_FACTORS)));
    }
    for (i, row) in loadings.iter().enumerate() {
        if row.len() != k {
            return Err(invalid(&format!("factorLoadings[{i}]"), &format!("must have {k} entries (as many as row 0), has {}", row.len())));
        }
        for (j, &value) in row.iter().enumerate() {
            finite(value, || format!("factorLoadings[{i}][{j}]"))?;
        }
        let explained = explained_variance(row);
        if explained > 1.0 + LOADINGS_TOLERANCE {
            return Err(invalid(&format!("factorLoadings[{i}]"), &format!("sum of squares {explained} exceeds 1")));
        }
    }
    Ok(())
}

pub fn validate_horizon(horizon_days: f64) -> RiskResult<()> {
    if !(horizon_days.is_finite() && horizon_days > 0.0 && horizon_days <= limits::MAX_HORIZON_DAYS) {
        return Err(invalid("horizonDays", &format!("must be a number in (0, {}]", limits::MAX_HORIZON_DAYS)));
    }
    Ok(())
}

pub fn validate_confidence_levels(levels: &[f64]) -> RiskResult<()> {
    if levels.is_empty() {
        return Err(invalid("confidence", "must list at least one level"));
    }
    if levels.len() > limits::MAX_CONFIDENCE_LEVELS {
        return Err(RiskError::TooLarge(format!(
            "confidence: {} levels exceed the limit of {}",
            levels.len(),
            limits::MAX_CONFIDENCE_LEVELS
        )));
    }
    for (i, &level) in levels.iter().enumerate() {
        if !(level.is_finite() && level > 0.0 && level < 1.0) {
            return Err(invalid(&format!("confidence[{i}]"), "must be a number strictly between 0 and 1"));
        }
    }
    Ok(())
}

impl Simulation {
    pub fn validate(&self) -> RiskResult<()> {
        validate_horizon(self.horizon_days)?;
        if self.path_count == 0 {
            return Err(invalid("paths", "must be at least 1"));
        }
        if self.path_count > limits::MAX_PATHS_PER_CALL {
            return Err(RiskError::TooLarge(format!(
                "paths: {} in one call exceed the limit of {}",
                self.path_count,
                limits::MAX_PATHS_PER_CALL
            )));
        }
        if self.first_path.checked_add(self.path_count).is_none() {
            return Err(invalid("firstPath", "first path + path count overflows 64 bits"));
        }
        Ok(())
    }
}

pub fn validate_returns(returns: &[Vec<f64>], asset_count: usize) -> RiskResult<()> {
    if returns.is_empty() {
        return Err(invalid("returns", "must have at least one row"));
    }
    if returns.len() > limits::MAX_HISTORY_ROWS {
        return Err(RiskError::TooLarge(format!(
            "returns: {} rows exceed the limit of {}",
            returns.len(),
            limits::MAX_HISTORY_ROWS
        )));
    }
    for (t, row) in returns.iter().enumerate() {
        if row.len() != asset_count {
            return Err(invalid(&format!("returns[{t}]"), &format!("must have {asset_count} entries (one per asset), has {}", row.len())));
        }
        for (i, &r) in row.iter().enumerate() {
            finite(r, || format!("returns[{t}][{i}]"))?;
        }
    }
    Ok(())
}
