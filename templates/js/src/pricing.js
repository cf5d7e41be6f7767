// The model's mathematics: the standard normal distribution, Black-Scholes and the Cholesky factor of the
// correlation matrix. Plain double arithmetic, the same formulas as the Rust and Python templates.
import { notPositiveSemidefinite } from './errors.js';

const LN_SQRT_2PI = 0.9189385332046727;

export function normalPdf(x) {
  return Math.exp(-0.5 * x * x - LN_SQRT_2PI);
}

/** Phi(x) by Hart's algorithm 5666 as given by West (2005): about 1e-16 absolute, in a fixed number of
 *  operations; exactly 0 and 1 past |x| = 37. */
export function normalCdf(x) {
  const a = Math.abs(x);
  let tail = 0;
  if (a <= 37) {
    const e = Math.exp(-(a * a) / 2);
    if (a < 7.07106781186547) {
      const numerator = ((((((0.0352624965998911 * a + 0.700383064443688) * a + 6.37396220353165) * a + 33.912866078383) * a + 112.079291497871) * a + 221.213596169931) * a + 220.206867912376);
      const denominator = (((((((0.0883883476483184 * a + 1.75566716318264) * a + 16.064177579207) * a + 86.7807322029461) * a + 296.564248779674) * a + 637.333633378831) * a + 793.826512519948) * a + 440.413735824752);
      tail = (e * numerator) / denominator;
    } else {
      tail = e / (a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))))) / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** Phi^-1(p) for p in (0, 1): Acklam's rational approximation, then one Halley step on Phi. */
export function inverseNormalCdf(p) {
  let x;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e / normalPdf(x);
  return x - u / (1 + (x * u) / 2);
}

/** Black-Scholes value of a European option with `years` to expiry; intrinsic value at or past expiry. */
export function optionValue(option, spot, years, rate, vol) {
  const sign = option.kind === 'call' ? 1 : -1;
  const discountedStrike = option.strike * Math.exp(-rate * Math.max(years, 0));
  const v = vol * Math.sqrt(Math.max(years, 0));
  if (v === 0) return Math.max(sign * (spot - discountedStrike), 0);
  const d1 = (Math.log(spot / option.strike) + (rate + (vol * vol) / 2) * years) / v;
  const d2 = d1 - v;
  return sign * (spot * normalCdf(sign * d1) - discountedStrike * normalCdf(sign * d2));
}

/** dValue/dSpot of `optionValue`. */
export function optionDelta(option, spot, years, rate, vol) {
  const v = vol * Math.sqrt(Math.max(years, 0));
  const call = option.kind === 'call';
  if (v === 0) {
    const inTheMoney = call ? spot > option.strike * Math.exp(-rate * Math.max(years, 0)) : spot < option.strike * Math.exp(-rate * Math.max(years, 0));
    return inTheMoney ? (call ? 1 : -1) : 0;
  }
  const d1 = (Math.log(spot / option.strike) + (rate + (vol * vol) / 2) * years) / v;
  return call ? normalCdf(d1) : normalCdf(d1) - 1;
}

/** Lower-triangular L with L L' = correlation; a degenerate direction gets a zero column. */
export function cholesky(correlation) {
  const n = correlation.length;
  const factor = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = correlation[i][j];
      for (let k = 0; k < j; k++) s -= factor[i][k] * factor[j][k];
      if (i === j) {
        if (s < -1e-10) throw notPositiveSemidefinite(`portfolio.correlation is not positive semi-definite (pivot ${s} at row ${i})`);
        factor[i][i] = s > 1e-12 ? Math.sqrt(s) : 0;
      } else {
        // Under a degenerate pivot a positive semi-definite matrix leaves at most sqrt(1e-10): more is a
        // negative direction, which a zero entry would silently drop.
        if (factor[j][j] === 0 && Math.abs(s) > 1e-5) {
          throw notPositiveSemidefinite(`portfolio.correlation is not positive semi-definite (row ${i} keeps ${s} of column ${j}, whose pivot is 0)`);
        }
        factor[i][j] = factor[j][j] === 0 ? 0 : s / factor[j][j];
      }
    }
  }
  return factor;
}
