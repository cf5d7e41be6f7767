// Request-size limits checked before anything crosses into a component. The engine's are the same numbers
// from the same file, wit/limits.json (generated into ../contract/generated/limits.ts here, into Rust
// constants by components/risk-engine/build.rs), so the host refuses what the engine would as `too-large`.
export {
  MAX_ASSETS,
  MAX_CONFIDENCE_LEVELS,
  MAX_FACTOR_ASSETS,
  MAX_FACTORS,
  MAX_HISTORY_ROWS,
  MAX_HORIZON_DAYS,
  MAX_PATHS_PER_CALL,
  MAX_POSITIONS,
} from '../contract/generated/limits.js';

/** Paths of one request: its P&L is held in host memory to merge the chunks (8 bytes a path). The host's
 *  own limit: the engine only ever sees chunks of at most MAX_PATHS_PER_CALL. */
export const MAX_PATHS = 50_000_000;
/** Symmetry and unit-diagonal tolerance of a correlation matrix. */
export const CORRELATION_TOLERANCE = 1e-9;
/** How far past 1 a row of factor loadings' sum of squares may go (the engine's tolerance too). */
export const LOADINGS_TOLERANCE = 1e-9;
