// The random numbers of the model (README "Random numbers"): splitmix64 and xoshiro256++ as
// published by Vigna, one stream per path, uniforms in (0, 1) and Box-Muller normals computed with the
// model's own ln and cos/sin (elementary-functions.ts).
//
// 64-bit words are kept as [high, low] uint32 halves: BigInt arithmetic is an order of magnitude
// slower, and a Monte Carlo run draws millions of words.

import { cosSinTurns, lnPositiveNormal } from './elementary-functions.js';

/** Spreads path keys over the seed space, so that neighbouring paths start far apart. */
const PATH_KEY_MULTIPLIER = 0xd1b54a32d192ed03n;
const TWO_POW_20 = 2 ** 20;
const TWO_POW_MINUS_52 = 2 ** -52;

/**
 * High word of (a * b) mod 2^64, a = aHi:aLo and b = bHi:bLo; the low word is Math.imul(aLo, bLo).
 * aLo * bLo is formed from 16-bit limbs so that every partial product is exact in a double.
 */
function multiplyHighWord(aHi: number, aLo: number, bHi: number, bLo: number): number {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carried = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16);
  return (carried + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** A generator of 64-bit words; subclasses advance their state and store the word in `output`. */
abstract class Uint64Generator {
  /** The last word drawn, as [high, low]. */
  protected readonly output = new Uint32Array(2);

  protected abstract step(): void;

  nextUint64(): bigint {
    this.step();
    return (BigInt(this.output[0]!) << 32n) | BigInt(this.output[1]!);
  }

  /** Draws the next word into `target[offset]` (high) and `target[offset + 1]` (low). */
  nextInto(target: Uint32Array, offset: number): void {
    this.step();
    target[offset] = this.output[0]!;
    target[offset + 1] = this.output[1]!;
  }

  /**
   * ((x >> 12) + 1/2) 2^-52: the top 52 bits centred in their interval, so uniform in (0, 1), never
   * 0 (log(u) is finite) nor 1. Every step is exact.
   */
  nextUniform(): number {
    this.step();
    return (this.output[0]! * TWO_POW_20 + (this.output[1]! >>> 12) + 0.5) * TWO_POW_MINUS_52;
  }
}

export class SplitMix64 extends Uint64Generator {
  /** [high, low]. */
  private readonly state = new Uint32Array(2);

  constructor(seed: bigint) {
    super();
    const word = BigInt.asUintN(64, seed);
    this.state[0] = Number(word >> 32n);
    this.state[1] = Number(word & 0xffffffffn);
  }

  protected step(): void {
    const state = this.state;
    // state += 0x9e3779b97f4a7c15
    const sumLow = state[1]! + 0x7f4a7c15;
    let lo = sumLow >>> 0;
    let hi = (state[0]! + 0x9e3779b9 + (sumLow > 0xffffffff ? 1 : 0)) >>> 0;
    state[0] = hi;
    state[1] = lo;
    // z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
    lo = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
    hi = (hi ^ (hi >>> 30)) >>> 0;
    let productHi = multiplyHighWord(hi, lo, 0xbf58476d, 0x1ce4e5b9);
    let productLo = Math.imul(lo, 0x1ce4e5b9) >>> 0;
    // z = (z ^ (z >> 27)) * 0x94d049bb133111eb
    lo = (productLo ^ ((productLo >>> 27) | (productHi << 5))) >>> 0;
    hi = (productHi ^ (productHi >>> 27)) >>> 0;
    productHi = multiplyHighWord(hi, lo, 0x94d049bb, 0x133111eb);
    productLo = Math.imul(lo, 0x133111eb) >>> 0;
    // z ^ (z >> 31)
    this.output[1] = (productLo ^ ((productLo >>> 31) | (productHi << 1))) >>> 0;
    this.output[0] = (productHi ^ (productHi >>> 31)) >>> 0;
  }
}

export class Xoshiro256pp extends Uint64Generator {
  /** s[0..3] as [s0 high, s0 low, s1 high, s1 low, ...]. */
  private readonly state = new Uint32Array(8);

  /** Seeded as Vigna recommends: the state is four successive splitmix64 outputs from `seed`. */
  constructor(seed: bigint) {
    super();
    const seeder = new SplitMix64(seed);
    for (let word = 0; word < 4; word++) seeder.nextInto(this.state, 2 * word);
  }

  protected step(): void {
    const s = this.state;
    const s0h = s[0]!, s0l = s[1]!, s1h = s[2]!, s1l = s[3]!;
    const s2h = s[4]!, s2l = s[5]!, s3h = s[6]!, s3l = s[7]!;

    // result = rotl(s0 + s3, 23) + s0
    const sumLow = s0l + s3l;
    const sumL = sumLow >>> 0;
    const sumH = (s0h + s3h + (sumLow > 0xffffffff ? 1 : 0)) >>> 0;
    const rotH = ((sumH << 23) | (sumL >>> 9)) >>> 0;
    const rotL = ((sumL << 23) | (sumH >>> 9)) >>> 0;
    const resultLow = rotL + s0l;
    this.output[1] = resultLow >>> 0;
    this.output[0] = (rotH + s0h + (resultLow > 0xffffffff ? 1 : 0)) >>> 0;

    // t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
    const tH = ((s1h << 17) | (s1l >>> 15)) >>> 0;
    const tL = (s1l << 17) >>> 0;
    const n2h = (s2h ^ s0h) >>> 0, n2l = (s2l ^ s0l) >>> 0;
    const n3h = (s3h ^ s1h) >>> 0, n3l = (s3l ^ s1l) >>> 0;
    s[2] = s1h ^ n2h;
    s[3] = s1l ^ n2l;
    s[0] = s0h ^ n3h;
    s[1] = s0l ^ n3l;
    s[4] = n2h ^ tH;
    s[5] = n2l ^ tL;
    // A rotation by 45 swaps the halves, then rotates by 13.
    s[6] = ((n3l << 13) | (n3h >>> 19)) >>> 0;
    s[7] = ((n3h << 13) | (n3l >>> 19)) >>> 0;
  }
}

/** The stream of path key k: xoshiro256++ from seed XOR (k * 0xD1B54A32D192ED03 mod 2^64). */
export function pathStream(seed: bigint, key: bigint): Xoshiro256pp {
  return new Xoshiro256pp(seed ^ BigInt.asUintN(64, key * PATH_KEY_MULTIPLIER));
}

const cosSin = new Float64Array(2);

/**
 * Fills `normals` with standard normals by Box-Muller on successive uniform pairs (u1, u2):
 * r cos(2 pi u2), then r sin(2 pi u2), r = sqrt(-2 ln u1); an odd length drops the last sine.
 */
export function fillNormals(stream: Xoshiro256pp, normals: Float64Array): void {
  for (let i = 0; i < normals.length; i += 2) {
    const u1 = stream.nextUniform();
    const u2 = stream.nextUniform();
    const radius = Math.sqrt(-2 * lnPositiveNormal(u1));
    cosSinTurns(u2, cosSin);
    normals[i] = radius * cosSin[0]!;
    if (i + 1 < normals.length) normals[i + 1] = radius * cosSin[1]!;
  }
}

/**
 * The independent shocks eps of path `path` (one per element of `shocks`). With antithetic
 * variates paths 2k and 2k+1 share stream k and the odd path takes the negated shocks, so every
 * path's shocks depend only on (seed, path): any chunking of a run reproduces it.
 */
export function fillPathShocks(
  seed: bigint,
  path: bigint,
  antithetic: boolean,
  shocks: Float64Array,
): void {
  fillNormals(pathStream(seed, antithetic ? path >> 1n : path), shocks);
  if (antithetic && (path & 1n) === 1n) {
    for (let i = 0; i < shocks.length; i++) shocks[i] = -shocks[i]!;
  }
}
