// The model's own exp, ln and cos/sin of a turn (README "Elementary functions"): fdlibm's kernels with
// branch-free argument reduction, operation for operation as components/risk-engine/src/elementary.rs
// computes them, so the reference reproduces the component's bits rather than a libm's.

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
/** 1.5 * 2^52: adding it rounds a double below 2^51 in magnitude to an integer, ties to even. */
const ROUNDING_SHIFT = 6755399441055744;

const EXP_P0 = 1.66666666666666019037e-1;
const EXP_P1 = -2.77777777770155933842e-3;
const EXP_P2 = 6.61375632143793436117e-5;
const EXP_P3 = -1.65339022054652515348e-6;
const EXP_P4 = 4.13813679705723846039e-8;

// One double and its two 32-bit words (little-endian: [low, high]) for exact bit manipulation.
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** 2^e for an integer e in [-1022, 1023], built from its bits. */
function powerOfTwo(e: number): number {
  words[0] = 0;
  words[1] = ((e + 1023) << 20) >>> 0;
  return scratch[0]!;
}

/**
 * e^x: fdlibm's exp (a rational on |r| <= ln2/2, under 1 ulp) with k = x / ln 2 rounded half to
 * even; 2^k is applied as two factors (the first product exact), so overflow gives Infinity and a
 * subnormal result is rounded once, without a test.
 */
export function exp(x: number): number {
  // Past these bounds e^x is infinite or zero anyway; the clamp keeps k small (NaN passes through).
  const clamped = x > 710 ? 710 : x < -746 ? -746 : x;
  const k = clamped * INV_LN2 + ROUNDING_SHIFT - ROUNDING_SHIFT;
  const hi = clamped - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (EXP_P0 + t * (EXP_P1 + t * (EXP_P2 + t * (EXP_P3 + t * EXP_P4))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  const half = Math.floor(k / 2);
  return y * powerOfTwo(half) * powerOfTwo(k - half);
}

const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;
/** The words of sqrt(2)/2 = 0x3FE6A09E667F3BCD. */
const HALF_SQRT2_HIGH = 0x3fe6a09e;
const HALF_SQRT2_LOW = 0x667f3bcd;
const TWO_POW_54 = 18014398509481984;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * ln x for a positive normal x (not checked): x = 2^k m with m in [sqrt(2)/2, sqrt(2)), k from the
 * 64-bit difference of x's bits and sqrt(2)/2's, then fdlibm's log kernel on f = m - 1.
 */
export function lnPositiveNormal(x: number): number {
  scratch[0] = x;
  const borrow = words[0]! < HALF_SQRT2_LOW ? 1 : 0;
  // The arithmetic shift of the difference's high word by 20 is the 64-bit difference's shift by 52.
  const k = (words[1]! - HALF_SQRT2_HIGH - borrow) >> 20;
  words[1] = (words[1]! - (k << 20)) >>> 0;
  const f = scratch[0]! - 1;
  const hfsq = 0.5 * f * f;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  return s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
}

/** ln x for any x: -Infinity at 0, NaN below 0 and at NaN, Infinity at Infinity. */
export function ln(x: number): number {
  if (x >= MIN_NORMAL && x < Infinity) return lnPositiveNormal(x);
  if (x > 0 && x < MIN_NORMAL) return lnPositiveNormal(x * TWO_POW_54) - 54 * LN2_HI - 54 * LN2_LO;
  if (x === 0) return -Infinity;
  return x === Infinity ? x : Number.NaN;
}

const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;
const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.0875723212981748279e-9;
const C6 = -1.13596475577881948265e-11;
const HALF_PI = Math.PI / 2;

/**
 * Writes [cos 2 pi u, sin 2 pi u] into `out`, for u in [0, 1]: q, the quarter turn nearest to 4u,
 * is split off exactly; x = (4u - q) pi/2 lies in [-pi/4, pi/4] for fdlibm's kernels; q swaps and
 * negates.
 */
export function cosSinTurns(u: number, out: Float64Array): void {
  const quarters = u * 4;
  const q = quarters + ROUNDING_SHIFT - ROUNDING_SHIFT;
  const x = (quarters - q) * HALF_PI;
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  const sin = x + z * x * (S1 + z * r);
  const rc = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const oneMinusHz = 1 - hz;
  const cos = oneMinusHz + (1 - oneMinusHz - hz + z * rc);
  const odd = (q & 1) === 1;
  const c = odd ? sin : cos;
  const s = odd ? cos : sin;
  out[0] = ((q + 1) & 2) !== 0 ? -c : c;
  out[1] = (q & 2) !== 0 ? -s : s;
}
