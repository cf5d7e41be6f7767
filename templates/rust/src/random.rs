//! Seeded random streams as wasm-risk's model defines them: path p of a run owns the xoshiro256++
//! stream whose state is four splitmix64 outputs started from seed XOR (p * 0xD1B54A32D192ED03).

const STREAM_STRIDE: u64 = 0xD1B5_4A32_D192_ED03;
const TWO_POW_MINUS_52: f64 = 1.0 / 4_503_599_627_370_496.0;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The xoshiro256++ stream of one path (or path pair, with antithetic variates).
pub struct PathStream([u64; 4]);

impl PathStream {
    pub fn new(seed: u64, key: u64) -> Self {
        let mut state = seed ^ key.wrapping_mul(STREAM_STRIDE);
        PathStream([splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state)])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
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

    /// ((x >> 12) + 1/2) 2^-52 of the next output x: in (0, 1), never 0 or 1.
    pub fn next_uniform(&mut self) -> f64 {
        ((self.next_u64() >> 12) as f64 + 0.5) * TWO_POW_MINUS_52
    }
}
