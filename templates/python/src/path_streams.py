"""Seeded random streams as wasm-risk's model defines them: path p of a run owns the xoshiro256++ stream
whose state is four splitmix64 outputs started from seed XOR (p * 0xD1B54A32D192ED03). Python integers
are unbounded, so every 64-bit step is masked."""
MASK = (1 << 64) - 1
STREAM_STRIDE = 0xD1B54A32D192ED03
TWO_POW_MINUS_52 = 2.0**-52


def _splitmix64(state: int) -> tuple:
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


class PathStream:
    """The xoshiro256++ stream of one path (or path pair, with antithetic variates)."""

    def __init__(self, seed: int, key: int):
        state = seed ^ ((key * STREAM_STRIDE) & MASK)
        words = []
        for _ in range(4):
            state, word = _splitmix64(state)
            words.append(word)
        self.s0, self.s1, self.s2, self.s3 = words

    def next_uniform(self) -> float:
        """((x >> 12) + 1/2) 2^-52 of the next output x: in (0, 1), never 0 or 1."""
        s0, s1, s2, s3 = self.s0, self.s1, self.s2, self.s3
        total = (s0 + s3) & MASK
        result = ((((total << 23) | (total >> 41)) & MASK) + s0) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.s0, self.s1, self.s2, self.s3 = s0, s1, s2, s3
        return ((result >> 12) + 0.5) * TWO_POW_MINUS_52
