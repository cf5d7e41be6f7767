//! Seeded random streams: one xoshiro256++ stream per path (or antithetic pair), seeded by splitmix64,
//! so that any chunk of paths can be simulated on its own and still match the whole run bit for bit.

use crate::elementary::{opaque_on_wasm, LnConstants, TurnConstants};

const STREAM_KEY_MULTIPLIER: u64 = 0xD1B5_4A32_D192_ED03;

pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub struct Xoshiro256PlusPlus {
    s: [u64; 4],
}

impl Xoshiro256PlusPlus {
    pub fn from_splitmix(seed: u64) -> Self {
        let mut state = seed;
        let s = [splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state)];
        Self { s }
    }

    /// The stream that owns path (or antithetic pair) `key` of a run seeded with `seed`.
    pub fn for_stream(seed: u64, key: u64) -> Self {
        Self::from_splitmix(seed ^ key.wrapping_mul(STREAM_KEY_MULTIPLIER))
    }
}

/// One stream at a time: the plain statement of what `StreamLanes` computes on each lane.
#[cfg(test)]
impl Xoshiro256PlusPlus {
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1), never 0 or 1: see `uniform`.
    pub fn next_uniform(&mut self) -> f64 {
        uniform(self.next_u64())
    }

    /// Fills `out` with standard normals: Box-Muller on successive pairs of uniforms, the cosine then
    /// the sine; an odd count drops the last sine.
    pub fn fill_normals(&mut self, out: &mut [f64]) {
        for pair in out.chunks_mut(2) {
            let (u1, u2) = (self.next_uniform(), self.next_uniform());
            let (cos, sin) = box_muller(u1, u2);
            pair[0] = cos;
            if let Some(second) = pair.get_mut(1) {
                *second = sin;
            }
        }
    }
}

const ONE_BITS: u64 = 0x3FF0_0000_0000_0000;
/// 1 - 2^-53, the double just below 1.
const ONE_MINUS_HALF_ULP: f64 = 1.0 - 1.0 / (1u64 << 53) as f64;

/// ((x >> 12) + 1/2) 2^-52: the top 52 bits of x, centred in their interval of width 2^-52, so in
/// (0, 1) and symmetric about 1/2. Built as (1 + (x >> 12) 2^-52) - (1 - 2^-53), which is exact
/// (Sterbenz) and needs no integer-to-float conversion, so it runs on SIMD lanes. `StreamLanes` runs
/// it as `BoxMuller::uniform`, with the constants as values.
#[cfg(test)]
pub fn uniform(x: u64) -> f64 {
    f64::from_bits(ONE_BITS | (x >> 12)) - ONE_MINUS_HALF_ULP
}

/// Box-Muller: (r cos 2 pi u2, r sin 2 pi u2) with r = sqrt(-2 ln u1), by the model's own ln and
/// cos/sin (elementary.rs). `StreamLanes` runs it as `BoxMuller::pair`; this is its plain statement,
/// for the one-stream-at-a-time reference the tests compare the lanes with.
#[cfg(test)]
pub fn box_muller(u1: f64, u2: f64) -> (f64, f64) {
    BoxMuller::VALUES.pair(u1, u2)
}

/// The constants of `uniform` and `box_muller` as values, for `fill_normals` to take once before its
/// lane loop, hidden from the optimiser: Node 24's Turboshaft rebuilds every SIMD128 constant inside
/// the loop body, and this loop has some forty (see `elementary::ExpConstants`). Bit for bit
/// `uniform` and `box_muller`.
#[derive(Clone, Copy)]
struct BoxMuller {
    ln: LnConstants,
    turns: TurnConstants,
    one_bits: u64,
    one_minus_half_ulp: f64,
    minus_two: f64,
}

impl BoxMuller {
    const VALUES: Self = Self {
        ln: LnConstants::VALUES,
        turns: TurnConstants::VALUES,
        one_bits: ONE_BITS,
        one_minus_half_ulp: ONE_MINUS_HALF_ULP,
        minus_two: -2.0,
    };

    #[inline(always)]
    fn opaque() -> Self {
        opaque_on_wasm(Self::VALUES)
    }

    /// `uniform`.
    #[inline(always)]
    fn uniform(&self, x: u64) -> f64 {
        f64::from_bits(self.one_bits | (x >> 12)) - self.one_minus_half_ulp
    }

    #[inline(always)]
    fn pair(&self, u1: f64, u2: f64) -> (f64, f64) {
        let radius = (self.minus_two * self.ln.ln_positive_normal(u1)).sqrt();
        let (cos, sin) = self.turns.cos_sin_turns(u2);
        (radius * cos, radius * sin)
    }
}

/// `LANES` path streams side by side, one per lane, stepped together so that the compiler can keep
/// each step in SIMD registers. Lane `l` draws exactly what `Xoshiro256PlusPlus::for_stream` would.
pub struct StreamLanes<const LANES: usize> {
    s: [[u64; LANES]; 4],
}

impl<const LANES: usize> StreamLanes<LANES> {
    /// Lane `l` is the stream of key `keys[l]`.
    pub fn for_streams(seed: u64, keys: &[u64; LANES]) -> Self {
        let mut lanes = Self { s: [[0; LANES]; 4] };
        lanes.reseed(seed, keys);
        lanes
    }

    /// Makes lane `l` the stream of key `keys[l]`, in place: a block of paths reuses one set of lanes
    /// (building and moving a fresh state is a bulk memory fill and copy, which V8 runs out of line).
    #[inline(always)]
    pub fn reseed(&mut self, seed: u64, keys: &[u64; LANES]) {
        for (lane, &key) in keys.iter().enumerate() {
            let stream = Xoshiro256PlusPlus::for_stream(seed, key);
            for word in 0..4 {
                self.s[word][lane] = stream.s[word];
            }
        }
    }

    /// The next 64 bits of lane `l`'s stream (`fill_normals` makes them a uniform), stepping that
    /// stream (lanes are independent, so the order in which lanes step does not matter).
    #[inline(always)]
    fn next_u64(&mut self, l: usize) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let result = s0[l].wrapping_add(s3[l]).rotate_left(23).wrapping_add(s0[l]);
        let t = s1[l] << 17;
        s2[l] ^= s0[l];
        s3[l] ^= s1[l];
        s1[l] ^= s2[l];
        s0[l] ^= s3[l];
        s2[l] ^= t;
        s3[l] = s3[l].rotate_left(45);
        result
    }

    /// `count` normals per lane, as `Xoshiro256PlusPlus::fill_normals` draws them, stored
    /// draw-major: normal `k` of lane `l` at `out[k * LANES + l]`. Two lane loops, which the
    /// compiler runs on SIMD lanes: the first draws every pair's two uniforms into the rows of `out`
    /// that will hold the pair's cosine and sine (the state in memory), the second turns them into
    /// the normals in place. No temporary arrays of lanes, whose zeroing and copying would be bulk
    /// memory calls in wasm. Out of line so that the compiler vectorises its lane loops on their own
    /// terms; the constants are taken once, as values (`BoxMuller`).
    ///
    /// Why two loops: Box-Muller with the streams' steps in one loop body needed more SIMD values
    /// than V8 has registers, and V8 spilled and reloaded them on the machine stack (about 190 of the
    /// loop's 480 instructions). How fast those spills run depends on where V8's frame lands: the
    /// same code took about 1.7 times as long in a pool worker as in-thread (a 5,000-asset factor
    /// run: 106 against 62 us per path, all of the difference in this function, `perf` with
    /// `--perf-basic-prof`), and changed with unrelated edits elsewhere in the engine. Split, the
    /// Box-Muller loop spills about 40 of its 140 instructions per Box-Muller (four at a time), and
    /// the run takes about the same time in a worker as in-thread (55 to 62 us per path).
    #[inline(never)]
    pub fn fill_normals(&mut self, count: usize, out: &mut [f64]) {
        let out = &mut out[..count * LANES];
        let (pairs, odd) = out.split_at_mut(count / 2 * 2 * LANES);
        let normals = BoxMuller::opaque();
        for pair in pairs.chunks_exact_mut(2 * LANES) {
            let (first, second) = pair.split_at_mut(LANES);
            for l in 0..LANES {
                first[l] = normals.uniform(self.next_u64(l));
                second[l] = normals.uniform(self.next_u64(l));
            }
        }
        for pair in pairs.chunks_exact_mut(2 * LANES) {
            let (cos, sin) = pair.split_at_mut(LANES);
            let cos: &mut [f64; LANES] = cos.try_into().expect("a lane per stream");
            let sin: &mut [f64; LANES] = sin.try_into().expect("a lane per stream");
            // Lanes l, l + LANES / 4, l + LANES / 2 and l + 3 LANES / 4 in one iteration: four
            // independent chains of dependent operations (a division and a square root deep) for
            // the out-of-order core to overlap, which the compiler does not arrange for wasm by
            // itself (it interleaves only for x86). Four rather than two now that the streams' steps
            // are out of this loop: no more spills per Box-Muller, and 5-15% less time in a worker.
            for l in 0..LANES / 4 {
                let [a, b, c, d] = [l, l + LANES / 4, l + LANES / 2, l + 3 * LANES / 4];
                (cos[a], sin[a]) = normals.pair(cos[a], sin[a]);
                (cos[b], sin[b]) = normals.pair(cos[b], sin[b]);
                (cos[c], sin[c]) = normals.pair(cos[c], sin[c]);
                (cos[d], sin[d]) = normals.pair(cos[d], sin[d]);
            }
            for l in LANES / 4 * 4..LANES {
                (cos[l], sin[l]) = normals.pair(cos[l], sin[l]);
            }
        }
        // An odd count: the last pair's sine is dropped.
        if let Ok(cos) = <&mut [f64; LANES]>::try_from(odd) {
            for l in 0..LANES {
                let u1 = normals.uniform(self.next_u64(l));
                let u2 = normals.uniform(self.next_u64(l));
                cos[l] = normals.pair(u1, u2).0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_published_outputs_from_seed_zero() {
        let mut state = 0;
        assert_eq!(splitmix64(&mut state), 0xe220a8397b1dcdaf);
        assert_eq!(splitmix64(&mut state), 0x6e789e6aa1b965f4);
        assert_eq!(splitmix64(&mut state), 0x06c45d188009454f);
    }

    #[test]
    fn streams_differ_by_key_and_repeat_by_seed() {
        let a = Xoshiro256PlusPlus::for_stream(7, 0).next_u64();
        let b = Xoshiro256PlusPlus::for_stream(7, 1).next_u64();
        assert_ne!(a, b);
        assert_eq!(a, Xoshiro256PlusPlus::for_stream(7, 0).next_u64());
    }

    #[test]
    fn normals_have_unit_variance() {
        let mut rng = Xoshiro256PlusPlus::for_stream(42, 3);
        let mut draws = vec![0.0; 200_001];
        rng.fill_normals(&mut draws);
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn uniforms_are_centred_in_their_52_bit_cells() {
        assert_eq!(uniform(0), 0.5 / (1u64 << 52) as f64);
        assert_eq!(uniform(u64::MAX), 1.0 - 0.5 / (1u64 << 52) as f64);
        assert_eq!(uniform(1 << 63), 0.5 + 0.5 / (1u64 << 52) as f64);
    }

    /// The engine's 16 lanes, many pairs and an odd count: every lane and draw as its stream alone.
    #[test]
    fn sixteen_lanes_draw_what_their_streams_draw_alone() {
        let keys: [u64; 16] = core::array::from_fn(|l| 1_000 + 7 * l as u64);
        let count = 45;
        let mut lanes = StreamLanes::<16>::for_streams(3, &keys);
        let mut side_by_side = vec![0.0; count * 16];
        lanes.fill_normals(count, &mut side_by_side);
        for (l, &key) in keys.iter().enumerate() {
            let mut alone = vec![0.0; count];
            Xoshiro256PlusPlus::for_stream(3, key).fill_normals(&mut alone);
            for k in 0..count {
                assert_eq!(side_by_side[k * 16 + l].to_bits(), alone[k].to_bits(), "lane {l} draw {k}");
            }
        }
    }

    #[test]
    fn each_lane_draws_what_its_stream_draws_alone() {
        let keys = [5, 6, 1 << 40, 7, 0, u64::MAX, 3, 12];
        let mut lanes = StreamLanes::<8>::for_streams(99, &keys);
        let mut side_by_side = vec![0.0; 7 * 8];
        lanes.fill_normals(7, &mut side_by_side);
        for (l, &key) in keys.iter().enumerate() {
            let mut alone = [0.0; 7];
            Xoshiro256PlusPlus::for_stream(99, key).fill_normals(&mut alone);
            for k in 0..7 {
                assert_eq!(side_by_side[k * 8 + l].to_bits(), alone[k].to_bits(), "lane {l} draw {k}");
            }
        }
    }
}
