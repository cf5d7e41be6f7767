// Lower-triangular Cholesky factor of a correlation matrix, tolerant of singular (positive
// semi-definite) matrices as README "Random numbers" specifies.

import { NotPositiveSemidefiniteError } from '../host/errors.js';

/** A pivot below this is a genuinely negative eigen-direction, not rounding error. */
const NEGATIVE_PIVOT_TOLERANCE = -1e-10;
/** A pivot up to this is a degenerate direction: its column of the factor is zero. */
const DEGENERATE_PIVOT = 1e-12;
/** What may be left of an entry under a degenerate pivot (at most sqrt(1e-10) in a positive semi-definite
 *  matrix, given the pivots' tolerance); more is a negative direction, not rounding. */
const DEGENERATE_RESIDUAL = 1e-5;

/**
 * L with C = L L', row-major n x n (upper triangle zero), computed row by row
 * (Cholesky-Banachiewicz): for i, for j <= i: s = C[i][j], then s -= L[i][k] L[j][k] for
 * k = 0..j-1 in ascending order; the diagonal is sqrt(s), an off-diagonal entry s / L[j][j]
 * (0 when that pivot was degenerate, which requires |s| <= 1e-5).
 * Throws NotPositiveSemidefiniteError naming the 0-based row of a negative pivot, or the row and column
 * of an entry a degenerate pivot cannot hold.
 */
export function choleskyLower(correlation: readonly Float64Array[]): Float64Array {
  const n = correlation.length;
  const factor = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = correlation[i]!;
    for (let j = 0; j <= i; j++) {
      let sum = row[j]!;
      for (let k = 0; k < j; k++) sum -= factor[i * n + k]! * factor[j * n + k]!;
      if (j < i) {
        const pivot = factor[j * n + j]!;
        if (pivot === 0 && Math.abs(sum) > DEGENERATE_RESIDUAL) {
          throw new NotPositiveSemidefiniteError(
            `correlation is not positive semi-definite (row ${i} keeps ${sum} of column ${j}, whose pivot is 0)`,
          );
        }
        factor[i * n + j] = pivot === 0 ? 0 : sum / pivot;
      } else if (sum < NEGATIVE_PIVOT_TOLERANCE) {
        throw new NotPositiveSemidefiniteError(
          `correlation is not positive semi-definite (pivot ${sum} at row ${i})`,
        );
      } else {
        factor[i * n + i] = sum <= DEGENERATE_PIVOT ? 0 : Math.sqrt(sum);
      }
    }
  }
  return factor;
}
