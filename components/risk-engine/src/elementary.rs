//! The model's own `exp`, `ln` and `sin`/`cos` of a full turn (README "Elementary functions"): fdlibm's
//! kernels (under 1 ulp) with branch-free argument reduction, so that the compiler can run them on
//! several paths at once (wasm SIMD128, AVX2) and host/reference/elementary-functions.ts can reproduce
//! every bit: only +, -, *, /, sqrt and exact bit manipulations, in a fixed order, never fused.

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const INV_LN2: f64 = 1.442_695_040_888_963_387_00e0;
/// 1.5 * 2^52: adding it rounds a double of magnitude below 2^51 to an integer (ties to even), which
/// then sits in the low bits of the sum.
const ROUNDING_SHIFT: f64 = 6_755_399_441_055_744.0;
const ROUNDING_SHIFT_BITS: i64 = 0x4338_0000_0000_0000;

const EXP_P: [f64; 5] = [
    1.666_666_666_666_660_190_37e-1,
    -2.777_777_777_701_559_338_42e-3,
    6.613_756_321_437_934_361_17e-5,
    -1.653_390_220_546_525_153_48e-6,
    4.138_136_797_057_238_460_39e-8,
];
/// y 2^k for an integer k in [-1076, 1024], as two factors that are normal doubles: the first product
/// is exact, so a result past the largest double becomes infinity and one in or below the subnormal
/// range is rounded once, as a correctly rounded exp would be; no overflow or underflow test needed.
///
/// Takes k as `biased` = k + 2048 (in [972, 3072]), so that floor(k / 2) is a logical shift: wasm
/// SIMD128 has no 64-bit arithmetic shift on x86 (V8 emulates `i64x2.shr_s` in five instructions).
/// With half = floor(k / 2): half + 1023 = (biased >> 1) - 1, k - half + 1023 = biased - (biased >> 1) - 1.
#[inline(always)]
/// `one` is 1 (as a value, so that a lane loop can hold it: see `ExpConstants`).
fn scale_by_power_of_two(y: f64, biased: u64, one: u64) -> f64 {
    let half_biased = biased >> 1;
    let power = |biased_exponent: u64| f64::from_bits(biased_exponent << 52);
    y * power(half_biased - one) * power(biased - half_biased - one)
}

/// e^x: fdlibm's `exp` (Remez rational on |r| <= ln2/2) with k = round-half-even(x / ln 2). No
/// branches, so the compiler can run it on SIMD lanes.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    ExpConstants::VALUES.exp(x)
}

/// `exp`'s constants as values. A lane loop that takes `ExpConstants::opaque()` once before the loop
/// and calls its `exp` sets the constants up once: out of wasm's sight of their values, V8 keeps them
/// in registers or on the stack across the loop, where Node 24's Turboshaft otherwise rebuilds every
/// SIMD128 constant in the loop body (a 64-bit move, a move to XMM and a shuffle each, every
/// iteration). The same values, the same operations: bit for bit `exp`.
#[derive(Clone, Copy)]
pub struct ExpConstants {
    upper: f64,
    lower: f64,
    inv_ln2: f64,
    rounding_shift: f64,
    ln2_hi: f64,
    ln2_lo: f64,
    p: [f64; 5],
    one: f64,
    two: f64,
    k_offset: u64,
    exponent_one: u64,
}

impl ExpConstants {
    pub(crate) const VALUES: Self = Self {
        upper: 710.0,
        lower: -746.0,
        inv_ln2: INV_LN2,
        rounding_shift: ROUNDING_SHIFT,
        ln2_hi: LN2_HI,
        ln2_lo: LN2_LO,
        p: EXP_P,
        one: 1.0,
        two: 2.0,
        k_offset: ROUNDING_SHIFT_BITS as u64 - 2048,
        exponent_one: 1,
    };

    /// The constants, hidden from the optimiser on wasm (`opaque_on_wasm`): take them outside a loop.
    #[inline(always)]
    pub fn opaque() -> Self {
        opaque_on_wasm(Self::VALUES)
    }

    #[inline(always)]
    pub fn exp(&self, x: f64) -> f64 {
        // Past these bounds e^x is infinite or zero anyway; the clamp keeps k small (NaN passes through).
        // Written as min then max (wasm f64x2.pmin and pmax, one instruction each), not as one select.
        let below = if x > self.upper { self.upper } else { x };
        let clamped = if below < self.lower { self.lower } else { below };
        let shifted = clamped * self.inv_ln2 + self.rounding_shift;
        let k = shifted - self.rounding_shift;
        // k + 2048: the low bits of `shifted` hold k (two's complement, |k| < 2^51).
        let k_biased = shifted.to_bits().wrapping_sub(self.k_offset);
        let hi = clamped - k * self.ln2_hi;
        let lo = k * self.ln2_lo;
        let r = hi - lo;
        let t = r * r;
        let p = &self.p;
        let c = r - t * (p[0] + t * (p[1] + t * (p[2] + t * (p[3] + t * p[4]))));
        let y = self.one - ((lo - (r * c) / (self.two - c)) - hi);
        scale_by_power_of_two(y, k_biased, self.exponent_one)
    }
}

/// `values` hidden from the optimiser (`core::hint::black_box`) when compiling to wasm, so that the
/// wasm holds them as values, not constants (see `ExpConstants`); left as they are elsewhere, where
/// LLVM's own code for the host CPU (the bench's native yardstick) is better with constants it can see
/// (the native SSE build's option-heavy runs took 6 to 15% longer with them hidden).
#[inline(always)]
pub(crate) fn opaque_on_wasm<T>(values: T) -> T {
    if cfg!(target_arch = "wasm32") {
        core::hint::black_box(values)
    } else {
        values
    }
}

const LG: [f64; 7] = [
    6.666_666_666_666_735_130e-1,
    3.999_999_999_940_941_908e-1,
    2.857_142_874_366_239_149e-1,
    2.222_219_843_214_978_396e-1,
    1.818_357_216_161_805_012e-1,
    1.531_383_769_920_937_332e-1,
    1.479_819_860_511_658_591e-1,
];
/// Bits of sqrt(2)/2: subtracting them splits x into 2^k * m with m in [sqrt(2)/2, sqrt(2)).
const HALF_SQRT2_BITS: u64 = 0x3FE6_A09E_667F_3BCD;

/// 1024 2^52 - HALF_SQRT2_BITS: the bits of a positive normal x plus this are (k + 1024) 2^52 plus
/// less than 2^52, where k is `ln_positive_normal`'s exponent.
const LN_BIAS: u64 = (1024 << 52) - HALF_SQRT2_BITS;
const EXPONENT_FIELD: u64 = 0xFFF0_0000_0000_0000;

/// ln x for a positive normal x (no checks): fdlibm's `log` kernel (musl's arrangement).
#[inline(always)]
pub fn ln_positive_normal(x: f64) -> f64 {
    LnConstants::VALUES.ln_positive_normal(x)
}

/// `ln_positive_normal`'s constants as values, for lane loops to take once before the loop (see
/// `ExpConstants`; random.rs's `BoxMuller` hides them): the same values, the same operations, bit for bit `ln_positive_normal`.
#[derive(Clone, Copy)]
pub struct LnConstants {
    ln_bias: u64,
    exponent_field: u64,
    one_exponent: u64,
    k_bits: u64,
    rounding_shift: f64,
    lg: [f64; 7],
    ln2_hi: f64,
    ln2_lo: f64,
    one: f64,
    half: f64,
    two: f64,
}

impl LnConstants {
    pub(crate) const VALUES: Self = Self {
        ln_bias: LN_BIAS,
        exponent_field: EXPONENT_FIELD,
        one_exponent: 1024 << 52,
        k_bits: ROUNDING_SHIFT_BITS as u64 - 1024,
        rounding_shift: ROUNDING_SHIFT,
        lg: LG,
        ln2_hi: LN2_HI,
        ln2_lo: LN2_LO,
        one: 1.0,
        half: 0.5,
        two: 2.0,
    };

    #[inline(always)]
    pub fn ln_positive_normal(&self, x: f64) -> f64 {
        // k = floor((bits - HALF_SQRT2_BITS) / 2^52), taken as k + 1024 by a logical shift of a
        // positive number (no 64-bit arithmetic shift, which wasm SIMD128 lacks on x86); m = x 2^-k.
        let bits = x.to_bits();
        let biased = bits.wrapping_add(self.ln_bias);
        let m = f64::from_bits(bits.wrapping_sub(biased & self.exponent_field).wrapping_add(self.one_exponent));
        let k = f64::from_bits(self.k_bits + (biased >> 52)) - self.rounding_shift;
        let f = m - self.one;
        let hfsq = self.half * f * f;
        let s = f / (self.two + f);
        let z = s * s;
        let w = z * z;
        let lg = &self.lg;
        let t1 = w * (lg[1] + w * (lg[3] + w * lg[5]));
        let t2 = z * (lg[0] + w * (lg[2] + w * (lg[4] + w * lg[6])));
        let r = t2 + t1;
        s * (hfsq + r) + k * self.ln2_lo - hfsq + f + k * self.ln2_hi
    }
}

/// ln x for any x: -inf at 0, NaN below 0 or at NaN, +inf at +inf; subnormals are scaled up first.
pub fn ln(x: f64) -> f64 {
    if x >= f64::MIN_POSITIVE && x < f64::INFINITY {
        ln_positive_normal(x)
    } else if x > 0.0 && x < f64::MIN_POSITIVE {
        ln_positive_normal(x * TWO_POW_54) - 54.0 * LN2_HI - 54.0 * LN2_LO
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        x
    } else {
        f64::NAN
    }
}

const TWO_POW_54: f64 = 18_014_398_509_481_984.0;

const SIN: [f64; 6] = [
    -1.666_666_666_666_663_243_48e-1,
    8.333_333_333_322_489_461_24e-3,
    -1.984_126_982_985_794_931_34e-4,
    2.755_731_370_707_006_767_89e-6,
    -2.505_076_025_340_686_341_95e-8,
    1.589_690_995_211_550_102_21e-10,
];
const COS: [f64; 6] = [
    4.166_666_666_666_660_190_37e-2,
    -1.388_888_888_887_410_957_49e-3,
    2.480_158_728_947_672_941_78e-5,
    -2.755_731_435_139_066_330_35e-7,
    2.087_572_321_298_174_827_90e-9,
    -1.135_964_755_778_819_482_65e-11,
];
const HALF_PI: f64 = core::f64::consts::FRAC_PI_2;

/// (cos 2 pi u, sin 2 pi u) for u in [0, 1]: the quarter turn q nearest to 4u is split off exactly
/// (4u - q is exact in binary), the rest x = (4u - q) pi/2 lies in [-pi/4, pi/4] where fdlibm's
/// kernels apply, and q picks the signs and the swap. The engine runs it as `TurnConstants::cos_sin_turns`
/// (random.rs's `BoxMuller`); this is its plain statement, which the tests pin.
#[cfg(test)]
pub fn cos_sin_turns(u: f64) -> (f64, f64) {
    TurnConstants::VALUES.cos_sin_turns(u)
}

/// `cos_sin_turns`'s constants as values, for lane loops to take once before the loop (see
/// `ExpConstants`; random.rs's `BoxMuller` hides them): the same values, the same operations, bit for bit `cos_sin_turns`.
#[derive(Clone, Copy)]
pub struct TurnConstants {
    rounding_shift: f64,
    half_pi: f64,
    sin: [f64; 6],
    cos: [f64; 6],
    four: f64,
    half: f64,
    one: f64,
    rounding_shift_bits: i64,
}

impl TurnConstants {
    pub(crate) const VALUES: Self = Self {
        rounding_shift: ROUNDING_SHIFT,
        half_pi: HALF_PI,
        sin: SIN,
        cos: COS,
        four: 4.0,
        half: 0.5,
        one: 1.0,
        rounding_shift_bits: ROUNDING_SHIFT_BITS,
    };

    #[inline(always)]
    pub fn cos_sin_turns(&self, u: f64) -> (f64, f64) {
        let (sn, cs) = (&self.sin, &self.cos);
        let quarters = u * self.four;
        let shifted = quarters + self.rounding_shift;
        let q = shifted - self.rounding_shift;
        let x = (quarters - q) * self.half_pi;
        let z = x * x;
        let w = z * z;
        let r = sn[1] + z * (sn[2] + z * sn[3]) + z * w * (sn[4] + z * sn[5]);
        let sin = x + z * x * (sn[0] + z * r);
        let rc = z * (cs[0] + z * (cs[1] + z * cs[2])) + w * w * (cs[3] + z * (cs[4] + z * cs[5]));
        let hz = self.half * z;
        let one_minus_hz = self.one - hz;
        let cos = one_minus_hz + (((self.one - one_minus_hz) - hz) + z * rc);
        // The angle is q (0 to 4) quarter turns plus x.
        let quadrant = (shifted.to_bits() as i64).wrapping_sub(self.rounding_shift_bits) as u64;
        let (c, s) = if quadrant & 1 == 1 { (sin, cos) } else { (cos, sin) };
        let negate_cos = ((quadrant + 1) & 2) << 62;
        let negate_sin = (quadrant & 2) << 62;
        (f64::from_bits(c.to_bits() ^ negate_cos), f64::from_bits(s.to_bits() ^ negate_sin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place, for finite doubles of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    fn sample(count: usize, low: f64, high: f64) -> impl Iterator<Item = f64> {
        let mut state = 12345u64;
        (0..count).map(move |_| low + (high - low) * (crate::random::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64)
    }

    #[test]
    fn exp_is_within_one_ulp_of_libm() {
        for x in sample(200_000, -740.0, 709.0).chain(sample(100_000, -1.0, 1.0)) {
            assert!(ulps(exp(x), x.exp()) <= 1, "exp({x}) = {} vs {}", exp(x), x.exp());
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(ulps(exp(1.0), core::f64::consts::E) <= 1);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(709.78), 709.78f64.exp());
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(-745.14), 0.0);
        // Gradual underflow: 2^-1074 and its neighbours.
        assert_eq!(exp(-744.44007192138126), 5e-324);
        assert!((exp(-720.0) / (-720.0f64).exp() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn ln_is_within_one_ulp_of_libm() {
        for x in sample(200_000, 1e-300, 1.0).chain(sample(200_000, 0.5, 4.0)).chain(sample(100_000, 1.0, 1e300)) {
            assert!(ulps(ln(x), x.ln()) <= 1, "ln({x}) = {} vs {}", ln(x), x.ln());
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan());
        assert!((ln(5e-324) - (5e-324f64).ln()).abs() < 1e-12);
    }

    #[test]
    fn cos_sin_of_turns_agree_with_libm() {
        for u in sample(300_000, 0.0, 1.0) {
            let (c, s) = cos_sin_turns(u);
            let angle = 2.0 * core::f64::consts::PI * u;
            // libm's argument 2 pi u is itself rounded (by up to 4.4e-16 near 2 pi): absolute tolerance.
            assert!((c - angle.cos()).abs() <= 1e-15, "cos at {u}");
            assert!((s - angle.sin()).abs() <= 1e-15, "sin at {u}");
        }
        assert_eq!(cos_sin_turns(0.0), (1.0, 0.0));
        assert_eq!(cos_sin_turns(0.5), (-1.0, -0.0));
        assert_eq!(cos_sin_turns(0.125).0, core::f64::consts::FRAC_1_SQRT_2);
    }

    /// host/reference/elementary-functions.ts must give exactly these bits (test/reference pins them too).
    #[test]
    fn pinned_bits_shared_with_the_typescript_reference() {
        let bits = |x: f64| x.to_bits();
        assert_eq!(bits(exp(0.5)), 0x3ffa61298e1e069c);
        assert_eq!(bits(exp(-3.7)), 0x3f99511fc6871044);
        assert_eq!(bits(exp(123.456)), 0x4b11428e1cbc0143);
        assert_eq!(bits(exp(-700.25)), 0xcaf5fe9a485c8e);
        assert_eq!(bits(ln(0.3)), 0xbff34378fcbda721);
        assert_eq!(bits(ln(7.5e10)), 0x40390a6ed9d4818f);
        assert_eq!(bits(ln(1e-200)), 0xc07cc845b54b54f2);
        let (c, s) = cos_sin_turns(0.123456789);
        assert_eq!((bits(c), bits(s)), (0x3fe6d8832e5981ec, 0x3fe6682e33636dbf));
        let (c, s) = cos_sin_turns(0.87654321);
        assert_eq!((bits(c), bits(s)), (0x3fe6d8832bfcd4ed, 0xbfe6682e35cbf225));
    }

    /// The logical-shift forms of the exponent arithmetic (no 64-bit arithmetic shift in wasm
    /// SIMD128) against the arithmetic-shift forms they replace, over every exponent they can meet.
    #[test]
    fn exponent_arithmetic_matches_the_arithmetic_shift_forms() {
        for k in -1076i64..=1024 {
            let half = k >> 1;
            let power = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
            for y in [1.0, 0.7071067811865476, 1.9999999999999998, 1.5] {
                assert_eq!(scale_by_power_of_two(y, (k + 2048) as u64, 1).to_bits(), (y * power(half) * power(k - half)).to_bits(), "k {k}");
            }
            let shifted = k as f64 + ROUNDING_SHIFT;
            assert_eq!(shifted.to_bits().wrapping_sub(ROUNDING_SHIFT_BITS as u64 - 2048), (k + 2048) as u64);
        }
        for field in 1..2047u64 {
            for mantissa in [0, 1, 0x6_A09E_667F_3BCC, 0x6_A09E_667F_3BCD, 0x6_A09E_667F_3BCE, 0xF_FFFF_FFFF_FFFF] {
                let bits = field << 52 | mantissa;
                let k_int = (bits.wrapping_sub(HALF_SQRT2_BITS) as i64) >> 52;
                let biased = bits.wrapping_add(LN_BIAS);
                assert_eq!(biased >> 52, (k_int + 1024) as u64, "bits {bits:#x}");
                assert_eq!(bits.wrapping_sub(biased & EXPONENT_FIELD).wrapping_add(1024 << 52), bits.wrapping_sub((k_int as u64) << 52));
            }
        }
    }
}
