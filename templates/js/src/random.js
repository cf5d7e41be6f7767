// Seeded random streams as wasm-risk's model defines them: path p of a run owns the xoshiro256++ stream
// whose state is four splitmix64 outputs started from seed XOR (p * 0xD1B54A32D192ED03). 64-bit words
// are kept as two unsigned 32-bit halves: JavaScript numbers do 32-bit integer arithmetic exactly and
// quickly, where BigInt would allocate on every operation.

/** The low 64 bits of a * b, for a = (ah, al), b = (bh, bl): written into `out` as [hi, lo]. */
function multiply(ah, al, bh, bl, out) {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[1] = ((middle << 16) | (p00 & 0xffff)) >>> 0;
  out[0] = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

const product = new Uint32Array(2);

/** One splitmix64 step: advances `state` ([hi, lo]) and writes the output into `out`. */
function splitmix64(state, out) {
  const lo = (state[1] + 0x7f4a7c15) >>> 0;
  state[0] = (state[0] + 0x9e3779b9 + (lo < state[1] ? 1 : 0)) >>> 0;
  state[1] = lo;
  let h = state[0];
  let l = state[1];
  // z ^= z >> 30; z *= 0xbf58476d1ce4e5b9
  l = (l ^ ((l >>> 30) | (h << 2))) >>> 0;
  h = (h ^ (h >>> 30)) >>> 0;
  multiply(h, l, 0xbf58476d, 0x1ce4e5b9, product);
  h = product[0];
  l = product[1];
  // z ^= z >> 27; z *= 0x94d049bb133111eb
  l = (l ^ ((l >>> 27) | (h << 5))) >>> 0;
  h = (h ^ (h >>> 27)) >>> 0;
  multiply(h, l, 0x94d049bb, 0x133111eb, product);
  h = product[0];
  l = product[1];
  // z ^= z >> 31
  out[1] = (l ^ ((l >>> 31) | (h << 1))) >>> 0;
  out[0] = (h ^ (h >>> 31)) >>> 0;
}

/** The xoshiro256++ stream of one path, yielding uniforms in (0, 1). */
export class PathStream {
  /** State words s0..s3 as [hi, lo] pairs: s[2k] is the high half of word k. */
  s = new Uint32Array(8);
  splitmixState = new Uint32Array(2);
  word = new Uint32Array(2);

  /** Starts the stream of `key` (the path, or the path pair with antithetic variates) under `seed`;
   *  both are [hi, lo] pairs. */
  reset(seed, key) {
    multiply(key[0], key[1], 0xd1b54a32, 0xd192ed03, product);
    const { splitmixState: state, word } = this;
    state[0] = seed[0] ^ product[0];
    state[1] = seed[1] ^ product[1];
    for (let k = 0; k < 4; k++) {
      splitmix64(state, word);
      this.s[2 * k] = word[0];
      this.s[2 * k + 1] = word[1];
    }
  }

  /** ((x >> 12) + 1/2) 2^-52 of the next 64-bit output x. */
  nextUniform() {
    const s = this.s;
    // result = rotl(s0 + s3, 23) + s0
    let lo = (s[1] + s[7]) >>> 0;
    let hi = (s[0] + s[6] + (lo < s[1] ? 1 : 0)) >>> 0;
    const rotatedHi = ((hi << 23) | (lo >>> 9)) >>> 0;
    const rotatedLo = ((lo << 23) | (hi >>> 9)) >>> 0;
    lo = (rotatedLo + s[1]) >>> 0;
    hi = (rotatedHi + s[0] + (lo < rotatedLo ? 1 : 0)) >>> 0;
    // t = s1 << 17
    const tHi = ((s[2] << 17) | (s[3] >>> 15)) >>> 0;
    const tLo = (s[3] << 17) >>> 0;
    s[4] ^= s[0]; s[5] ^= s[1]; // s2 ^= s0
    s[6] ^= s[2]; s[7] ^= s[3]; // s3 ^= s1
    s[2] ^= s[4]; s[3] ^= s[5]; // s1 ^= s2
    s[0] ^= s[6]; s[1] ^= s[7]; // s0 ^= s3
    s[4] ^= tHi; s[5] ^= tLo; // s2 ^= t
    // s3 = rotl(s3, 45): swap the halves, then rotate by 13
    const h3 = s[7];
    const l3 = s[6];
    s[6] = ((h3 << 13) | (l3 >>> 19)) >>> 0;
    s[7] = ((l3 << 13) | (h3 >>> 19)) >>> 0;
    return (hi * 2 ** 20 + (lo >>> 12) + 0.5) * 2 ** -52;
  }
}

/** A u64 (BigInt, from the contract) as a [hi, lo] pair. */
export function words(value) {
  return new Uint32Array([Number(value >> 32n), Number(value & 0xffffffffn)]);
}
