// Standard normal distribution functions with a fixed, documented operation order, so the Rust
// component can mirror them and agree to the last bit (both use the model's exp and ln).

import { exp, ln } from './elementary-functions.js';

// W. J. Cody, "Rational Chebyshev approximations for the error function" (1969), netlib CALERF.
const ERF_A = [
  3.1611237438705656e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3,
  1.85777706184603153e-1,
] as const;
const ERF_B = [
  2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3,
] as const;
const ERFC_C = [
  5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2,
  8.8195222124176909e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
  2.15311535474403846e-8,
] as const;
const ERFC_D = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
  3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3,
] as const;
const ERFC_P = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
  6.58749161529837803e-4, 1.63153871373020978e-2,
] as const;
const ERFC_Q = [
  2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2,
  2.33520497626869185e-3,
] as const;
/** 1 / sqrt(pi). */
const SQRPI = 5.6418958354775628695e-1;
const THRESH = 0.46875;
const XSMALL = 1.11e-16;
/**
 * Cody stops at 26.543, where erfc leaves the normal range; we let it underflow gradually into the
 * subnormals (so Phi stays positive down to about -38) and stop only where exp(-y^2) is below the
 * smallest subnormal, which also keeps an infinite argument from reaching inf - inf.
 */
const ERFC_UNDERFLOW = 27.3;

/** Complementary error function: Cody's CALERF with jint = 1 (about 1e-16 relative). */
export function erfc(x: number): number {
  const y = Math.abs(x);
  let result: number;
  if (y <= THRESH) {
    const ysq = y > XSMALL ? y * y : 0;
    let xnum = ERF_A[4] * ysq;
    let xden = ysq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + ERF_A[i]!) * ysq;
      xden = (xden + ERF_B[i]!) * ysq;
    }
    return 1 - (x * (xnum + ERF_A[3])) / (xden + ERF_B[3]);
  }
  if (y <= 4) {
    let xnum = ERFC_C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + ERFC_C[i]!) * y;
      xden = (xden + ERFC_D[i]!) * y;
    }
    result = expMinusSquare(y) * ((xnum + ERFC_C[7]) / (xden + ERFC_D[7]));
  } else if (y >= ERFC_UNDERFLOW) {
    result = 0;
  } else {
    const ysq = 1 / (y * y);
    let xnum = ERFC_P[5] * ysq;
    let xden = ysq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + ERFC_P[i]!) * ysq;
      xden = (xden + ERFC_Q[i]!) * ysq;
    }
    const tail = (ysq * (xnum + ERFC_P[4])) / (xden + ERFC_Q[4]);
    result = expMinusSquare(y) * ((SQRPI - tail) / y);
  }
  return x < 0 ? 2 - result : result;
}

/** Veltkamp's splitting constant 2^27 + 1: splits a double into two 26-bit halves. */
const SPLIT = 134217729;

/**
 * exp(-y^2) with y^2 taken exactly as hi + lo (Dekker's product: hi = y*y rounded, lo its rounding
 * error), so that the rounding of y*y is not amplified by the exponential: e^-(hi+lo) = e^-hi (1 - lo)
 * to far below an ulp since |lo| < 2^-53 hi. One exponential where Cody's split of y^2 needs two.
 */
function expMinusSquare(y: number): number {
  const c = SPLIT * y;
  const high = c - (c - y);
  const low = y - high;
  const hi = y * y;
  const lo = high * high - hi + 2 * high * low + low * low;
  const e = exp(-hi);
  return e - e * lo;
}

/** Standard normal CDF: erfc(-x / sqrt 2) / 2. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** 1 / sqrt(2 pi). */
const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density. */
export function normalPdf(x: number): number {
  return exp(-0.5 * x * x) * INV_SQRT_2PI;
}

// M. J. Wichura, "Algorithm AS 241: the percentage points of the normal distribution" (1988),
// PPND16.
const PPND_A = [
  3.387132872796366608e0, 1.3314166789178437745e2, 1.9715909503065514427e3,
  1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
  3.3430575583588128105e4, 2.5090809287301226727e3,
] as const;
const PPND_B = [
  1.0, 4.2313330701600911252e1, 6.871870074920579083e2, 5.3941960214247511077e3,
  2.1213794301586595867e4, 3.930789580009271061e4, 2.8729085735721942674e4,
  5.226495278852854561e3,
] as const;
const PPND_C = [
  1.42343711074968357734e0, 4.6303378461565452959e0, 5.7694972214606914055e0,
  3.64784832476320460504e0, 1.27045825245236838258e0, 2.4178072517745061177e-1,
  2.27238449892691845833e-2, 7.7454501427834140764e-4,
] as const;
const PPND_D = [
  1.0, 2.05319162663775882187e0, 1.6763848301838038494e0, 6.8976733498510000455e-1,
  1.4810397642748007459e-1, 1.51986665636164571966e-2, 5.475938084995344946e-4,
  1.05075007164441684324e-9,
] as const;
const PPND_E = [
  6.6579046435011037772e0, 5.4637849111641143699e0, 1.7848265399172913358e0,
  2.9656057182850489123e-1, 2.6532189526576123093e-2, 1.2426609473880784386e-3,
  2.71155556874348757815e-5, 2.01033439929228813265e-7,
] as const;
const PPND_F = [
  1.0, 5.9983220655588793769e-1, 1.3692988092273580531e-1, 1.48753612908506148525e-2,
  7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
  2.04426310338993978564e-15,
] as const;

/** coefficients[7] r^7 + ... + coefficients[0], by Horner from the highest degree. */
function horner(coefficients: readonly number[], r: number): number {
  let value = coefficients[coefficients.length - 1]!;
  for (let i = coefficients.length - 2; i >= 0; i--) value = value * r + coefficients[i]!;
  return value;
}

/** Inverse standard normal CDF (Wichura AS241, about 1e-16 relative); -inf at 0, +inf at 1. */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    return p === 1 ? Infinity : Number.NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(PPND_A, r)) / horner(PPND_B, r);
  }
  let r = Math.sqrt(-ln(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = horner(PPND_C, r) / horner(PPND_D, r);
  } else {
    r -= 5;
    value = horner(PPND_E, r) / horner(PPND_F, r);
  }
  return q < 0 ? -value : value;
}
