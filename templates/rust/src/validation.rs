//! Every argument is checked before the model reads it: the host validates too, but a plugin trusts no
//! caller. Messages start with the offending field, as the host expects ("field: problem").

use crate::wasm_risk::risk::types::{Instrument, Portfolio, RiskError, Simulation};

// The contract's request limits (wit/limits.json of wasm-risk).
const MAX_ASSETS: usize = 2000;
const MAX_POSITIONS: usize = 100_000;
const MAX_PATHS_PER_CALL: u64 = 10_000_000;
const MAX_HISTORY_ROWS: usize = 1_000_000;
const MAX_CONFIDENCE_LEVELS: usize = 64;
const MAX_HORIZON_DAYS: f64 = 2520.0;

pub fn invalid(field: &str, problem: &str) -> RiskError {
    RiskError::InvalidInput(format!("{field}: {problem}"))
}

fn too_large(field: &str, problem: &str) -> RiskError {
    RiskError::TooLarge(format!("{field}: {problem}"))
}

fn finite(value: f64, field: &str) -> Result<f64, RiskError> {
    if value.is_finite() { Ok(value) } else { Err(invalid(field, "must be a finite number")) }
}

fn positive(value: f64, field: &str) -> Result<f64, RiskError> {
    if finite(value, field)? > 0.0 { Ok(value) } else { Err(invalid(field, "must be positive")) }
}

pub fn portfolio(p: &Portfolio) -> Result<(), RiskError> {
    let n = p.assets.len();
    if n == 0 {
        return Err(invalid("portfolio.assets", "must not be empty"));
    }
    if n > MAX_ASSETS {
        return Err(too_large("portfolio.assets", &format!("at most {MAX_ASSETS}")));
    }
    if p.positions.len() > MAX_POSITIONS {
        return Err(too_large("portfolio.positions", &format!("at most {MAX_POSITIONS}")));
    }
    for (i, asset) in p.assets.iter().enumerate() {
        positive(asset.spot, &format!("portfolio.assets[{i}].spot"))?;
        finite(asset.drift, &format!("portfolio.assets[{i}].drift"))?;
        if finite(asset.vol, &format!("portfolio.assets[{i}].vol"))? < 0.0 {
            return Err(invalid(&format!("portfolio.assets[{i}].vol"), "must not be negative"));
        }
    }
    finite(p.risk_free_rate, "portfolio.riskFreeRate")?;
    if p.correlation.len() != n {
        return Err(invalid("portfolio.correlation", &format!("must have {n} rows")));
    }
    for (i, row) in p.correlation.iter().enumerate() {
        if row.len() != n {
            return Err(invalid(&format!("portfolio.correlation[{i}]"), &format!("must have {n} entries")));
        }
        for (j, &c) in row.iter().enumerate() {
            let field = format!("portfolio.correlation[{i}][{j}]");
            if finite(c, &field)?.abs() > 1.0 {
                return Err(invalid(&field, "must lie in [-1, 1]"));
            }
            if i == j && c != 1.0 {
                return Err(invalid(&field, "the diagonal must be 1"));
            }
            if j < i && c != p.correlation[j][i] {
                return Err(invalid(&field, "the matrix must be symmetric"));
            }
        }
    }
    for (k, position) in p.positions.iter().enumerate() {
        if position.asset_index as usize >= n {
            return Err(invalid(&format!("portfolio.positions[{k}].assetIndex"), &format!("must be below {n}")));
        }
        finite(position.quantity, &format!("portfolio.positions[{k}].quantity"))?;
        if let Instrument::European(option) = &position.instrument {
            positive(option.strike, &format!("portfolio.positions[{k}].strike"))?;
            positive(option.expiry_years, &format!("portfolio.positions[{k}].expiryYears"))?;
        }
    }
    Ok(())
}

pub fn horizon(horizon_days: f64, field: &str) -> Result<(), RiskError> {
    if positive(horizon_days, field)? > MAX_HORIZON_DAYS {
        return Err(invalid(field, &format!("at most {MAX_HORIZON_DAYS}")));
    }
    Ok(())
}

pub fn confidence(levels: &[f64]) -> Result<(), RiskError> {
    if levels.is_empty() {
        return Err(invalid("confidence", "must not be empty"));
    }
    if levels.len() > MAX_CONFIDENCE_LEVELS {
        return Err(too_large("confidence", &format!("at most {MAX_CONFIDENCE_LEVELS} levels")));
    }
    for (i, &c) in levels.iter().enumerate() {
        if !(c > 0.0 && c < 1.0) {
            return Err(invalid(&format!("confidence[{i}]"), "must lie strictly between 0 and 1"));
        }
    }
    Ok(())
}

pub fn simulation(run: &Simulation) -> Result<(), RiskError> {
    horizon(run.horizon_days, "run.horizonDays")?;
    if run.path_count < 1 {
        return Err(invalid("run.pathCount", "must be at least 1"));
    }
    if run.path_count > MAX_PATHS_PER_CALL {
        return Err(too_large("run.pathCount", &format!("at most {MAX_PATHS_PER_CALL} paths per call")));
    }
    if run.first_path.checked_add(run.path_count - 1).is_none() {
        return Err(invalid("run.firstPath", "the paths must end below 2^64"));
    }
    Ok(())
}

pub fn returns(rows: &[Vec<f64>], asset_count: usize) -> Result<(), RiskError> {
    if rows.is_empty() {
        return Err(invalid("returns", "must not be empty"));
    }
    if rows.len() > MAX_HISTORY_ROWS {
        return Err(too_large("returns", &format!("at most {MAX_HISTORY_ROWS} rows")));
    }
    for (r, row) in rows.iter().enumerate() {
        if row.len() != asset_count {
            return Err(invalid(&format!("returns[{r}]"), &format!("must have {asset_count} entries, one per asset")));
        }
        for (i, &x) in row.iter().enumerate() {
            finite(x, &format!("returns[{r}][{i}]"))?;
        }
    }
    Ok(())
}
