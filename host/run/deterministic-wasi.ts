// The sandbox's answers to `wasi:random/*` and `wasi:clocks/*` when a policy grants them and wants
// reproducible results (the policy's `deterministic`, default true): bytes from a fixed-seed SplitMix64
// stream, a wall clock frozen at one instant, and a monotonic clock that advances one fixed step per read
// (so a loop that waits for time to pass still ends). `restart()` puts all three back at their start: the
// sandbox calls it before every engine call, so what a component computes depends on that call's inputs
// alone, not on which instance served it or what it served before.
import { clocks } from '@bytecodealliance/preview2-shim';
import { FROZEN_WALL_CLOCK_SECONDS, MONOTONIC_STEP_NANOSECONDS } from './sandbox-grant.js';

/** The stream's fixed seed: the first 64 bits of the fractional part of pi. */
const SEED = 0x243f6a8885a308d3n;
const MASK_64 = (1n << 64n) - 1n;
/** The most bytes one `get-random-bytes` call may ask for, of this stream or of the host's entropy
 *  (sandbox.ts); a larger request traps instead of exhausting the host. */
export const MAX_RANDOM_BYTES_PER_CALL = 1 << 20;

/** `length` as a number, or a trap if one call may not ask for that many random bytes. */
export function randomBytesLength(length: bigint): number {
  if (length > BigInt(MAX_RANDOM_BYTES_PER_CALL)) {
    throw new Error(`the sandbox gives at most ${MAX_RANDOM_BYTES_PER_CALL} random bytes per call; ${length} were asked for`);
  }
  return Number(length);
}

/** SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and every 64-bit output of a seed is fixed. */
class SplitMix64 {
  private state = SEED;

  restart(): void {
    this.state = SEED;
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK_64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
    return z ^ (z >> 31n);
  }

  bytes(length: bigint): Uint8Array {
    const out = new Uint8Array(randomBytesLength(length));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (; offset + 8 <= out.length; offset += 8) view.setBigUint64(offset, this.next(), true);
    if (offset < out.length) {
      const last = new DataView(new ArrayBuffer(8));
      last.setBigUint64(0, this.next(), true);
      out.set(new Uint8Array(last.buffer, 0, out.length - offset), offset);
    }
    return out;
  }
}

export interface DeterministicWasi {
  /** The answers, by interface name without version, as the glue's import object wants them. */
  interfaces: Record<string, Record<string, unknown>>;
  /** Back to the start: the same reads give the same answers again. */
  restart(): void;
}

export function deterministicWasi(): DeterministicWasi {
  const stream = new SplitMix64();
  let monotonicNow = 0n;
  // Waiting never waits: with time standing (nearly) still, a pollable for any instant is ready now.
  const readyNow = () => clocks.monotonicClock.subscribeDuration(0n);
  const interfaces = {
    'wasi:random/random': { getRandomBytes: (length: bigint) => stream.bytes(length), getRandomU64: () => stream.next() },
    'wasi:random/insecure': { getInsecureRandomBytes: (length: bigint) => stream.bytes(length), getInsecureRandomU64: () => stream.next() },
    'wasi:random/insecure-seed': { insecureSeed: () => [SEED, SEED ^ MASK_64] },
    'wasi:clocks/wall-clock': {
      now: () => ({ seconds: FROZEN_WALL_CLOCK_SECONDS, nanoseconds: 0 }),
      resolution: () => ({ seconds: 0n, nanoseconds: Number(MONOTONIC_STEP_NANOSECONDS) }),
    },
    'wasi:clocks/monotonic-clock': {
      now: () => (monotonicNow += MONOTONIC_STEP_NANOSECONDS),
      resolution: () => MONOTONIC_STEP_NANOSECONDS,
      subscribeInstant: readyNow,
      subscribeDuration: readyNow,
    },
  };
  return {
    interfaces,
    restart() {
      stream.restart();
      monotonicNow = 0n;
    },
  };
}
