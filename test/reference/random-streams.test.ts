import { describe, expect, it } from 'vitest';
import { cosSinTurns, lnPositiveNormal } from '../../reference/elementary-functions.js';
import {
  SplitMix64,
  Xoshiro256pp,
  fillNormals,
  fillPathShocks,
  pathStream,
} from '../../reference/random-streams.js';

// An independent, obviously-correct BigInt transcription of Vigna's C code, to check the
// uint32-pair implementation against.
const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (64n - k))) & MASK;

function oracleSplitMix(seed: bigint): () => bigint {
  let state = seed & MASK;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  };
}

function oracleXoshiro(state: bigint[]): () => bigint {
  const s = [...state];
  return () => {
    const [s0, s1, s2, s3] = s as [bigint, bigint, bigint, bigint];
    const result = (rotl((s0 + s3) & MASK, 23n) + s0) & MASK;
    const t = (s1 << 17n) & MASK;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 45n);
    return result;
  };
}

function oracleSeededXoshiro(seed: bigint): () => bigint {
  const next = oracleSplitMix(seed);
  return oracleXoshiro([next(), next(), next(), next()]);
}

const oracleUniform = (x: bigint): number => (Number(x >> 12n) + 0.5) * 2 ** -52;

const SEEDS = [0n, 1n, 42n, 0x0123456789abcdefn, 0xffffffffffffffffn, 0x8000000000000000n];

describe('splitmix64', () => {
  it('reproduces the published outputs from seed 0', () => {
    const generator = new SplitMix64(0n);
    expect([generator.nextUint64(), generator.nextUint64(), generator.nextUint64()]).toEqual([
      0xe220a8397b1dcdafn,
      0x6e789e6aa1b965f4n,
      0x06c45d188009454fn,
    ]);
  });

  it.each(SEEDS)('matches the BigInt transcription from seed %s', (seed) => {
    const generator = new SplitMix64(seed);
    const oracle = oracleSplitMix(seed);
    for (let i = 0; i < 1000; i++) expect(generator.nextUint64()).toBe(oracle());
  });
});

describe('xoshiro256++', () => {
  it('the BigInt transcription reproduces the reference vector for state {1, 2, 3, 4}', () => {
    const oracle = oracleXoshiro([1n, 2n, 3n, 4n]);
    expect(Array.from({ length: 10 }, oracle)).toEqual([
      41943041n, 58720359n, 3588806011781223n, 3591011842654386n, 9228616714210784205n,
      9973669472204895162n, 14011001112246962877n, 12406186145184390807n, 15849039046786891736n,
      10450023813501588000n,
    ]);
  });

  it.each(SEEDS)('matches the transcription, seeded by splitmix64 from %s', (seed) => {
    const generator = new Xoshiro256pp(seed);
    const oracle = oracleSeededXoshiro(seed);
    for (let i = 0; i < 5000; i++) expect(generator.nextUint64()).toBe(oracle());
  });

  it('draws uniforms ((x >> 12) + 1/2) 2^-52 in (0, 1)', () => {
    const generator = new Xoshiro256pp(7n);
    const oracle = oracleSeededXoshiro(7n);
    for (let i = 0; i < 5000; i++) {
      const u = generator.nextUniform();
      expect(u).toBe(oracleUniform(oracle()));
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThan(1);
    }
  });

  it('maps the extreme words to 2^-53 and 1 - 2^-53, and the middle to 1/2 + 2^-53', () => {
    expect(oracleUniform(0n)).toBe(2 ** -53);
    expect(oracleUniform(MASK)).toBe(1 - 2 ** -53);
    expect(oracleUniform(1n << 63n)).toBe(0.5 + 2 ** -53);
  });
});

describe('path streams', () => {
  it('seed path k from splitmix64 at seed XOR (k * 0xD1B54A32D192ED03 mod 2^64)', () => {
    const seed = 0x243f6a8885a308d3n;
    for (const key of [0n, 1n, 2n, 12345n, (1n << 63n) + 5n]) {
      const stream = pathStream(seed, key);
      const oracle = oracleSeededXoshiro(seed ^ ((key * 0xd1b54a32d192ed03n) & MASK));
      for (let i = 0; i < 20; i++) expect(stream.nextUint64()).toBe(oracle());
    }
  });

  it('Box-Muller with the model ln and cos/sin: cos then sin of each pair, an odd count drops the last sine', () => {
    const normals = new Float64Array(5);
    const stream = new Xoshiro256pp(99n);
    fillNormals(stream, normals);
    const oracle = oracleSeededXoshiro(99n);
    const expected: number[] = [];
    const libm: number[] = [];
    const cosSin = new Float64Array(2);
    for (let pair = 0; pair < 3; pair++) {
      const u1 = oracleUniform(oracle());
      const u2 = oracleUniform(oracle());
      const radius = Math.sqrt(-2 * lnPositiveNormal(u1));
      cosSinTurns(u2, cosSin);
      expected.push(radius * cosSin[0]!, radius * cosSin[1]!);
      const libmRadius = Math.sqrt(-2 * Math.log(u1));
      libm.push(libmRadius * Math.cos(2 * Math.PI * u2), libmRadius * Math.sin(2 * Math.PI * u2));
    }
    expect(Array.from(normals)).toEqual(expected.slice(0, 5));
    // The model's ln and cos/sin agree with the platform's to rounding.
    normals.forEach((z, i) => expect(Math.abs(z - libm[i]!)).toBeLessThan(1e-14));
    // Exactly six uniforms were consumed.
    expect(stream.nextUint64()).toBe(oracle());
  });

  it('gives path p its own shocks, independent of which other paths are drawn', () => {
    const a = new Float64Array(3);
    const b = new Float64Array(3);
    fillPathShocks(5n, 10n, false, a);
    fillPathShocks(5n, 11n, false, b);
    expect(a).not.toEqual(b);
    const again = new Float64Array(3);
    fillPathShocks(5n, 10n, false, again);
    expect(again).toEqual(a);
    const direct = new Float64Array(3);
    fillNormals(pathStream(5n, 10n), direct);
    expect(direct).toEqual(a);
  });

  it('antithetic: paths 2k and 2k+1 use stream k, the odd one negated', () => {
    for (const k of [0n, 1n, 17n]) {
      const even = new Float64Array(4);
      const odd = new Float64Array(4);
      const plain = new Float64Array(4);
      fillPathShocks(3n, 2n * k, true, even);
      fillPathShocks(3n, 2n * k + 1n, true, odd);
      fillPathShocks(3n, k, false, plain);
      expect(even).toEqual(plain);
      expect(Array.from(odd)).toEqual(Array.from(even, (x) => -x));
      expect(even.some((x) => x !== 0)).toBe(true);
    }
  });

  it('draws standard normals', () => {
    const count = 200_000;
    const normals = new Float64Array(count);
    fillNormals(new Xoshiro256pp(2024n), normals);
    let sum = 0;
    let squares = 0;
    let beyond196 = 0;
    for (const x of normals) {
      sum += x;
      squares += x * x;
      if (Math.abs(x) > 1.959963984540054) beyond196++;
    }
    expect(Math.abs(sum / count)).toBeLessThan(0.01);
    expect(Math.abs(squares / count - 1)).toBeLessThan(0.015);
    expect(Math.abs(beyond196 / count - 0.05)).toBeLessThan(0.003);
  });
});
