//! Seeded random streams: one xoshiro256++ stream per path (or antithetic pair), seeded by splitmix64,
//! so that any chunk of paths can be simulated on its own and still match the whole run bit for bit.

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

    /// Uniform in (0, 1]: never 0, so `ln(u)` is always finite.
    pub fn next_open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fills `out` with standard normals by Box-Muller (cosine then sine of each pair).
    pub fn fill_normals(&mut self, out: &mut [f64]) {
        let mut pairs = out.chunks_exact_mut(2);
        for pair in &mut pairs {
            let (radius, angle) = self.polar();
            pair[0] = radius * angle.cos();
            pair[1] = radius * angle.sin();
        }
        if let [last] = pairs.into_remainder() {
            let (radius, angle) = self.polar();
            *last = radius * angle.cos();
        }
    }

    fn polar(&mut self) -> (f64, f64) {
        let u1 = self.next_open_unit();
        let u2 = self.next_open_unit();
        ((-2.0 * u1.ln()).sqrt(), 2.0 * core::f64::consts::PI * u2)
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
}
