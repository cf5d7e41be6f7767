import { describe, expect, it } from 'vitest';
import { NotPositiveSemidefiniteError } from '../../host/errors.js';
import { choleskyLower } from '../../reference/cholesky.js';

const matrix = (rows: number[][]): Float64Array[] => rows.map((row) => Float64Array.from(row));

describe('choleskyLower', () => {
  it('factors a 2x2 correlation', () => {
    const factor = choleskyLower(matrix([[1, 0.6], [0.6, 1]]));
    expect(Array.from(factor)).toEqual([1, 0, 0.6, Math.sqrt(1 - 0.6 * 0.6)]);
  });

  it('reproduces C = L L^T for a 4x4 correlation', () => {
    const correlation = matrix([
      [1, 0.3, -0.2, 0.5],
      [0.3, 1, 0.4, 0.1],
      [-0.2, 0.4, 1, -0.3],
      [0.5, 0.1, -0.3, 1],
    ]);
    const n = 4;
    const factor = choleskyLower(correlation);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) expect(factor[i * n + j]).toBe(0);
        let product = 0;
        for (let k = 0; k < n; k++) product += factor[i * n + k]! * factor[j * n + k]!;
        expect(product).toBeCloseTo(correlation[i]![j]!, 14);
      }
    }
  });

  it('zeroes the column of a degenerate pivot (perfectly correlated assets)', () => {
    expect(Array.from(choleskyLower(matrix([[1, 1], [1, 1]])))).toEqual([1, 0, 1, 0]);
    expect(Array.from(choleskyLower(matrix([[1, 1, 0.5], [1, 1, 0.5], [0.5, 0.5, 1]])))).toEqual([
      1, 0, 0, 1, 0, 0, 0.5, 0, Math.sqrt(0.75),
    ]);
  });

  it('refuses an entry a degenerate pivot cannot hold, naming its row and column', () => {
    // Rows 0 and 1 equal, yet row 2 correlated 0.9 with row 1 and 0 with row 0: not positive semi-definite.
    expect(() => choleskyLower(matrix([[1, 1, 0], [1, 1, 0.9], [0, 0.9, 1]]))).toThrow(
      /^correlation is not positive semi-definite \(row 2 keeps 0\.9 of column 1, whose pivot is 0\)$/,
    );
    // Rounding under the pivot's own tolerance stays a degenerate direction.
    const rho = 1 + 2e-11;
    expect(Array.from(choleskyLower(matrix([[1, rho, 0.5], [rho, 1, 0.5], [0.5, 0.5, 1]])))[7]).toBe(0);
  });

  it('treats a pivot within 1e-10 below zero as degenerate, not as an error', () => {
    const rho = 1 + 2e-11;
    expect(Array.from(choleskyLower(matrix([[1, rho], [rho, 1]])))).toEqual([1, 0, rho, 0]);
  });

  it('rejects a matrix with a negative pivot, naming the row', () => {
    const notPsd = matrix([
      [1, 0.9, 0.9],
      [0.9, 1, -0.9],
      [0.9, -0.9, 1],
    ]);
    expect(() => choleskyLower(notPsd)).toThrow(NotPositiveSemidefiniteError);
    expect(() => choleskyLower(notPsd)).toThrow(
      /^correlation is not positive semi-definite \(pivot -\d+\.\d+ at row 2\)$/,
    );
    const barely = 1 + 1e-9;
    expect(() => choleskyLower(matrix([[1, barely], [barely, 1]]))).toThrow(/at row 1/);
  });
});
