// Exact sums of doubles and of their squares, and exact ratios of them rounded once: the P&L moments of a
// run come out the same bits however its paths were split into chunks, in whatever order the chunks add
// up, because nothing is rounded before the end (a chunk's sums cross Redis whole, as integers).
//
// Why not an npm package: none kept up offers an exact, mergeable sum of squares (stdlib's are Kahan-
// Babuska, accurate but order-dependent). The fast path is a superaccumulator (after Neal, "Fast exact
// summation using small and large superaccumulators", 2015): each double is cut at fixed bin edges chosen
// by its exponent alone, so an addition costs a few flops whatever the values, where an expansion
// (Shewchuk, Python's math.fsum) walks all its partials; Dekker's product makes each square an exact sum
// of two doubles.

/** Every double is a multiple of 2^-1074 and every product of two a multiple of 2^-2148: a sum times
 *  2^SCALE_BITS is an integer. */
export const SCALE_BITS = 2148;
const SCALE = BigInt(SCALE_BITS);
/** Inside [2^-480, 2^480] the split below and the products of its halves are exact and the square stays
 *  inside the bins' range; anything else takes the (rare, slow) integer path. */
const SPLIT_MIN = 2 ** -480;
const SPLIT_MAX = 2 ** 480;
/** 2^27 + 1: Dekker/Veltkamp's splitter for 53-bit significands. */
const SPLITTER = 134_217_729;

/** Bin k holds integer multiples of 2^(32k - 1075). A double whose biased exponent is e has its lowest
 *  bit at 2^(e - 1075) or above (2^-1074 if subnormal), so with k = e >> 5 its 53 bits lie in bins k, k+1
 *  and k+2. Sixty-four bins: the last whose rounding constant (below) is finite is bin 63. */
const BINS = 64;
/** With k + 2 <= 63, e <= 1983: below 2^961 a value takes the bins, at or above it the integer path. */
const BINNED_LIMIT = 2 ** 961;
/** (x + ROUNDER[k]) - ROUNDER[k] is x rounded to a multiple of bin k's unit, for |x| < 2^(32k - 1024):
 *  1.5 * 2^(32k - 1023) has that unit for its last place. The remainder x - rounded is exact (it is
 *  x itself, or Sterbenz's lemma applies, or it fits in 53 bits below the edge). */
const ROUNDER = Float64Array.from({ length: BINS }, (_, k) => 1.5 * 2 ** (32 * k - 1023));
/** Each addition puts at most 2^31 units in a bin (the top piece 2^21), so a bin stays an exact double,
 *  below 2^53 units, for 2^21 additions; then the bins move into the integer. */
const FLUSH_EVERY = 2 ** 21;

/** BINS zeros in an array V8 holds as unboxed doubles (its elements kind is set by the 0.5 it was made with,
 *  and kept by slice and fill): the bins' additions stay float additions, as in a Float64Array. */
const DOUBLE_ZEROS: number[] = Array.from({ length: BINS }, () => 0.5).fill(0);

/** Reads a double's exponent; the high word is the second on little-endian machines. */
const exponentView = new Float64Array(1);
const exponentWords = new Uint32Array(exponentView.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

function biasedExponent(x: number): number {
  exponentView[0] = x;
  return (exponentWords[HIGH_WORD]! >>> 20) & 0x7ff;
}

/** Whether a double's significand is a power of two (its 52 fraction bits are zero). */
function hasNoFraction(x: number): boolean {
  exponentView[0] = x;
  return (exponentWords[HIGH_WORD]! & 0xfffff) === 0 && exponentWords[1 - HIGH_WORD] === 0;
}

const bits = new DataView(new ArrayBuffer(8));

/** `x` (finite) times 2^SCALE_BITS, exactly. */
function scaledInteger(x: number): bigint {
  bits.setFloat64(0, x);
  const high = bits.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(bits.getUint32(4));
  const significand = biased === 0 ? fraction : fraction | (1n << 52n);
  const magnitude = significand << (SCALE + BigInt(Math.max(biased, 1) - 1075));
  return high >>> 31 ? -magnitude : magnitude;
}

/** A running exact sum: bins of doubles, each an exact multiple of its unit, plus an integer for the
 *  values outside the bins' range and for the bins themselves every FLUSH_EVERY additions. */
export class ExactSum {
  // A plain array of doubles, not a Float64Array: a typed array of 512 bytes has its store outside V8's heap,
  // allocated and freed apart (a tenth of a one-path run's time went to it), and a run makes two sums per chunk.
  private bins = DOUBLE_ZEROS.slice();
  private additions = 0;
  private outside = 0n;

  add(value: number): void {
    if (!(Math.abs(value) < BINNED_LIMIT)) {
      this.outside += scaledInteger(value);
      return;
    }
    this.addToBins(value, biasedExponent(value) >>> 5);
    if (++this.additions >= FLUSH_EVERY) this.flush();
  }

  /** Adds x^2 exactly as Dekker's product: x = high + low with 26-bit halves makes each partial product a
   *  double, and summed in his order they give the rounding error of x * x exactly. */
  addSquareOf(x: number): void {
    const magnitude = Math.abs(x);
    if (magnitude === 0) return;
    if (magnitude < SPLIT_MIN || magnitude > SPLIT_MAX) {
      const scaled = scaledInteger(x);
      this.outside += (scaled * scaled) >> SCALE;
      return;
    }
    const c = SPLITTER * x;
    const high = c - (c - x);
    const low = x - high;
    const square = x * x;
    const cross = high * low;
    // x's exponent e places both without reading theirs: x * x has exponent 2e - 1023 to 2e - 1021 and its
    // error is a multiple of 2^(2e - 2150) below 2^(2e - 2097), inside addToBins' bounds for these k.
    const e = biasedExponent(x);
    this.addToBins(square, (2 * e - 1023) >>> 5);
    this.addToBins(high * high - square + cross + cross + low * low, (2 * e - 1075) >>> 5);
    this.additions += 2;
    if (this.additions >= FLUSH_EVERY) this.flush();
  }

  /**
   * The exact sums of `values` and of their squares, times 2^SCALE_BITS: the same integers as `add` and
   * `addSquareOf` of each value give, about twice as fast on sorted values (a chunk's losses). Each of the
   * three parts of a value (itself, its square, the square's rounding error) goes to three bins chosen by
   * its exponent alone, and consecutive values of a sorted array choose the same three (a choice covers 32
   * binary orders of magnitude): their pieces are summed apart (`HeldPieces`) and reach the bins when the
   * choice changes. A held sum is part of what its bin would hold, so the bins' bound (FLUSH_EVERY
   * additions) holds for it too: the pieces are counted as the bins' own additions and emptied as often.
   */
  static ofValuesAndSquares(values: Float64Array): { sum: bigint; squares: bigint } {
    const sum = new ExactSum();
    const squares = new ExactSum();
    const value = new HeldPieces(sum.bins);
    const square = new HeldPieces(squares.bins);
    const error = new HeldPieces(squares.bins);
    /** Values whose pieces are held or in bins but not yet counted in the sums' additions, and how many
     *  more the bins can take before they must be emptied (a value is one addition to `sum`, two to
     *  `squares`). */
    let pending = 0;
    let room = FLUSH_EVERY >>> 1;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      // Adding zero changes no bin.
      if (x === 0) continue;
      const magnitude = Math.abs(x);
      const fast = magnitude >= SPLIT_MIN && magnitude <= SPLIT_MAX;
      if (!fast || pending >= room) {
        // A value outside the fast range (for the slow paths of add and addSquareOf), or the bins' bound
        // reached: every piece to the bins, counted, and a sum's bins emptied once half full.
        value.release();
        square.release();
        error.release();
        sum.additions += pending;
        squares.additions += 2 * pending;
        pending = 0;
        if (sum.additions >= FLUSH_EVERY >>> 1) sum.flush();
        if (squares.additions >= FLUSH_EVERY >>> 1) squares.flush();
        if (!fast) {
          sum.add(x);
          squares.addSquareOf(x);
        }
        room = Math.min(FLUSH_EVERY - sum.additions, (FLUSH_EVERY - squares.additions) >>> 1);
        if (!fast) continue;
      }
      // As add(x) and addSquareOf(x) place them (Dekker's product for the square's rounding error).
      const e = biasedExponent(x);
      const c = SPLITTER * x;
      const xHigh = c - (c - x);
      const xLow = x - xHigh;
      const squared = x * x;
      const cross = xHigh * xLow;
      value.add(x, e >>> 5);
      square.add(squared, (2 * e - 1023) >>> 5);
      error.add(xHigh * xHigh - squared + cross + cross + xLow * xLow, (2 * e - 1075) >>> 5);
      pending++;
    }
    value.release();
    square.release();
    error.release();
    return { sum: sum.scaled(), squares: squares.scaled() };
  }

  /** The exact sum times 2^SCALE_BITS. */
  scaled(): bigint {
    let total = this.outside;
    for (let k = 0; k < BINS; k++) if (this.bins[k] !== 0) total += scaledInteger(this.bins[k]!);
    return total;
  }

  /** Adds `value` to bins k, k+1 and k+2: its lowest bit is at or above bin k's unit and it is below
   *  2^(32k - 980), so the pieces rounded off at the edges of bins k+2 and k+1 are below 2^31 units. */
  private addToBins(value: number, k: number): void {
    const bins = this.bins;
    const top = ROUNDER[k + 2]!;
    const middle = ROUNDER[k + 1]!;
    const high = value + top - top;
    const rest = value - high;
    const mid = rest + middle - middle;
    bins[k + 2]! += high;
    bins[k + 1]! += mid;
    bins[k]! += rest - mid;
  }

  private flush(): void {
    this.outside = this.scaled();
    this.bins.fill(0);
    this.additions = 0;
  }
}

/** The pieces of values bound for the same three bins (k, k+1, k+2), summed apart from them while consecutive
 *  values choose those bins (ExactSum.ofValuesAndSquares): each is split as addToBins splits it. */
class HeldPieces {
  private k = 0;
  private top = ROUNDER[2]!;
  private middle = ROUNDER[1]!;
  private low = 0;
  private mid = 0;
  private high = 0;

  constructor(private readonly bins: number[]) {}

  add(value: number, k: number): void {
    if (k !== this.k) {
      this.release();
      this.k = k;
      this.top = ROUNDER[k + 2]!;
      this.middle = ROUNDER[k + 1]!;
    }
    const high = value + this.top - this.top;
    const rest = value - high;
    const middle = rest + this.middle - this.middle;
    this.high += high;
    this.mid += middle;
    this.low += rest - middle;
  }

  /** Every held piece to its bin. */
  release(): void {
    const { bins, k } = this;
    bins[k]! += this.low;
    bins[k + 1]! += this.mid;
    bins[k + 2]! += this.high;
    this.low = this.mid = this.high = 0;
  }
}

/** 2^1000: below it a BigInt converts to a finite double. */
const BELOW_INFINITY = 1n << 1000n;

/** Bits of `n` (n >= 0): the exponent of Number(n), n rounded to 53 bits, plus one, unless rounding carried
 *  n up to a power of two; taken 1,000 bits at a time above 2^1000 (a sum times 2^SCALE_BITS has a few
 *  thousand). About five times faster than counting its hexadecimal digits. */
export function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  let rest = n;
  let skipped = 0;
  while (rest >= BELOW_INFINITY) {
    rest >>= 1000n;
    skipped += 1000;
  }
  const rounded = Number(rest);
  const exponent = biasedExponent(rounded) - 1023;
  const carried = exponent > 52 && hasNoFraction(rounded) && rest < 1n << BigInt(exponent);
  return skipped + (carried ? exponent : exponent + 1);
}

/** num / den rounded to the nearest double (den > 0): the quotient to 64+ bits, a sticky bit for what the
 *  division left over, then one rounding by Number(). Only a subnormal result is rounded twice. */
export function ratioToNumber(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const negative = num < 0n;
  const magnitude = negative ? -num : num;
  const shift = 66 + bitLength(den) - bitLength(magnitude);
  const dividend = shift >= 0 ? magnitude << BigInt(shift) : magnitude;
  const divisor = shift >= 0 ? den : den << BigInt(-shift);
  let quotient = dividend / divisor;
  if (dividend % divisor !== 0n) quotient |= 1n;
  const value = timesPowerOfTwo(Number(quotient), -shift);
  return negative ? -value : value;
}

/** value * 2^exponent in steps that stay exact while the result is a normal double. */
function timesPowerOfTwo(value: number, exponent: number): number {
  let result = value;
  let left = exponent;
  while (left > 1000) {
    result *= 2 ** 1000;
    left -= 1000;
  }
  while (left < -1000) {
    result *= 2 ** -1000;
    left += 1000;
  }
  return result * 2 ** left;
}
