// Exact sums of doubles and of their squares, and exact ratios of them rounded once: the P&L moments of a
// run come out the same bits however its paths were split into chunks, in whatever order the chunks add
// up, because nothing is rounded before the end (a chunk's sums cross Redis whole, as integers).
//
// Why not an npm package: none kept up offers an exact, mergeable sum of squares (stdlib's are Kahan-
// Babuska, accurate but order-dependent). The fast path is Shewchuk's expansion (Python's math.fsum);
// Dekker's split makes each square an exact sum of three doubles.

/** Every double is a multiple of 2^-1074 and every product of two a multiple of 2^-2148: a sum times
 *  2^SCALE_BITS is an integer. */
export const SCALE_BITS = 2148;
const SCALE = BigInt(SCALE_BITS);
/** Inside [2^-480, 2^480] the split below and its three products are exact, and a run's partial sums
 *  stay far from overflow; anything else takes the (rare, slow) integer path. */
const SPLIT_MIN = 2 ** -480;
const SPLIT_MAX = 2 ** 480;
/** 2^27 + 1: Dekker/Veltkamp's splitter for 53-bit significands. */
const SPLITTER = 134_217_729;

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

/** A running exact sum: non-overlapping partials whose exact total is the sum so far (Shewchuk), plus an
 *  integer for the values outside the fast path's range. */
export class ExactSum {
  /** The partials, smallest first, in a typed array: this runs for every path of every run. */
  private partials = new Float64Array(8);
  private count = 0;
  private outside = 0n;

  add(value: number): void {
    if (!(Math.abs(value) <= SPLIT_MAX)) {
      this.outside += scaledInteger(value);
      return;
    }
    const partials = this.partials;
    let x = value;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const y = partials[i]!;
      // Two-sum, larger operand first: high + low is exactly x + y.
      const high = x + y;
      const low = Math.abs(x) < Math.abs(y) ? x - (high - y) : y - (high - x);
      if (low !== 0) partials[kept++] = low;
      x = high;
    }
    if (kept === partials.length) {
      this.partials = new Float64Array(2 * kept);
      this.partials.set(partials);
    }
    this.partials[kept++] = x;
    this.count = kept;
  }

  /** Adds x^2 exactly: x = high + low with 26-bit halves, so each of high^2, 2 high low and low^2 is a double. */
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
    this.add(high * high);
    this.add(2 * high * low);
    this.add(low * low);
  }

  /** The exact sum times 2^SCALE_BITS. */
  scaled(): bigint {
    let total = this.outside;
    for (let i = 0; i < this.count; i++) total += scaledInteger(this.partials[i]!);
    return total;
  }
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
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
