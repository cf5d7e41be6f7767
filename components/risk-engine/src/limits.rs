//! Request-size limits: the engine refuses (error `too-large`) rather than exhaust its memory.

pub const MAX_ASSETS: usize = 2_000;
pub const MAX_POSITIONS: usize = 100_000;
/// 10M paths are 80 MB of P&L, well inside the host's default memory cap.
pub const MAX_PATHS_PER_CALL: u64 = 10_000_000;
pub const MAX_HISTORY_ROWS: usize = 1_000_000;
pub const MAX_CONFIDENCE_LEVELS: usize = 64;
/// Ten years of trading days.
pub const MAX_HORIZON_DAYS: f64 = 2_520.0;
