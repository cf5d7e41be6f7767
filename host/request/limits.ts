// Request-size limits checked before anything crosses into a component. They mirror the engine's own
// (components/risk-engine/src/limits.rs), which refuses the same requests as `too-large`.

export const MAX_ASSETS = 2_000;
export const MAX_POSITIONS = 100_000;
export const MAX_HISTORY_ROWS = 1_000_000;
export const MAX_CONFIDENCE_LEVELS = 64;
export const MAX_HORIZON_DAYS = 2_520;
/** Paths per call into a component (80 MB of P&L); longer runs are split into chunks. */
export const MAX_PATHS_PER_CALL = 10_000_000;
/** Paths of one request: its P&L is held in host memory to merge the chunks (8 bytes a path). */
export const MAX_PATHS = 50_000_000;
/** Symmetry and unit-diagonal tolerance of a correlation matrix. */
export const CORRELATION_TOLERANCE = 1e-9;
