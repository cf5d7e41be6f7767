//! The standard normal distribution: CDF by W. J. Cody's rational approximations of erfc (CALERF),
//! density, and quantile. Mirrored line for line by host/reference/normal-distribution.ts.

use crate::elementary::{exp, ln, opaque_on_wasm, ExpConstants};

const SQRT_2: f64 = core::f64::consts::SQRT_2;
const ONE_OVER_SQRT_PI: f64 = 5.641_895_835_477_562_869_5e-1;
const ONE_OVER_SQRT_2PI: f64 = 0.398_942_280_401_432_677_94;
/// Past Cody's 26.543 erfc underflows gradually into the subnormals (so Phi stays positive down to
/// about -38); beyond this exp(-y^2) is below the smallest subnormal.
const ERFC_UNDERFLOW: f64 = 27.3;

const A: [f64; 5] = [3.161_123_743_870_565_6e0, 1.138_641_541_510_501_56e2, 3.774_852_376_853_020_21e2, 3.209_377_589_138_469_47e3, 1.857_777_061_846_031_53e-1];
const B: [f64; 4] = [2.360_129_095_234_412_09e1, 2.440_246_379_344_441_73e2, 1.282_616_526_077_372_28e3, 2.844_236_833_439_170_62e3];
const C: [f64; 9] = [
    5.641_884_969_886_700_89e-1, 8.883_149_794_388_375_94e0, 6.611_919_063_714_162_95e1, 2.986_351_381_974_001_31e2,
    8.819_522_212_417_690_9e2, 1.712_047_612_634_070_58e3, 2.051_078_377_826_071_47e3, 1.230_339_354_797_997_25e3,
    2.153_115_354_744_038_46e-8,
];
const D: [f64; 8] = [
    1.574_492_611_070_983_47e1, 1.176_939_508_913_124_99e2, 5.371_811_018_620_098_58e2, 1.621_389_574_566_690_19e3,
    3.290_799_235_733_459_63e3, 4.362_619_090_143_247_16e3, 3.439_367_674_143_721_64e3, 1.230_339_354_803_749_42e3,
];
const P: [f64; 6] = [3.053_266_349_612_323_44e-1, 3.603_448_999_498_044_39e-1, 1.257_817_261_112_292_46e-1, 1.608_378_514_874_227_66e-2, 6.587_491_615_298_378_03e-4, 1.631_538_713_730_209_78e-2];
const Q: [f64; 5] = [2.568_520_192_289_822_42e0, 1.872_952_849_923_460_47e0, 5.279_051_029_514_284_12e-1, 6.051_834_131_244_131_91e-2, 2.335_204_976_268_691_85e-3];

/// Below this |x| the small-argument branch takes x^2 as 0 (Cody's XSMALL).
const ERF_XSMALL: f64 = 1.11e-16;

/// Veltkamp's splitting constant 2^27 + 1: splits a double into two halves of 26 bits.
const SPLIT: f64 = 134_217_729.0;

/// The constants of `erfc` and `cdf_rows` as values. `cdf_rows` takes `CdfConstants::opaque()` once
/// per call: out of wasm's sight of their values, V8 keeps them in registers or on the stack across
/// the lane loops, where Node 24's Turboshaft otherwise rebuilds every SIMD128 constant inside each
/// loop body (a 64-bit move, a move to XMM and a shuffle each, every iteration). The same values and
/// operations as the literal constants: bit for bit the same results.
#[derive(Clone, Copy)]
pub struct CdfConstants {
    exp: ExpConstants,
    a: [f64; 5],
    b: [f64; 4],
    c: [f64; 9],
    d: [f64; 8],
    p: [f64; 6],
    q: [f64; 5],
    split: f64,
    xsmall: f64,
    first_range: f64,
    middle_range: f64,
    underflow: f64,
    one_over_sqrt_pi: f64,
    sqrt_2: f64,
    zero: f64,
    half: f64,
    one: f64,
    two: f64,
}

impl CdfConstants {
    const VALUES: Self = Self {
        exp: ExpConstants::VALUES,
        a: A,
        b: B,
        c: C,
        d: D,
        p: P,
        q: Q,
        split: SPLIT,
        xsmall: ERF_XSMALL,
        first_range: 0.46875,
        middle_range: 4.0,
        underflow: ERFC_UNDERFLOW,
        one_over_sqrt_pi: ONE_OVER_SQRT_PI,
        sqrt_2: SQRT_2,
        zero: 0.0,
        half: 0.5,
        one: 1.0,
        two: 2.0,
    };

    /// The constants, hidden from the optimiser on wasm (`opaque_on_wasm`): take them outside a loop.
    #[inline(always)]
    pub fn opaque() -> Self {
        opaque_on_wasm(Self::VALUES)
    }

    /// exp(-y^2) with y^2 taken exactly as hi + lo (Dekker's product: hi = y y rounded, lo its exact
    /// rounding error), so that the rounding of y y is not amplified by the exponential:
    /// e^-(hi + lo) = e^-hi (1 - lo) to far below an ulp, as |lo| < 2^-53 hi. One exponential, where
    /// Cody's own split of y^2 needs two.
    #[inline(always)]
    fn exp_minus_square(&self, y: f64) -> f64 {
        let c = self.split * y;
        let high = c - (c - y);
        let low = y - high;
        let hi = y * y;
        let lo = ((high * high - hi) + self.two * high * low) + low * low;
        let e = self.exp.exp(-hi);
        e - e * lo
    }

    /// erfc(t) for |t| = y <= 0.46875 (Cody's first range), x^2 taken as 0 below XSMALL.
    #[inline(always)]
    fn erfc_small(&self, t: f64, y: f64) -> f64 {
        let (a, b) = (&self.a, &self.b);
        let ysq = if y > self.xsmall { y * y } else { self.zero };
        let mut num = a[4] * ysq;
        let mut den = ysq;
        for i in 0..3 {
            num = (num + a[i]) * ysq;
            den = (den + b[i]) * ysq;
        }
        self.one - (t * (num + a[3])) / (den + b[3])
    }

    /// erfc(y) e^{y^2} for 0.46875 < y <= 4 (Cody's second range).
    #[inline(always)]
    fn scaled_erfc_middle(&self, y: f64) -> f64 {
        let (c, d) = (&self.c, &self.d);
        let mut num = c[8] * y;
        let mut den = y;
        for i in 0..7 {
            num = (num + c[i]) * y;
            den = (den + d[i]) * y;
        }
        (num + c[7]) / (den + d[7])
    }

    /// erfc(y) e^{y^2} for y > 4 (Cody's asymptotic range).
    #[inline(always)]
    fn scaled_erfc_tail(&self, y: f64) -> f64 {
        let (p, q) = (&self.p, &self.q);
        let ysq = self.one / (y * y);
        let mut num = p[5] * ysq;
        let mut den = ysq;
        for i in 0..4 {
            num = (num + p[i]) * ysq;
            den = (den + q[i]) * ysq;
        }
        let tail = (ysq * (num + p[4])) / (den + q[4]);
        (self.one_over_sqrt_pi - tail) / y
    }
}

/// Cody's CALERF with jint = 1 (about 1e-16 relative), in host/reference/normal-distribution.ts's
/// operation order.
pub fn erfc(x: f64) -> f64 {
    let k = CdfConstants::VALUES;
    let y = x.abs();
    if y <= 0.46875 {
        return k.erfc_small(x, y);
    }
    let result = if y <= 4.0 {
        k.exp_minus_square(y) * k.scaled_erfc_middle(y)
    } else if y >= ERFC_UNDERFLOW {
        0.0
    } else {
        k.exp_minus_square(y) * k.scaled_erfc_tail(y)
    };
    if x < 0.0 { 2.0 - result } else { result }
}

pub fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// One row of `cdf_rows`'s working values, kept by the caller from one call to the next: every
/// element is written before it is read, so nothing is zeroed per call (a bulk memory call in wasm).
#[derive(Clone, Copy)]
pub struct CdfRow<const LANES: usize> {
    t: [f64; LANES],
    y: [f64; LANES],
    scaled: [f64; LANES],
}

impl<const LANES: usize> CdfRow<LANES> {
    pub const ZERO: Self = Self { t: [0.0; LANES], y: [0.0; LANES], scaled: [0.0; LANES] };
}

/// `cdf` of every value of `x` (rows of `LANES` values side by side) into `out`, bit for bit: each
/// range of Cody's approximation is evaluated on every lane of a row (only when some lane of the row
/// needs it) and the range `erfc` would take is selected per lane. Each step is a loop over the
/// lanes, which the compiler vectorises as it stands (SIMD128: two lanes an instruction, AVX2: four)
/// with no branch inside a lane; many lanes at once, not a few, or the compiler unrolls the lanes and
/// turns the range selections into per-lane branches. Values of a range computed for lanes outside
/// it (infinite or NaN as they may be) are discarded. A row is an option's d1 or d2 on a block of
/// paths, which over a short horizon mostly stay in one range, so a row whose lanes all lie in
/// Cody's first range skips the others (and their exponential), and one whose lanes all lie in the
/// asymptotic range skips the middle one. Out of line so that it is
/// vectorised on its own terms; all the rows in one call, so that V8 sets up the constants of the
/// steps once.
#[inline(never)]
pub fn cdf_rows<const LANES: usize>(x: &[[f64; LANES]], out: &mut [[f64; LANES]], work: &mut [CdfRow<LANES>]) {
    let k = CdfConstants::opaque();
    let work = &mut work[..x.len()];
    let out = &mut out[..x.len()];
    for (x, row) in x.iter().zip(work.iter_mut()) {
        for l in 0..LANES {
            row.t[l] = -x[l] / k.sqrt_2;
            row.y[l] = row.t[l].abs();
        }
    }
    for (row, out) in work.iter_mut().zip(out.iter_mut()) {
        // As `erfc` branches: y <= 0.46875 is the first range, anything else (NaN too) the others.
        if !row.y.iter().all(|&y| y <= k.first_range) {
            if row.y.iter().all(|&y| y > k.middle_range) {
                for l in 0..LANES {
                    row.scaled[l] = k.scaled_erfc_tail(row.y[l]);
                }
            } else {
                for l in 0..LANES {
                    row.scaled[l] = k.scaled_erfc_middle(row.y[l]);
                }
                if row.y.iter().any(|&y| y > k.middle_range) {
                    for l in 0..LANES {
                        row.scaled[l] = if row.y[l] <= k.middle_range { row.scaled[l] } else { k.scaled_erfc_tail(row.y[l]) };
                    }
                }
            }
            for l in 0..LANES {
                let result = k.exp_minus_square(row.y[l]) * row.scaled[l];
                let result = if row.y[l] >= k.underflow { k.zero } else { result };
                out[l] = if row.t[l] < k.zero { k.two - result } else { result };
            }
        }
        if row.y.iter().any(|&y| y <= k.first_range) {
            for l in 0..LANES {
                out[l] = if row.y[l] <= k.first_range { k.erfc_small(row.t[l], row.y[l]) } else { out[l] };
            }
        }
        for l in 0..LANES {
            out[l] = k.half * out[l];
        }
    }
}

pub fn pdf(x: f64) -> f64 {
    exp(-0.5 * x * x) * ONE_OVER_SQRT_2PI
}

/// Quantile for p in (0, 1): Acklam's rational approximation refined by one Halley step on `cdf`. Taken
/// in the lower tail only, as -quantile(1 - p) above 0.5 (1 - p is exact there): the step's `cdf(x) - p`
/// near 1 keeps only the absolute 1e-16 of `cdf`, which cost a VaR at 0.999999 12 digits of its 16.
pub fn quantile(p: f64) -> f64 {
    if p > 0.5 {
        return -quantile(1.0 - p);
    }
    const AA: [f64; 6] = [-3.969_683_028_665_376e1, 2.209_460_984_245_205e2, -2.759_285_104_469_687e2, 1.383_577_518_672_69e2, -3.066_479_806_614_716e1, 2.506_628_277_459_239];
    const BB: [f64; 5] = [-5.447_609_879_822_406e1, 1.615_858_368_580_409e2, -1.556_989_798_598_866e2, 6.680_131_188_771_972e1, -1.328_068_155_288_572e1];
    const CC: [f64; 6] = [-7.784_894_002_430_293e-3, -3.223_964_580_411_365e-1, -2.400_758_277_161_838, -2.549_732_539_343_734, 4.374_664_141_464_968, 2.938_163_982_698_783];
    const DD: [f64; 4] = [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((CC[0] * q + CC[1]) * q + CC[2]) * q + CC[3]) * q + CC[4]) * q + CC[5]) / ((((DD[0] * q + DD[1]) * q + DD[2]) * q + DD[3]) * q + 1.0)
    };
    let x = if p < P_LOW {
        tail((-2.0 * ln(p)).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((AA[0] * r + AA[1]) * r + AA[2]) * r + AA[3]) * r + AA[4]) * r + AA[5]) * q
            / (((((BB[0] * r + BB[1]) * r + BB[2]) * r + BB[3]) * r + BB[4]) * r + 1.0)
    };
    let e = cdf(x) - p;
    let u = e / pdf(x);
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_matches_known_values() {
        assert_eq!(cdf(0.0), 0.5);
        assert!((cdf(1.96) - 0.975_002_104_851_779_5).abs() < 1e-15);
        assert!((cdf(-3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-17);
        assert!(cdf(-38.0) >= 0.0 && cdf(-38.0) < 1e-300);
        assert_eq!(cdf(40.0), 1.0);
    }

    #[test]
    fn cdf_on_lanes_gives_cdf_bit_for_bit() {
        let mut state = 7u64;
        let mut points: Vec<f64> = (0..200_000)
            .map(|_| (crate::random::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 * 90.0 - 45.0)
            .collect();
        // Cody's range boundaries in x = -sqrt(2) t, and their neighbours.
        for edge in [0.0, 1e-17, 1.11e-16 * SQRT_2, 0.46875 * SQRT_2, 4.0 * SQRT_2, 27.3 * SQRT_2, 60.0, f64::INFINITY] {
            for near in [edge, f64::from_bits(edge.to_bits() + 1), f64::from_bits(edge.to_bits().saturating_sub(1))] {
                // At the front, so that every way of cutting the points into rows keeps them.
                points.splice(0..0, [near, -near]);
            }
        }
        points.retain(|x| !x.is_nan());
        // Rows of 8 and of 16 lanes, one row or many a call.
        fn check<const LANES: usize>(points: &[f64], rows_per_call: usize) {
            let mut work = vec![CdfRow::<LANES>::ZERO; rows_per_call];
            let mut out = vec![[0.0; LANES]; rows_per_call];
            for rows in points.chunks_exact(LANES * rows_per_call) {
                let x: Vec<[f64; LANES]> = rows.chunks_exact(LANES).map(|r| r.try_into().unwrap()).collect();
                cdf_rows(&x, &mut out, &mut work);
                for (x, value) in rows.iter().zip(out.as_flattened()) {
                    assert_eq!(value.to_bits(), cdf(*x).to_bits(), "cdf({x})");
                }
            }
        }
        check::<8>(&points, 1);
        check::<16>(&points, 1);
        check::<16>(&points, 5);
        // Values around Cody's first range, so that rows are mixed or lie in one range only.
        let near_zero: Vec<f64> = (0..100_000)
            .map(|i| {
                let u = (crate::random::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
                // Runs of 16 values with a spread that varies from run to run, some all in the tail.
                match i / 16 % 7 {
                    5 => 5.8 + u * 30.0,
                    6 => -5.8 - u * 0.2,
                    spread => (u - 0.5) * [0.2, 1.0, 1.4, 3.0, 12.0][spread],
                }
            })
            .collect();
        check::<16>(&near_zero, 1);
        check::<16>(&near_zero, 3);
        check::<8>(&near_zero, 2);
        // Lanes that all stay in one range take the shortcuts.
        let mut work = [CdfRow::<8>::ZERO; 2];
        let mut out = [[0.0; 8]; 2];
        cdf_rows(&[[0.1; 8], [-9.0; 8]], &mut out, &mut work);
        assert_eq!(out[0][0].to_bits(), cdf(0.1).to_bits());
        assert_eq!(out[1][0].to_bits(), cdf(-9.0).to_bits());
    }

    #[test]
    fn quantile_inverts_cdf() {
        for &p in &[1e-10, 0.001, 0.01, 0.025, 0.5, 0.9, 0.95, 0.99, 0.999_999] {
            let x = quantile(p);
            assert!(((cdf(x) - p) / p).abs() < 1e-13, "p={p} x={x}");
        }
        assert!((quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    }

    /// High confidence levels are as accurate as low ones (values from mpmath at 60 digits).
    #[test]
    fn quantile_is_accurate_in_the_upper_tail() {
        for (p, z) in [(0.999, 3.090_232_306_167_813_3), (0.999_999, 4.753_424_308_817_087_8), (1.0 - 1e-10, 6.361_340_889_697_421_9), (1.0 - 1e-14, 7.650_730_905_155_643)] {
            assert!(((quantile(p) - z) / z).abs() < 1e-15, "p={p}: {} vs {z}", quantile(p));
            assert_eq!(quantile(p), -quantile(1.0 - p));
        }
    }
}
